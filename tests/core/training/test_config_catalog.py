"""TrainConfig (JSON, presets, plain refusals) and the model catalog (sources, safety rules)."""

from __future__ import annotations

import json
import shutil

import pytest

from sftgui.config import SCHEMA_VERSION, TrainConfig
from sftgui.core import catalog
from sftgui.errors import UserError


def test_presets_fill_in_settings_and_round_trip_through_json():
    quick, thorough = TrainConfig.from_preset("quick", project="p"), TrainConfig.from_preset("Thorough", project="p")
    assert quick.epochs < thorough.epochs and thorough.early_stopping
    assert quick.max_length == thorough.max_length == 0  # automatic: chosen from the data at start
    tuned = TrainConfig.from_preset("balanced", project="p", epochs=7, freeze="2", learning_rate=None)
    assert tuned.epochs == 7 and tuned.freeze_layers == 2 and tuned.learning_rate == 5e-5
    text = tuned.to_json()
    assert json.loads(text)["schema_version"] == SCHEMA_VERSION
    assert TrainConfig.from_json(text) == tuned


@pytest.mark.parametrize("change, words", [
    ({"learning_rate": 3}, "learning rate"),
    ({"freeze": "sideways"}, "Freeze must be"),
    ({"scheduler": "zigzag"}, "Unknown scheduler"),
    ({"schema_version": SCHEMA_VERSION + 1}, "newer sftgui"),
    ({"colour": "red"}, "Unknown training setting"),
])
def test_bad_settings_are_refused_with_a_sentence(change, words):
    with pytest.raises(UserError, match=words):
        TrainConfig.from_dict({**TrainConfig(project="p").to_dict(), **change})
    with pytest.raises(UserError, match="no preset"):
        TrainConfig.from_preset("turbo")


def test_the_bundled_model_resolves_and_is_listed(ws):
    source = catalog.resolve_model(ws, "bundled")
    assert source.kind == "bundled" and (source.folder / "model.safetensors").is_file()
    bundled = catalog.list_models(ws)[0]
    assert bundled.kind == "bundled" and bundled.problem is None
    assert 22_000_000 < bundled.parameters < 23_500_000  # all-MiniLM-L6-v2 has 22.7M
    assert bundled.license == "apache-2.0" and bundled.size_bytes > 90_000_000


def test_unsafe_folders_are_refused_with_the_reason(ws, tmp_path, tiny_model_dir):
    pickled = tmp_path / "pickled"
    shutil.copytree(tiny_model_dir, pickled)
    (pickled / "model.safetensors").rename(pickled / "pytorch_model.bin")
    with pytest.raises(UserError, match="only has pickle weights"):
        catalog.resolve_model(ws, str(pickled))
    custom = tmp_path / "custom"
    shutil.copytree(tiny_model_dir, custom)
    config = json.loads((custom / "config.json").read_text())
    (custom / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoModel": "x.Model"}}))
    with pytest.raises(UserError, match="its own Python code"):
        catalog.resolve_model(ws, str(custom))


def test_added_folders_are_remembered_and_listed(ws, tiny_model_dir):
    catalog.add_model_folder(ws, tiny_model_dir)
    catalog.add_model_folder(ws, tiny_model_dir)  # once only
    folders = [m for m in catalog.list_models(ws) if m.kind == "folder"]
    assert len(folders) == 1 and folders[0].path == str(tiny_model_dir.resolve())
    from safetensors.torch import load_file

    weights = load_file(str(tiny_model_dir / "model.safetensors"))
    assert folders[0].parameters == sum(t.numel() for t in weights.values())


def test_an_unknown_hub_id_offline_is_one_plain_sentence(ws, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match="You are offline and someone/not-cached is not in the Hugging Face cache"):
        catalog.resolve_model(ws, "someone/not-cached")
