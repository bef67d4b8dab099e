"""Migrations: a schema-1 database (committed fixture) is upgraded with a backup and keeps its
data; the migrated schema equals a fresh one and equals what models.py describes."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import peewee
import pytest

from sftgui.core import versions
from sftgui.store import models
from sftgui.store.db import DB_NAME, open_workspace
from sftgui.store.migrations import SCHEMA_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / "schema_v1.db"


@pytest.fixture
def old_ws(tmp_path):
    (tmp_path / "old").mkdir()
    shutil.copy(FIXTURE, tmp_path / "old" / DB_NAME)
    return tmp_path / "old"


def _master(file) -> list[tuple]:
    con = sqlite3.connect(file)
    try:
        rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    finally:
        con.close()
    return sorted((t, n, tbl, re.sub(r"\s+", " ", sql).strip()) for t, n, tbl, sql in rows)


def _shape(con) -> dict:
    """Tables -> columns (name, type, notnull, pk), indexes (columns, unique), foreign keys."""
    out = {}
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    for t in sorted(tables):
        cols = sorted((c[1], c[2], c[3], c[5]) for c in con.execute(f'PRAGMA table_info("{t}")'))
        idx = sorted(
            (tuple(i[2] for i in con.execute(f'PRAGMA index_info("{name}")')), unique)
            for _, name, unique, *_ in con.execute(f'PRAGMA index_list("{t}")')
        )
        fks = sorted((f[2], f[3], f[4], f[6]) for f in con.execute(f'PRAGMA foreign_key_list("{t}")'))
        out[t] = {"columns": cols, "indexes": idx, "foreign_keys": fks}
    return out


def test_a_schema_1_database_is_migrated_with_a_backup_and_keeps_its_data(old_ws):
    before = FIXTURE.read_bytes()
    ws = open_workspace(old_ws)
    try:
        v1 = versions.resolve_version(ws, "tickets@production")
        assert (v1.number, v1.notes, v1.tags, v1.metrics) == (1, "first one", ["baseline"], {"accuracy": 0.9})
        assert (v1.snapshot_id, v1.damaged, v1.weights_new_bytes) == (1, None, 0)
        assert [e.reason for e in versions.alias_history(ws, "tickets")] == ["first version of the project"]
        assert models.DatasetSnapshot.get_by_id(1).rows == 40
        assert models.Evaluation.select().count() == 0
    finally:
        ws.close()
    (backup,) = old_ws.glob(f"{DB_NAME}.backup-v1-*")
    con = sqlite3.connect(backup)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    con.close()
    assert _master(backup) == _master(FIXTURE)
    assert FIXTURE.read_bytes() == before
    con = sqlite3.connect(old_ws / DB_NAME)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_migrated_schema_equals_a_fresh_one_and_models_py(old_ws, tmp_path):
    open_workspace(old_ws).close()
    open_workspace(tmp_path / "fresh").close()
    assert _master(old_ws / DB_NAME) == _master(tmp_path / "fresh" / DB_NAME)

    # what peewee would create from models.py today: a models.py change without a migration fails here
    declared = peewee.SqliteDatabase(":memory:")
    with declared.bind_ctx(models.ALL_MODELS):
        declared.create_tables(models.ALL_MODELS)
        expected = _shape(declared.connection())
    con = sqlite3.connect(tmp_path / "fresh" / DB_NAME)
    try:
        assert _shape(con) == expected
    finally:
        con.close()


def test_a_failing_migration_changes_nothing(old_ws):
    con = sqlite3.connect(old_ws / DB_NAME)
    with con:  # a table in the way makes migration 2's CREATE TABLE fail half-way through
        con.execute('CREATE TABLE "evaluation" ("id" INTEGER PRIMARY KEY)')
    con.close()
    with pytest.raises(peewee.OperationalError, match="already exists"):
        open_workspace(old_ws)
    con = sqlite3.connect(old_ws / DB_NAME)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = [c[1] for c in con.execute('PRAGMA table_info("model_version")')]
        assert "damaged" not in columns and "weights_new_bytes" not in columns
    finally:
        con.close()


def test_the_database_itself_refuses_to_change_a_version(ws):
    from sftgui.core.projects import create_project

    project = create_project(ws, "tickets")
    row = models.ModelVersion.create(
        project=project.id, number=1, base_model="b", manifest_blob="m", created_at="now"
    )
    with pytest.raises(peewee.IntegrityError, match="cannot change"):
        models.ModelVersion.update(metrics='{"accuracy": 1.0}').where(models.ModelVersion.id == row.id).execute()
    row.notes = "allowed"
    row.save()  # a full-row save that only changes notes passes
    assert models.ModelVersion.get_by_id(row.id).notes == "allowed"
