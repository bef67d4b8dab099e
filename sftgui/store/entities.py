"""Frozen dataclasses handed to core, cli and qt. Built from rows inside `sftgui.store` only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    task: str
    base_model: str | None
    settings: dict = field(default_factory=dict)
    created_at: str = ""


@dataclass(frozen=True)
class LabelDef:
    id: int
    project_id: int
    name: str
    colour: str
    shortcut: int | None
    position: int


@dataclass(frozen=True)
class DraftRow:
    id: int
    position: int
    text: str | None
    label: str | None
    split: str | None
    flagged: bool
    source: str | None = None


@dataclass(frozen=True)
class DatasetSnapshot:
    id: int
    project_id: int
    hash: str
    blob: str
    rows: int
    label_counts: dict
    split_counts: dict
    meta: dict
    created_at: str
    kind: str = "training"  # "monitor": a dated batch of new rows, scored, never trained on


@dataclass(frozen=True)
class Run:
    id: int
    project_id: int
    status: str
    config: dict
    snapshot_id: int | None
    parent_version_id: int | None
    seed: int | None
    device: str | None
    precision: str | None
    started_at: str | None
    ended_at: str | None
    wall_s: float | None
    train_samples_per_second: float | None
    last_step: int
    checkpoint_dir: str | None
    log_path: str | None
    error: str | None
    metrics: dict
    environment: dict
    pid: int | None
    search_id: int | None = None  # the hyperparameter search this run is a trial of


@dataclass(frozen=True)
class Search:
    id: int
    project_id: int
    status: str
    settings: dict
    storage: str
    best_run_id: int | None
    version_id: int | None
    created_at: str
    ended_at: str | None


@dataclass(frozen=True)
class MetricPoint:
    run_id: int
    step: int
    epoch: float | None
    name: str
    value: float


@dataclass(frozen=True)
class ModelVersion:
    id: int
    project_id: int
    project_name: str
    number: int
    run_id: int | None
    parent_id: int | None
    parent_number: int | None
    base_model: str
    snapshot_id: int | None
    manifest_blob: str
    predictions_blob: str | None
    config: dict
    metrics: dict
    labels: list
    weights_tensors: int
    weights_bytes: int
    notes: str
    tags: list
    created_at: str
    trashed_at: str | None
    damaged: str | None
    aliases: tuple = ()
    weights_new_bytes: int = 0

    @property
    def ref(self) -> str:
        """The name users type: `project@vN`."""
        return f"{self.project_name}@v{self.number}"


@dataclass(frozen=True)
class Alias:
    project_id: int
    name: str
    version_id: int
    version_number: int


@dataclass(frozen=True)
class AliasEvent:
    id: int
    project_id: int
    alias: str
    from_number: int | None
    to_number: int
    at: str
    reason: str
    user: str


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: str
    user: str
    action: str
    target: str
    detail: dict[str, Any]
