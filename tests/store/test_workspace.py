"""open_workspace: pragmas, schema version, refusing newer/damaged databases, the writer lock."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys

import peewee
import pytest

from sftgui.errors import WorkspaceError, WorkspaceLocked
from sftgui.store.db import DB_NAME, open_workspace
from sftgui.store.migrations import SCHEMA_VERSION
from sftgui.store.models import Project, db


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _filled_workspace(path, rows=300):
    ws = open_workspace(path)
    with db.atomic():
        for i in range(rows):
            Project.create(name=f"project {i:04d} " + "x" * 200, task="text-classification", created_at="now")
    ws.close()
    return path / DB_NAME


def test_a_new_workspace_has_the_pragmas_and_schema_version(tmp_path):
    ws = open_workspace(tmp_path / "ws")
    try:
        pragma = lambda name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 10_000
        assert pragma("user_version") == SCHEMA_VERSION
        assert {"blobs", "cache", "logs"} <= {p.name for p in ws.path.iterdir()}
    finally:
        ws.close()


def test_readers_cannot_write(tmp_path):
    _filled_workspace(tmp_path / "ws", rows=1)
    ws = open_workspace(tmp_path / "ws", readonly=True)
    try:
        assert Project.select().count() == 1
        with pytest.raises(peewee.OperationalError, match="readonly"):
            Project.create(name="new", task="t", created_at="now")
    finally:
        ws.close()


def test_a_database_from_a_newer_sftgui_is_refused_and_left_alone(tmp_path):
    file = _filled_workspace(tmp_path / "ws", rows=1)
    con = sqlite3.connect(file)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.execute("PRAGMA journal_mode = delete")
    con.close()
    before = _digest(file)
    for readonly in (False, True):
        with pytest.raises(WorkspaceError, match="newer sftgui .* update sftgui"):
            open_workspace(tmp_path / "ws", readonly=readonly)
    assert _digest(file) == before
    assert not (tmp_path / "ws" / f"{DB_NAME}-wal").exists()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda f: f.write_bytes(b"\0" * f.stat().st_size), "is not an SQLite database"),
        (lambda f: f.write_bytes(b"name,label\nhello,greeting\n"), "is not an SQLite database"),
        (lambda f: os.truncate(f, f.stat().st_size // 2), "is damaged"),
        (lambda f: os.truncate(f, 0), "is empty"),
    ],
    ids=["zeroed", "not-a-database", "truncated", "emptied"],
)
def test_a_damaged_database_is_refused_never_overwritten(tmp_path, damage, message):
    file = _filled_workspace(tmp_path / "ws")
    ws = open_workspace(tmp_path / "ws")  # some blobs, so an emptied file is not a new workspace
    ws.blobs.put_bytes(b"a tensor")
    ws.close()
    damage(file)
    before = _digest(file)
    with pytest.raises(WorkspaceError, match=f"{message}.*left untouched.*own backup"):
        open_workspace(tmp_path / "ws")
    with pytest.raises(WorkspaceError, match=message):
        open_workspace(tmp_path / "ws", readonly=True)
    assert _digest(file) == before


def test_the_refusal_names_the_newest_backup(tmp_path):
    file = _filled_workspace(tmp_path / "ws", rows=1)
    backup = tmp_path / "ws" / f"{DB_NAME}.backup-v1-20250101-120000"
    shutil.copy(file, backup)
    file.write_bytes(b"\0" * 4096)
    with pytest.raises(WorkspaceError, match=f"newest backup is {backup}"):
        open_workspace(tmp_path / "ws")


# -- the writer lock, with real processes ----------------------------------------------------
HOLDER = "import sys, time; from sftgui.store.db import open_workspace; open_workspace(sys.argv[1]); print('ready', flush=True); time.sleep(120)"


def _holder(path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_a_second_sftgui_is_told_who_holds_the_workspace(tmp_path):
    proc = _holder(tmp_path / "ws")
    try:
        with pytest.raises(WorkspaceLocked, match=f"open in another sftgui \\(pid {proc.pid}\\)"):
            open_workspace(tmp_path / "ws")
        reader = open_workspace(tmp_path / "ws", readonly=True)  # readers are welcome meanwhile
        reader.close()
    finally:
        proc.kill()
        proc.wait()


def test_the_lock_of_a_killed_sftgui_is_taken_over(tmp_path):
    proc = _holder(tmp_path / "ws")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (tmp_path / "ws" / "sftgui.lock").read_text().strip() == str(proc.pid)  # stale
    ws = open_workspace(tmp_path / "ws")
    try:
        assert (tmp_path / "ws" / "sftgui.lock").read_text().strip() == str(os.getpid())
    finally:
        ws.close()
