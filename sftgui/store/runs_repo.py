"""Training runs and their metric series (rows -> `entities.Run` / `entities.MetricPoint`)."""

from __future__ import annotations

import json
import os

from sftgui.errors import UserError
from sftgui.store import entities
from sftgui.store.models import MetricPoint, Run, db
from sftgui.store.timeutil import now_iso

LIVE = ("queued", "running", "paused")
_JSON_FIELDS = ("config", "metrics", "environment")


def _entity(row: Run) -> entities.Run:
    return entities.Run(
        id=row.id,
        project_id=row.project_id,
        status=row.status,
        config=json.loads(row.config or "{}"),
        snapshot_id=row.snapshot_id,
        parent_version_id=row.parent_version,
        seed=row.seed,
        device=row.device,
        precision=row.precision,
        started_at=row.started_at,
        ended_at=row.ended_at,
        wall_s=row.wall_s,
        train_samples_per_second=row.train_samples_per_second,
        last_step=row.last_step,
        checkpoint_dir=row.checkpoint_dir,
        log_path=row.log_path,
        error=row.error,
        metrics=json.loads(row.metrics or "{}"),
        environment=json.loads(row.environment or "{}"),
        pid=row.pid,
    )


def _encode(fields: dict) -> dict:
    out = dict(fields)
    for key in _JSON_FIELDS:
        if key in out and not isinstance(out[key], str):
            out[key] = json.dumps(out[key], sort_keys=True, default=str)
    if "parent_version_id" in out:
        out["parent_version"] = out.pop("parent_version_id")
    return out


def create_run(project_id: int, *, config: dict, snapshot_id: int | None = None,
               parent_version_id: int | None = None, seed: int | None = None,
               status: str = "queued") -> entities.Run:
    with db.atomic():
        row = Run.create(project=project_id, status=status, config=json.dumps(config, sort_keys=True),
                         snapshot=snapshot_id, parent_version=parent_version_id, seed=seed, pid=os.getpid())
    return _entity(row)


def update_run(run_id: int, **fields) -> entities.Run:
    """Set columns by entity name (`config`/`metrics`/`environment` may be dicts)."""
    with db.atomic():
        Run.update(**_encode(fields)).where(Run.id == run_id).execute()
    return get_run(run_id)


def get_run(run_id: int) -> entities.Run:
    row = Run.get_or_none(Run.id == run_id)
    if row is None:
        raise UserError(f"There is no run {run_id}; `sftgui runs list --project P` shows the runs.")
    return _entity(row)


def list_runs(project_id: int) -> list[entities.Run]:
    return [_entity(r) for r in Run.select().where(Run.project == project_id).order_by(Run.id)]


def runs_on_snapshot(snapshot_id: int) -> list[entities.Run]:
    return [_entity(r) for r in Run.select().where(Run.snapshot == snapshot_id).order_by(Run.id)]


def add_metric_points(run_id: int, points: list[tuple[int, float | None, str, float]]) -> None:
    """Append (step, epoch, name, value) points in one transaction."""
    if not points:
        return
    rows = [dict(run=run_id, step=s, epoch=e, name=n, value=float(v)) for s, e, n, v in points]
    with db.atomic():
        for i in range(0, len(rows), 200):
            MetricPoint.insert_many(rows[i:i + 200]).execute()


def metric_points(run_id: int, name: str | None = None) -> list[entities.MetricPoint]:
    q = MetricPoint.select().where(MetricPoint.run == run_id)
    if name:
        q = q.where(MetricPoint.name == name)
    return [entities.MetricPoint(run_id=run_id, step=p.step, epoch=p.epoch, name=p.name, value=p.value)
            for p in q.order_by(MetricPoint.step, MetricPoint.id)]


def delete_metric_points_after(run_id: int, step: int) -> None:
    """A resumed run replays the steps after its checkpoint; drop the points it will log again."""
    with db.atomic():
        MetricPoint.delete().where((MetricPoint.run == run_id) & (MetricPoint.step > step)).execute()


def mark_interrupted_runs() -> int:
    """Runs left live by a process that is gone become `interrupted` (resumable).

    Called by a writer when it opens the workspace: it holds the writer lock, so no other process
    can still be training; only runs owned by this very process are left alone.
    """
    with db.atomic():
        return (Run.update(status="interrupted", ended_at=now_iso(),
                           error="The program stopped while this run was training.")
                .where(Run.status.in_(LIVE) & ((Run.pid.is_null()) | (Run.pid != os.getpid())))
                .execute())
