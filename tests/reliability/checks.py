"""What "nothing lost" means, checked on a workspace after a crash (from the test process)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def integrity(db_file: Path) -> str:
    """SQLite's full integrity_check, through a plain connection that replays the WAL."""
    con = sqlite3.connect(db_file)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def check_after_crash(path: Path, project: str, acked: set[int], moves: list[int]) -> dict:
    """Assert the workspace holds every acknowledged version complete, then gc and verify again.

    `acked`: version numbers the killed process reported as saved; `moves`: the alias moves it
    reported, in order. Returns what was found (temp files swept, orphans removed, versions).
    """
    from sftgui.core import versions
    from sftgui.store.db import open_workspace

    tmp_left = sum(1 for _ in (path / "blobs" / "tmp").iterdir())
    assert integrity(path / "sftgui.db") == "ok"
    ws = open_workspace(path)
    try:
        assert not any(ws.blobs.tmp.iterdir()), "temp files survived the next open"
        found = versions.list_versions(ws, project)
        numbers = [v.number for v in found]
        assert numbers == list(range(1, len(numbers) + 1)), numbers
        assert acked <= set(numbers), f"saved versions lost: {sorted(acked - set(numbers))}"
        report = versions.verify(ws)
        assert report["missing"] == [] and report["corrupt"] == [] and report["damaged_versions"] == [], report
        if found:
            versions.load_state_dict(ws, found[-1])  # re-hashes every tensor of the newest one
            live = versions.resolve_version(ws, f"{project}@production")
            history = [e.to_number for e in versions.alias_history(ws, project, "production")]
            assert history and history[-1] == live.number, (history, live.number)
            it = iter(history)
            assert all(m in it for m in moves), f"acknowledged alias moves lost: {moves} vs {history}"
        removed = versions.gc(ws, grace_s=0)["removed"]
        after = versions.verify(ws)
        assert after["ok"] and after["orphans"] == 0, after
        return {"tmp_swept": tmp_left, "orphans_removed": removed, "versions": len(found)}
    finally:
        ws.close()


def tree_state(root: Path, skip=("sftgui.lock", "sftgui.db-wal", "sftgui.db-shm")) -> dict:
    """Every entry under `root` (not following links): kind, size, content hash, link target.

    Two equal states mean nothing under `root` was added, removed, replaced or changed."""
    import os
    import stat as st

    out = {}
    root = Path(root)
    if not os.path.lexists(root):
        return out
    for here, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(here) / name
            rel = p.relative_to(root).as_posix()
            if name in skip:
                continue
            s = p.lstat()
            if st.S_ISLNK(s.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif st.S_ISREG(s.st_mode):
                out[rel] = ("file", s.st_size, file_hash(p), st.S_IMODE(s.st_mode))
            elif st.S_ISDIR(s.st_mode):
                out[rel] = ("dir",)
            else:
                out[rel] = ("other", st.S_IFMT(s.st_mode))
    return out
