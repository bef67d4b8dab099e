"""The training engine: `run(config, sink, cancel) -> RunResult`, a plain object with no Qt.

Stages: prepare (check data and model, refuse with a reason before anything is written), then a
run row, then the Hugging Face Trainer, then the best checkpoint becomes a model version.
Stopping saves a checkpoint and leaves the run `cancelled` and resumable (`resume(run_id)`).
Heavy libraries are imported inside functions so importing this module stays cheap.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from sftgui.config import AUTO_LENGTH, GROUP_BY_LENGTH_MIN_ROWS, TrainConfig
from sftgui.core import events as ev
from sftgui.core.training.control import CancelToken
from sftgui.errors import UserError, disk_full, disk_full_as_user_error, is_disk_full, nearly_full
from sftgui.store import runs_repo
from sftgui.store.timeutil import now_iso

RESUMABLE = ("cancelled", "interrupted", "failed")


@dataclass
class RunResult:
    run_id: int
    status: str  # completed | cancelled | failed
    version: object | None = None  # the ModelVersion registered (completed runs only)
    metrics: dict = field(default_factory=dict)
    error: str | None = None
    wall_s: float = 0.0
    user_error: bool = False  # failed for a reason the person can act on (a full disk, ...): exit 2


@dataclass
class _Prepared:
    """Everything known before the run row is written."""

    ws: object
    config: TrainConfig
    project: object
    snapshot: object
    rows: dict
    source: object  # catalog.ModelSource
    task: object
    labels: list
    parent_labels: list | None


def run_dir(ws, run_id: int) -> Path:
    return Path(ws.cache) / "runs" / str(run_id)


def cancel_file(ws, run_id: int) -> Path:
    """`sftgui runs cancel` writes this file; the training callback polls it."""
    return run_dir(ws, run_id) / "cancel"


# -- public entry points --------------------------------------------------------------------------
def run(config: TrainConfig, sink=None, cancel: CancelToken | None = None, *, ws=None,
        callbacks=(), launch: dict | None = None, search_id: int | None = None, keep_model=None) -> RunResult:
    """Train as `config` says; emits events to `sink`; returns how it ended.

    Bad input (unknown project, too few labels, a pickle-only model, ...) raises UserError before
    anything is written. Once the run row exists, failures end it as `failed` (with its log and
    curves kept) and come back in the RunResult. `callbacks` are extra Trainer callbacks.
    With `config.processes > 1` the run is trained by torchrun workers (distributed.py); `launch`
    holds torchrun's rendezvous options for a cluster (nnodes, rdzv_endpoint, ...).
    A trial of a hyperparameter search passes `search_id` (stored on the run row) and `keep_model`:
    then no version is registered and the test split is never scored; the run completes with its
    validation metrics and `keep_model(model, processor, labels, metrics)` receives the best
    checkpoint's model (`register_kept` turns a kept model into a version later).
    """
    from sftgui.store.db import current_workspace

    ws = ws or current_workspace()
    sink = sink if sink is not None else (lambda e: None)
    cancel = cancel if cancel is not None else CancelToken()
    with disk_full_as_user_error("the training run", ws.path):
        prep = _prepare(ws, config.validate())
        run_row = runs_repo.create_run(
            prep.project.id, config=prep.config.to_dict(), snapshot_id=prep.snapshot.id,
            parent_version_id=getattr(prep.source.version, "id", None), seed=prep.config.seed, status="running",
            search_id=search_id)
    return _execute(prep, run_row, sink, cancel, callbacks, resume_from=None, launch=launch, keep_model=keep_model)


def resume(run_id: int, sink=None, cancel: CancelToken | None = None, *, ws=None, callbacks=(),
           launch: dict | None = None, processes: int | None = None, keep_model=None) -> RunResult:
    """Continue a cancelled or interrupted run from its last complete checkpoint, at the same step."""
    from sftgui.store.db import current_workspace

    ws = ws or current_workspace()
    sink = sink if sink is not None else (lambda e: None)
    cancel = cancel if cancel is not None else CancelToken()
    row = runs_repo.get_run(run_id)
    if row.status not in RESUMABLE:
        raise UserError(f"Run {run_id} is {row.status}; only cancelled, interrupted or failed runs can be resumed.")
    folder = run_dir(ws, run_id)
    drop_incomplete_checkpoints(folder)  # cut short by the crash that interrupted the run
    last = last_complete_checkpoint(folder)
    if last is None:
        raise UserError(f"Run {run_id} has no saved checkpoint to resume from; start a new run instead.")
    cancel_file(ws, run_id).unlink(missing_ok=True)
    config = TrainConfig.from_dict(row.config)
    if processes is not None:  # a distributed run may resume on another number of processes
        config = config.replace(processes=processes).validate()
    prep = _prepare(ws, config)
    runs_repo.delete_metric_points_after(run_id, int(Path(last).name.rsplit("-", 1)[-1]))  # trained again
    row = runs_repo.update_run(run_id, status="running", ended_at=None, error=None, pid=_pid())
    return _execute(prep, row, sink, cancel, callbacks, resume_from=last, launch=launch, keep_model=keep_model)


def register_kept(run_id: int, model, sink=None, *, ws=None) -> RunResult:
    """Make the model a search trial kept (`run(..., keep_model=...)`) a version of run `run_id`:
    test predictions, the forgetting check and the version, exactly as a finished training does."""
    from sftgui.core.training.session import TrainingSession, register_result
    from sftgui.store.db import current_workspace

    ws = ws or current_workspace()
    sink = sink if sink is not None else (lambda e: None)
    row = runs_repo.get_run(run_id)
    if row.status != "completed":
        raise UserError(f"Run {run_id} is {row.status}; only a completed trial can become a version.")
    prep = _prepare(ws, TrainConfig.from_dict(row.config))
    session = TrainingSession(prep, run_id, sink, CancelToken(), (), run_dir(ws, run_id),
                              samples_per_second=row.train_samples_per_second)
    wall = row.wall_s or 0.0
    metrics, predictions, model = session.measure_model(model, dict(row.metrics.get("validation") or {}), wall,
                                                        steps=row.last_step)
    version = register_result(prep, run_id, model, session.processor, config=row.config, metrics=metrics,
                              predictions=predictions)
    runs_repo.update_run(run_id, metrics=metrics)
    sink(ev.Finished(run_id, version_id=version.id, version=version.ref, metrics=metrics, wall_s=wall))
    return RunResult(run_id, "completed", version=version, metrics=metrics, wall_s=wall)


def _checkpoints(folder: Path) -> list[tuple[int, Path, bool]]:
    """(step, folder, complete) of every checkpoint-N; the Trainer writes trainer_state.json last, so
    a checkpoint without it was cut short (a crash or a full disk while saving)."""
    out = []
    for p in folder.glob("checkpoint-*") if folder.is_dir() else ():
        step = p.name.rsplit("-", 1)[-1]
        if p.is_dir() and step.isdigit():
            out.append((int(step), p, (p / "trainer_state.json").is_file()))
    return sorted(out)


def last_complete_checkpoint(folder: Path) -> str | None:
    done = [p for _, p, complete in _checkpoints(Path(folder)) if complete]
    return str(done[-1]) if done else None


def drop_incomplete_checkpoints(folder: Path) -> None:
    """Half-written checkpoints must not sit under a final name where resume would pick them up."""
    import shutil

    for _, p, complete in _checkpoints(Path(folder)):
        if not complete:
            shutil.rmtree(p, ignore_errors=True)


# -- prepare: everything that can refuse, before the run row exists ------------------------------
def _prepare(ws, config: TrainConfig) -> _Prepared:
    """Every check first; nothing is written (no snapshot, no run row) until all of them pass. When
    the draft is frozen for this run, the snapshot is planned in memory and stored last."""
    from sftgui.core.catalog import resolve_model
    from sftgui.core.data.snapshots import get_snapshot, load_snapshot_table, plan_snapshot, store_snapshot
    from sftgui.core.projects import get_project
    from sftgui.core.tasks import get_task

    project = get_project(ws, config.project)
    task = get_task(project.task)
    if project.task != config.task:  # the project's task decides; so does its default metric
        metric = config.early_stopping_metric
        config = config.replace(task=project.task,
                                early_stopping_metric=metric if metric in task.watchable_metrics() else None)
    task.check_config(config)
    source = resolve_model(ws, config.model, project)
    if source.version is not None and source.version.project_id != project.id:
        raise UserError(f"Version {source.version.ref} belongs to another project; continue from a version "
                        f"of {project.name} or start from a base model.")
    processor = _check_loads(task, source.folder, config)
    plan = snapshot = None
    if config.snapshot_id is None:
        plan = plan_snapshot(ws, project)
        rows = plan.columns()
    else:
        snapshot = get_snapshot(ws, config.snapshot_id)
        if snapshot.project_id != project.id:
            raise UserError(f"Snapshot {snapshot.id} belongs to another project, not {project.name}.")
        rows = load_snapshot_table(ws, snapshot.id).to_pydict()
    task.check_rows(rows)
    parent_labels = list(source.version.labels) if source.version is not None else None
    labels = task.label_set(rows, parent_labels)
    if config.max_length == AUTO_LENGTH:  # record the chosen length
        length = task.auto_max_length(processor, source.folder, rows)
        config = config.replace(max_length=length, extra={**config.extra, "max_length": "auto"})
    # Training cuts texts at max_length (speed); predictions read what the model can, as a plain
    # pipeline() on the exported folder does, so the app and the export give the same answer.
    limit = task.reading_limit(processor, source.folder)
    if limit is not None:
        config = config.replace(extra={**config.extra, "predict_max_length": max(int(config.max_length), limit)})
    if config.group_by_length == "auto":
        n_train = sum(1 for s in rows["split"] if s == "train")
        config = config.replace(group_by_length=n_train >= GROUP_BY_LENGTH_MIN_ROWS,
                                extra={**config.extra, "group_by_length": "auto"})
    if plan is not None:  # every check passed: now the snapshot may be written
        snapshot = store_snapshot(ws, plan)
        config = config.replace(snapshot_id=snapshot.id)
    return _Prepared(ws, config, project, snapshot, rows, source, task, labels, parent_labels)


def _check_loads(task, folder: Path, config: TrainConfig):
    """The model's config and the task's processor (the tokenizer) load (a file that parses as JSON can
    still be no tokenizer), and the settings fit the model (--freeze N needs N layers). Returns the processor."""
    from transformers import AutoConfig

    try:
        model_config = AutoConfig.from_pretrained(str(folder), trust_remote_code=False)
    except Exception as exc:  # noqa: BLE001 - transformers raises many kinds for a broken config
        raise UserError(f"The model config in {folder} cannot be loaded ({type(exc).__name__}); the folder looks "
                        "damaged: download or copy the model again.") from None
    word = task.processor_name
    try:
        processor = task.load_processor(folder)
    except UserError:
        raise  # the task's own sentence (e.g. "not an image model")
    except Exception as exc:  # noqa: BLE001 - tokenizers raises plain Exception for a broken tokenizer.json
        raise UserError(f"The {word} in {folder} cannot be loaded ({type(exc).__name__}); its {word} files "
                        "look damaged: download or copy the model again.") from None
    layers = getattr(model_config, "num_hidden_layers", None)
    if config.freeze_layers and isinstance(layers, int) and config.freeze_layers > layers:
        raise UserError(f"The model has {layers} layers, so it cannot freeze the first {config.freeze_layers}; "
                        f"choose a number from 0 to {layers}, embeddings or all-but-head.")
    return processor


# -- execute: the run row exists; every failure is recorded on it --------------------------------
def _execute(prep: _Prepared, run_row, sink, cancel, callbacks, resume_from, launch=None,
             keep_model=None) -> RunResult:
    from sftgui.store.nofollow import open_append, own_dir

    ws, run_id = prep.ws, run_row.id
    log_path = Path(ws.logs) / f"run-{run_id}.log"
    try:  # never through a link planted at cache/runs/N or logs/run-N.log (both names are predictable)
        own_dir(own_dir(Path(ws.cache) / "runs", "cache/runs/") / str(run_id), f"cache/runs/{run_id}/")
        log = open_append(log_path)
    except UserError as exc:
        runs_repo.update_run(run_id, status="failed", ended_at=now_iso(), error=str(exc))
        raise
    t0 = time.perf_counter()
    prior_wall = run_row.wall_s or 0.0

    def emit(event) -> None:
        if not isinstance(event, (ev.StepLogged, ev.ResourceUse)):  # the curves live in the db
            log.write(json.dumps(ev.to_dict(event), default=str) + "\n")
            log.flush()
        sink(event)

    runs_repo.update_run(run_id, log_path=str(log_path), checkpoint_dir=str(run_dir(ws, run_id)),
                         started_at=run_row.started_at or now_iso(), environment=_environment())
    session = None
    try:
        session = _session(prep, run_id, emit, cancel, callbacks, run_dir(ws, run_id), launch)
        outcome = session.train(resume_from=resume_from)
        wall = prior_wall + time.perf_counter() - t0
        if outcome.stopped:
            runs_repo.update_run(run_id, status="cancelled", ended_at=now_iso(), wall_s=wall,
                                 last_step=outcome.step, **session.run_fields())
            emit(ev.Cancelled(run_id, step=outcome.step, resumable=True,
                              message=f"Stopped at step {outcome.step}; resume with `sftgui runs resume {run_id}`."))
            return RunResult(run_id, "cancelled", wall_s=wall)
        if keep_model is not None:  # a search trial: validation only, the model goes to the search
            if not hasattr(session, "best_model"):
                raise UserError("A hyperparameter search trains each trial in one process; leave --processes at 1.")
            metrics = {"validation": session.validate()}
            keep_model(session.best_model(), session.processor, prep.labels, metrics)
            runs_repo.update_run(run_id, status="completed", ended_at=now_iso(), wall_s=wall,
                                 last_step=outcome.step, metrics=metrics, **session.run_fields())
            session.cleanup()
            return RunResult(run_id, "completed", metrics=metrics, wall_s=wall)
        version, metrics = session.finish(wall)
        runs_repo.update_run(run_id, status="completed", ended_at=now_iso(), wall_s=wall, last_step=outcome.step,
                             metrics=metrics, **session.run_fields())
        session.cleanup()
        emit(ev.Finished(run_id, version_id=version.id, version=version.ref, metrics=metrics, wall_s=wall))
        return RunResult(run_id, "completed", version=version, metrics=metrics, wall_s=wall)
    except Exception as exc:  # noqa: BLE001 - the run ends as failed with a sentence; details in its log
        if not isinstance(exc, UserError) and (is_disk_full(exc) or nearly_full(run_dir(ws, run_id))):
            exc = disk_full("a training checkpoint", run_dir(ws, run_id))
        message = str(exc) if isinstance(exc, UserError) else (
            f"Training stopped with an unexpected error ({type(exc).__name__}: {exc}); details are in {log_path}.")
        drop_incomplete_checkpoints(run_dir(ws, run_id))
        log.write(traceback.format_exc())
        fields = session.run_fields() if session is not None else {}
        runs_repo.update_run(run_id, status="failed", ended_at=now_iso(), error=message,
                             wall_s=prior_wall + time.perf_counter() - t0, **fields)
        emit(ev.Failed(run_id, message=message, log_path=str(log_path)))
        return RunResult(run_id, "failed", error=message, wall_s=time.perf_counter() - t0,
                         user_error=isinstance(exc, UserError))
    finally:
        if session is not None:
            session.flush_points()
        log.close()


def _session(prep, run_id, emit, cancel, callbacks, out_dir, launch):
    """Training in this process, or (processes > 1 or a cluster launch) through torchrun workers."""
    if prep.config.processes > 1 or launch:
        from sftgui.core.training.distributed import LaunchedSession

        return LaunchedSession(prep, run_id, emit, cancel, callbacks, out_dir, launch=launch or {})
    from sftgui.core.training.session import TrainingSession

    return TrainingSession(prep, run_id, emit, cancel, callbacks, out_dir)


def _pid() -> int:
    import os

    return os.getpid()


def _environment() -> dict:
    import platform
    import sys
    from importlib.metadata import PackageNotFoundError, version

    libs = {}
    for name in ("sftgui", "torch", "transformers", "datasets", "accelerate", "peft", "safetensors"):
        try:
            libs[name] = version(name)
        except PackageNotFoundError:
            libs[name] = None
    return {"python": sys.version.split()[0], "platform": platform.platform(), "libraries": libs}
