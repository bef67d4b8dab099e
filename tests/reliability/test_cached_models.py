"""A cached copy of a version (`cache/models/version-N/`, what training from a version loads) is
checked against the version's manifest every time it is used, and rebuilt when it differs: a damaged
copy can no longer become a degenerate version "from vN"."""

from __future__ import annotations

import json
import os

import pytest

from sftgui.core import versions
from sftgui.core.catalog import resolve_model
from sftgui.core.export import sha256_file
from sftgui.core.projects import create_project


@pytest.fixture
def v1(ws, tiny):
    model, tok = tiny
    create_project(ws, "tickets")
    return versions.register_version(ws, "tickets", model, tok, labels=["a", "b"], base_model="tiny")


def _flip(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


DAMAGE = {
    "flipped-weight-byte": lambda f: _flip(f / "model.safetensors"),
    "weights-zeroed": lambda f: (f / "model.safetensors").write_bytes(bytes((f / "model.safetensors").stat().st_size)),
    "config-changed": lambda f: (f / "config.json").write_text(json.dumps({"model_type": "bert", "num_labels": 9})),
    "file-deleted": lambda f: (f / "tokenizer_config.json").unlink(),
    "file-added": lambda f: (f / "extra.safetensors").write_bytes(b"x"),
    "complete-garbage": lambda f: (f / ".complete").write_text("not json"),
    "weights-replaced-by-link": lambda f: ((f / "model.safetensors").unlink(),
                                          (f / "model.safetensors").symlink_to("/etc/hostname")),
}


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_cached_copy_is_rebuilt_before_use(ws, v1, kind, figures):
    first = resolve_model(ws, "tickets@v1")
    folder = first.folder
    good = {p.name: sha256_file(p) for p in folder.iterdir() if p.name != ".complete"}
    manifest = versions.read_manifest(ws, v1)
    assert good["model.safetensors"] == manifest["safetensors"]["sha256"]
    DAMAGE[kind](folder)
    again = resolve_model(ws, "tickets@v1")
    assert again.folder == folder
    now = {p.name: sha256_file(p) for p in folder.iterdir() if p.name != ".complete"}
    assert now == good and not any(p.is_symlink() for p in folder.iterdir())
    figures["cached_copies_rebuilt"] += 1


def test_an_intact_copy_is_reused(ws, v1):
    folder = resolve_model(ws, "tickets@v1").folder
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    resolve_model(ws, "tickets@v1")
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp


def test_an_old_manifest_without_the_weights_hash_uses_the_recorded_one(ws, v1):
    """Manifests from before issue 9 lack `safetensors`: the hash written when the copy was built
    from the verified blobs stands in for it."""
    folder = resolve_model(ws, "tickets@v1").folder
    recorded = json.loads((folder / ".complete").read_text())["weights_sha256"]
    assert recorded == sha256_file(folder / "model.safetensors")
    real = versions.read_manifest

    def old_manifest(ws_, version):
        m = dict(real(ws_, version))
        m.pop("safetensors", None)
        return m

    import sftgui.core.versions as vmod

    vmod.read_manifest = old_manifest
    try:
        _flip(folder / "model.safetensors")
        resolve_model(ws, "tickets@v1")
        assert sha256_file(folder / "model.safetensors") == recorded
    finally:
        vmod.read_manifest = real
