"""The output-path guard (sftgui/core/outpath.py) through `sftgui export` and `sftgui data export`:
never inside a workspace, never over what exists without --force, and --force replaces only a
regular file or a folder sftgui exported. Every refusal is exit 2 with one sentence, and neither
the workspace nor anything at or around the named path changes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from sftgui.core import versions
from sftgui.core.data.importers import import_rows
from sftgui.core.data.snapshots import freeze_snapshot
from sftgui.core.projects import create_project
from sftgui.store.db import open_workspace
from tests.reliability.checks import tree_state


@pytest.fixture
def w(cli, tiny):
    """W: a workspace with tickets@v1 and snapshot 1, closed for the CLI."""
    model, tok = tiny
    ws = open_workspace(cli.ws)
    create_project(ws, "tickets")
    import_rows(ws, "tickets", [{"text": f"text {i}", "label": "ab"[i % 2]} for i in range(20)])
    snap = freeze_snapshot(ws, "tickets")
    versions.register_version(ws, "tickets", model, tok, labels=["a", "b"], base_model="tiny",
                              snapshot_id=snap.id)
    ws.close()
    return cli


def _refused(cli, argv, around, *words):
    """Run argv; expect exit 2, one line on stderr with `words`, and nothing changed in W or `around`."""
    before = (tree_state(cli.ws), tree_state(around))
    code, out, err = cli(*argv)
    assert code == 2, (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    assert (tree_state(cli.ws), tree_state(around)) == before
    return err


def _model_export(*extra):
    return ("export", "tickets@v1", *extra)


def _data_export(*extra):
    return ("data", "export", "1", *extra)


# -- inside a workspace ----------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    lambda W: _data_export("--out", W / "sftgui.db"),
    lambda W: _data_export("--out", W / "sftgui.db", "--force"),
    lambda W: _data_export("--out", W / "logs" / "x.csv"),
    lambda W: _data_export("--out", W / "sftgui.lock", "--force"),
    lambda W: _model_export("--out", W, "--force"),
    lambda W: _model_export("--out", W / "blobs" / "sha256" / "01", "--force"),
    lambda W: _model_export("--out", W / "blobs", "--force"),
    lambda W: _model_export("--out", W / "cache" / "m"),
    lambda W: _model_export("--out", W / "new-folder"),
    lambda W: _model_export("--out", W / "x", "--format", "zip", "--force"),
    lambda W: _model_export("--out", W.parent, "--force"),  # the folder holding the workspace
    lambda W: _model_export("--out", W / "logs" / "..", "--force"),
], ids=["csv-over-db", "csv-over-db-force", "csv-in-logs", "csv-over-lock", "model-over-workspace",
        "model-over-blob-folder", "model-over-blobs", "model-in-cache", "model-in-workspace",
        "zip-in-workspace", "model-over-parent", "model-dotdot"])
def test_never_inside_or_over_the_workspace(w, argv, figures):
    _refused(w, argv(w.ws), w.ws.parent)
    figures["output_paths_refused"] += 1


def test_out_dot_inside_the_workspace(w, monkeypatch, figures):
    monkeypatch.chdir(w.ws)
    _refused(w, _model_export("--out", ".", "--force"), w.ws.parent, "workspace")
    _refused(w, _data_export("--out", "x.csv"), w.ws.parent, "workspace")
    monkeypatch.chdir(w.ws / "blobs")
    _refused(w, _model_export("--out", "..", "--force"), w.ws.parent, "workspace")
    figures["output_paths_refused"] += 3


def test_another_workspace_and_a_link_into_one(w, tmp_path, figures):
    other = tmp_path / "other-ws"
    open_workspace(other).close()
    _refused(w, _model_export("--out", other, "--force"), tmp_path)
    _refused(w, _model_export("--out", other / "sub"), tmp_path)
    lock_only = tmp_path / "lock-only"  # a workspace whose database is gone still has its lock
    lock_only.mkdir()
    (lock_only / "sftgui.lock").write_text("1\n")
    _refused(w, _model_export("--out", lock_only, "--force"), tmp_path)
    (tmp_path / "into-ws").symlink_to(w.ws)
    _refused(w, _data_export("--out", tmp_path / "into-ws" / "a.csv"), tmp_path)
    figures["output_paths_refused"] += 4


# -- existing things ------------------------------------------------------------------------
def test_an_existing_file_needs_force_and_force_replaces_only_a_regular_file(w, tmp_path, figures):
    out = tmp_path / "out"
    out.mkdir()
    csv_file = out / "s.csv"
    csv_file.write_text("mine\n")
    _refused(w, _data_export("--out", csv_file), out, "--force")
    assert w(*_data_export("--out", csv_file, "--force"))[0] == 0
    assert csv_file.read_text().startswith("row_id") or "text" in csv_file.read_text().splitlines()[0]
    zip_file = out / "m.zip"
    zip_file.write_bytes(b"old")
    _refused(w, _model_export("--out", zip_file, "--format", "zip"), out, "--force")
    assert w(*_model_export("--out", zip_file, "--format", "zip", "--force"))[0] == 0
    assert zip_file.read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in out.iterdir()) == ["m.zip", "s.csv"]  # no staging left
    figures["output_paths_refused"] += 2


def test_a_folder_where_a_file_goes_and_a_file_where_a_folder_goes(w, tmp_path, figures):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    _refused(w, _data_export("--out", folder, "--force"), tmp_path, "folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    _refused(w, _data_export("--out", empty, "--force"), tmp_path, "folder")
    plain = tmp_path / "plain-file"
    plain.write_text("mine")
    _refused(w, _model_export("--out", plain), tmp_path, "--force")
    figures["output_paths_refused"] += 3


def test_force_replaces_only_a_folder_sftgui_exported(w, tmp_path, figures):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("years of work")
    _refused(w, _model_export("--out", foreign), tmp_path, "--force")
    _refused(w, _model_export("--out", foreign, "--force"), tmp_path, "not a folder that sftgui exported")
    mine = tmp_path / "mine"
    assert w(*_model_export("--out", mine))[0] == 0
    _refused(w, _model_export("--out", mine), tmp_path, "--force")
    assert w(*_model_export("--out", mine, "--force"))[0] == 0  # its manifest says sftgui wrote it
    (mine / "notes.txt").write_text("added by hand")  # now it holds a file sftgui did not write
    _refused(w, _model_export("--out", mine, "--force"), tmp_path, "not a folder that sftgui exported")
    (mine / "notes.txt").unlink()
    (mine / "sub").mkdir()
    (mine / "sub" / "link").symlink_to("/etc/hostname")
    _refused(w, _model_export("--out", mine, "--force"), tmp_path, "not a folder that sftgui exported")
    (mine / "sub" / "link").unlink()
    (mine / "sub").rmdir()
    assert w(*_model_export("--out", mine, "--force"))[0] == 0
    (mine / "hidden").mkdir()  # an export folder cannot hide a workspace
    (mine / "hidden" / "sftgui.lock").write_text("1\n")
    _refused(w, _model_export("--out", mine, "--force"), tmp_path, "workspace")
    figures["output_paths_refused"] += 5


def test_links_devices_and_pipes_are_never_written(w, tmp_path, figures):
    target = tmp_path / "target.txt"
    target.write_text("the link's target")
    (tmp_path / "link.csv").symlink_to(target)
    _refused(w, _data_export("--out", tmp_path / "link.csv", "--force"), tmp_path, "link")
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    _refused(w, _data_export("--out", tmp_path / "dangling.csv"), tmp_path, "link")
    (tmp_path / "dir-link").symlink_to(tmp_path / "some-dir", target_is_directory=True)
    (tmp_path / "some-dir").mkdir()
    (tmp_path / "some-dir" / "x").write_text("x")
    _refused(w, _model_export("--out", tmp_path / "dir-link", "--force"), tmp_path, "link")
    os.mkfifo(tmp_path / "fifo.csv")
    _refused(w, _data_export("--out", tmp_path / "fifo.csv", "--force"), tmp_path, "device, pipe or socket")
    n = 4
    try:
        os.mknod(tmp_path / "node.zip", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pass
    else:  # a device node (here a copy of /dev/null) outside /dev
        _refused(w, _model_export("--out", tmp_path / "node.zip", "--format", "zip", "--force"), tmp_path, "device")
        _refused(w, _data_export("--out", tmp_path / "node.zip", "--force"), tmp_path, "device")
        assert stat.S_ISCHR((tmp_path / "node.zip").lstat().st_mode)
        n += 2
    _refused(w, _data_export("--out", "/dev/null", "--force"), tmp_path, "system folder")
    figures["output_paths_refused"] += n + 1


@pytest.mark.parametrize("out, words", [
    ("/proc/self/x.csv", "system folder"),
    ("/sys/x.csv", "system folder"),
    ("", "needs a path"),
    ("   ", "needs a path"),
    ("no/such/folder/x.csv", "does not exist"),
    ("x" * 300 + ".csv", "longer than"),
    ("/".join(["d"] * 3000) + "/x.csv", "too long"),
], ids=["proc", "sys", "empty", "blank", "missing-folder", "long-name", "long-path"])
def test_paths_that_cannot_be_written(w, tmp_path, monkeypatch, out, words, figures):
    monkeypatch.chdir(tmp_path)
    _refused(w, _data_export("--out", out), tmp_path, words)
    _refused(w, _model_export("--out", out), tmp_path)
    figures["output_paths_refused"] += 2


# -- staging ----------------------------------------------------------------------------------
def test_a_failed_write_leaves_no_staging_and_the_next_run_sweeps_a_killed_one(w, tmp_path, monkeypatch):
    from sftgui.core import outpath
    from sftgui.core.data import snapshots

    out = tmp_path / "exports"
    out.mkdir()
    real = snapshots.load_snapshot_table

    def fail_halfway(*a, **k):
        table = real(*a, **k)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(snapshots, "load_snapshot_table", fail_halfway)
    with pytest.raises(OSError):
        ws = open_workspace(w.ws, readonly=True)
        try:
            snapshots.export_snapshot_csv(ws, 1, out / "s.csv")
        finally:
            ws.close()
    monkeypatch.undo()
    assert list(out.iterdir()) == []

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = out / ".s.csv.abc123.partial"  # what a killed export leaves
    left.mkdir()
    (left / outpath.STAGING_OWNER).write_text(f"{dead.pid}\n")
    (left / "s.csv").write_text("half")
    alive = out / ".m.def456.partial"  # a running export's (our parent process is alive)
    alive.mkdir()
    (alive / outpath.STAGING_OWNER).write_text(f"{os.getppid()}\n")
    foreign = out / ".theirs.partial"  # not sftgui's: no owner file
    foreign.mkdir()
    assert w(*_data_export("--out", out / "s.csv"))[0] == 0
    assert sorted(p.name for p in out.iterdir()) == [".m.def456.partial", ".theirs.partial", "s.csv"]


def test_error_logs_never_go_through_a_link(tmp_path, monkeypatch, figures):
    """The error log's folder may not be a link (a workspace's logs/ must be its own), and the file is
    created new: a name planted in a shared temp folder is never written through."""
    import datetime as real_datetime

    from sftgui import errorlog

    target = tmp_path / "precious"
    target.mkdir()
    (tmp_path / "logs").symlink_to(target, target_is_directory=True)
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    path = errorlog.write_error_log([tmp_path / "logs", shared], "details", origin="test")
    assert path is not None and path.parent == shared and list(target.iterdir()) == []

    class Frozen(real_datetime.datetime):  # the log's name is then known in advance, as an attacker would guess it
        @classmethod
        def now(cls, tz=None):
            return cls(2030, 1, 1)

    monkeypatch.setattr(errorlog.datetime, "datetime", Frozen)
    name = f"sftgui-error-20300101-000000-000000-{os.getpid()}.log"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (shared / name).symlink_to(victim)
    assert errorlog.write_error_log([shared], "details", origin="test") is None
    assert victim.read_text() == "keep"
    figures["output_paths_refused"] += 2
