"""Opening a workspace that is busy, old, new or damaged, through the CLI: exit 2 with one sentence
(or an upgrade with a backup), and the database file never overwritten (hash before/after)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from sftgui.store.migrations import SCHEMA_VERSION
from tests.reliability.checks import file_hash
from tests.reliability.conftest import ROOT

SCHEMA_V1 = ROOT / "tests" / "store" / "fixtures" / "schema_v1.db"
HOLD = "import sys, time; from sftgui.store.db import open_workspace; open_workspace(sys.argv[1]); print('holding', flush=True); time.sleep(60)"


def _one_sentence(code, out, err, *words):
    assert code == 2 and out == "", (code, out, err)
    assert err.startswith("sftgui: ") and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, (w, err)


def _settled(cli):
    """A workspace with a project, its WAL folded into the file, so the file's hash is its state."""
    assert cli("project", "create", "tickets")[0] == 0
    con = sqlite3.connect(cli.db)
    con.execute("PRAGMA journal_mode = delete")
    con.close()
    return file_hash(cli.db)


def test_a_second_sftgui_is_refused_while_a_real_process_holds_the_workspace(cli, figures):
    _settled(cli)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(cli.ws)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        before = file_hash(cli.db)
        for argv in (("project", "create", "second"), ("gc",), ("rollback", "--project", "tickets", "--to", "v1")):
            _one_sentence(*cli(*argv), "open in another sftgui", f"pid {holder.pid}", "close it first")
        assert file_hash(cli.db) == before
        code, out, _ = cli("project", "list", "--json")  # reading while someone writes is fine
        assert code == 0 and [p["name"] for p in json.loads(out)] == ["tickets"]
    finally:
        holder.kill()
        holder.wait()
    figures["workspace_cases"] += 1
    assert cli("project", "create", "second")[0] == 0  # the holder is gone: its lock went with it


def _dump(path) -> list[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def test_a_database_from_schema_1_is_upgraded_after_a_backup(cli, figures):
    cli.ws.mkdir()
    shutil.copy(SCHEMA_V1, cli.db)
    original = _dump(SCHEMA_V1)
    code, out, err = cli("project", "create", "more")
    assert code == 0, err
    backups = list(cli.ws.glob("sftgui.db.backup-v1-*"))
    assert len(backups) == 1 and _dump(backups[0]) == original  # every row and table of the old file
    con = sqlite3.connect(cli.db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()
    names = [p["name"] for p in json.loads(cli("project", "list", "--json")[1])]
    assert sorted(names) == ["more", "tickets"]
    figures["workspace_cases"] += 1


def test_a_database_from_a_newer_sftgui_is_refused_untouched(cli, figures):
    _settled(cli)
    con = sqlite3.connect(cli.db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    con.close()
    before = file_hash(cli.db)
    for argv in (("project", "list"), ("project", "create", "x"), ("verify",)):
        _one_sentence(*cli(*argv), "newer sftgui", "update sftgui")
    assert file_hash(cli.db) == before and not (cli.ws / "sftgui.db-wal").exists()
    figures["workspace_cases"] += 1


DAMAGE = {
    "truncated": (lambda f: os.truncate(f, f.stat().st_size // 2), "is damaged"),
    "zeroed": (lambda f: f.write_bytes(b"\0" * f.stat().st_size), "is not an SQLite database"),
    "not_a_database": (lambda f: f.write_text("text,label\nhello,greeting\n"), "is not an SQLite database"),
    "emptied": (lambda f: os.truncate(f, 0), "is empty"),
}


@pytest.mark.parametrize("with_backup", [False, True], ids=["no-backup", "backup"])
@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_database_is_refused_never_overwritten(cli, kind, with_backup, figures):
    from sftgui.store.db import open_workspace
    from sftgui.store.models import Project, db

    _settled(cli)
    with open_workspace(cli.ws), db.atomic():  # enough pages that cutting the file in half cuts through data
        for i in range(200):
            Project.create(name=f"project {i:03d} " + "x" * 100, task="text-classification", created_at="now")
    con = sqlite3.connect(cli.db)
    con.execute("PRAGMA journal_mode = delete")
    con.close()
    cli.ws.joinpath("blobs", "sha256", "ab").mkdir(parents=True, exist_ok=True)
    cli.ws.joinpath("blobs", "sha256", "ab", "cd").write_bytes(b"a blob")  # data next to the database
    backup = cli.ws / "sftgui.db.backup-v1-20250101-120000"
    if with_backup:
        shutil.copy(cli.db, backup)
    damage, words = DAMAGE[kind]
    damage(cli.db)
    before = file_hash(cli.db)
    hint = f"newest backup is {backup}" if with_backup else "Restore it from your own backup"
    for argv in (("project", "list", "--json"), ("project", "create", "x"), ("verify",)):
        _one_sentence(*cli(*argv), words, "left untouched", hint)
    assert file_hash(cli.db) == before
    figures["workspace_cases"] += 1
