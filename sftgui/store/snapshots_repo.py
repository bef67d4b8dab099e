"""Queries on dataset snapshots (immutable: created once, never updated)."""

from __future__ import annotations

import json

from sftgui.store import audit_repo, entities
from sftgui.store.models import DatasetSnapshot, db
from sftgui.store.timeutil import now_iso


def _entity(r: DatasetSnapshot) -> entities.DatasetSnapshot:
    return entities.DatasetSnapshot(
        id=r.id,
        project_id=r.project_id,
        hash=r.hash,
        blob=r.blob,
        rows=r.rows,
        label_counts=json.loads(r.label_counts),
        split_counts=json.loads(r.split_counts),
        meta=json.loads(r.meta),
        created_at=r.created_at,
    )


def create(project_id: int, *, hash: str, blob: str, rows: int, label_counts: dict, split_counts: dict, meta: dict) -> entities.DatasetSnapshot:
    row = DatasetSnapshot.create(
        project=project_id,
        hash=hash,
        blob=blob,
        rows=rows,
        label_counts=json.dumps(label_counts, sort_keys=True),
        split_counts=json.dumps(split_counts, sort_keys=True),
        meta=json.dumps(meta, sort_keys=True),
        created_at=now_iso(),
    )
    return _entity(row)


def by_id(snapshot_id: int) -> entities.DatasetSnapshot | None:
    row = DatasetSnapshot.get_or_none(DatasetSnapshot.id == snapshot_id)
    return _entity(row) if row else None


def by_hash(project_id: int, digest: str) -> entities.DatasetSnapshot | None:
    row = (
        DatasetSnapshot.select()
        .where((DatasetSnapshot.project == project_id) & (DatasetSnapshot.hash == digest))
        .order_by(DatasetSnapshot.id)
        .first()
    )
    return _entity(row) if row else None


def for_project(project_id: int) -> list[entities.DatasetSnapshot]:
    q = DatasetSnapshot.select().where(DatasetSnapshot.project == project_id).order_by(DatasetSnapshot.id)
    return [_entity(r) for r in q]


def delete(snapshot_id: int, reason: str, tombstone: dict) -> None:
    """Remove the snapshot row (versions and runs that named it keep a NULL, its cached evaluations
    go with it) and keep a tombstone in the audit log, in one transaction."""
    with db.atomic():
        row = DatasetSnapshot.get_by_id(snapshot_id)
        target = f"{row.project.name}:snapshot {row.id}"
        row.delete_instance()
        audit_repo.record("snapshot.purge", target, reason=reason, project=row.project.name, **tombstone)
