"""`sftgui tune`, `sftgui explain` and `sftgui monitor` answer as shared/CLI.md says."""

from __future__ import annotations

import csv
import json

import pytest

from sftgui.cli import main
from tests.core.evaluation.keywords import make_rows


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A closed workspace with tickets@v1, the trained tiny keyword model."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.store.db import open_workspace
    from tests.core.evaluation.keywords import new_project, register_on_last_snapshot, train_tiny

    folder = train_tiny(tmp_path_factory.mktemp("trained"))
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tok = AutoTokenizer.from_pretrained(folder)
    path = tmp_path_factory.mktemp("cli") / "ws"
    with open_workspace(path) as ws:
        project = new_project(ws)
        register_on_last_snapshot(ws, project, model, tok, metrics={"accuracy": 0.95, "macro_f1": 0.95})
    return path


def run(workspace, capsys, *args):
    code = main(["--workspace", str(workspace), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_json_and_text(workspace, capsys):
    code, out, err = run(workspace, capsys, "explain", "tickets@v1", "my card payment was charged twice", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["predicted"] == "billing" and set(doc["attributions"]) == {"billing", "login", "shipping"}
    assert [p["text"] for p in doc["parts"]] == "my card payment was charged twice".split()
    code, out, err = run(workspace, capsys, "explain", "v1", "my card payment", "--project", "tickets",
                         "--label", "billing")
    assert code == 0, err
    assert "says 'billing'" in out and "toward 'billing'" in out and "toward 'login'" not in out
    code, _, err = run(workspace, capsys, "explain", "tickets@v1", "card", "--label", "weather")
    assert code == 2 and "not one of this version's labels" in err


def test_monitor_add_show_json_and_bad_input(workspace, capsys, tmp_path):
    path = tmp_path / "batch.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label"])
        w.writeheader()
        w.writerows(make_rows(40, seed=31, noise=0.6))
    code, out, err = run(workspace, capsys, "monitor", "add", str(path), "--project", "tickets", "--date",
                         "2026-11-20", "--json")
    assert code == 0, err
    batch = json.loads(out)
    assert batch["date"] == "2026-11-20" and batch["rows"] == 40 and "tickets@v1" in batch["scores"]
    assert {c["check"] for c in batch["drift"]} == {"labels", "length", "unknown_words"}
    code, out, err = run(workspace, capsys, "monitor", "show", "--project", "tickets", "--json")
    assert code == 0, err
    rep = json.loads(out)
    assert [b["id"] for b in rep["batches"]] == [batch["id"]]
    assert rep["versions"]["tickets@v1"]["series"]["accuracy"][0]["date"] == "2026-11-20"
    assert any(w["kind"] == "drop" and w["version"] == "tickets@v1" for w in rep["warnings"])
    code, out, _ = run(workspace, capsys, "monitor", "show", "--project", "tickets")
    assert code == 0 and "Warning: tickets@v1 scores" in out and "2026-11-20" in out
    code, _, err = run(workspace, capsys, "monitor", "add", str(path), "--project", "tickets", "--date", "yesterday")
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = run(workspace, capsys, "monitor", "show", "--project", "tickets", "--drop", "-1")
    assert code == 2 and "0 points or more" in err


def test_tune_refuses_bad_input(workspace, capsys):
    code, _, err = run(workspace, capsys, "tune", "--project", "tickets", "--trials", "0")
    assert code == 2 and "at least 1 trial" in err
    code, _, err = run(workspace, capsys, "tune")
    assert code == 2 and "--project" in err
    code, _, err = run(workspace, capsys, "tune", "--show", "99")
    assert code == 2 and "no search 99" in err


def test_tune_runs_a_search_with_json_events_and_lists_it(tmp_path, tiny_model_dir, capsys):
    from sftgui.store.db import open_workspace
    from tests.core.training.conftest import make_project

    path = tmp_path / "ws"
    with open_workspace(path) as ws:
        make_project(ws)
    code, out, err = run(path, capsys, "tune", "--project", "tickets", "--trials", "2", "--model", str(tiny_model_dir),
                         "--epochs", "1", "--batch-size", "8", "--max-length", "32", "--json-events")
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    trials = [e for e in events if e["event"] == "TrialFinished"]
    assert [t["finished"] for t in trials] == [1, 2] and all(t["state"] == "complete" for t in trials)
    (done,) = [e for e in events if e["event"] == "SearchFinished"]
    assert done["status"] == "completed" and done["version"] == "tickets@v1"
    code, out, err = run(path, capsys, "tune", "--list", "--project", "tickets", "--json")
    assert code == 0, err
    (s,) = json.loads(out)
    assert s["status"] == "completed" and s["version"] == "tickets@v1" and len(s["trials"]) == 2
    assert "epochs" in s["fixed"] and "learning_rate" in [d["field"] for d in s["space"]]
    code, out, _ = run(path, capsys, "tune", "--show", str(s["id"]))
    assert code == 0 and "best became tickets@v1" in out and out.count("trial ") == 2
