"""The history of a workspace in plain words: what happened, who did it, when and why.

Read from the audit log every change already writes (`store/audit_repo.py`, one row per change in
the transaction of the change itself); nothing here writes.
"""

from __future__ import annotations

from sftgui.store import audit_repo


def _what(action: str, target: str, d: dict) -> str:
    def listed(xs) -> str:
        return ", ".join(xs) if xs else "none"

    if action == "alias.move":
        alias = target.rpartition(":")[2]
        was = d.get("from_version")
        return (f"moved {alias} from {was} to {d.get('to_version')}" if was
                else f"pointed {alias} at {d.get('to_version')}") + f" ({target.rpartition(':')[0]})"
    sentences = {
        "version.register": f"registered {target}",
        "version.notes": f"edited the notes of {target}",
        "version.tags": f"changed the tags of {target} to {listed(d.get('after'))}",
        "version.trash": f"moved {target} to the trash",
        "version.restore": f"restored {target} from the trash",
        "version.damaged": f"marked {target} as damaged",
        "version.repaired": f"found {target} whole again",
        "version.purge": f"removed {target} for good (its stored files go at the next gc)",
        "snapshot.purge": f"removed {target.replace(':', ' ')} for good (its stored files go at the next gc)",
        "gc": f"freed {d.get('removed', 0)} stored file(s), {int(d.get('bytes') or 0) / 2**20:.1f} MB",
    }
    return sentences.get(action, f"{action} {target}".strip())


def _of_project(event, name: str) -> bool:
    return (event.detail.get("project") == name or event.target.startswith(f"{name}@")
            or event.target.startswith(f"{name}:"))


def history(ws, project=None, *, limit: int | None = None) -> list[dict]:
    """Newest first: `[{at, user, action, target, what, why, detail}]`; `project` keeps its events only."""
    from sftgui.core.projects import get_project

    name = get_project(ws, project).name if project is not None else None
    out = []
    for e in audit_repo.list_events():
        if name is not None and not _of_project(e, name):
            continue
        out.append({"at": e.at, "user": e.user, "action": e.action, "target": e.target,
                    "what": _what(e.action, e.target, e.detail), "why": str(e.detail.get("reason") or ""),
                    "detail": e.detail})
        if limit and len(out) >= limit:
            break
    return out
