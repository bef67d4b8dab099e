"""Damaged blobs (a flipped byte, a deleted blob folder), trash of a live version, and gc while an
export runs, through the CLI on a real workspace."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time

import pytest

from sftgui.core import versions
from sftgui.core.projects import create_project
from sftgui.store.db import open_workspace
from tests.reliability.checks import file_hash
from tests.reliability.conftest import nudge, sftgui_process


@pytest.fixture
def two(cli, tiny):
    """tickets@v1 and tickets@v2 (production on v2), the workspace closed for the CLI."""
    model, tok = tiny
    ws = open_workspace(cli.ws)
    create_project(ws, "tickets")
    v1 = versions.register_version(ws, "tickets", model, tok, labels=["a", "b"], base_model="tiny")
    nudge(model, 2.0)
    versions.register_version(ws, "tickets", model, tok, labels=["a", "b"], base_model="tiny", parent_id=v1.id)
    versions.set_alias(ws, "tickets", "production", "v2")
    head = versions.read_manifest(ws, v1)["tensors"]["classifier.weight"]["blob"]
    ws.close()
    return head


def _flip(path):
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


def _blob(cli, digest):
    return cli.ws / "blobs" / "sha256" / digest[:2] / digest[2:]


@pytest.mark.parametrize("damage, state", [
    (lambda cli, d: _flip(_blob(cli, d)), "corrupt"),
    (lambda cli, d: shutil.rmtree(_blob(cli, d).parent), "missing"),  # the whole blobs/sha256/ab/ folder
], ids=["flipped-byte", "deleted-blob-folder"])
def test_damage_is_found_by_verify_and_on_load_and_blocks_rollback(cli, two, damage, state, figures):
    head = two
    damage(cli, head)
    code, out, _ = cli("verify", "--json")
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    assert head in [x["blob"] for x in report[state]]
    assert "tickets@v1" in report["damaged_versions"]

    code, out, _ = cli("versions", "show", "tickets@v1", "--json")
    assert code == 0 and "classifier.weight" in json.dumps(json.loads(out))  # marked damaged, with the reason

    code, out, err = cli("predict", "tickets@v1", "my card was charged")  # loading re-hashes every blob
    assert code == 2 and len(err.strip().splitlines()) == 1 and head[:12] in err

    before = file_hash(cli.db)
    code, out, err = cli("rollback", "--project", "tickets", "--to", "v1", "--reason", "try the old one")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"tickets@v1 cannot become 'production': its tensor classifier.weight ({head[:12]}) is {state}" in err
    assert file_hash(cli.db) == before
    code, out, _ = cli("versions", "show", "tickets@production", "--json")
    assert json.loads(out)["number"] == 2  # production stayed where it was
    figures["damaged_blobs_found"] += 1


def test_a_version_an_alias_points_to_cannot_go_to_the_trash(cli, two, figures):
    before = file_hash(cli.db)
    code, out, err = cli("versions", "trash", "tickets@v2")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "cannot go to the trash while the alias production points to it" in err
    assert file_hash(cli.db) == before
    assert cli("versions", "trash", "tickets@v1")[0] == 0  # a version nothing points to can
    figures["refused_actions"] += 1


def _age_everything(ws_path, seconds=3600):
    for f in (ws_path / "blobs" / "sha256").rglob("*"):
        if f.is_file():
            t = f.stat().st_mtime - seconds
            os.utime(f, (t, t))


def test_gc_in_the_middle_of_an_export_leaves_the_export_complete(cli, two, tmp_path):
    """Deterministic: gc (no grace period) runs from the export's own progress report, after the
    export started and before it reads a blob."""
    from sftgui.core.export import export_version, verify_manifest

    ws = open_workspace(cli.ws)
    try:
        orphan = ws.blobs.put_bytes(b"left behind by a crash")
        collected = []

        def progress(fraction, message):
            if not collected and message == "Writing the model files":
                collected.append(versions.gc(ws, grace_s=0)["blobs"])

        out = export_version(ws, versions.resolve_version(ws, "tickets@v1"), tmp_path / "v1", progress=progress)
    finally:
        ws.close()
    assert collected == [[orphan]]  # gc really ran (and removed what it should) mid-export
    assert verify_manifest(out) == [] and (out / "model.safetensors").stat().st_size > 0


def test_gc_from_the_cli_while_a_real_export_process_runs(cli, two, tmp_path):
    ws = open_workspace(cli.ws)
    ws.blobs.put_bytes(b"an orphan, old enough to collect")
    ws.close()
    _age_everything(cli.ws)
    out = tmp_path / "v1-export"
    export = sftgui_process("--workspace", cli.ws, "export", "tickets@v1", "--out", out, "--format", "zip", "--json")
    runs = []
    while export.poll() is None:  # the export opens the workspace read-only; gc takes the writer lock
        code, text, err = cli("gc", "--json")
        assert code == 0, err
        runs.append(json.loads(text)["removed"])
        time.sleep(0.05)
    stdout, stderr = export.communicate()
    assert export.returncode == 0, stderr
    assert len(runs) >= 3 and sum(runs) == 1  # gc ran throughout, removing the orphan and nothing else
    import zipfile

    with zipfile.ZipFile(json.loads(stdout)["path"]) as zf:
        assert zf.testzip() is None and any(n.endswith("model.safetensors") for n in zf.namelist())
    code, text, _ = cli("verify", "--json")
    assert code == 0 and json.loads(text)["ok"]
