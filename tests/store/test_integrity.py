"""verify and gc on a real workspace: flipped bytes, missing blobs, orphans, the grace period."""

from __future__ import annotations

import os
import stat

import pytest
import torch

from sftgui.core import versions
from sftgui.errors import DamagedBlob, UserError


def _flip_a_byte(path):
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def two(ws, project, tiny):
    model, tok = tiny
    v1 = versions.register_version(ws, project, model, tok, labels=["a", "b"], base_model="tiny")
    with torch.no_grad():
        model.classifier.weight.mul_(2)
    v2 = versions.register_version(ws, project, model, tok, labels=["a", "b"], base_model="tiny", parent_id=v1.id)
    return v1, v2


def _head_blob(ws, version):
    return versions.read_manifest(ws, version)["tensors"]["classifier.weight"]["blob"]


def test_a_clean_workspace_verifies(ws, two):
    report = versions.verify(ws)
    assert report["ok"] and report["missing"] == [] and report["corrupt"] == [] and report["orphans"] == 0
    assert report["blobs_checked"] == len(list(ws.blobs.iter_digests())) > 0


def test_a_flipped_byte_is_found_by_verify_and_by_loading(ws, two):
    v1, v2 = two
    digest = _head_blob(ws, v1)
    _flip_a_byte(ws.blobs.path(digest))
    report = versions.verify(ws)
    assert not report["ok"]
    assert report["corrupt"] == [{"blob": digest, "used_by": ["tickets@v1 tensor classifier.weight"]}]
    assert report["damaged_versions"] == ["tickets@v1"]
    assert "classifier.weight" in versions.resolve_version(ws, "tickets@v1").damaged
    assert versions.resolve_version(ws, "tickets@v2").damaged is None
    with pytest.raises(DamagedBlob, match=f"{digest[:12]} is damaged"):
        versions.load_version(ws, v1)
    versions.load_version(ws, v2)  # the other version shares the rest and still loads


def test_rollback_to_a_damaged_version_is_refused_with_the_reason(ws, two):
    v1, v2 = two
    versions.set_alias(ws, "tickets", "production", "v2")
    ws.blobs.delete(_head_blob(ws, v1))
    with pytest.raises(UserError, match=r"tickets@v1 cannot become 'production': its tensor classifier.weight .* is missing"):
        versions.rollback(ws, "tickets", "v1", reason="try the old one")
    assert versions.resolve_version(ws, "tickets@production").number == 2
    assert versions.resolve_version(ws, "tickets@v1").damaged
    report = versions.verify(ws)
    assert [m["blob"] for m in report["missing"]] == [_head_blob(ws, v1)]


def test_verify_clears_the_mark_once_the_blob_is_back(ws, two):
    v1, _ = two
    path = ws.blobs.path(_head_blob(ws, v1))
    good = path.read_bytes()
    _flip_a_byte(path)
    versions.verify(ws)
    path.write_bytes(good)
    assert versions.verify(ws)["ok"]
    assert versions.resolve_version(ws, "tickets@v1").damaged is None


def _age(ws, digest, seconds):
    path = ws.blobs.path(digest)
    t = path.stat().st_mtime - seconds
    os.utime(path, (t, t))


def test_gc_removes_only_old_unreferenced_blobs(ws, two):
    old_orphan = ws.blobs.put_bytes(b"left behind by a crash")
    new_orphan = ws.blobs.put_bytes(b"a register still writing")
    _age(ws, old_orphan, 3600)
    for digest in ws.blobs.iter_digests():  # referenced blobs may be old too
        if digest != new_orphan:
            _age(ws, digest, 3600)
    assert versions.verify(ws)["orphans"] == 2

    dry = versions.gc(ws, dry_run=True)
    assert (dry["removed"], dry["kept_recent"], dry["blobs"]) == (1, 1, [old_orphan])
    assert ws.blobs.has(old_orphan)

    done = versions.gc(ws)
    assert done["removed"] == 1 and done["bytes"] == len(b"left behind by a crash")
    assert not ws.blobs.has(old_orphan) and ws.blobs.has(new_orphan)
    assert versions.verify(ws)["ok"]
    for v in versions.list_versions(ws, "tickets"):
        versions.load_version(ws, v)


def test_a_reused_blob_looks_new_to_gc(ws, two):
    # register found this tensor already stored: it must not be old enough to collect meanwhile
    digest = ws.blobs.put_bytes(b"shared tensor")
    _age(ws, digest, 3600)
    again, added = ws.blobs.add_bytes(b"shared tensor")
    assert (again, added) == (digest, False)
    assert versions.gc(ws, dry_run=True)["removed"] == 0


def test_gc_refuses_when_a_manifest_is_unreadable(ws, two):
    v1, _ = two
    _flip_a_byte(ws.blobs.path(v1.manifest_blob))
    with pytest.raises(UserError, match="manifest of tickets@v1 cannot be read"):
        versions.gc(ws, grace_s=0)


def test_a_failed_load_marks_the_version_and_rollback_then_refuses_without_rehashing(ws, two):
    v1, v2 = two
    versions.set_alias(ws, "tickets", "production", "v2")
    digest = _head_blob(ws, v1)
    _flip_a_byte(ws.blobs.path(digest))
    with pytest.raises(DamagedBlob):
        versions.load_version(ws, v1)
    assert "classifier.weight" in versions.resolve_version(ws, "tickets@v1").damaged
    with pytest.raises(UserError, match=r"tickets@v1 cannot become 'production': its tensor classifier.weight .* is corrupt"):
        versions.rollback(ws, "tickets", "v1")
    assert versions.resolve_version(ws, "tickets@production").number == 2
