"""The audit log: one AuditEvent row per change (what, when, OS user). Never edited or deleted."""

from __future__ import annotations

import json

from sftgui.store import entities
from sftgui.store.models import AuditEvent
from sftgui.store.timeutil import now_iso, os_user


def record(action: str, target: str = "", **detail) -> None:
    """Append one event; call it inside the write transaction of the change it describes."""
    AuditEvent.create(
        at=now_iso(),
        user=os_user(),
        action=action,
        target=target,
        detail=json.dumps(detail, default=str, ensure_ascii=False, sort_keys=True),
    )


def list_events(*, target: str | None = None, limit: int | None = None) -> list[entities.AuditEvent]:
    """Newest first."""
    query = AuditEvent.select().order_by(AuditEvent.id.desc())
    if target is not None:
        query = query.where(AuditEvent.target == target)
    if limit:
        query = query.limit(limit)
    return [
        entities.AuditEvent(id=r.id, at=r.at, user=r.user, action=r.action, target=r.target, detail=json.loads(r.detail))
        for r in query
    ]
