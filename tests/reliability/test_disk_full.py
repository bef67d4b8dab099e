"""A disk that fills up while saving a version, exporting, writing a checkpoint and importing data:
one plain sentence ("The disk is full ..."), nothing half-written under a final name, and the next
save succeeds once there is room again."""

from __future__ import annotations

import pathlib

import pytest

from sftgui.core import versions
from sftgui.core.projects import create_project
from sftgui.errors import DiskFull
from sftgui.resources import SAMPLE_CSV, resource_path
from sftgui.store import blobs as blobs_module
from tests.reliability.conftest import nudge
from tests.reliability.faults import FillingDisk, enospc
from tests.sample_facts import SAMPLE_ROWS

SAMPLE = resource_path(SAMPLE_CSV)


def _register(ws, model, tok):
    return versions.register_version(ws, "tickets", model, tok, labels=["a", "b"], base_model="tiny")


def _all_blobs_intact(ws) -> int:
    digests = list(ws.blobs.iter_digests())
    assert [d for d in digests if ws.blobs.check(d)] == []  # nothing torn under a final name
    assert not any(ws.blobs.tmp.iterdir())  # the failed write cleaned up its temp file
    return len(digests)


@pytest.mark.parametrize("budget", [0, 700, 4_000, 9_000])  # bytes that fit before the disk is full
def test_saving_a_version_on_a_full_disk(ws, tiny, monkeypatch, budget, figures):
    model, tok = tiny
    create_project(ws, "tickets")
    _register(ws, model, tok)
    nudge(model, 3.0)
    model.bert.embeddings.word_embeddings.weight.data.mul_(1.5)  # the big tensors are new bytes too
    disk, real_fdopen = FillingDisk(budget), blobs_module.os.fdopen
    monkeypatch.setattr(blobs_module.os, "fdopen", lambda *a, **k: disk.wrap(real_fdopen(*a, **k)))
    with pytest.raises(DiskFull, match=r"^The disk is full: .* Free some space and try again"):
        _register(ws, model, tok)
    monkeypatch.undo()
    assert disk.faults == 1
    figures["disk_full_faults"] += 1
    assert [v.number for v in versions.list_versions(ws, "tickets")] == [1]
    _all_blobs_intact(ws)

    v2 = _register(ws, model, tok)  # room again: the same save now works
    assert v2.number == 2 and versions.version_problem(ws, v2) is None
    versions.gc(ws, grace_s=0)
    assert versions.verify(ws)["ok"]


def _partial_then_full(real):
    def write(self, data, *args, **kwargs):
        if ".partial" in str(self):  # only the export's staging folder is on the full disk
            real(self, data[: len(data) // 2], *args, **kwargs)
            raise enospc()
        return real(self, data, *args, **kwargs)

    return write


@pytest.mark.parametrize("fmt, method", [("hf", "write_bytes"), ("hf", "write_text"), ("zip", "write_text")])
def test_exporting_on_a_full_disk(ws, tiny, tmp_path, monkeypatch, fmt, method, figures):
    from sftgui.core.export import export_version, verify_manifest

    model, tok = tiny
    create_project(ws, "tickets")
    v1 = _register(ws, model, tok)
    out = tmp_path / "exports" / "model"
    out.parent.mkdir()
    monkeypatch.setattr(pathlib.Path, method, _partial_then_full(getattr(pathlib.Path, method)))
    with pytest.raises(DiskFull, match=f"^The disk is full: sftgui could not write the export in {out.parent}"):
        export_version(ws, v1, out, fmt=fmt)
    monkeypatch.undo()
    figures["disk_full_faults"] += 1
    assert list(out.parent.iterdir()) == []  # no half export under the chosen name, no staging left

    done = export_version(ws, v1, out, fmt=fmt)
    if fmt == "hf":
        assert verify_manifest(done) == []
    else:
        assert done.suffix == ".zip" and done.stat().st_size > 0


def test_a_full_disk_while_importing_data_through_the_cli(cli, monkeypatch, figures):
    """SQLite itself runs out of room (max_page_count makes it answer SQLITE_FULL, as a full disk does)."""
    import sqlite3

    from sftgui.store import db as db_module
    from tests.reliability.checks import file_hash

    assert cli("project", "create", "tickets")[0] == 0
    con = sqlite3.connect(cli.db)
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.close()
    monkeypatch.setitem(db_module.PRAGMAS, "max_page_count", pages + 2)
    before = file_hash(cli.db)
    code, out, err = cli("data", "import", SAMPLE, "--project", "tickets")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("sftgui: The disk is full: sftgui could not write the rows of support_tickets.csv")
    assert file_hash(cli.db) == before
    figures["disk_full_faults"] += 1
    monkeypatch.undo()
    code, out, _ = cli("data", "import", SAMPLE, "--project", "tickets", "--json")
    assert code == 0 and f'"rows": {SAMPLE_ROWS}' in out


def test_a_full_disk_while_writing_a_training_checkpoint(ws, tiny_model_dir, monkeypatch, figures):
    import torch

    from sftgui.core.training import engine
    from sftgui.store import runs_repo
    from tests.core.training.conftest import make_project, tiny_config

    project, snapshot = make_project(ws)
    real_save = torch.save

    def save(obj, f, *args, **kwargs):  # the optimizer state is the biggest file of a checkpoint
        real_save(obj, f, *args, **kwargs)
        with open(f, "r+b") as half:
            half.truncate(max(1, pathlib.Path(f).stat().st_size // 2))
        raise enospc()

    monkeypatch.setattr(torch, "save", save)
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1))
    monkeypatch.undo()
    figures["disk_full_faults"] += 1
    assert result.status == "failed" and result.error.startswith("The disk is full: sftgui could not write a training checkpoint")
    run = runs_repo.get_run(result.run_id)
    assert run.status == "failed" and run.error == result.error
    assert "OSError" in pathlib.Path(run.log_path).read_text()  # the details stay in the run's log
    folder = engine.run_dir(ws, result.run_id)
    assert [p.name for p in folder.glob("checkpoint-*")] == []  # the torn checkpoint is gone
    assert versions.list_versions(ws, project) == []

    again = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1))
    assert again.status == "completed" and again.version.number == 1
