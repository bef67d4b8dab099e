"""Exports load with plain transformers / onnxruntime and predict what sftgui predicts."""

from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pytest

from sftgui.errors import UserError


def _onnx_logits(folder, texts):
    import onnxruntime as ort
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    enc = tok(texts, padding=True, truncation=True, return_tensors="np")
    return session.run(None, {i.name: enc[i.name].astype(np.int64) for i in session.get_inputs()})[0]


def _torch_logits(folder, texts):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    with torch.inference_mode():
        return model(**tok(texts, padding=True, truncation=True, return_tensors="pt")).logits.numpy()


def test_hf_folder_loads_in_a_plain_pipeline_and_predicts_like_sftgui(ws, version, tmp_path):
    from transformers import pipeline

    from sftgui.core.evaluation import evaluate_version
    from sftgui.core.export import export_version, verify_manifest

    seen = []
    out = export_version(ws, version, tmp_path / "model", progress=lambda f, m: seen.append(f))
    assert (out / "model.safetensors").is_file() and (out / "README.md").is_file()
    assert verify_manifest(out) == []
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {str(i): x for i, x in enumerate(version.labels)}

    result = evaluate_version(ws, version)  # the whole test split
    classify = pipeline("text-classification", model=str(out), device="cpu")
    answers = classify([r["text"] for r in result["rows"]], top_k=None)
    for row, answer in zip(result["rows"], answers):
        assert answer[0]["label"] == row["predicted"]
        scores = {a["label"]: a["score"] for a in answer}
        np.testing.assert_allclose([scores[x] for x in version.labels], row["probs"], atol=1e-5)


def test_model_card_and_manifest_describe_the_version(ws, version, tmp_path):
    from sftgui import __version__
    from sftgui.core.data.snapshots import get_snapshot
    from sftgui.core.evaluation import evaluate_version
    from sftgui.core.export import MANIFEST, export_version, sha256_file

    out = export_version(ws, version, tmp_path / "model")
    card = (out / "README.md").read_text()
    snap = get_snapshot(ws, version.snapshot_id)
    metrics = evaluate_version(ws, version)["metrics"]
    for needle in (
        "base_model: \"tiny-bert\"",
        snap.hash,
        f"{snap.rows} rows",
        "| learning_rate | 0.01 |",
        f"| Accuracy | {100 * metrics['accuracy']:.1f}% |",
        "Confusion matrix",
        "tiny-bert -> tickets@v1",
        f"sftgui {__version__}",
        "Intended use and limitations",
    ):
        assert needle in card, needle
    for label, count in snap.label_counts.items():
        assert f"| {label} | {count} |" in card
    manifest = json.loads((out / MANIFEST).read_text())
    files = {p.name for p in out.iterdir()} - {MANIFEST}
    assert set(manifest["files"]) == files
    assert all(manifest["files"][n]["sha256"] == sha256_file(out / n) for n in files)


def test_manifest_catches_a_changed_file(ws, version, tmp_path):
    from sftgui.core.export import export_version, verify_manifest

    out = export_version(ws, version, tmp_path / "model")
    (out / "config.json").write_text("{}")
    (out / "extra.txt").write_text("x")
    assert verify_manifest(out) == ["unlisted extra.txt", "changed config.json"]


def test_zip_is_the_same_folder_in_one_archive(ws, version, tmp_path):
    from sftgui.core.export import export_version, verify_manifest

    folder = export_version(ws, version, tmp_path / "folder")
    archive = export_version(ws, version, tmp_path / "model", fmt="zip")
    assert archive == tmp_path / "model.zip"
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None
        zf.extractall(tmp_path / "unzipped")
    unzipped = tmp_path / "unzipped" / "model"
    assert verify_manifest(unzipped) == []
    assert sorted(p.name for p in unzipped.iterdir()) == sorted(p.name for p in folder.iterdir())
    assert (unzipped / "model.safetensors").read_bytes() == (folder / "model.safetensors").read_bytes()


def test_onnx_logits_match_pytorch(ws, version, tmp_path):
    from sftgui.core.export import export_version, verify_manifest
    from tests.core.evaluation.keywords import make_rows

    ref = export_version(ws, version, tmp_path / "hf")
    out = export_version(ws, version, tmp_path / "onnx", fmt="onnx")
    assert (out / "model.onnx").is_file() and not (out / "model.safetensors").exists()
    assert verify_manifest(out) == [] and "onnxruntime" in (out / "README.md").read_text()
    texts = [r["text"] for r in make_rows(23, seed=5)]
    # other batch sizes and lengths than the export's sample: the axes are dynamic
    for batch in (texts, texts[:1], [texts[3] + " " + texts[4] * 3]):
        onnx_logits, torch_logits = _onnx_logits(out, batch), _torch_logits(ref, batch)
        assert onnx_logits.shape == torch_logits.shape
        np.testing.assert_allclose(onnx_logits, torch_logits, atol=1e-4)


def test_never_overwrites_without_force_and_leaves_no_temp_files(ws, version, tmp_path):
    from sftgui.core.export import export_version

    base = tmp_path / "exports"
    dest = base / "model"
    dest.mkdir(parents=True)
    (dest / "mine.txt").write_text("keep me")
    with pytest.raises(UserError, match="--force"):
        export_version(ws, version, dest)
    with pytest.raises(UserError, match="not a folder that sftgui exported"):
        export_version(ws, version, dest, force=True)  # --force replaces only an export of sftgui's
    assert [p.name for p in dest.iterdir()] == ["mine.txt"]
    (dest / "mine.txt").unlink()
    export_version(ws, version, dest)
    out = export_version(ws, version, dest, force=True)
    assert (out / "model.safetensors").is_file()
    assert sorted(p.name for p in base.iterdir()) == ["model"]
    (base / "empty").mkdir()
    assert (export_version(ws, version, base / "empty") / "README.md").is_file()
    with pytest.raises(UserError, match="format"):
        export_version(ws, version, tmp_path / "x", fmt="tar")
    with pytest.raises(UserError, match="does not exist"):
        export_version(ws, version, tmp_path / "no" / "such" / "dir")


def test_a_failed_export_leaves_nothing_behind(tmp_path, trained_dir):
    from sftgui.core.export import build_export

    def half_then_fail(folder):
        shutil.copy(trained_dir / "config.json", folder)
        raise OSError("disk full")

    with pytest.raises(OSError):
        build_export(half_then_fail, tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_bundled_model_onnx_export_matches_pytorch(tmp_path):
    """The real 22.7M-parameter model (with a fresh 3-label head) through the same export path."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.core.export import build_export
    from sftgui.paths import bundled_model_dir

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(bundled_model_dir(), num_labels=3)
    tokenizer = AutoTokenizer.from_pretrained(bundled_model_dir())

    def fill(folder):
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)

    out = build_export(fill, tmp_path / "onnx", fmt="onnx", facts={"name": "bundled", "base_model": "bundled"})
    texts = ["My card was charged twice.", "I cannot log in after the password reset, please help me.", "Where is it?"]
    ref = tmp_path / "hf"
    fill(ref)
    np.testing.assert_allclose(_onnx_logits(out, texts), _torch_logits(ref, texts), atol=1e-4)


def test_a_damaged_blob_stops_the_export_and_leaves_nothing(ws, version, tmp_path):
    import os
    import stat

    from sftgui.core import versions
    from sftgui.core.export import export_version
    from sftgui.errors import DamagedBlob

    blob = versions.read_manifest(ws, version)["tensors"]["classifier.weight"]["blob"]
    path = ws.blobs.path(blob)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    out = tmp_path / "exports" / "model"
    out.parent.mkdir()
    with pytest.raises(DamagedBlob, match=blob[:12]):
        export_version(ws, version, out)
    assert list(out.parent.iterdir()) == []  # no export, no staging folder
    assert "classifier.weight" in versions.get_version(ws, version.id).damaged
