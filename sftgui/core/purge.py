"""Delete a version or a dataset snapshot for good (a data-protection request, or disk space).

Refused while something still needs it: an alias pointing at the version, a version continued
from it, a version (even one in the trash) trained on the snapshot, a run using it. The row
becomes a tombstone in the audit log (what was removed, its hashes, who, when, why); the bytes
are freed by the next `gc`, which no longer finds anything referring to them.
"""

from __future__ import annotations

import shutil

from sftgui.errors import UserError
from sftgui.store import runs_repo, snapshots_repo
from sftgui.store import versions_repo as repo


def _reason(reason) -> str:
    reason = str(reason or "").strip()
    if not reason:
        raise UserError("Say why it is removed for good (--reason TEXT); the reason is kept in the audit log.")
    return reason


def purge_version(ws, version, *, reason: str) -> dict:
    """Purge one version; returns the tombstone kept in the audit log."""
    from sftgui.core import versions
    from sftgui.core.predict import forget_loaded

    reason = _reason(reason)
    v = versions.resolve_version(ws, version) if isinstance(version, str) else repo.get_version(version.id)
    blobs, _problem = versions._version_blobs(ws, v)  # noqa: SLF001 - the one place that lists a version's blobs
    manifest = {}
    try:
        manifest = versions.read_manifest(ws, v)
    except Exception:  # noqa: BLE001 - a damaged manifest must not block removing the version
        pass
    tombstone = {
        "manifest": v.manifest_blob,
        "predictions": v.predictions_blob,
        "safetensors_sha256": (manifest.get("safetensors") or {}).get("sha256"),
        "blobs": sorted(blobs),
        "weights_bytes": v.weights_bytes,
        "snapshot_id": v.snapshot_id,
        "created_at": v.created_at,
        "base_model": v.base_model,
    }
    repo.purge(v.id, reason, tombstone)
    forget_loaded(v.id)
    return {"purged": v.ref, **tombstone, "reason": reason}


def purge_snapshot(ws, snapshot_id, *, reason: str) -> dict:
    """Purge one dataset snapshot; returns the tombstone kept in the audit log."""
    from sftgui.core.data.snapshots import get_snapshot

    reason = _reason(reason)
    snap = get_snapshot(ws, snapshot_id)
    users = repo.versions_on_snapshot(snap.id)
    if users:
        names = ", ".join(v.ref + (" (in the trash)" if v.trashed_at else "") for v in users)
        raise UserError(f"Snapshot {snap.id} cannot be purged: {names} {'was' if len(users) == 1 else 'were'} "
                        "trained on it; purge those versions first ('sftgui versions purge'), or keep it.")
    busy = [r for r in runs_repo.runs_on_snapshot(snap.id) if r.status in ("queued", "running", "paused")]
    if busy:
        raise UserError(f"Snapshot {snap.id} cannot be purged while run {busy[0].id} ({busy[0].status}) uses it.")
    tombstone = {
        "snapshot_id": snap.id,
        "hash": snap.hash,
        "blob": snap.blob,
        "rows": snap.rows,
        "label_counts": snap.label_counts,
        "split_counts": snap.split_counts,
        "created_at": snap.created_at,
    }
    snapshots_repo.delete(snap.id, reason, tombstone)
    # Tokenized copies of its texts are a cache keyed by hashes that cannot be traced back to one
    # snapshot: drop them all (training rebuilds what it needs).
    shutil.rmtree(ws.cache / "tokenized", ignore_errors=True)
    return {"purged": f"snapshot {snap.id}", **tombstone, "reason": reason}
