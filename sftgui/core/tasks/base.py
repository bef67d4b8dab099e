"""The task interface: everything that depends on WHAT is learned, in one object per task.

A task (text classification, image classification, instruction tuning of a language model) is a
subclass of `Task`, registered with `sftgui.core.tasks.registry.register`. The rest of sftgui
(engine, snapshots, versions, evaluation, compare, export, model card, hints, predict, CLI and
Qt pages) holds no knowledge of a task's data shape, libraries or model classes: it asks the task
of the project (`registry.task_of(project)` / `registry.get_task(name)`). `tests/test_layering.py`
keeps task libraries and names (tokenizers, `input_ids`, model classes) out of every module
outside `sftgui/core/tasks/`.

The words used below:
- rows: a snapshot's table as a dict of columns, `{"row_id": [...], "split": [...], ...}` with the
  task's `columns`; `row_id` travels through training so predictions match rows by id.
- processor: what turns an input into model inputs (a tokenizer; an image processor).
- outputs: what `predict` returns for a list of inputs: one row of numbers per input (class
  probabilities for a classifier), in the order of the inputs.
- result: an evaluation of a version on rows, `{format, labels, classes, metrics, mistakes, rows}`
  where `rows` are the per-example records `{row_id, <input columns>, label, predicted, ...}`.

Every method has the contract written on it. Methods without a body here MUST be written by a
task; the others have a default that suits a labelled task and may be overridden.
Heavy libraries (torch, transformers, datasets, numpy) are imported inside methods so that the
registry, and therefore `sftgui --help` and the window, stay light.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Sequence

from sftgui.errors import UserError

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Metric:
    """One metric a task reports. `key` is the dict key in metrics, events and JSON output."""

    key: str
    title: str  # plain words for the GUI ("Accuracy")
    percent: bool = True  # shown as a percentage (else as a plain number)
    higher_is_better: bool = True


@dataclass(frozen=True)
class Preset:
    """A named set of training settings (TrainConfig field -> value) with its GUI title and help."""

    name: str
    title: str
    help: str
    settings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SearchDimension:
    """One setting a hyperparameter search varies. `field` is a TrainConfig field; `kind` is "log"
    (a float drawn on a log scale), "float", "int" (low..high inclusive) or "choice" (`choices`)."""

    field: str
    title: str  # plain words for the GUI's trials table ("Learning rate")
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()


# What a hyperparameter search varies for any task trained by the Trainer (tasks add their own, e.g.
# freezing for a classifier, the LoRA rank for a language model). Ranges suit fine-tuning a
# pre-trained model: learning rates of 1e-5..2e-4, a few epochs.
TRAINER_SEARCH_SPACE = (
    SearchDimension("learning_rate", "Learning rate", "log", 1e-5, 2e-4),
    SearchDimension("epochs", "Epochs", "int", 2, 5),
    SearchDimension("batch_size", "Batch size", "choice", choices=(8, 16, 32)),
    SearchDimension("warmup", "Warm-up share", "float", 0.0, 0.2),
    SearchDimension("weight_decay", "Weight decay", "float", 0.0, 0.1),
)


class Task(ABC):
    # -- identity (the registry reads these) --------------------------------------------------
    name: ClassVar[str]  # the project's task, e.g. "text-classification" (stored in the db)
    title: ClassVar[str]  # what the GUI's task menu says
    presets: ClassVar[tuple[Preset, ...]]  # the first one is the default
    # -- the row schema -------------------------------------------------------------------------
    # Snapshot columns between row_id and split, with their Arrow types ("string", "float64", ...).
    columns: ClassVar[tuple[tuple[str, str], ...]]
    input_column: ClassVar[str]  # the column `predict` reads (e.g. "text")
    labelled: ClassVar[bool] = True  # rows carry a target the model learns
    label_column: ClassVar[str] = "label"  # the column holding it (the draft's label)
    # -- metrics ----------------------------------------------------------------------------------
    metrics: ClassVar[tuple[Metric, ...]]  # the headline metrics, in display order
    primary_metric: ClassVar[str]  # the key that picks the best checkpoint by default
    validation_metrics: ClassVar[tuple[str, ...]]  # what each validation pass reports (Evaluated.metrics)
    # -- what the GUI shows -------------------------------------------------------------------------
    exports: ClassVar[tuple[str, ...]] = ("hf", "zip")  # formats beyond these need `export_extra`
    processor_name: ClassVar[str] = "processor"  # the word progress messages use ("tokenizer")
    augments: ClassVar[bool] = False  # whether TrainConfig.augmentation applies (GUI: the Augmentation box)
    packs: ClassVar[bool] = False  # whether TrainConfig.packing applies (examples packed into full rows)
    thumbnails: ClassVar[bool] = False  # inputs are pictures: the GUI shows a thumbnail grid (`thumbnail`)
    # how the Label page edits one example: None (the label column), or "conversation" (its turns,
    # read and written with `turns_of` / `text_of_turns`)
    editor: ClassVar[str | None] = None
    explanation: ClassVar[str | None] = None  # what `explain` returns for the GUI: "words"; later "saliency"
    reads_length: ClassVar[bool] = True  # inputs are cut to TrainConfig.max_length (the GUI's "Longest text")

    # == data ========================================================================================
    def snapshot_row(self, text, label) -> tuple[tuple | None, str | None]:
        """Which draft rows a snapshot keeps: `((column values...), None)` for a kept row, in the
        order of `columns`, or `(None, why)` where `why` is "unlabelled" or "empty" (counted in the
        snapshot's meta). The default keeps rows with a non-empty input and a label."""
        if self.labelled and label is None:
            return None, "unlabelled"
        if text is None or not str(text).strip():
            return None, "empty"
        return (text, label), None

    def import_path(self, ws, project, path, **options):
        """Import a file or folder this task reads itself (e.g. a folder of images) into the draft and
        return the `ImportResult`, or None to let the table importers read it (texts). `options` are
        `import_file`'s keyword arguments (text_col is the input column, skip_bad skips bad files)."""
        return None

    def quality_findings(self, ws, project, rows) -> list:
        """Findings of this task's own checks (`quality.Finding`s) for draft rows
        `(id, input, label, split, flagged)`, added to the generic report; the label findings of
        the report apply only to a labelled task."""
        return []

    def turns_of(self, text) -> list[dict]:
        """The turns `[{role, content}]` of a draft cell (an `editor == "conversation"` task)."""
        raise UserError(f"{self.title} examples are not conversations.")

    def text_of_turns(self, turns: list[dict]) -> str:
        """The draft cell holding these turns (the inverse of `turns_of`)."""
        raise UserError(f"{self.title} examples are not conversations.")

    def check_config(self, config) -> None:
        """Refuse (UserError) settings this task cannot train with, before a run starts."""
        if getattr(config, "augmentation", None) and not self.augments:
            raise UserError(f"Augmentation is not available for {self.title} models.")
        if getattr(config, "packing", False) and not self.packs:
            raise UserError(f"Sequence packing is only for language models, not {self.title} models.")

    def thumbnail(self, ws, value) -> Path | None:
        """A small picture file of one input (a task with `thumbnails`), cached in the workspace."""
        return None

    def augmentation_from_text(self, text: str) -> dict:
        """Augmentation settings from the CLI's `--augment` text (a task that `augments` parses it)."""
        raise UserError(f"Augmentation is not available for {self.title} models.")

    def augmentation_choices(self) -> tuple:
        """What the GUI's augmentation panel offers (a task that `augments`): `(name, title, meaning,
        low, high, default)` per setting, a `bool` setting having low = high = None."""
        return ()

    def augmentation_preview(self, ws, inputs: Sequence, settings: dict, seed: int) -> list[bytes]:
        """PNG thumbnails of `inputs` (project inputs, e.g. picture digests) augmented as training
        with `settings` and `seed` would draw them, one per input, in order."""
        raise UserError(f"Augmentation is not available for {self.title} models.")

    def data_fast_paths(self, *, group_by_length: bool, cache_hit: bool, config=None) -> tuple[str, ...]:
        """What training says about how it reads this task's data fast (the Train page's fast-path
        lines after the precision one), in plain words, for the run's TrainConfig `config`. The
        default suits tokenized texts."""
        from sftgui.core.training.hardware import GROUP_BY_LENGTH_MIN_ROWS

        lines = ["length-grouped batches: on — texts of similar length train together, less padding"
                 if group_by_length else
                 f"length-grouped batches: off — used from {GROUP_BY_LENGTH_MIN_ROWS:,} training texts on",
                 "dynamic padding: on — each batch is padded only to its longest text",
                 "tokenized data: reused from the cache" if cache_hit
                 else "tokenized data: prepared once and cached for the next run"]
        return tuple(lines)

    def sample(self):
        """`(project name, path)` of the sample data this task ships for `sftgui demo`, or None."""
        return None

    def stratify_by(self, kept: list[tuple]) -> list | None:
        """The value each kept row's split is stratified by (its label), or None for a plain
        seeded shuffle. `kept` are the tuples `snapshot_row` returned."""
        return [r[-1] for r in kept] if self.labelled else None

    @abstractmethod
    def check_rows(self, rows: dict[str, list]) -> None:
        """Refuse (UserError, one plain sentence) a snapshot training cannot learn from."""

    def label_set(self, rows: dict[str, list], parent_labels: list[str] | None = None) -> list[str]:
        """The names of the model's outputs for these rows. For a classifier: the parent version's
        labels keep their ids, new ones follow, sorted. A task with no label set returns []."""
        return []

    def check_labels(self, labels: list[str]) -> None:
        """Refuse registering a version whose outputs cannot be named (a classifier needs labels)."""

    def convert_records(self, name: str, columns: list[str], records):
        """How an imported file's records become draft rows: an iterator of `(text, label, split,
        where)` for `records` (pairs `(where, dict)`), or None for the labelled mapping of text /
        label / split columns (`data/mapping.py`). A task whose rows are not a text and a label
        (a conversation) converts them here; the draft keeps its input in the text column."""
        return None

    def token_lengths(self, model_dir: Path, texts: list[str]) -> list[int] | None:
        """How many model positions each input takes (the quality report's "too long" check), or
        None when the task has no such limit."""
        return None

    # == model =======================================================================================
    def bundled_model(self, ws):
        """`(folder, base model name)` of the model this task ships ("bundled"), or None for the
        app's bundled text model."""
        return None

    @abstractmethod
    def load_processor(self, model_dir: Path):
        """The processor (tokenizer, image processor) of a model folder."""

    @abstractmethod
    def load_model(self, model_dir: Path, labels: list[str], *, parent_labels: list[str] | None = None,
                   dropout: float | None = None):
        """A trainable model from a folder with one output per label (the head grows from a parent
        version's labels). `dropout`, when given, replaces the model's own dropout rates."""

    @abstractmethod
    def auto_max_length(self, processor, model_dir: Path, rows: dict[str, list]) -> int:
        """The input length to train with when the config says "auto" (0)."""

    def reading_limit(self, processor, model_dir: Path) -> int | None:
        """The longest input the model reads when predicting (recorded as the version's
        `predict_max_length`, so the app and an export predict alike), or None."""
        return None

    @abstractmethod
    def prepare(self, cache_root: Path, snapshot_hash: str, model_dir: Path, processor,
                rows: dict[str, list], labels: list[str], max_length: int):
        """`({split: datasets.Dataset}, cache_hit)`: model-ready rows (with `labels` and `row_id`)
        of the non-empty splits, cached on disk under `cache_root` by everything they depend on."""

    @abstractmethod
    def collator(self, processor):
        """The data collator that batches `prepare`'s rows (row_id and labels ride along)."""

    def augmenting(self, data: dict, processor, config) -> dict:
        """The splits as training reads them under `config` (e.g. the training split augmented on the
        fly, seeded by config.seed); called once after `prepare`. The default leaves them as prepared."""
        return data

    def lengths(self, dataset) -> list[int] | None:
        """Each training row's length, for length-grouped batches; None when it does not apply."""
        return None

    def frozen_part(self, model, config):
        """How a model whose lower part is frozen splits into that part (its outputs computed once
        and cached, `training/feature_cache.py`) and the part that trains: a `feature_cache.FrozenPart`
        (`LayerInputPart` / `HeadInputPart`), or None when nothing is frozen or the task cannot say
        (the run then trains the normal way). Called after `config.freeze` was applied to `model`."""
        return None

    @abstractmethod
    def lora_task_type(self):
        """peft's TaskType for LoRA on this task's models (e.g. TaskType.SEQ_CLS)."""

    # A task whose LoRA versions keep the adapter unmerged beside the base tensors (which the
    # content-addressed store then holds once for every version, so a version costs megabytes).
    # Its `load_version` merges, `merged(model)` gives training the same merged copy, and its
    # `finish_export_folder` merges (or writes the adapter alone) on export.
    keeps_adapter: ClassVar[bool] = False

    def merged(self, model):
        """A merged copy of a LoRA model on the CPU, leaving `model` unmerged (`keeps_adapter` tasks)."""
        raise NotImplementedError

    # == metrics =====================================================================================
    def logits_reducer(self):
        """A `preprocess_logits_for_metrics(logits, labels)` for the Trainer, or None: a language
        model reduces its (rows x length x vocabulary) logits to a few numbers per row, so that
        evaluation does not hold them all."""
        return None

    @abstractmethod
    def training_metrics(self, eval_pred, labels: list[str]) -> tuple[dict, dict]:
        """`(metrics, details)` for the Trainer's `compute_metrics`: `metrics` has every key of
        `validation_metrics` plus `select_<key>` of each (the value `checkpoint_metric` compares,
        e.g. with a tie-breaker); `details` are extra figures the Evaluated event carries
        (e.g. per_class)."""

    def checkpoint_metric(self, name: str) -> tuple[str, bool]:
        """(Trainer metric key, greater is better) for "best checkpoint by `name`"."""
        if name == "loss":
            return "eval_loss", False
        return f"eval_select_{name}", True

    def watchable_metrics(self) -> tuple[str, ...]:
        """What early stopping and the best-checkpoint rule may watch."""
        return (*self.validation_metrics, "loss")

    def headline(self, metrics: dict) -> dict:
        """The top-level metrics of a version (`versions list`), from an evaluation's metrics."""
        return {m.key: metrics.get(m.key) for m in self.metrics}

    # == versions ====================================================================================
    @abstractmethod
    def model_files(self, model, processor, labels: list[str]) -> dict[str, bytes]:
        """The non-weight files of a version (config.json, processor files...) as bytes."""

    @abstractmethod
    def load_version(self, folder: Path, state: dict):
        """`(model, processor)` in eval mode on the CPU from a folder holding `model_files` and the
        version's state_dict `state` (every tensor assigned, so it predicts bit for bit)."""

    # == prediction: the ONE path training, evaluation, compare, hints and the playground use ========
    @abstractmethod
    def predict(self, model, processor, inputs: Sequence, *, max_length: int | None = None):
        """outputs, one per input, in the order of `inputs`: a numpy array with one row per input
        (a classifier's probabilities), or a list of dicts (a language model's generated answers:
        `{text, stopped, ...}`)."""

    def cpu_predictor(self, ws, version, processor):
        """A faster CPU stand-in for `predict` on many inputs (a callable inputs -> outputs), or None
        (the default: `predict` itself). Text classifiers return one on onnxruntime (issue 22)."""
        return None

    def max_length(self, processor, config: dict | None) -> int | None:
        """The input length a version predicts with: the one it was trained with."""
        return (config or {}).get("max_length") or None

    result_format: ClassVar[int] = 1  # bump when `score`'s result changes shape: cached ones are recomputed

    def stored_outputs(self, rows: Sequence[dict], labels: Sequence[str]):
        """`predict`'s outputs rebuilt from stored per-example rows (a version's test predictions,
        a result's rows), or None when they do not hold them; `score(rows, labels, outputs)` then
        gives the result again without running the model. The default reads a row's `probs`."""
        import numpy as np

        width = self.output_width(labels)
        if not rows or any(len(r.get("probs") or ()) != width for r in rows):
            return None
        return np.asarray([r["probs"] for r in rows], dtype=np.float64).reshape(len(rows), width)

    def output_width(self, labels: Sequence[str]) -> int:
        """Numbers per input in `predict`'s outputs (one probability per label for a classifier)."""
        return len(labels)

    @abstractmethod
    def score(self, rows: Sequence[dict], labels: Sequence[str], outputs) -> dict:
        """The evaluation result of `outputs` on `rows` (dicts with row_id, the input and label)."""

    @abstractmethod
    def prediction_rows(self, result_rows: Sequence[dict]) -> Sequence[dict]:
        """Per-example records training stores with a version (a subset of a result's rows)."""

    @abstractmethod
    def prediction_diff(self, before: Sequence[dict], after: Sequence[dict], *, examples: int) -> dict:
        """What changed per example between two versions' result rows (matched by row_id)."""

    def compare_metrics(self, metrics: dict, first: dict) -> dict:
        """One version's column of the compare table, with deltas against the first version."""
        keys = [m.key for m in self.metrics]
        return {**{k: metrics.get(k) for k in keys}, "examples": metrics.get("examples"),
                "delta": {k: _delta(metrics.get(k), first.get(k)) for k in keys}}

    def answer(self, labels: Sequence[str], output, top_k: int | None) -> dict:
        """What `sftgui predict` and the playground show for one input: `{label, scores}`."""
        raise UserError(f"Trying a {self.title} model on single inputs is not built yet.")

    def live_answers(self, model, processor, rows: dict[str, list]) -> list[dict] | None:
        """What the training model answers now to a few fixed validation prompts, called after every
        validation pass (the engine emits them as an `Answered` event): `[{row_id, prompt, answer,
        reference}]`, or None for a task that does not write answers (the default). Quick: short,
        greedy answers; `model` is the one being trained (leave it in the mode it came in)."""
        return None

    def stream(self, model, processor, turns: list[dict], **options) -> str:
        """Generate an answer to a conversation (`[{role, content}]`) piece by piece: options are
        `on_text(piece)`, `should_stop()`, `max_new_tokens`, `temperature`, `top_p`; returns the
        answer. Only a generating task (`playground == "chat"`) has it."""
        raise UserError(f"{self.title} models do not write answers; chatting needs a language model.")

    # == hyperparameter search (core/search.py asks these) ============================================
    def search_space(self, config: dict | None = None) -> tuple[SearchDimension, ...]:
        """The settings a search varies, each a TrainConfig field with its range, given the search's
        base config (a task may offer the LoRA rank when `config["lora"]`, freezing otherwise). The
        search leaves out any field the user fixed, so a user's `--epochs 3` holds in every trial.
        Default: the Trainer settings every task has (TRAINER_SEARCH_SPACE)."""
        return TRAINER_SEARCH_SPACE

    def search_metric(self) -> tuple[str, bool]:
        """(validation metric key, greater is better) a search optimises and prunes on: reported
        after every validation pass as `eval_<key>` (one of `validation_metrics`), and the trial's
        value is the best checkpoint's. The test split is never part of it."""
        return self.primary_metric, next((m.higher_is_better for m in self.metrics if m.key == self.primary_metric),
                                         True)

    # == explanations (core/explain.py asks this) ===================================================
    def explain(self, model, processor, input_value, *, labels: Sequence[str], target: str | None = None,
                max_length: int | None = None, steps: int = 50, internal_batch_size: int = 16) -> dict:
        """Why the model answered what it did for one input, per output label:
        `{input, predicted, scores: {label: p}, parts: [{text, start, end}], attributions: {label: [one
        number per part]}, delta: {label: completeness error}, logit: {label}, baseline_logit:
        {label}, method, steps}` where `parts` are the pieces of the input a person reads (words of a
        text; regions of an image) and a positive number pushed the answer toward that label.
        With `target` only that label is explained. Integrated-gradients methods must satisfy
        completeness: sum(attributions[l]) ~ logit[l] - baseline_logit[l], `delta` being the error.
        Memory stays bounded: `internal_batch_size` interpolated inputs at once (a text task may
        take more at once when they hold few word pieces; see text_classification/explain.py)."""
        raise UserError(f"Explanations of {self.title} models are not built yet.")

    # == monitoring (core/monitor.py asks these) ====================================================
    def monitor_metrics(self) -> tuple[str, ...]:
        """The metric keys charted per version over monitoring batches (keys of `metrics`)."""
        return self.validation_metrics

    def drift_checks(self, reference: Sequence[dict], batch: Sequence[dict], *,
                     baseline: Sequence[dict] = ()) -> list[dict]:
        """How a batch of new rows differs from the rows the model learned from (`reference`, the
        training split; `baseline`, its validation split, where a check needs rows the model's data
        did not include). Each check: `{check, title, test, statistic, p_value, drifted (p < 0.01),
        sentence, detail}`. Default for a labelled task: label shares, chi-square test."""
        from sftgui.core import drift

        if not self.labelled:
            return []
        return [drift.label_shares(self.label_column, reference, batch)]

    # == export and model card =====================================================================
    def inference_facts(self, config: dict) -> dict:
        """What a program needs to predict as sftgui does (the card's facts["inference"])."""
        return {}

    def finish_export_folder(self, folder: Path, facts: dict) -> set[str] | None:
        """Adjust the materialized HF folder so it predicts what sftgui predicts (e.g. the reading
        length in the tokenizer's files, or merging a LoRA adapter); `facts` are the card's, with
        the export's `format`. Returns the names of weight files it rewrote (their hashes are
        computed again), or None."""

    def publish_pipeline(self, folder: Path, config: dict):
        """`(transformers pipeline, MLflow flavour task, model_config)` for publishing a version
        materialized in `folder` to MLflow (`sftgui publish`), reading inputs as sftgui does."""
        raise UserError(f"Publishing {self.title} models to MLflow is not built yet.")

    def export_extra(self, fmt: str, folder: Path) -> None:
        """Convert the HF folder for a format beyond hf/zip (e.g. ONNX); a task lists it in `exports`."""
        raise UserError(f"{fmt} export is not available for {self.title} models.")

    @abstractmethod
    def card_sections(self, facts: dict) -> dict:
        """The task's parts of the README.md written with every export (facts: `export.card_facts`):
        `{pipeline_tag, summary, usage: [lines], inference: [lines], evaluation: [lines],
        limitations: [lines]}` (inference may be missing);
        `sftgui.core.model_card.render_model_card` adds data, settings and lineage around them."""


def _delta(value, first) -> Any:
    return value - first if isinstance(value, (int, float)) and isinstance(first, (int, float)) else None
