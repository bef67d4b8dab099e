"""Text classification on the task interface: each method hands over to the module that does it
(data.py, model.py, predict.py, scoring.py, onnx.py, card.py), imported when first needed so the
registry stays light."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sftgui.core.tasks.base import TRAINER_SEARCH_SPACE, Metric, Preset, SearchDimension, Task
from sftgui.errors import UserError

AUTO_LENGTH = 0  # config.AUTO_LENGTH: "long enough for 95% of the training texts"

PRESETS = (
    # Quick stays a full fine-tune: caching a frozen part (training/feature_cache.py, "Keep fixed" under
    # Advanced) was measured on the drugs.com reviews on an emulated AVX2 CPU (under heavy load):
    # all-but-head 67.0%, all-but-top-2 65.4% at 1e-4/16 and 5e-5/8 (the majority class's share; cause not settled), below the
    # full fine-tune's ~72%; no frozen setting matched it yet, so none is the default.
    # Quick: the Trainer's own defaults (3 epochs, 5e-5, batch 8) on the fast paths; at 1e-4/16/2 epochs
    # it learned only the majority class of the drugs.com reviews benchmark.
    Preset("quick", "Quick", "A first result in a few minutes. Good to check that everything works.",
           dict(epochs=3, learning_rate=5e-5, batch_size=8, max_length=AUTO_LENGTH, warmup=0.1,
                early_stopping=False)),
    Preset("balanced", "Balanced", "Longer training that stops by itself when it stops improving.",
           dict(epochs=5, learning_rate=5e-5, batch_size=16, max_length=AUTO_LENGTH, warmup=0.1,
                early_stopping=True, early_stopping_patience=2)),
    Preset("thorough", "Thorough", "The most careful training; can take much longer.",
           dict(epochs=10, learning_rate=3e-5, batch_size=16, max_length=AUTO_LENGTH, warmup=0.1,
                weight_decay=0.01, early_stopping=True, early_stopping_patience=3)),
)


class TextClassification(Task):
    name = "text-classification"
    title = "Sort texts into categories (text classification)"
    presets = PRESETS
    columns = (("text", "string"), ("label", "string"))
    input_column = "text"
    labelled = True
    metrics = (Metric("accuracy", "Accuracy"), Metric("macro_f1", "F1 (macro)"),
               Metric("weighted_f1", "F1 (weighted)"))
    validation_metrics = ("accuracy", "macro_f1")
    primary_metric = "macro_f1"
    exports = ("hf", "zip", "onnx")
    processor_name = "tokenizer"
    explanation = "words"

    # -- data ---------------------------------------------------------------------------------------
    def check_rows(self, rows):
        from sftgui.core.tasks.text_classification import data

        data.check_rows(rows)

    def label_set(self, rows, parent_labels=None):
        from sftgui.core.tasks.text_classification import data

        return data.label_set(rows, parent_labels)

    def check_labels(self, labels):
        if not labels:
            raise UserError("A model version needs its list of labels.")

    def token_lengths(self, model_dir, texts):
        from sftgui.core.tasks.text_classification import data

        return data.token_lengths(model_dir, texts)

    # -- model --------------------------------------------------------------------------------------
    def load_processor(self, model_dir: Path):
        from sftgui.core.tasks.text_classification import model

        return model.load_tokenizer(model_dir)

    def load_model(self, model_dir, labels, *, parent_labels=None, dropout=None):
        from sftgui.core.tasks.text_classification import model

        return model.load_model(model_dir, labels, parent_labels=parent_labels, dropout=dropout)

    def auto_max_length(self, processor, model_dir, rows):
        from sftgui.core.tasks.text_classification import data

        return data.auto_max_length(processor, model_dir, rows)

    def reading_limit(self, processor, model_dir):
        from sftgui.core.tasks.text_classification import data

        return data.reading_limit(processor, model_dir)

    def prepare(self, cache_root, snapshot_hash, model_dir, processor, rows, labels, max_length):
        from sftgui.core.tasks.text_classification import data

        return data.tokenized(cache_root, snapshot_hash, model_dir, processor, rows, labels, max_length)

    def collator(self, processor):
        from sftgui.core.tasks.text_classification import data

        return data.collator(processor)

    def lengths(self, dataset):
        from sftgui.core.tasks.text_classification import data

        return data.lengths(dataset)

    def frozen_part(self, model, config):
        from sftgui.core.tasks.text_classification.frozen import frozen_part

        return frozen_part(model, config)

    def lora_task_type(self):
        from peft import TaskType

        return TaskType.SEQ_CLS  # peft then keeps the new head trainable (modules_to_save)

    # -- metrics ------------------------------------------------------------------------------------
    def training_metrics(self, eval_pred, labels):
        from sftgui.core.tasks.text_classification import scoring

        return scoring.training_metrics(eval_pred, labels)

    def compare_metrics(self, metrics, first):
        out = super().compare_metrics(metrics, first)
        out["per_class_f1"] = {name: c["f1"] for name, c in metrics.get("per_class", {}).items()}
        return out

    # -- versions -----------------------------------------------------------------------------------
    def model_files(self, model, processor, labels):
        from sftgui.core.tasks.text_classification import model as tc_model

        return tc_model.model_files(model, processor, labels)

    def load_version(self, folder, state):
        from sftgui.core.tasks.text_classification import model

        return model.load_version(folder, state)

    # -- prediction ---------------------------------------------------------------------------------
    def predict(self, model, processor, inputs: Sequence, *, max_length=None):
        from sftgui.core.tasks.text_classification.predict import predict_proba

        return predict_proba(model, processor, list(inputs), max_length=max_length)

    def cpu_predictor(self, ws, version, processor):
        from sftgui.core.tasks.text_classification.onnx_predict import build_predictor

        return build_predictor(ws, version, processor, self.max_length(processor, version.config))

    def max_length(self, processor, config):
        from sftgui.core.tasks.text_classification.predict import max_length_for

        return max_length_for(processor, config)

    def score(self, rows, labels, outputs):
        from sftgui.core.tasks.text_classification import scoring

        return scoring.score_predictions(rows, labels, outputs)

    def prediction_rows(self, result_rows):
        from sftgui.core.tasks.text_classification import scoring

        return scoring.stored_rows(result_rows)

    def prediction_diff(self, before, after, *, examples):
        from sftgui.core.tasks.text_classification import scoring

        return scoring.prediction_diff(before, after, examples=examples)

    def answer(self, labels, output, top_k):
        from sftgui.core.tasks.text_classification import scoring

        scores = scoring.rank_labels(labels, output, top_k)
        return {"label": next(iter(scores)), "scores": scores}

    # -- search, explanations, monitoring -------------------------------------------------------------
    def search_space(self, config=None):
        if (config or {}).get("lora"):
            return (*TRAINER_SEARCH_SPACE, SearchDimension("lora_r", "LoRA rank", "choice", choices=(4, 8, 16, 32)))
        # freezing the embeddings (or the first 2 layers too) often helps a small data set
        return (*TRAINER_SEARCH_SPACE,
                SearchDimension("freeze", "Frozen layers", "choice", choices=("none", "embeddings", "2")))

    def explain(self, model, processor, input_value, *, labels, target=None, max_length=None, steps=50,
                internal_batch_size=16):
        from sftgui.core.tasks.text_classification.explain import explain_text

        return explain_text(model, processor, input_value, labels=labels, target=target, max_length=max_length,
                            steps=steps, internal_batch_size=internal_batch_size)

    def drift_checks(self, reference, batch, *, baseline=()):
        from sftgui.core.tasks.text_classification import drift

        return [*super().drift_checks(reference, batch, baseline=baseline), drift.text_length(reference, batch),
                drift.unknown_words(reference, batch, baseline)]

    # -- export and card ----------------------------------------------------------------------------
    def inference_facts(self, config):
        from sftgui.core.tasks.text_classification.predict import recorded_length

        return {"max_length": recorded_length(config), "trained_max_length": config.get("max_length")}

    def finish_export_folder(self, folder, facts):
        from sftgui.core.tasks.text_classification.export import write_reading_length

        if (facts.get("inference") or {}).get("max_length"):
            write_reading_length(folder, facts["inference"]["max_length"])

    def publish_pipeline(self, folder, config):
        from sftgui.core.tasks.text_classification.export import publish_pipeline

        return publish_pipeline(folder, config)

    def export_extra(self, fmt, folder):
        if fmt != "onnx":
            return super().export_extra(fmt, folder)
        from sftgui.core.tasks.text_classification.export import to_onnx

        to_onnx(folder)

    def card_sections(self, facts):
        from sftgui.core.tasks.text_classification import card

        return card.card_sections(facts)
