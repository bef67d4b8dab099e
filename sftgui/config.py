"""Training configuration: a dataclass saved as JSON with a schema version (never pickled).

`TrainConfig.from_preset("quick" | "balanced" | "thorough", **overrides)` fills in good defaults
(the presets, the tasks and the metrics early stopping can watch are the task registry's:
`sftgui.core.tasks`); everything else is "Advanced". `validate()` turns a bad value into one
plain sentence.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field

from sftgui.core.tasks.registry import DEFAULT_TASK
from sftgui.errors import UserError

SCHEMA_VERSION = 1
# max_length 0 means "auto": long enough for 95% of the training texts, at most what the model reads.
# The engine records the length it chose in the run's and the version's config.
AUTO_LENGTH = 0
GROUP_BY_LENGTH_MIN_ROWS = 200  # below that a run takes seconds and grouping saves little

SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup", "polynomial", "cosine_with_restarts")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
DEVICES = ("auto", "cpu", "cuda", "mps")


def top_layers(freeze) -> int | None:
    """The K of freeze "all-but-top-K" (every layer frozen but the top K), else None."""
    m = re.fullmatch(r"all-but-top-([0-9]{1,3})", str(freeze), re.ASCII)
    return int(m.group(1)) if m else None


def _layers(freeze) -> int | None:
    """The N of freeze "N" (ASCII digits: '²'.isdigit() is true), else None."""
    text = str(freeze)
    return int(text) if re.fullmatch(r"[0-9]{1,4}", text, re.ASCII) else None


@dataclass
class TrainConfig:
    project: str = ""
    model: str = "bundled"  # "bundled", a model folder, a hub id, or a version vN / P@vN to continue from
    snapshot_id: int | None = None
    task: str = DEFAULT_TASK
    preset: str | None = None
    epochs: float = 3
    max_steps: int = -1  # > 0 overrides epochs (tests, smoke runs)
    learning_rate: float = 5e-5
    batch_size: int = 16
    grad_accumulation: int = 1
    max_length: int = AUTO_LENGTH  # tokens read per text; 0 = auto (see AUTO_LENGTH)
    warmup: float = 0.1  # below 1: a fraction of the steps; 1 or more: a number of steps
    weight_decay: float = 0.01
    dropout: float | None = None  # None keeps the model's own
    label_smoothing: float = 0.0
    scheduler: str = "linear"
    class_weights: str | dict = "none"  # "none", "balanced" or {label: weight}
    # "none", "embeddings", "N" (embeddings + first N layers), "all-but-top-K" (all layers but the top K),
    # "all-but-head"
    freeze: str = "none"
    lora: bool = False
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    early_stopping: bool = False
    early_stopping_metric: str | None = None  # None: the task's primary metric (macro_f1)
    early_stopping_patience: int = 2
    early_stopping_threshold: float = 0.0
    eval_steps: int = 0  # 0: evaluate (and checkpoint) once per epoch
    log_steps: int = 0  # 0: about 50 log lines per run
    seed: int = 42
    precision: str = "auto"
    device: str = "auto"
    # data-parallel processes on this machine (torchrun); batch_size stays the effective batch of
    # one step, split evenly between them (training/distributed.py)
    processes: int = 1
    # "auto": length-grouped batches from GROUP_BY_LENGTH_MIN_ROWS training rows on, in a random
    # batch order (training/sampling.py). The Trainer's own grouping trains each stretch from the
    # longest to the shortest texts: on 540 drug reviews with bf16 it collapsed to the majority class.
    group_by_length: bool | str = "auto"
    # language models: short examples laid end to end in rows of max_length tokens (each still its
    # own sequence: position ids restart, no attention across examples; core/tasks/instruction_sft/data.py)
    packing: bool = False
    # on-the-fly augmentation of the training split (image tasks: core/tasks/image_classification/augment.py)
    augmentation: dict = field(default_factory=dict)
    # "auto": with a frozen lower part (freeze N / all-but-head), its outputs are computed once, cached
    # and the rest trains on them (training/feature_cache.py); "off": every epoch runs the whole model
    feature_cache: str = "auto"
    schema_version: int = SCHEMA_VERSION
    extra: dict = field(default_factory=dict)  # free-form notes from the GUI; ignored by the engine

    def __post_init__(self) -> None:
        if self.early_stopping_metric is None:
            from sftgui.core.tasks import registry

            if self.task in registry.names():
                self.early_stopping_metric = registry.get_task(self.task).primary_metric

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_preset(cls, name: str = "quick", **overrides) -> "TrainConfig":
        from sftgui.core.tasks import registry

        presets = registry.presets(overrides.get("task") or cls.task)
        key = (name or next(iter(presets))).lower()
        if key not in presets:
            raise UserError(f"There is no preset called {name!r}; choose {_choices(presets)}.")
        values = {**presets[key].settings, "preset": key}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        data = dict(data)
        version = int(data.pop("schema_version", SCHEMA_VERSION))
        if version > SCHEMA_VERSION:
            raise UserError("This training configuration was written by a newer sftgui; update sftgui to use it.")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"Unknown training setting(s): {', '.join(unknown)}.")
        return cls(**data).validate()

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        return cls.from_dict(json.loads(text))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes).validate()

    # -- checks ----------------------------------------------------------------------------
    def validate(self) -> "TrainConfig":
        def need(ok: bool, sentence: str) -> None:
            if not ok:
                raise UserError(sentence)

        # types and finiteness first (values also come from JSON and the GUI): inf epochs or a
        # seed of -1 would otherwise reach the Trainer and fail there
        for name in ("epochs", "learning_rate", "warmup", "weight_decay", "label_smoothing", "lora_dropout",
                     "early_stopping_threshold") + (("dropout",) if self.dropout is not None else ()):
            value = getattr(self, name)
            need(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
                 f"The setting {name.replace('_', ' ')} must be a finite number, not {value!r}.")
        for name in ("max_steps", "batch_size", "grad_accumulation", "max_length", "lora_r", "lora_alpha",
                     "early_stopping_patience", "eval_steps", "log_steps", "seed"):
            value = getattr(self, name)
            need(isinstance(value, int) and not isinstance(value, bool) and -1 <= value <= 2**31,
                 f"The setting {name.replace('_', ' ')} must be a whole number of reasonable size, not {value!r}.")
        need(0 <= self.seed < 2**32, f"The seed must be between 0 and {2**32 - 1}, not {self.seed}.")
        need(self.epochs <= 1000, "The number of epochs must be at most 1000.")
        need(self.batch_size <= 65536 and self.grad_accumulation <= 65536,
             "The batch size and gradient accumulation must be at most 65536.")
        need(self.eval_steps >= 0 and self.log_steps >= 0, "Evaluation and logging steps cannot be negative.")
        from sftgui.core.tasks import registry

        need(self.task in registry.names(),
             f"The task {self.task!r} is not supported yet; use {_choices(registry.names())}.")
        task = registry.get_task(self.task)
        need(self.epochs > 0 or self.max_steps > 0, "The number of epochs must be more than 0.")
        need(0 < self.learning_rate < 1, "The learning rate must be between 0 and 1 (for example 5e-5).")
        need(int(self.batch_size) >= 1, "The batch size must be at least 1.")
        need(int(self.grad_accumulation) >= 1, "Gradient accumulation must be at least 1.")
        need(int(self.processes) >= 1, "The number of processes must be at least 1.")
        need(int(self.batch_size) % int(self.processes) == 0,
             f"The batch size ({self.batch_size}) must be a multiple of the number of processes "
             f"({self.processes}): each process trains an equal share of every batch.")
        need(int(self.max_length) == AUTO_LENGTH or 8 <= int(self.max_length) <= 8192,
             "The maximum length must be between 8 and 8192 tokens (or 0 to choose it from the data).")
        need(self.warmup >= 0, "Warm-up cannot be negative.")
        need(0 <= self.weight_decay < 1, "Weight decay must be between 0 and 1.")
        need(self.dropout is None or 0 <= self.dropout < 1, "Dropout must be between 0 and 1.")
        need(0 <= self.label_smoothing < 1, "Label smoothing must be between 0 and 1.")
        need(self.scheduler in SCHEDULERS, f"Unknown scheduler {self.scheduler!r}; use one of {', '.join(SCHEDULERS)}.")
        need(isinstance(self.class_weights, dict) or self.class_weights in ("none", "balanced"),
             "Class weights must be none, balanced or a weight per label.")
        need(self.freeze in ("none", "embeddings", "all-but-head") or _layers(self.freeze) is not None
             or top_layers(self.freeze) is not None,
             "Freeze must be none, embeddings, a number of layers (0-9999), all-but-top-K or all-but-head.")
        watchable = task.watchable_metrics()
        need(self.early_stopping_metric in watchable,
             f"Early stopping can watch {', '.join(watchable)}, not {self.early_stopping_metric!r}.")
        need(self.early_stopping_patience >= 1, "Early stopping patience must be at least 1 evaluation.")
        need(self.precision in PRECISIONS, f"Precision must be one of {', '.join(PRECISIONS)}.")
        need(self.device in DEVICES, f"Device must be one of {', '.join(DEVICES)}.")
        need(self.lora_r >= 1, "The LoRA rank must be at least 1.")
        need(self.group_by_length in (True, False, "auto"), "Length-grouped batches must be on, off or auto.")
        need(isinstance(self.packing, bool), "Packing must be on or off.")
        need(self.feature_cache in ("auto", "off"), "Caching the frozen part must be auto or off.")
        need(isinstance(self.augmentation, dict), "Augmentation settings must be a mapping of name to value.")
        return self

    @property
    def freeze_layers(self) -> int:
        """How many transformer layers (after the embeddings) the freeze setting holds fixed."""
        return _layers(self.freeze) or 0


def _choices(names) -> str:
    """"quick, balanced or thorough" """
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
