"""Instruction fine-tuning on the task interface: each method hands over to the module that does it
(shapes.py, data.py, model.py, generate.py, scoring.py, quality.py, card.py), imported when first
needed so the registry stays light."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sftgui.core.tasks.base import Metric, Preset, SearchDimension, Task


AUTO_LENGTH = 0

# LoRA by default (a version costs megabytes); lr 2e-4 is the usual LoRA rate for small chat models.
PRESETS = (
    Preset("quick", "Quick", "A first result soon: 2 passes over the examples with small LoRA adapters.",
           dict(epochs=2, learning_rate=2e-4, batch_size=8, max_length=AUTO_LENGTH, warmup=0.05, lora=True,
                lora_r=8, lora_alpha=16, lora_dropout=0.05, early_stopping=False)),
    Preset("balanced", "Balanced", "More passes; stops by itself when the validation loss stops improving.",
           dict(epochs=4, learning_rate=2e-4, batch_size=8, max_length=AUTO_LENGTH, warmup=0.05, lora=True,
                lora_r=16, lora_alpha=32, lora_dropout=0.05, early_stopping=True, early_stopping_patience=2)),
    Preset("thorough", "Thorough", "The most careful training; can take much longer.",
           dict(epochs=8, learning_rate=1e-4, batch_size=8, max_length=AUTO_LENGTH, warmup=0.05, lora=True,
                lora_r=32, lora_alpha=64, lora_dropout=0.05, weight_decay=0.01, early_stopping=True,
                early_stopping_patience=3)),
)


class InstructionSFT(Task):
    name = "instruction-sft"
    title = "Teach a language model to answer your way (instruction tuning)"
    presets = PRESETS
    columns = (("messages", "string"),)
    input_column = "messages"
    labelled = False
    label_column = "messages"
    metrics = (Metric("loss", "Loss on the answers", percent=False, higher_is_better=False),
               Metric("perplexity", "Perplexity", percent=False, higher_is_better=False),
               Metric("exact_match", "Exact answers"))
    validation_metrics = ("perplexity", "token_accuracy")
    primary_metric = "loss"
    exports = ("hf", "zip", "adapter")
    playground = "chat"
    processor_name = "tokenizer"
    keeps_adapter = True
    result_format = 1

    # -- data ---------------------------------------------------------------------------------------
    def snapshot_row(self, text, label):
        from sftgui.core.tasks.instruction_sft import shapes

        turns = shapes.from_text(text)
        _prompt, response = shapes.split(turns)
        if not turns or not isinstance(response, str) or not response.strip():
            return None, "empty"
        return (text,), None

    editor = "conversation"

    def turns_of(self, text):
        from sftgui.core.tasks.instruction_sft import shapes

        return shapes.from_text(text)

    def text_of_turns(self, turns):
        from sftgui.core.tasks.instruction_sft import shapes

        return shapes.to_text(turns)

    def stratify_by(self, kept):
        return None  # no labels: a plain seeded shuffle

    def convert_records(self, name, columns, records):
        from sftgui.core.tasks.instruction_sft import quality

        return quality.draft_rows(name, columns, records)

    def check_rows(self, rows):
        from sftgui.core.tasks.instruction_sft import data

        data.check_rows(rows)

    def check_labels(self, labels):
        return None  # a language model's outputs are words, not labels

    def token_lengths(self, model_dir, texts):
        from sftgui.core.tasks.instruction_sft import data, model

        return data.token_lengths(model.load_tokenizer(model_dir), texts)

    def quality_findings(self, ws, project, rows):
        from sftgui.core.data.quality import Finding
        from sftgui.core.tasks.instruction_sft import quality

        return [Finding(**f) for f in quality.findings(rows)]

    # -- model --------------------------------------------------------------------------------------
    def bundled_model(self, ws):
        from sftgui.core.tasks.instruction_sft import model

        return model.bundled_model(ws), f"bundled:{model.BUNDLED_NAME}"

    def sample(self):
        from sftgui.resources import resource_path

        return "sample-instruction-sft", resource_path("sample/support_replies.jsonl")

    def load_processor(self, model_dir: Path):
        from sftgui.core.tasks.instruction_sft import model

        return model.load_tokenizer(model_dir)

    def load_model(self, model_dir, labels, *, parent_labels=None, dropout=None):
        from sftgui.core.tasks.instruction_sft import model

        return model.load_model(model_dir, dropout=dropout)

    def auto_max_length(self, processor, model_dir, rows):
        from sftgui.core.tasks.instruction_sft import data

        return data.auto_max_length(processor, model_dir, rows)

    def prepare(self, cache_root, snapshot_hash, model_dir, processor, rows, labels, max_length):
        from sftgui.core.tasks.instruction_sft import data

        return data.tokenized(cache_root, snapshot_hash, model_dir, processor, rows, max_length)

    packs = True

    def augmenting(self, data, processor, config):
        """With `packing`, the training split is packed (validation and test stay one example a row,
        so their figures compare with unpacked runs)."""
        if not getattr(config, "packing", False):
            return data
        from sftgui.core.tasks.instruction_sft.data import pack

        return {**data, "train": pack(data["train"], int(config.max_length))}

    def collator(self, processor):
        from sftgui.core.tasks.instruction_sft.data import Collator

        return Collator(processor.pad_token_id)

    def lengths(self, dataset):
        from sftgui.core.tasks.instruction_sft import data

        return data.lengths(dataset)

    def search_space(self, config=None):
        """LoRA fine-tuning wants larger steps than full fine-tuning, and the rank is the capacity;
        without LoRA the whole model trains and only the Trainer settings are searched."""
        space = (SearchDimension("learning_rate", "Learning rate", "log", 5e-5, 5e-4),
                 SearchDimension("epochs", "Epochs", "int", 1, 4),
                 SearchDimension("warmup", "Warm-up share", "float", 0.0, 0.1),
                 SearchDimension("weight_decay", "Weight decay", "float", 0.0, 0.1))
        if (config or {}).get("lora", True):
            space += (SearchDimension("lora_r", "LoRA rank", "choice", choices=(4, 8, 16, 32)),)
        return space

    def lora_task_type(self):
        from peft import TaskType

        return TaskType.CAUSAL_LM

    def merged(self, model):
        from sftgui.core.tasks.instruction_sft import model as lm

        return lm.merged(model)

    # -- metrics ------------------------------------------------------------------------------------
    def logits_reducer(self):
        from sftgui.core.tasks.instruction_sft.scoring import reduce_logits

        return reduce_logits

    def training_metrics(self, eval_pred, labels):
        from sftgui.core.tasks.instruction_sft import scoring

        return scoring.training_metrics(eval_pred)

    def checkpoint_metric(self, name):
        if name == "perplexity":
            return "eval_loss", False  # the same order as the loss
        return super().checkpoint_metric(name)

    def compare_metrics(self, metrics, first):
        out = super().compare_metrics(metrics, first)
        out["short_answers"] = metrics.get("short_answers")
        return out

    # -- versions -----------------------------------------------------------------------------------
    def model_files(self, model, processor, labels):
        from sftgui.core.tasks.instruction_sft import model as lm

        return lm.model_files(model, processor)

    def load_version(self, folder, state):
        from sftgui.core.tasks.instruction_sft import model

        return model.load_version(folder, state)

    # -- prediction ---------------------------------------------------------------------------------
    def predict(self, model, processor, inputs: Sequence, *, max_length=None):
        from sftgui.core.tasks.instruction_sft.generate import DEFAULT_NEW_TOKENS, generate

        return generate(model, processor, list(inputs), max_new_tokens=max_length or DEFAULT_NEW_TOKENS)

    def max_length(self, processor, config):
        """New tokens an answer may take: recorded (`extra.max_new_tokens`), else 128."""
        from sftgui.core.tasks.instruction_sft.generate import DEFAULT_NEW_TOKENS

        return int(((config or {}).get("extra") or {}).get("max_new_tokens") or DEFAULT_NEW_TOKENS)

    def output_width(self, labels):
        return 0

    def stored_outputs(self, rows, labels):
        from sftgui.core.tasks.instruction_sft import scoring

        return scoring.stored_outputs(rows)

    def score(self, rows, labels, outputs):
        from sftgui.core.tasks.instruction_sft import scoring

        return scoring.score(rows, outputs)

    def prediction_rows(self, result_rows):
        from sftgui.core.tasks.instruction_sft import scoring

        return scoring.stored_rows(result_rows)

    def prediction_diff(self, before, after, *, examples):
        from sftgui.core.tasks.instruction_sft import scoring

        return scoring.answer_diff(before, after, examples=examples)

    def answer(self, labels, output, top_k):
        return {"answer": output["text"], "stopped": output["stopped"]}

    def live_answers(self, model, processor, rows):
        from sftgui.core.tasks.instruction_sft.generate import live_answers

        return live_answers(model, processor, rows)

    def stream(self, model, processor, turns, **options):
        from sftgui.core.tasks.instruction_sft.generate import stream

        return stream(model, processor, turns, **options)

    # -- export and card ----------------------------------------------------------------------------
    def inference_facts(self, config):
        return {"max_new_tokens": self.max_length(None, config), "decoding": "greedy"}

    def finish_export_folder(self, folder, facts):
        from sftgui.core.tasks.instruction_sft import model

        return model.finish_export(Path(folder), facts.get("format", "hf"), facts.get("base_model") or "")

    def export_extra(self, fmt, folder):
        if fmt != "adapter":
            return super().export_extra(fmt, folder)
        # the adapter folder was written by finish_export_folder

    def card_sections(self, facts):
        from sftgui.core.tasks.instruction_sft import card

        return card.card_sections(facts)


