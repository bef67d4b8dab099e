"""Links planted in a workspace are never followed: blobs/, blobs/tmp, blobs/sha256/ab/, cache/,
logs/, the lock file, the database and single blobs. Opening refuses with one sentence (exit 2),
nothing outside the workspace changes, and `verify` reports the links it finds."""

from __future__ import annotations

import os
import shutil
import stat

import pytest

from sftgui.core import versions
from sftgui.core.projects import create_project
from sftgui.errors import DamagedBlob, WorkspaceError
from sftgui.store.db import open_workspace
from tests.reliability.checks import tree_state


@pytest.fixture
def outside(tmp_path):
    """A folder outside the workspace with files a followed link would destroy."""
    d = tmp_path / "precious"
    d.mkdir()
    for i in range(3):
        (d / f"file-{i}.txt").write_text(f"keep {i}")
    (d / "sub").mkdir()
    (d / "sub" / "deep.txt").write_text("keep deep")
    return d


@pytest.fixture
def one(cli, tiny):
    model, tok = tiny
    ws = open_workspace(cli.ws)
    create_project(ws, "tickets")
    v = versions.register_version(ws, "tickets", model, tok, labels=["a", "b"], base_model="tiny")
    head = versions.read_manifest(ws, v)["tensors"]["classifier.weight"]["blob"]
    ws.close()
    cli.head = head
    return cli


def _swap_for_link(path, target):
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    path.symlink_to(target, target_is_directory=target.is_dir())


@pytest.mark.parametrize("where", ["blobs/tmp", "blobs", "cache", "logs", "blobs/sha256"])
def test_a_linked_workspace_folder_is_refused_and_its_target_untouched(one, outside, where, figures):
    before = tree_state(outside)
    _swap_for_link(one.ws / where, outside)
    for argv in (("gc",), ("verify",), ("project", "create", "x")):
        code, out, err = one(*argv)
        assert code == 2, (argv, code, out, err)
        assert "is a link" in err and "Remove the link" in err and len(err.strip().splitlines()) == 1, err
    assert tree_state(outside) == before
    figures["workspace_links_refused"] += 1


def test_a_linked_lock_file_is_never_truncated(one, outside, figures):
    target = outside / "file-0.txt"
    before = tree_state(outside)
    (one.ws / "sftgui.lock").unlink(missing_ok=True)
    (one.ws / "sftgui.lock").symlink_to(target)
    code, out, err = one("project", "create", "x")
    assert code == 2 and "sftgui.lock" in err and "is a link" in err, err
    assert tree_state(outside) == before
    (one.ws / "sftgui.lock").unlink()
    (one.ws / "sftgui.lock").symlink_to(outside / "nowhere")  # dangling: would be created there
    assert one("project", "create", "x")[0] == 2
    assert not (outside / "nowhere").exists()
    figures["workspace_links_refused"] += 2


def test_a_lock_file_that_is_a_folder(one, figures):
    (one.ws / "sftgui.lock").unlink(missing_ok=True)
    (one.ws / "sftgui.lock").mkdir()
    code, out, err = one("project", "create", "x")
    assert code == 2 and "is a folder" in err and "Traceback" not in err, err
    figures["workspace_links_refused"] += 1


def test_a_linked_database_is_refused(one, tmp_path, figures):
    real = tmp_path / "elsewhere.db"
    shutil.move(one.ws / "sftgui.db", real)
    (one.ws / "sftgui.db").symlink_to(real)
    code, out, err = one("project", "create", "x")
    assert code == 2 and "sftgui.db" in err and "is a link" in err, err
    figures["workspace_links_refused"] += 1


def test_a_planted_blob_link_is_not_followed_chmodded_or_deleted(one, outside, figures):
    target = outside / "file-1.txt"
    os.chmod(target, 0o644)
    before = tree_state(outside)
    blob_dir = one.ws / "blobs" / "sha256" / "ff"
    blob_dir.mkdir(exist_ok=True)
    orphan = blob_dir / ("f" * 62)
    orphan.symlink_to(target)  # a linked "orphan": gc used to chmod its target
    head = one.ws / "blobs" / "sha256" / one.head[:2] / one.head[2:]
    os.chmod(head, 0o644)
    head.unlink()
    head.symlink_to(outside / "file-2.txt")  # a referenced blob replaced by a link
    code, out, err = one("verify", "--json")
    import json

    report = json.loads(out)
    assert code == 1 and not report["ok"]
    assert f"sha256/ff/{'f' * 62}" in report["links"] and f"sha256/{one.head[:2]}/{one.head[2:]}" in report["links"]
    assert any(m["blob"] == one.head for m in report["missing"])
    assert one("gc")[0] == 0
    assert orphan.is_symlink() and tree_state(outside) == before  # not chmodded, not followed
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    code, out, err = one("predict", "tickets@v1", "hello")
    assert code == 2 and "link" in err, err
    figures["workspace_links_refused"] += 2


def test_a_linked_blob_folder_is_not_written_through(ws, tiny, outside):
    model, tok = tiny
    create_project(ws, "tickets")
    v = versions.register_version(ws, "tickets", model, tok, labels=["a", "b"], base_model="tiny")
    digest = versions.read_manifest(ws, v)["tensors"]["classifier.weight"]["blob"]
    folder = ws.blobs.path(digest).parent
    for p in folder.iterdir():
        os.chmod(p, 0o644)
    shutil.rmtree(folder)
    folder.symlink_to(outside, target_is_directory=True)
    before = tree_state(outside)
    with pytest.raises(DamagedBlob, match="link"):
        ws.blobs.get_bytes(digest)
    assert ws.blobs.check(digest) in ("link", "missing")
    with pytest.raises(WorkspaceError, match="is a link"):  # placing a blob there would land in the target
        ws.blobs._place(_tmp_file(ws), digest)
    assert tree_state(outside) == before


def _tmp_file(ws):
    p = ws.blobs.tmp / "put-test"
    p.write_bytes(b"x")
    return p


def test_a_linked_cache_model_folder_and_run_log(one, outside, figures):
    (one.ws / "cache" / "models").mkdir(exist_ok=True)
    shutil.rmtree(one.ws / "cache" / "models")
    (one.ws / "cache" / "models").symlink_to(outside, target_is_directory=True)
    before = tree_state(outside)
    ws = open_workspace(one.ws)
    try:
        from sftgui.core.catalog import resolve_model

        with pytest.raises(WorkspaceError, match="is a link"):
            resolve_model(ws, "tickets@v1")
    finally:
        ws.close()
    assert tree_state(outside) == before
    figures["workspace_links_refused"] += 1
