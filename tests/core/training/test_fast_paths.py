"""The CPU fast paths: length-grouped batches in a random order, and dropout with a cheaper mask."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sftgui.core import events as ev
from sftgui.core.training import engine
from sftgui.core.training.fast_dropout import (
    ATTENTION,
    FastDropout,
    keep_mask,
    math_attention,
    restore_attention,
    use_fast_dropout,
)
from sftgui.core.training.sampling import ShuffledLengthBatches

from .conftest import Recorder, tiny_config


# -- sampler ----------------------------------------------------------------------------------
def _lengths(n=530, seed=0):
    rng = np.random.default_rng(seed)
    return [int(x) for x in rng.integers(5, 300, size=n)]


def _padded_tokens(lengths, batches):
    return sum(max(lengths[i] for i in b) * len(b) for b in batches)


def test_grouped_batches_cover_every_row_once_with_little_padding():
    lengths = _lengths()
    sampler = ShuffledLengthBatches(lengths, batch_size=8, seed=3)
    order = list(iter(sampler))
    assert sorted(order) == list(range(len(lengths)))
    batches = [order[i:i + 8] for i in range(0, len(order), 8)]
    random_batches = [list(range(i, min(i + 8, len(lengths)))) for i in range(0, len(lengths), 8)]
    assert _padded_tokens(lengths, batches) < 0.75 * _padded_tokens(lengths, random_batches)
    assert max(lengths[i] for i in batches[0]) == max(lengths)  # an out-of-memory error shows at step 1
    assert len(batches[-1]) == len(lengths) % 8  # the one short batch comes last


def test_batch_order_is_random_not_long_to_short_and_repeats_per_seed_and_epoch():
    lengths = _lengths()
    sampler = ShuffledLengthBatches(lengths, batch_size=8, seed=3)
    first = sampler.batches()
    heads = [max(lengths[i] for i in b) for b in first[1:-1]]
    # the Trainer's own grouping runs each mega-batch from the longest texts to the shortest
    descending = sum(a >= b for a, b in zip(heads, heads[1:]))
    assert descending < 0.75 * (len(heads) - 1)
    assert ShuffledLengthBatches(lengths, 8, seed=3).batches() == first  # resume sees the same batches
    sampler.set_epoch(1)
    second = sampler.batches()
    assert second != first
    assert {frozenset(b) for b in second} != {frozenset(b) for b in first}  # batch mates change too


def test_small_data_and_exact_multiples():
    assert list(ShuffledLengthBatches([], 8, 0)) == []
    assert sorted(ShuffledLengthBatches([3, 1, 2], 8, 0)) == [0, 1, 2]
    order = list(ShuffledLengthBatches(_lengths(64), 8, 0))
    assert sorted(order) == list(range(64))


# -- dropout ----------------------------------------------------------------------------------
def test_keep_mask_has_the_dropout_rate_and_follows_the_torch_seed():
    torch.manual_seed(5)
    a = keep_mask(torch.Size([1000, 1000]), 0.1)
    torch.manual_seed(5)
    b = keep_mask(torch.Size([1000, 1000]), 0.1)
    assert a.dtype == torch.bool and a.shape == (1000, 1000)
    assert torch.equal(a, b)
    assert abs(a.float().mean().item() - 0.9) < 0.002
    assert abs(keep_mask(torch.Size([999, 1001]), 0.3).float().mean().item() - 0.7) < 0.002
    # no position is favoured: every one of the three 16-bit parts of a draw is uniform
    per_part = a.reshape(-1)[: 999_999].reshape(-1, 3).float().mean(0)
    assert torch.all((per_part - 0.9).abs() < 0.003)


def test_fast_dropout_scales_kept_values_and_passes_gradients_through_the_same_mask():
    layer = FastDropout(0.25)
    x = torch.randn(64, 128, requires_grad=True)
    layer.eval()
    assert layer(x) is x
    layer.train()
    y = layer(x)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / 0.75)
    assert 0.7 < kept.float().mean().item() < 0.8
    y.sum().backward()
    assert torch.allclose(x.grad, kept.float() / 0.75)


@pytest.mark.parametrize("mask_kind", ["bool", "float", "none"])
def test_math_attention_is_sdpa_when_nothing_is_dropped(mask_kind):
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 2, 4, 9, 8).unbind(0)
    allowed = torch.ones(2, 1, 9, 9, dtype=torch.bool)
    allowed[0, ..., 6:] = False
    mask = {"bool": allowed, "float": torch.zeros(2, 1, 9, 9).masked_fill(~allowed, -1e9), "none": None}[mask_kind]
    want = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2)
    assert torch.allclose(math_attention(q, k, v, mask, None, 0.0), want, atol=1e-5)


def test_swapping_keeps_eval_outputs_and_saved_config_unchanged(tiny_model_dir, tmp_path):
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir).eval()
    ids = torch.tensor([[2, 10, 11, 12, 3, 0], [2, 13, 14, 3, 0, 0]])
    mask = (ids != 0).long()
    before = model(input_ids=ids, attention_mask=mask).logits
    changed = use_fast_dropout(model)
    assert changed and "attention dropout" in changed
    assert model.config._attn_implementation == ATTENTION
    assert not any(type(m) is torch.nn.Dropout for m in model.modules())
    model.eval()
    assert torch.equal(model(input_ids=ids, attention_mask=mask).logits, before)
    model.train()
    loss = model(input_ids=ids, attention_mask=mask, labels=torch.tensor([0, 1])).loss
    loss.backward()
    assert torch.isfinite(loss)
    restore_attention(model)
    assert model.config._attn_implementation == "sdpa"
    model.save_pretrained(tmp_path / "saved")
    assert ATTENTION not in (tmp_path / "saved" / "config.json").read_text()


# -- in the engine ----------------------------------------------------------------------------
def test_the_engine_trains_on_the_cpu_fast_paths_and_saves_a_plain_model(ws, tiny_project, tiny_model_dir):
    from sftgui.core.versions import load_version

    project, snapshot = tiny_project
    rec = Recorder()
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, group_by_length=True), rec)
    assert result.status == "completed"
    fast = rec.of(ev.Started)[0].fast_paths
    assert any(s.startswith("dropout: cheaper random masks") for s in fast)
    assert any(s.startswith("length-grouped batches: on") for s in fast)
    model, _ = load_version(ws, result.version)
    assert model.config._attn_implementation != ATTENTION
    assert all(type(m) is not FastDropout for m in model.modules())


def test_grouped_training_keeps_evaluation_in_dataset_order(ws, tiny_model_dir):
    """Unlike the Trainer's own group_by_length, our grouping leaves predict() in row order."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, TrainingArguments

    from sftgui.core.tasks import get_task
    from sftgui.core.training.trainer import RowIdTrainer

    task = get_task("text-classification")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
    rows = {"row_id": list(range(100, 164)), "text": [" ".join(["card"] * (1 + (i * 7) % 20)) for i in range(64)],
            "label": ["billing"] * 64, "split": ["train"] * 32 + ["test"] * 32}
    data, _ = task.prepare(ws.cache, "order", tiny_model_dir, tokenizer, rows, ["billing", "bug"], 32)
    args = TrainingArguments(output_dir=str(ws.cache / "order"), per_device_train_batch_size=4,
                             per_device_eval_batch_size=4, use_cpu=True, remove_unused_columns=False,
                             label_names=["labels", "row_id"], report_to="none")

    def padding(trainer):  # padded positions per epoch
        return sum(int((1 - b["attention_mask"]).sum()) for b in trainer.get_train_dataloader())

    def trainer_with(group):
        return RowIdTrainer(model=model, args=args, train_dataset=data["train"],
                            data_collator=task.collator(tokenizer),
                            train_lengths=task.lengths(data["train"]) if group else None)

    trainer, plain = trainer_with(True), trainer_with(False)
    assert isinstance(trainer._get_train_sampler(), ShuffledLengthBatches)
    assert padding(trainer) < 0.6 * padding(plain)  # texts of similar length share a batch
    order = np.asarray(trainer.predict(data["test"]).label_ids[1]).tolist()
    assert order == list(data["test"]["row_id"])
