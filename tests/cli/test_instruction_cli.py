"""The instruction-tuning path through the real CLI entry point, on a tiny Llama-style model:
project create, data import/check, train (LoRA), generate, chat on stdin, compare, a blind vote on
stdin, export (merged and adapter-only) and the headless demo."""

from __future__ import annotations

import io
import json

import pytest

from sftgui.cli import main
from tests.tiny_lm import house_style_rows, make_tiny_lm_dir

FAST = ["--epochs", "1", "--lr", "2e-2", "--batch-size", "8", "--max-length", "64"]


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    return make_tiny_lm_dir(tmp_path_factory.mktemp("tiny-lm"))


def sftgui(ws_path, *args) -> int:
    return main(["--workspace", str(ws_path), *args])


def test_import_train_generate_chat_compare_vote_export(tmp_path, lm_dir, capsys, monkeypatch):
    ws = tmp_path / "ws"
    data = tmp_path / "replies.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in house_style_rows(40)), encoding="utf-8")
    assert sftgui(ws, "project", "create", "style", "--task", "instruction-sft", "--model", str(lm_dir)) == 0
    capsys.readouterr()
    assert sftgui(ws, "data", "import", str(data), "--project", "style", "--json") == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 40
    assert sftgui(ws, "data", "check", "--project", "style", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] == 40 and not report["findings"]

    assert sftgui(ws, "train", "--project", "style", "--model", str(lm_dir), *FAST) == 0
    assert sftgui(ws, "train", "--project", "style", "--model", str(lm_dir), *FAST, "--full", "--seed", "1") == 0
    capsys.readouterr()
    assert sftgui(ws, "versions", "show", "style@v1", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["weights"]["tensors"] > 0

    assert sftgui(ws, "generate", "style@v2", "help with my refund please", "--json", "--max-new-tokens", "12") == 0
    answer = json.loads(capsys.readouterr().out)["answer"]
    assert sftgui(ws, "generate", "style@v2", "help with my refund please", "--max-new-tokens", "12") == 0
    assert capsys.readouterr().out.strip() == answer  # greedy: the same words every time

    monkeypatch.setattr("sys.stdin", io.StringIO("help with my refund please\nand my login\n\n"))
    assert sftgui(ws, "chat", "style@v2", "--max-new-tokens", "12") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"style@v2> {answer}" and lines[1].startswith("style@v2> ") and len(lines) == 2

    assert sftgui(ws, "compare", "style@v1", "style@v2") == 0
    out = capsys.readouterr().out
    assert "prompt:" in out and "style@v1" in out and "perplexity" in out

    monkeypatch.setattr("sys.stdin", io.StringIO("1\n2\nt\ns\nq\n"))
    assert sftgui(ws, "vote", "style@v1", "style@v2", "--limit", "5") == 0
    capsys.readouterr()
    assert sftgui(ws, "vote", "style@v1", "style@v2", "--summary", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["votes"] == 3 and summary["ties"] == 1
    assert sum(summary["wins"].values()) == 2 and summary["interval"][0] < summary["win_rate"] < summary["interval"][1]

    assert sftgui(ws, "export", "style@v1", "--out", str(tmp_path / "adapter"), "--format", "adapter") == 0
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()
    assert sftgui(ws, "export", "style@v2", "--out", str(tmp_path / "full-adapter"), "--format", "adapter") == 2
    assert "without LoRA" in capsys.readouterr().err
    assert not (tmp_path / "full-adapter").exists()  # refused: nothing written


def test_bad_input_is_one_sentence_and_exit_2(tmp_path, lm_dir, capsys):
    ws = tmp_path / "ws"
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,greeting\n", encoding="utf-8")
    assert sftgui(ws, "project", "create", "p", "--task", "instruction-sft") == 0
    assert sftgui(ws, "data", "import", str(bad), "--project", "p") == 2
    err = capsys.readouterr().err
    assert "not in a shape" in err and len(err.strip().splitlines()) == 1
    assert sftgui(ws, "generate", "p@v1", "hello") == 2


def test_demo_runs_headless_on_the_shipped_sample(tmp_path, lm_dir, capsys):
    assert sftgui(tmp_path / "ws", "demo", "--task", "instruction-sft", "--model", str(lm_dir)) == 0
    out = capsys.readouterr().out
    assert "Imported 240 examples" in out and "Exported sample-instruction-sft@v1" in out
    assert "answer:" in out and "MiB to the workspace" in out
