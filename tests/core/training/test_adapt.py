"""What learns: frozen parts stay bitwise equal, LoRA merges into plain weights, early stopping."""

from __future__ import annotations

import torch

from sftgui.core import events as ev
from sftgui.core.training import engine
from tests.core.training.conftest import Recorder, tiny_config


def _base_state(model_dir):
    from safetensors.torch import load_file

    return load_file(str(model_dir / "model.safetensors"))


def test_frozen_tensors_are_bitwise_unchanged(ws, tiny_project, tiny_model_dir):
    from sftgui.core.versions import load_state_dict

    project, snapshot = tiny_project
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, freeze="1", epochs=2), Recorder())
    assert result.status == "completed", result.error
    before, after = _base_state(tiny_model_dir), load_state_dict(ws, result.version)
    frozen = [k for k in before if k.startswith(("bert.embeddings.", "bert.encoder.layer.0."))]
    learning = [k for k in before if k.startswith("bert.encoder.layer.1.")]
    assert frozen and learning
    assert all(torch.equal(before[k], after[k]) for k in frozen)
    assert not all(torch.equal(before[k], after[k]) for k in learning)


def test_all_but_head_trains_only_the_head(ws, tiny_project, tiny_model_dir):
    from sftgui.core.versions import load_state_dict

    project, snapshot = tiny_project
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, freeze="all-but-head", epochs=1), Recorder())
    before, after = _base_state(tiny_model_dir), load_state_dict(ws, result.version)
    body = [k for k in before if k.startswith(("bert.embeddings.", "bert.encoder."))]
    assert all(torch.equal(before[k], after[k]) for k in body)
    assert after["classifier.weight"].shape == (4, 16)


def test_lora_is_merged_into_plain_weights(ws, tiny_project, tiny_model_dir):
    from sftgui.core.versions import load_state_dict, load_version

    project, snapshot = tiny_project
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, lora=True, lora_r=4, epochs=2), Recorder())
    assert result.status == "completed", result.error
    before, after = _base_state(tiny_model_dir), load_state_dict(ws, result.version)
    assert not any("lora" in k for k in after)
    assert set(after) == set(before)  # the same tensors as a plain model of this architecture
    q = "bert.encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(before[q], after[q])  # the adapter was folded into the weight
    assert torch.equal(before["bert.embeddings.word_embeddings.weight"], after["bert.embeddings.word_embeddings.weight"])
    model, _ = load_version(ws, result.version)
    assert type(model).__name__ == "BertForSequenceClassification"


def test_early_stopping_ends_before_the_last_epoch(ws, tiny_project, tiny_model_dir):
    project, snapshot = tiny_project
    rec = Recorder()
    # No improvement counts unless it beats the best by a whole point of loss: stops after 1+1 evaluations.
    config = tiny_config(project, snapshot, tiny_model_dir, epochs=10, early_stopping=True,
                         early_stopping_metric="loss", early_stopping_patience=1, early_stopping_threshold=1.0)
    result = engine.run(config, rec)
    assert result.status == "completed", result.error
    total = rec.of(ev.Started)[0].total_steps
    during_training = [e for e in rec.of(ev.Evaluated)][:-1]  # the last one measures the best model
    assert len(during_training) == 2
    assert result.metrics["training"]["steps"] == 20 < total
