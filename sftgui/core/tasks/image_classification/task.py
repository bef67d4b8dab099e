"""Image classification on the task interface: each method hands over to the module that does
it (importer, images, augment, data, model, predict, quality, export, card), imported when first
needed so the registry stays light."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sftgui.core.tasks.base import Preset, Task
from sftgui.core.tasks.text_classification.task import TextClassification as _Classifier
from sftgui.errors import UserError

PRESETS = (
    # Quick: the pre-trained backbone stays as it is and only a new head learns (a first model in
    # about a minute on a laptop CPU); no augmentation, so nothing but the head's inputs change.
    Preset("quick", "Quick", "A first model in about a minute: only the last layer learns.",
           dict(epochs=5, learning_rate=3e-3, batch_size=32, warmup=0.0, weight_decay=0.0,
                freeze="all-but-head", early_stopping=False, augmentation={})),
    Preset("balanced", "Balanced", "The whole model learns, with flipped, turned and cropped copies of the "
           "pictures; stops by itself when it stops improving.",
           dict(epochs=8, learning_rate=5e-4, batch_size=32, warmup=0.1, weight_decay=0.01, freeze="none",
                early_stopping=True, early_stopping_patience=2,
                augmentation={"flip": True, "rotation": 10.0, "crop": 0.9, "scale": 0.1, "jitter": 0.2})),
    Preset("thorough", "Thorough", "Longer training of the whole model with stronger variations; can take much longer.",
           dict(epochs=15, learning_rate=3e-4, batch_size=32, warmup=0.1, weight_decay=0.02, freeze="none",
                early_stopping=True, early_stopping_patience=3,
                augmentation={"flip": True, "rotation": 15.0, "crop": 0.8, "scale": 0.15, "jitter": 0.3,
                              "noise": 0.02})),
)


def _adapt(rows):
    """Rows with the picture's digest also under "text": text classification's scoring reads it."""
    return [{**r, "text": r["image"]} if "text" not in r else r for r in rows]


class ImageClassification(Task):
    name = "image-classification"
    title = "Sort pictures into categories (image classification)"
    presets = PRESETS
    columns = (("image", "string"), ("label", "string"))
    input_column = "image"
    labelled = True
    # a single-label classifier like the text one: the same metrics, checkpoint rule and answers
    metrics = _Classifier.metrics
    validation_metrics = _Classifier.validation_metrics
    primary_metric = _Classifier.primary_metric
    check_labels = _Classifier.check_labels
    training_metrics = _Classifier.training_metrics
    answer = _Classifier.answer
    exports = ("hf", "zip", "onnx")
    playground = "image"
    processor_name = "image processor"
    augments = True
    thumbnails = True
    reads_length = False  # the picture side comes with the model's image processor
    explanation = "saliency"  # a map over the picture (saliency.py)

    # -- data ---------------------------------------------------------------------------------------
    def import_path(self, ws, project, path, **options):
        from sftgui.core.tasks.image_classification.importer import import_images

        return import_images(ws, project, path, **options)

    def check_rows(self, rows):
        from sftgui.core.tasks.image_classification import data

        data.check_rows(rows)

    def label_set(self, rows, parent_labels=None):
        from sftgui.core.tasks.image_classification import data

        return data.label_set(rows, parent_labels)

    def quality_findings(self, ws, project, rows):
        from sftgui.core.tasks.image_classification.quality import image_findings

        return image_findings(ws, rows)

    def check_config(self, config):
        from sftgui.core.tasks.image_classification.augment import check

        check(config.augmentation)
        if config.lora:
            raise UserError("LoRA adapters are for text models; for pictures train the last layer (Quick) or the "
                            "whole model (Balanced).")

    def thumbnail(self, ws, value):
        from sftgui.core.tasks.image_classification import images

        return images.thumbnail_path(ws, value) if images.is_digest(value) else None

    def augmentation_from_text(self, text):
        from sftgui.core.tasks.image_classification.augment import parse

        return parse(text)

    def augmentation_choices(self):
        from sftgui.core.tasks.image_classification.augment import choices

        return choices()

    def augmentation_preview(self, ws, inputs, settings, seed):
        from sftgui.core.tasks.image_classification.augment import preview_thumbnails

        return preview_thumbnails(ws, inputs, settings, seed)

    def data_fast_paths(self, *, group_by_length, cache_hit, config=None):
        from sftgui.core.tasks.image_classification.augment import active, describe

        settings = getattr(config, "augmentation", None)
        return ("pictures: read and resized by the model's image processor as each batch is needed, nothing "
                "to prepare first",
                f"augmentation: on — {describe(settings)}, new copies every epoch, drawn from the run's seed"
                if active(settings) else "augmentation: off — the training pictures are used as they are")

    # -- model --------------------------------------------------------------------------------------
    def bundled_model(self, ws):
        from sftgui.core.tasks.image_classification import backbone

        return backbone.bundled_folder(Path(ws.cache)), f"bundled:{backbone.NAME}"

    def load_processor(self, model_dir: Path):
        from sftgui.core.tasks.image_classification.model import load_processor

        return load_processor(model_dir)

    def load_model(self, model_dir, labels, *, parent_labels=None, dropout=None):
        from sftgui.core.tasks.image_classification.model import load_model

        return load_model(model_dir, labels, parent_labels=parent_labels, dropout=dropout)

    def auto_max_length(self, processor, model_dir, rows):
        from sftgui.core.tasks.image_classification.data import image_size

        return max(8, image_size(processor))  # recorded as the picture side the model reads

    def prepare(self, cache_root, snapshot_hash, model_dir, processor, rows, labels, max_length):
        from sftgui.core.tasks.image_classification import data

        return data.prepare(rows, labels, processor)

    def augmenting(self, data, processor, config):
        from sftgui.core.tasks.image_classification.data import augmenting

        return augmenting(data, processor, config.augmentation, config.seed)

    def collator(self, processor):
        from sftgui.core.tasks.image_classification.data import collator

        return collator()

    def frozen_part(self, model, config):
        """Quick (all but the head frozen): the backbone's pooled features are cached and only the
        new head trains on them. Batch-norm statistics stay as pre-trained (the backbone runs in
        eval mode once); on the normal path they would drift with the training batches."""
        from sftgui.core.training.feature_cache import HeadInputPart

        head = getattr(model, "classifier", None)
        if str(config.freeze) != "all-but-head" or head is None:
            return None
        head_params = {id(p) for p in head.parameters()}
        if any(p.requires_grad for p in model.parameters() if id(p) not in head_params):
            return None  # something before the head still learns: its output changes every step
        return HeadInputPart(model, "classifier")

    def lora_task_type(self):
        return None  # peft has no image task type: LoRA wraps every linear layer; the head is saved

    # -- metrics ------------------------------------------------------------------------------------
    def compare_metrics(self, metrics, first):
        out = super().compare_metrics(metrics, first)
        out["per_class_f1"] = {name: c["f1"] for name, c in metrics.get("per_class", {}).items()}
        return out

    # -- versions -----------------------------------------------------------------------------------
    def model_files(self, model, processor, labels):
        from sftgui.core.tasks.text_classification.model import model_files

        return model_files(model, processor, labels)  # config.json, labels.json, preprocessor_config.json

    def load_version(self, folder, state):
        from sftgui.core.tasks.image_classification.model import load_version

        return load_version(folder, state)

    # -- prediction ---------------------------------------------------------------------------------
    def predict(self, model, processor, inputs: Sequence, *, max_length=None):
        from sftgui.core.tasks.image_classification.predict import predict_proba

        return predict_proba(model, processor, list(inputs))

    def max_length(self, processor, config):
        return None

    def explain(self, model, processor, input_value, *, labels, target=None, max_length=None, steps=50,
                internal_batch_size=16):
        from sftgui.core.tasks.image_classification.saliency import explain_image

        return explain_image(model, processor, input_value, labels=labels, target=target, steps=steps,
                             internal_batch_size=internal_batch_size)

    def score(self, rows, labels, outputs):
        from sftgui.core.tasks.text_classification import scoring

        result = scoring.score_predictions(_adapt(rows), labels, outputs)
        for r in (*result["rows"], *result["mistakes"]):
            r["image"] = r["text"]
        return result

    def prediction_rows(self, result_rows):
        from sftgui.core.tasks.text_classification import scoring

        return [{**r, "image": r["text"]} for r in scoring.stored_rows(_adapt(result_rows))]

    def prediction_diff(self, before, after, *, examples):
        from sftgui.core.tasks.text_classification import scoring

        diff = scoring.prediction_diff(_adapt(before), _adapt(after), examples=examples)
        for shown in diff["examples"].values():
            for r in shown:
                r["image"] = r["text"]
        return diff

    # -- export and card ----------------------------------------------------------------------------
    def export_extra(self, fmt, folder):
        if fmt != "onnx":
            return super().export_extra(fmt, folder)
        from sftgui.core.tasks.image_classification.export import to_onnx

        to_onnx(folder)

    def card_sections(self, facts):
        from sftgui.core.tasks.image_classification import card

        return card.card_sections(facts)

    # -- the sample project -------------------------------------------------------------------------
    def sample(self):
        from sftgui.resources import resource_path

        return "sample-shapes", resource_path("sample/shapes")
