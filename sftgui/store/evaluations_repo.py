"""The `Evaluation` cache: which blob holds the evaluation of a version on a snapshot."""

from __future__ import annotations

from sftgui.store.models import Evaluation, db
from sftgui.store.timeutil import now_iso


def get_evaluation_blob(version_id: int, snapshot_id: int) -> str | None:
    row = Evaluation.get_or_none(
        (Evaluation.version == version_id) & (Evaluation.snapshot == snapshot_id)
    )
    return row.result_blob if row else None


def save_evaluation_blob(version_id: int, snapshot_id: int, digest: str) -> None:
    """Record (or replace) the cached result; the blob must already be stored."""
    with db.atomic():
        Evaluation.delete().where(
            (Evaluation.version == version_id) & (Evaluation.snapshot == snapshot_id)
        ).execute()
        Evaluation.create(version=version_id, snapshot=snapshot_id, result_blob=digest, created_at=now_iso())


def forget_evaluations(version_id: int) -> int:
    """Drop the cached results of a version (e.g. after its blobs were repaired)."""
    return Evaluation.delete().where(Evaluation.version == version_id).execute()


def versions_scored_on(snapshot_id: int) -> list[int]:
    """Ids of the versions with a cached evaluation on a snapshot, in the order they were scored."""
    q = Evaluation.select(Evaluation.version).where(Evaluation.snapshot == snapshot_id).order_by(Evaluation.id)
    return [row.version_id for row in q]
