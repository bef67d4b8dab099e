"""What the training engine reports, as small frozen dataclasses.

The sink is called inline on the training thread, so it must be quick (the Qt worker re-emits
each event as a signal; the CLI prints it; tests append it to a list). `to_dict` gives the JSON
form used by `sftgui train --json-events` (one object per line, `event` names the class).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    run_id: int


@dataclass(frozen=True)
class Preparing(Event):
    message: str  # "Loading the model", "Tokenizing 1,200 rows", ...


@dataclass(frozen=True)
class Started(Event):
    total_steps: int
    epochs: float
    device: str  # "cpu", "cuda:0", "mps"
    precision: str  # "bf16", "fp16", "fp32"
    fast_paths: tuple[str, ...]  # plain sentences: "bf16: on — about 2x faster on this CPU"
    train_rows: int
    validation_rows: int
    batch_size: int
    grad_accumulation: int
    resumed_from_step: int = 0
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepLogged(Event):
    step: int
    total_steps: int
    epoch: float
    loss: float | None
    learning_rate: float | None
    grad_norm: float | None
    samples_per_second: float | None
    elapsed_s: float
    eta_s: float | None


@dataclass(frozen=True)
class Evaluated(Event):
    """A validation pass. `metrics` are the task's (`Task.metrics` keys, e.g. accuracy and macro_f1);
    `to_dict` also puts each one at the top level, where `--json-events` has always had them."""

    step: int
    epoch: float
    loss: float | None
    metrics: dict = field(default_factory=dict)
    per_class: dict = field(default_factory=dict)  # {label: {precision, recall, f1, support}} (classifiers)


@dataclass(frozen=True)
class Answered(Event):
    """After a validation pass of a generating task: the current model's answers to a few fixed
    validation prompts (`Task.live_answers`), each `{row_id, prompt, answer, reference}`, so a
    person watches the model learn."""

    step: int
    epoch: float
    answers: tuple = ()


@dataclass(frozen=True)
class CheckpointSaved(Event):
    step: int
    path: str


@dataclass(frozen=True)
class ResourceUse(Event):
    process_ram_bytes: int
    device_memory_used_bytes: int | None = None  # None on the CPU (see process RAM)
    device_memory_total_bytes: int | None = None


@dataclass(frozen=True)
class Paused(Event):
    step: int


@dataclass(frozen=True)
class Resumed(Event):
    step: int


@dataclass(frozen=True)
class Retrying(Event):
    """Out of device memory: trying again with a smaller batch (same effective batch)."""

    batch_size: int
    grad_accumulation: int
    reason: str


@dataclass(frozen=True)
class Finished(Event):
    version_id: int
    version: str  # "project@vN"
    metrics: dict
    wall_s: float


@dataclass(frozen=True)
class Failed(Event):
    message: str  # one plain sentence
    log_path: str | None = None


@dataclass(frozen=True)
class Cancelled(Event):
    step: int
    resumable: bool
    message: str = ""


@dataclass(frozen=True)
class TrialFinished(Event):
    """A trial of a hyperparameter search ended (run_id: its run). `state` is complete, pruned or
    failed; `value` its validation metric; the best so far and the time left come along."""

    search_id: int
    trial: int
    state: str
    value: float | None
    params: dict
    metric: str
    best_value: float | None
    best_trial: int | None
    best_run_id: int | None
    finished: int
    total: int
    elapsed_s: float
    eta_s: float | None


@dataclass(frozen=True)
class SearchFinished(Event):
    """The search ended (run_id: the best trial's run, 0 when none completed). `status` is
    completed (the best trial became `version`), stopped (resumable) or failed."""

    search_id: int
    status: str
    version: str | None
    best_value: float | None
    best_params: dict
    metric: str
    trials: int
    wall_s: float
    message: str = ""


def to_dict(event: Event) -> dict:
    """JSON-ready form: the fields plus `event` (the class name)."""
    out = {"event": type(event).__name__, **dataclasses.asdict(event)}
    if isinstance(event, Evaluated):
        out.update({k: v for k, v in event.metrics.items() if k not in out})
    return out
