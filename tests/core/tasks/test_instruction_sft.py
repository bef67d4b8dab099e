"""Instruction tuning on a tiny real Llama-style model: data shapes, prompt masking, the stop token,
adapter-only versions, merge and export parity, votes."""

from __future__ import annotations

import json

import pytest

from sftgui.core.tasks.instruction_sft import shapes
from sftgui.errors import UserError
from tests.tiny_lm import house_style_rows, make_tiny_lm_dir

TASK = "instruction-sft"
FAST = dict(epochs=1, learning_rate=5e-3, batch_size=8, max_length=64, group_by_length=False)


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    return make_tiny_lm_dir(tmp_path_factory.mktemp("tiny-lm"))


def _write(path, rows, fmt):
    import pandas as pd

    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    else:
        frame = pd.DataFrame([{k: json.dumps(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows])
        {"csv": lambda: frame.to_csv(path, index=False), "xlsx": lambda: frame.to_excel(path, index=False),
         "parquet": lambda: frame.to_parquet(path)}[fmt]()
    return path


SHAPED = {
    "prompt-response": [{"prompt": "say yes", "response": "yes"}, {"prompt": "say no", "completion": "no"}],
    "alpaca": [{"instruction": "say", "input": "yes", "output": "yes"}, {"instruction": "say no", "input": "", "output": "no"}],
    "messages": [{"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "say yes"},
                               {"role": "assistant", "content": "yes"}]},
                 {"messages": [{"role": "user", "content": "say no"}, {"role": "assistant", "content": "no"}]}],
    "sharegpt": [{"conversations": [{"from": "human", "value": "say yes"}, {"from": "gpt", "value": "yes"}]},
                 {"conversations": [{"from": "human", "value": "say no"}, {"from": "gpt", "value": "no"}]}],
}


def _project(ws, lm_dir, name="style"):
    from sftgui.core.projects import create_project

    return create_project(ws, name, TASK, base_model=str(lm_dir))


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "xlsx", "parquet"])
@pytest.mark.parametrize("shape", list(SHAPED))
def test_every_shape_from_every_format_becomes_conversations(ws, lm_dir, tmp_path, shape, fmt):
    from sftgui.core.data.importers import import_file
    from sftgui.store import draft_repo

    rows = SHAPED[shape]
    if shape == "prompt-response" and fmt != "jsonl":  # a table has one response column
        rows = [{"prompt": "say yes", "response": "yes"}, {"prompt": "say no", "response": "no"}]
    project = _project(ws, lm_dir)
    result = import_file(ws, project, _write(tmp_path / f"data.{fmt}", rows, fmt))
    assert result.rows == 2 and result.labelled == 0
    convs = [shapes.from_text(r[1]) for r in draft_repo.iter_live(project.id)]
    assert [shapes.split(c) for c in convs] == [("say yes" if shape != "alpaca" else "say\n\nyes", "yes"),
                                                ("say no", "no")]
    assert convs[0][-1]["role"] == "assistant"


@pytest.mark.parametrize("content, sentence", [
    ('[{"text": "a", "label": "b"}]', "not in a shape"),
    ('[{"messages": "not json"}]', "neither a list"),
    ('[{"messages": [{"content": "no role"}]}]', "needs a role"),
    ('[{"conversations": [{"value": "x"}]}]', "needs 'from'"),
])
def test_bad_files_are_refused_with_a_sentence_and_nothing_imported(ws, lm_dir, tmp_path, content, sentence):
    from sftgui.core.data.importers import import_file
    from sftgui.store import draft_repo

    project = _project(ws, lm_dir)
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=sentence):
        import_file(ws, project, path)
    assert list(draft_repo.iter_live(project.id)) == []


def test_quality_report_names_each_problem(ws, lm_dir, tmp_path):
    from sftgui.core.data.importers import import_file
    from sftgui.core.data.quality import check_draft

    rows = [
        {"messages": [{"role": "user", "content": "say yes"}, {"role": "assistant", "content": "yes"}]},
        {"messages": [{"role": "user", "content": "say yes"}, {"role": "assistant", "content": "yes"}]},  # duplicate
        {"messages": [{"role": "user", "content": "say yes"}, {"role": "assistant", "content": "no"}]},  # differs
        {"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "yes"}]},  # empty prompt
        {"messages": [{"role": "user", "content": "echo"}, {"role": "assistant", "content": "Echo"}]},  # identical
        {"messages": [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "bye"}]},  # role order
        {"messages": [{"role": "user", "content": 42}, {"role": "assistant", "content": "yes"}]},  # non-text
        {"messages": [{"role": "user", "content": " ".join(["refund"] * 200)}, {"role": "assistant", "content": "ok"}]},
    ]
    project = _project(ws, lm_dir)
    import_file(ws, project, _write(tmp_path / "q.jsonl", rows, "jsonl"))
    report = check_draft(ws, project)
    kinds = {f.kind: f.count for f in report.findings}
    assert kinds["exact_duplicates"] == 1
    assert kinds["different_answers"] == 1
    assert kinds["empty_turn"] == 1
    assert kinds["same_prompt_response"] == 1
    assert kinds["role_order"] == 1
    assert kinds["non_text"] == 1
    assert kinds["too_long"] == 1 and report.max_length == 128  # counted with the model's tokenizer
    assert "missing_labels" not in kinds  # no labels in this task


def test_prompt_tokens_are_masked_and_the_stop_token_is_learned_from(lm_dir):
    from sftgui.core.tasks.instruction_sft import data, model

    tok = model.load_tokenizer(lm_dir)
    assert tok.pad_token_id != tok.eos_token_id  # else masking padding would hide the EOS
    turns = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "say yes"},
             {"role": "assistant", "content": "yes"}, {"role": "user", "content": "say no"},
             {"role": "assistant", "content": "no"}]
    enc = data.encode(tok, turns)
    learned = [tok.convert_ids_to_tokens(i) for i, lab in zip(enc["input_ids"], enc["labels"]) if lab != -100]
    assert learned == ["yes", "<|im_end|>", "no", "<|im_end|>"]  # every prompt token is -100
    batch = data.Collator(tok.pad_token_id)([enc, data.encode(tok, turns[:3])])
    short = batch["labels"][1]
    assert (short[len(data.encode(tok, turns[:3])["labels"]):] == -100).all()  # padding is ignored
    assert int((batch["input_ids"][1] == tok.pad_token_id).sum()) > 0
    assert tok.eos_token_id in batch["labels"][1].tolist()  # the real EOS stays in the loss


def _trained(ws, lm_dir, name, rows, **settings):
    from sftgui.config import TrainConfig
    from sftgui.core.data.importers import import_file
    from sftgui.core.training import engine

    project = _project(ws, lm_dir, name)
    path = ws.path.parent / f"{name}.jsonl"
    import_file(ws, project, _write(path, rows, "jsonl"))
    config = TrainConfig.from_preset("quick", project=name, task=TASK, model=str(lm_dir), **{**FAST, **settings})
    result = engine.run(config, ws=ws)
    assert result.status == "completed", result.error
    return project, result


def test_a_tiny_model_learns_the_house_style_and_to_stop(ws, lm_dir):
    from sftgui.core import chat

    _project_, result = _trained(ws, lm_dir, "house", house_style_rows(64), lora=False, epochs=12,
                                 learning_rate=1e-2)
    v = result.version
    assert v.metrics["validation"]["loss"] < 1.0
    reply = chat.answer(ws, v, chat.Conversation(), "help with my parcel please",
                        options=chat.Options(max_new_tokens=30))
    assert reply.startswith("hi there ,") and reply.endswith("the support team .")
    test = v.metrics["test"]
    assert test["stopped"] == 1.0  # every test answer ended with the EOS token, not the length limit
    assert test["perplexity"] < 5
    from sftgui.core.tasks.instruction_sft.scoring import normalise
    from sftgui.core.versions import read_predictions

    stored = read_predictions(ws, v)["rows"]
    assert all(r["predicted"].startswith("hi there ,") for r in stored)
    assert test["exact_match"] == sum(normalise(r["predicted"]) == normalise(r["reference"]) for r in stored) / len(stored)


def test_lora_versions_store_the_adapter_and_cost_only_its_bytes(ws, lm_dir, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from sftgui.core import chat
    from sftgui.core.export import export_version
    from sftgui.core.versions import read_manifest

    project, first = _trained(ws, lm_dir, "lora", house_style_rows(32), learning_rate=2e-2, epochs=2)
    from sftgui.config import TrainConfig
    from sftgui.core.training import engine

    second = engine.run(TrainConfig.from_preset("quick", project="lora", task=TASK, model=str(lm_dir),
                                                **{**FAST, "learning_rate": 1e-2, "seed": 1}), ws=ws)
    v1, v2 = first.version, second.version
    manifest = read_manifest(ws, v2)
    adapter = [n for n in manifest["tensors"] if "lora_" in n]
    assert adapter and "adapter_config.json" in manifest["files"]
    adapter_bytes = sum(4 * _numel(manifest["tensors"][n]["shape"]) for n in adapter)
    assert v2.weights_new_bytes < adapter_bytes + 200_000  # the base tensors were stored by v1 already
    assert v2.weights_new_bytes < v2.weights_bytes / 3

    # merged export: plain transformers gives the same greedy text as sftgui
    out = export_version(ws, v2, tmp_path / "merged")
    assert not (out / "adapter_config.json").exists()
    model = AutoModelForCausalLM.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    prompt = "help with my login please"
    ids = tok.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                  return_tensors="pt", return_dict=True)
    gen = model.generate(**ids, max_new_tokens=20, do_sample=False)
    plain = tok.decode(gen[0][ids["input_ids"].shape[1]:], skip_special_tokens=True).strip()
    ours = chat.answer(ws, v2, chat.Conversation(), prompt, options=chat.Options(max_new_tokens=20))
    assert ours == plain and ours

    # adapter-only export in PEFT's format, on the base model: the same text again
    from peft import PeftModel

    adapter_dir = export_version(ws, v2, tmp_path / "adapter", fmt="adapter")
    assert (adapter_dir / "adapter_model.safetensors").is_file() and not (adapter_dir / "model.safetensors").exists()
    assert (adapter_dir / "adapter_model.safetensors").stat().st_size < adapter_bytes + 10_000
    base = AutoModelForCausalLM.from_pretrained(lm_dir)
    peft_model = PeftModel.from_pretrained(base, adapter_dir).merge_and_unload()
    gen = peft_model.generate(**ids, max_new_tokens=20, do_sample=False)
    assert tok.decode(gen[0][ids["input_ids"].shape[1]:], skip_special_tokens=True).strip() == ours
    assert v1.number == 1 and v2.number == 2


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def test_compare_shows_answers_side_by_side_and_votes_give_a_win_rate(ws, lm_dir):
    from sftgui.config import TrainConfig
    from sftgui.core import votes
    from sftgui.core.compare import compare_versions
    from sftgui.core.training import engine

    _project_, first = _trained(ws, lm_dir, "cmp", house_style_rows(40), epochs=1)
    second = engine.run(TrainConfig.from_preset("quick", project="cmp", task=TASK, model=str(lm_dir),
                                                **{**FAST, "lora": False, "epochs": 4, "learning_rate": 1e-2}), ws=ws)
    v1, v2 = first.version, second.version
    out = compare_versions(ws, [v1, v2])
    diff = out["prediction_diff"]
    assert diff["compared"] == out["test_set"]["examples"] > 0
    assert {"prompt", "reference", "before", "after"} <= set(diff["answers"][0])
    assert set(out["metrics"][v1.ref]) >= {"loss", "perplexity", "exact_match"}

    ballot = votes.blind_pairs(diff["answers"], v1, v2, seed=3)
    for item in ballot:  # the voter prefers whichever answer is in the house style
        good = [i for i, a in enumerate(item["answers"]) if a.startswith("hi there")]
        votes.record_vote(ws, v1, v2, row_id=item["row_id"], prompt=item["prompt"],
                          winner=item["versions"][good[0]] if len(good) == 1 else None)
    votes.record_vote(ws, v1, v2, row_id=ballot[0]["row_id"], prompt="again", winner=v2)  # replaces the vote
    s = votes.summary(ws, v2, v1)
    assert s["votes"] == len(ballot)
    assert s["wins"][v2.ref] + s["wins"][v1.ref] + s["ties"] == len(ballot)
    low, high = s["interval"]
    assert 0 <= low <= s["win_rate"] <= high <= 1


def test_wilson_interval_matches_the_formula():
    from sftgui.core.votes import wilson

    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)
    assert wilson(0, 0) is None
