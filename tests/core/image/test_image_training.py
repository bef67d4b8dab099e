"""Training a tiny ResNet on pictures, and everything after it through the task: the version's
config records the augmentation, predictions, compare, and exports that predict the same in a
plain `pipeline("image-classification")` and under onnxruntime; then the same path on the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sftgui.config import TrainConfig
from sftgui.core.data.importers import import_file
from sftgui.core.training import engine
from sftgui.errors import UserError

AUG = {"flip": True, "rotation": 15.0, "crop": 0.8, "scale": 0.1, "jitter": 0.2, "noise": 0.02}


def _config(project, model_dir, **kw):
    return TrainConfig.from_preset("quick", task="image-classification", project=project.name,
                                   model=str(model_dir), epochs=2, batch_size=8, seed=3, **kw)


def test_augmentation_is_reproducible_by_seed_and_checked():
    from sftgui.core.tasks.image_classification.augment import Augmenter, check, parse
    from tests.core.image.conftest import picture

    im = picture(size=(48, 48))
    a = [np.asarray(Augmenter(AUG, 5)(im.copy())) for _ in range(1)] + [np.asarray(x) for x in
                                                                      _draws(Augmenter(AUG, 5), im, 3)]
    b = [np.asarray(Augmenter(AUG, 5)(im.copy()))] + [np.asarray(x) for x in _draws(Augmenter(AUG, 5), im, 3)]
    c = [np.asarray(x) for x in _draws(Augmenter(AUG, 6), im, 4)]
    assert all((x == y).all() for x, y in zip(a, b))
    assert any((x != y).any() for x, y in zip(a, c)) and any((x != np.asarray(im)).any() for x in a)
    assert parse("flip,rotation=15,noise=0.05") == {"flip": True, "rotation": 15.0, "noise": 0.05}
    with pytest.raises(UserError, match="between"):
        check({"rotation": 500})
    with pytest.raises(UserError, match="Unknown augmentation"):
        parse("sepia")


def _draws(aug, im, n):
    return [aug(im.copy()) for _ in range(n)]


def test_train_predict_compare_and_exports_agree(ws, pics, shapes_dir, tiny_image_model_dir, tmp_path):
    import onnxruntime as ort
    from transformers import pipeline

    from sftgui.core.compare import compare_versions
    from sftgui.core.export import export_version
    from sftgui.core.predict import predict_texts

    import_file(ws, pics, shapes_dir)
    first = engine.run(_config(pics, tiny_image_model_dir), ws=ws)
    assert first.status == "completed", first.error
    v1 = first.version
    assert v1.config["augmentation"] == {} and v1.config["freeze"] == "all-but-head"
    second = engine.run(_config(pics, tiny_image_model_dir, augmentation=AUG, freeze="none"), ws=ws)
    assert second.status == "completed", second.error
    v2 = second.version
    assert v2.config["augmentation"] == AUG  # recorded in the version's config
    assert 0.0 <= v2.metrics["accuracy"] <= 1.0 and "per_class" in v2.metrics["test"]

    photo = str(next((shapes_dir / "star").iterdir()))
    ours = predict_texts(ws, v2, [photo])[0]
    assert set(ours["scores"]) == {"circle", "square", "star", "triangle"}

    cmp = compare_versions(ws, [v1, v2])
    diff = next(iter(cmp["prediction_diffs"].values()))
    assert diff["compared"] == sum(diff[k] for k in ("fixed", "broken", "still_wrong", "both_right")) > 0

    out = export_version(ws, v2, tmp_path / "hf", fmt="hf")
    classify = pipeline("image-classification", model=str(out), device="cpu")
    theirs = {r["label"]: r["score"] for r in classify(photo, top_k=4)}
    assert theirs.keys() == ours["scores"].keys()
    assert max(abs(theirs[k] - ours["scores"][k]) for k in theirs) < 1e-5

    onnx_dir = export_version(ws, v2, tmp_path / "onnx", fmt="onnx")
    import torch
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    from PIL import Image

    processor = AutoImageProcessor.from_pretrained(str(onnx_dir))
    pics_in = [Image.open(p).convert("RGB") for p in sorted((shapes_dir / "circle").iterdir())[:3]]
    pixels = processor(images=pics_in, return_tensors="np")["pixel_values"].astype(np.float32)
    onnx_logits = ort.InferenceSession(str(onnx_dir / "model.onnx")).run(None, {"pixel_values": pixels})[0]
    model = AutoModelForImageClassification.from_pretrained(str(out)).eval()
    with torch.no_grad():
        torch_logits = model(pixel_values=torch.from_numpy(pixels)).logits.numpy()
    assert np.abs(onnx_logits - torch_logits).max() < 1e-4
    assert "image-classification" in (onnx_dir / "README.md").read_text()
    zipped = export_version(ws, v2, tmp_path / "model", fmt="zip")
    assert zipped.suffix == ".zip" and zipped.stat().st_size > 0


def test_lora_and_text_models_are_refused_before_a_run(ws, pics, shapes_dir, tiny_model_dir, tiny_image_model_dir):
    from sftgui.store import runs_repo

    import_file(ws, pics, shapes_dir)
    with pytest.raises(UserError, match="LoRA"):
        engine.run(_config(pics, tiny_image_model_dir, lora=True), ws=ws)
    with pytest.raises(UserError, match="not an image model"):
        engine.run(_config(pics, tiny_model_dir), ws=ws)
    assert runs_repo.list_runs(pics.id) == []


def test_cli_path_from_folder_to_export(tmp_path, shapes_dir, tiny_image_model_dir, capsys):
    from sftgui.cli import main

    def sftgui(*args):
        return main(["--workspace", str(tmp_path / "ws"), *args])

    assert sftgui("project", "create", "pics", "--task", "image-classification") == 0
    assert sftgui("data", "import", str(shapes_dir), "--project", "pics") == 0
    model = ["--model", str(tiny_image_model_dir), "--epochs", "1", "--batch-size", "8"]
    assert sftgui("train", "--project", "pics", *model) == 0
    assert sftgui("train", "--project", "pics", *model, "--augment", "flip,rotation=10") == 0
    capsys.readouterr()
    photo = str(next((shapes_dir / "square").iterdir()))
    assert sftgui("predict", "pics@v2", photo, "--json") == 0
    said = json.loads(capsys.readouterr().out)
    assert said[0]["text"] == photo and len(said[0]["scores"]) == 4
    assert sftgui("compare", "pics@v1", "pics@v2", "--json") == 0
    cmp = json.loads(capsys.readouterr().out)
    assert {"fixed", "broken", "still_wrong", "both_right"} <= set(cmp["prediction_diff"])
    assert sftgui("versions", "show", "pics@v2", "--json") == 0
    assert json.loads(capsys.readouterr().out)["config"]["augmentation"] == {"flip": True, "rotation": 10.0}
    assert sftgui("export", "pics@v2", "--out", str(tmp_path / "out"), "--format", "onnx") == 0
    assert (tmp_path / "out" / "model.onnx").is_file()
    assert sftgui("train", "--project", "pics", *model, "--augment", "sepia") == 2
