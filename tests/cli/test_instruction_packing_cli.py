"""`sftgui train --packing` through the real CLI entry point: a packed run of a tiny Llama-style
model (its live answers in the JSON events), and the plain refusal for a classifier."""

from __future__ import annotations

import json

import pytest

from sftgui.cli import main
from tests.tiny_lm import house_style_rows, make_tiny_lm_dir


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    return make_tiny_lm_dir(tmp_path_factory.mktemp("tiny-lm"))


def sftgui(ws_path, *args) -> int:
    return main(["--workspace", str(ws_path), *args])


def test_a_packed_run_reports_fewer_rows_and_its_live_answers(tmp_path, lm_dir, capsys):
    ws = tmp_path / "ws"
    data = tmp_path / "replies.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in house_style_rows(40)), encoding="utf-8")
    assert sftgui(ws, "project", "create", "style", "--task", "instruction-sft", "--model", str(lm_dir)) == 0
    assert sftgui(ws, "data", "import", str(data), "--project", "style") == 0
    capsys.readouterr()
    assert sftgui(ws, "train", "--project", "style", "--model", str(lm_dir), "--epochs", "1", "--batch-size", "4",
                  "--max-length", "64", "--packing", "--json-events") == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    started = next(e for e in events if e["event"] == "Started")
    assert started["train_rows"] <= 16  # 32 training examples of about 22 tokens, two or more a row of 64
    answered = [e for e in events if e["event"] == "Answered"]
    assert answered and all(len(e["answers"]) == 3 for e in answered)
    assert all(set(a) >= {"prompt", "answer", "reference"} for a in answered[0]["answers"])
    assert events[-1]["event"] == "Finished"


def test_packing_a_classifier_is_refused_in_one_sentence(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert sftgui(ws, "project", "create", "tickets") == 0
    capsys.readouterr()
    assert sftgui(ws, "train", "--project", "tickets", "--packing") == 2
    err = capsys.readouterr().err.strip()
    assert "packing" in err.lower() and len(err.splitlines()) == 1
