"""SIGKILL at the exact dangerous spots of a save and a rollback: afterwards the old state or the
new one, never a mix (DESIGN 4.4: blobs first, the row last, in one transaction)."""

from __future__ import annotations

import os
import signal

import pytest

from sftgui.core import versions
from sftgui.store.db import open_workspace
from tests.reliability.checks import check_after_crash


@pytest.fixture
def two_versions(tmp_path, crash_server):
    """A workspace whose project `crash` has v1 and v2, `production` on v2 (saved by a child)."""
    from sftgui.core.projects import create_project

    path = tmp_path / "ws"
    ws = open_workspace(path)
    create_project(ws, "crash")
    ws.close()
    pid = crash_server.send("loop", path, 1)
    crash_server.expect("saved 2")
    os.kill(pid, signal.SIGKILL)
    crash_server.expect(f"dead {pid}")
    ws = open_workspace(path)
    versions.gc(ws, grace_s=0)  # whatever the third save had started
    n = len(versions.list_versions(ws, "crash"))
    versions.set_alias(ws, "crash", "production", f"v{n}", reason="setup")
    ws.close()
    return path, n


def _state(path):
    ws = open_workspace(path, readonly=True)
    try:
        return ([v.number for v in versions.list_versions(ws, "crash")],
                versions.resolve_version(ws, "crash@production").number,
                [(e.from_number, e.to_number) for e in versions.alias_history(ws, "crash")])
    finally:
        ws.close()


@pytest.mark.parametrize("spot, leaves", [
    ("before_row", "orphans"),  # every blob written and fsynced, no row yet
    ("row_uncommitted", "orphans"),  # row inserted in its transaction, killed before COMMIT
    ("blob_half_written", "temp"),  # a temp file half written, never renamed into place
    ("rollback_uncommitted", "nothing"),  # the alias row moved, its history event not yet written
])
def test_a_kill_at_the_exact_spot_leaves_the_old_state(two_versions, crash_server, spot, leaves, figures):
    path, n = two_versions
    before = _state(path)
    pid = crash_server.send("spot", path, spot)
    seen: list[str] = []
    status = int(crash_server.expect(f"dead {pid}", seen=seen).split()[2])
    assert "survived" not in seen and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    figures["kills_survived"] += 1
    figures["kills_at_exact_spots"] += 1

    assert _state(path) == before  # old versions, old alias, old history: not one row of the new state
    found = check_after_crash(path, "crash", set(range(1, n + 1)), [])
    assert (found["orphans_removed"] > 0) == (leaves == "orphans")
    assert (found["tmp_swept"] > 0) == (leaves == "temp")

    # and the workspace is fully usable: the interrupted action succeeds when done again
    ws = open_workspace(path)
    try:
        versions.set_alias(ws, "crash", "production", "v1", reason="again")
        assert versions.resolve_version(ws, "crash@production").number == 1
    finally:
        ws.close()
