"""`sftgui evaluate|compare|predict|export|hints` answer as shared/CLI.md says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sftgui.cli import main


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A closed workspace with tickets@v1 (the trained tiny model) and tickets@v2 (pushed to login)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.store.db import open_workspace
    from tests.core.evaluation.keywords import new_project, register_on_last_snapshot, register_pushed, train_tiny

    folder = train_tiny(tmp_path_factory.mktemp("trained"))
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tok = AutoTokenizer.from_pretrained(folder)
    path = tmp_path_factory.mktemp("cli") / "ws"
    with open_workspace(path) as ws:
        project = new_project(ws)
        v1 = register_on_last_snapshot(ws, project, model, tok)
        register_pushed(ws, project, v1, model, tok)
    return path


def run(workspace, capsys, *args):
    code = main(["--workspace", str(workspace), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_json_and_text(workspace, capsys):
    code, out, err = run(workspace, capsys, "evaluate", "tickets@v1", "--json")
    assert code == 0, err
    doc = json.loads(out)
    m = doc["metrics"]
    assert doc["version"] == "tickets@v1" and doc["split"] == "test"
    assert set(m) >= {"accuracy", "macro_f1", "weighted_f1", "per_class", "confusion_matrix"}
    assert m["examples"] == sum(map(sum, m["confusion_matrix"]))
    code, out, _ = run(workspace, capsys, "evaluate", "v1", "--project", "tickets")
    assert code == 0 and f"accuracy {100 * m['accuracy']:5.1f}%" in out


def test_compare_json_keys(workspace, capsys):
    code, out, err = run(workspace, capsys, "compare", "tickets@v1", "tickets@v2", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["versions"] == ["tickets@v1", "tickets@v2"]
    assert set(doc["metrics"]) == {"tickets@v1", "tickets@v2"}
    diff = doc["prediction_diff"]
    counts = [diff[k] for k in ("fixed", "broken", "still_wrong", "both_right")]
    assert all(isinstance(c, int) for c in counts) and sum(counts) == doc["test_set"]["examples"]
    assert isinstance(diff["examples"]["broken"], list)
    code, out, _ = run(workspace, capsys, "compare", "v1", "v2", "--project", "tickets")
    assert code == 0 and f"{diff['fixed']} fixed, {diff['broken']} broken" in out


def test_predict_json(workspace, capsys):
    code, out, err = run(workspace, capsys, "predict", "tickets@v1", "refund my card", "parcel lost", "--json", "--top-k", "2")
    assert code == 0, err
    doc = json.loads(out)
    assert [d["text"] for d in doc] == ["refund my card", "parcel lost"]
    assert [d["label"] for d in doc] == ["billing", "shipping"]
    assert all(len(d["scores"]) == 2 and max(d["scores"], key=d["scores"].get) == d["label"] for d in doc)


def test_export_formats_and_refusal(workspace, capsys, tmp_path):
    from sftgui.core.export import verify_manifest

    code, out, err = run(workspace, capsys, "export", "tickets@production", "--out", str(tmp_path / "m"))
    assert code == 0, err
    assert verify_manifest(tmp_path / "m") == [] and "Exported tickets@v1" in out
    code, _, err = run(workspace, capsys, "export", "tickets@v1", "--out", str(tmp_path / "m"))
    assert code == 2 and "--force" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(workspace, capsys, "export", "tickets@v2", "--out", str(tmp_path / "m"), "--force",
                       "--format", "zip", "--json")
    assert code == 0 and json.loads(out)["path"] == str(tmp_path / "m.zip")
    code, out, _ = run(workspace, capsys, "export", "tickets@v2", "--out", str(tmp_path / "o"), "--format", "onnx")
    assert code == 0 and (tmp_path / "o" / "model.onnx").is_file()


def test_hints_json(workspace, capsys):
    code, out, err = run(workspace, capsys, "hints", "tickets@v1", "--json", "--limit", "5")
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["label_errors"]["rows"]) == 5
    assert all(h["label"] != h["suggested"] for h in doc["label_errors"]["rows"])
    assert doc["label_next"]["rows"] == []  # every draft row is labelled


def test_bad_input_is_one_sentence_and_exit_2(workspace, capsys):
    for args in (["predict", "tickets@v9", "hi"], ["evaluate", "v1"], ["compare", "tickets@v1"],
                 ["evaluate", "tickets@v1", "--snapshot", "999"]):
        code, out, err = run(workspace, capsys, *args)
        assert code == 2, args
        assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_export_progress_shows_as_plain_lines_when_not_a_terminal(workspace, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    root = Path(__file__).resolve().parents[2]
    p = subprocess.run(
        [sys.executable, "-m", "sftgui", "--workspace", str(workspace), "export", "tickets@v1", "--out", str(tmp_path / "e")],
        capture_output=True, text=True, env=env, cwd=root,
    )
    assert p.returncode == 0, p.stderr
    lines = [line for line in p.stderr.splitlines() if "%" in line]
    assert lines[0].strip().startswith("0%") and lines[-1].strip().startswith("100%")
