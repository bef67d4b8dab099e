"""Register, load, materialize and resolve model versions with the tiny real BERT."""

from __future__ import annotations

import json

import pytest
import torch

from sftgui.core import versions, weights
from sftgui.errors import UserError
from tests.store.conftest import logits

LABELS = ["billing", "login"]


def _register(ws, project, model, tokenizer, **kw):
    kw.setdefault("labels", LABELS)
    kw.setdefault("base_model", "tiny-bert")
    return versions.register_version(ws, project, model, tokenizer, **kw)


def test_loaded_version_predicts_exactly_what_was_registered(ws, project, tiny):
    model, tok = tiny
    v1 = _register(ws, project, model, tok, metrics={"accuracy": 0.5})
    loaded, loaded_tok = versions.load_version(ws, v1)
    assert not loaded.training
    assert torch.equal(logits(model, tok), logits(loaded, loaded_tok))
    assert loaded.config.id2label == {0: "billing", 1: "login"}
    assert (v1.number, v1.weights_tensors, v1.aliases) == (1, len(model.state_dict()), ("production",))
    assert v1.weights_bytes == sum(t.numel() * t.element_size() for t in model.state_dict().values())


def test_bf16_weights_round_trip_exactly(ws, project, tiny):
    model, tok = tiny
    model = model.to(torch.bfloat16)
    v = _register(ws, project, model, tok)
    manifest = versions.read_manifest(ws, v)
    assert {t["dtype"] for t in manifest["tensors"].values()} == {"bfloat16"}
    loaded, _ = versions.load_version(ws, v)
    assert loaded.dtype == torch.bfloat16
    assert torch.equal(logits(model, tok), logits(loaded, tok))


def test_a_new_head_adds_only_the_heads_bytes(ws, project, tiny):
    model, tok = tiny
    v1 = _register(ws, project, model, tok)
    on_disk = sum(ws.blobs.size(d) for d in ws.blobs.iter_digests())
    with torch.no_grad():
        model.classifier.weight.add_(0.5)
        model.classifier.bias.add_(0.5)
    v2 = _register(ws, project, model, tok, parent_id=v1.id)
    head = model.classifier.weight.numel() * 4 + model.classifier.bias.numel() * 4
    assert v2.weights_new_bytes == head
    blob_growth = sum(ws.blobs.size(d) for d in ws.blobs.iter_digests()) - on_disk
    # blobs/ grew by the head's tensors plus v2's small manifest (the only other new blob)
    assert blob_growth == head + ws.blobs.size(v2.manifest_blob)
    assert v2.parent_number == 1 and v2.aliases == ()


def test_materialized_folder_is_a_standard_hf_model(ws, project, tiny, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model, tok = tiny
    v = _register(ws, project, model, tok)
    out = versions.materialize_version(ws, v, tmp_path / "hf")
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in out.iterdir()}
    config = json.loads((out / "config.json").read_text())
    assert config["label2id"] == {"billing": 0, "login": 1}
    hf = AutoModelForSequenceClassification.from_pretrained(out).eval()
    hf.load_state_dict({k: t.clone() for k, t in hf.state_dict().items()}, assign=True)
    assert torch.equal(logits(model, tok), logits(hf, AutoTokenizer.from_pretrained(out)))


def test_predictions_are_stored_and_read_back(ws, project, tiny):
    model, tok = tiny
    preds = {"labels": LABELS, "split": "test", "rows": [{"row_id": 7, "label": "login", "predicted": "login"}]}
    v = _register(ws, project, model, tok, predictions=preds)
    assert versions.read_predictions(ws, v) == preds
    bare = _register(ws, project, model, tok)
    assert versions.read_predictions(ws, bare) is None


def test_refs_resolve_and_bad_refs_say_what_exists(ws, project, tiny):
    model, tok = tiny
    v1 = _register(ws, project, model, tok)
    v2 = _register(ws, project, model, tok)
    assert versions.resolve_version(ws, "tickets@v2").id == v2.id
    assert versions.resolve_version(ws, "v1", project="tickets").id == v1.id
    assert versions.resolve_version(ws, "tickets@production").id == v1.id
    assert [v.number for v in versions.list_versions(ws, "tickets")] == [1, 2]
    assert versions.get_version(ws, v2.id).number == 2
    with pytest.raises(UserError, match="has no version v9 .it has v1, v2"):
        versions.resolve_version(ws, "tickets@v9")
    with pytest.raises(UserError, match="no project .nope.; the projects are: tickets"):
        versions.resolve_version(ws, "nope@v1")
    with pytest.raises(UserError, match="is not a version .like v2. or an alias"):
        versions.resolve_version(ws, "tickets@staging")
    with pytest.raises(UserError, match="Say which project"):
        versions.resolve_version(ws, "v1")


def _sha256(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_materialized_weights_are_what_safetensors_writes_and_their_hash_was_known(ws, project, tiny, tmp_path):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    model, tok = tiny
    v = _register(ws, project, model, tok)
    entry = versions.read_manifest(ws, v)["safetensors"]  # hashed at register time
    hashes = {}
    out = versions.materialize_version(ws, v, tmp_path / "hf", hashes=hashes)
    weights = out / "model.safetensors"
    assert hashes == {"model.safetensors": (entry["sha256"], entry["bytes"])}
    assert _sha256(weights) == entry["sha256"] and weights.stat().st_size == entry["bytes"]
    state = model.state_dict()
    loaded = load_file(weights)
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state)
    with safe_open(weights, "pt") as f:
        assert f.metadata() == {"format": "pt"}
    # byte for byte what safetensors' own writer makes of the same tensors
    save_file({k: t.contiguous() for k, t in state.items()}, str(tmp_path / "ref.safetensors"), metadata={"format": "pt"})
    assert weights.read_bytes() == (tmp_path / "ref.safetensors").read_bytes()


def test_a_version_without_the_weights_hash_still_materializes_with_the_right_hash(ws, project, tiny, tmp_path, monkeypatch):
    """Manifests from before the `safetensors` entry, or one whose layout no longer matches."""
    model, tok = tiny
    monkeypatch.setattr(weights, "weights_file_facts", lambda *a: (lambda: None))
    old = _register(ws, project, model, tok)
    monkeypatch.undo()
    assert "safetensors" not in versions.read_manifest(ws, old)
    hashes = {}
    out = versions.materialize_version(ws, old, tmp_path / "old", hashes=hashes)
    assert hashes["model.safetensors"][0] == _sha256(out / "model.safetensors")

    new = _register(ws, project, model, tok)
    manifest = versions.read_manifest(ws, new)
    manifest["safetensors"]["header_sha256"] = "0" * 64  # as if the layout had changed since
    layout = weights.safetensors_layout(manifest["tensors"])
    digest, size = weights.write_safetensors(ws, new, manifest, layout, tmp_path / "w.safetensors")
    assert digest == _sha256(tmp_path / "w.safetensors") and size == (tmp_path / "w.safetensors").stat().st_size


def test_bf16_weights_materialize_exactly(ws, project, tiny, tmp_path):
    from safetensors.torch import load_file

    model, tok = tiny
    model = model.to(torch.bfloat16)
    v = _register(ws, project, model, tok)
    out = versions.materialize_version(ws, v, tmp_path / "hf")
    loaded, state = load_file(out / "model.safetensors"), model.state_dict()
    assert all(loaded[k].dtype == torch.bfloat16 and torch.equal(loaded[k], state[k]) for k in state)
    assert _sha256(out / "model.safetensors") == versions.read_manifest(ws, v)["safetensors"]["sha256"]


def test_a_dtype_safetensors_cannot_name_goes_through_torch():
    assert weights.safetensors_layout({"x": {"dtype": "complex64", "shape": [2]}}) is None
    header, order = weights.safetensors_layout({"b": {"dtype": "int8", "shape": [3]}, "a": {"dtype": "float32", "shape": [2, 2]}})
    assert order == [("a", 16), ("b", 3)] and len(header) % 8 == 0


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_damaged_blob_stops_materializing_and_marks_the_version(ws, project, tiny, tmp_path, damage):
    import os
    import stat

    from sftgui.errors import DamagedBlob

    model, tok = tiny
    v = _register(ws, project, model, tok)
    blob = versions.read_manifest(ws, v)["tensors"]["bert.embeddings.word_embeddings.weight"]["blob"]
    path = ws.blobs.path(blob)
    if damage == "missing":
        ws.blobs.delete(blob)
    else:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        data = bytearray(path.read_bytes())
        data[100] ^= 1  # one flipped bit, same size
        path.write_bytes(bytes(data))
    with pytest.raises(DamagedBlob, match=blob[:12]):
        versions.materialize_version(ws, v, tmp_path / "hf")
    assert damage in versions.get_version(ws, v.id).damaged


def test_materializing_without_map_populate(ws, project, tiny, tmp_path, monkeypatch):
    """Where mmap has no MAP_POPULATE (not Linux), blobs are mapped the portable way."""
    import mmap

    model, tok = tiny
    v = _register(ws, project, model, tok)
    monkeypatch.delattr(mmap, "MAP_POPULATE", raising=False)
    hashes = {}
    out = versions.materialize_version(ws, v, tmp_path / "hf", hashes=hashes)
    assert hashes["model.safetensors"][0] == _sha256(out / "model.safetensors")
