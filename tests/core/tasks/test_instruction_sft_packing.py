"""Sequence packing: examples laid end to end with their prompts still masked, position ids
restarting per example, and no attention across examples (the packed logits equal each
example's own); a packed training run learns."""

from __future__ import annotations

import json

import pytest

from sftgui.core.tasks.instruction_sft import data
from tests.tiny_lm import house_style_rows, make_tiny_lm_dir

TASK = "instruction-sft"


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    return make_tiny_lm_dir(tmp_path_factory.mktemp("tiny-lm"))


def _examples(tok, n=6):
    import datasets

    encs = []
    for i, r in enumerate(house_style_rows(n)):
        turns = [{"role": "user", "content": r["prompt"]}, {"role": "assistant", "content": r["response"]}]
        encs.append({**data.encode(tok, turns), "row_id": i + 1})
    return encs, datasets.Dataset.from_list(encs)


def test_examples_are_packed_with_the_prompts_still_masked(lm_dir):
    from sftgui.core.tasks.instruction_sft.model import load_tokenizer

    tok = load_tokenizer(lm_dir)
    encs, ds = _examples(tok)
    one = len(encs[0]["input_ids"])
    packed = data.pack(ds, max_length=2 * one + 4)  # room for two examples a row
    assert len(packed) == 3 and packed["examples"] == [2, 2, 2]
    row = packed[0]
    a, b = encs[0], encs[1]
    assert row["input_ids"] == a["input_ids"] + b["input_ids"]
    assert row["position_ids"] == list(range(len(a["input_ids"]))) + list(range(len(b["input_ids"])))
    # each example's labels as unpacked: its prompt -100, its answer (with the end-of-turn token) kept
    assert row["labels"][len(a["labels"]):] == b["labels"] and row["labels"][: len(a["labels"])] == a["labels"]
    assert row["labels"][len(a["labels"])] == data.IGNORE  # nothing is learned across the boundary
    assert sum(x != data.IGNORE for x in row["labels"]) == sum(x != data.IGNORE for x in a["labels"] + b["labels"])
    batch = data.Collator(tok.pad_token_id)([packed[0], packed[1]])
    assert "attention_mask" not in batch and batch["use_cache"] is False
    assert batch["position_ids"].shape == batch["input_ids"].shape
    # too long to share a row: one example a row
    assert len(data.pack(ds, max_length=one + 1)) == len(encs)


def test_packed_examples_do_not_attend_to_each_other(lm_dir):
    import torch
    from transformers import AutoModelForCausalLM

    from sftgui.core.tasks.instruction_sft.model import load_tokenizer

    tok = load_tokenizer(lm_dir)
    model = AutoModelForCausalLM.from_pretrained(lm_dir).eval()
    encs, ds = _examples(tok, 2)
    packed = data.pack(ds, max_length=256)
    assert len(packed) == 1
    batch = data.Collator(tok.pad_token_id)([packed[0]])
    with torch.no_grad():
        together = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits[0]
        alone = [model(input_ids=torch.tensor([e["input_ids"]])).logits[0] for e in encs]
        # the control: the same row with position ids running on lets the second example see the first
        leaky = model(input_ids=batch["input_ids"], use_cache=False).logits[0]
    n = len(encs[0]["input_ids"])
    torch.testing.assert_close(together[:n], alone[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(together[n:], alone[1], atol=1e-5, rtol=1e-4)
    assert not torch.allclose(leaky[n:], alone[1], atol=1e-3)


def test_a_packed_run_trains_on_fewer_rows_and_learns(ws, lm_dir):
    from sftgui.config import TrainConfig
    from sftgui.core import events as ev
    from sftgui.core.data.importers import import_file
    from sftgui.core.projects import create_project
    from sftgui.core.training import engine

    project = create_project(ws, "packed", TASK, base_model=str(lm_dir))
    path = ws.path.parent / "packed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in house_style_rows(64)), encoding="utf-8")
    import_file(ws, project, path)
    config = TrainConfig.from_preset("quick", project="packed", task=TASK, model=str(lm_dir), lora=False, epochs=12,
                                     learning_rate=1e-2, batch_size=4, max_length=64, group_by_length=False,
                                     packing=True)
    seen = []
    result = engine.run(config, seen.append, ws=ws)
    assert result.status == "completed", result.error
    started = next(e for e in seen if isinstance(e, ev.Started))
    assert started.train_rows <= 27  # about 52 training examples (80% of 64), at least two a row
    assert result.version.config["packing"] is True
    assert result.version.metrics["validation"]["loss"] < 1.5


def test_packing_is_refused_for_a_classifier():
    from sftgui.config import TrainConfig
    from sftgui.core.tasks import get_task
    from sftgui.errors import UserError

    with pytest.raises(UserError, match="packing"):
        get_task("text-classification").check_config(TrainConfig(packing=True))
