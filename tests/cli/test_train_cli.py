"""`sftgui train`, `runs ...` and `demo` through the real CLI entry point, with a tiny model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sftgui.cli import main
from tests.core.training.conftest import keyword_rows, train_then_kill
from tests.sample_facts import SAMPLE_ROWS

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--epochs", "3", "--lr", "3e-2", "--batch-size", "8", "--max-length", "32"]


@pytest.fixture
def tickets(tmp_path):
    """A workspace folder with project `tickets` (keyword rows in its draft), closed again."""
    from sftgui.core.data.importers import import_rows
    from sftgui.core.projects import create_project
    from sftgui.store.db import open_workspace

    path = tmp_path / "ws"
    ws = open_workspace(path)
    import_rows(ws, create_project(ws, "tickets"), keyword_rows())
    ws.close()
    return path


def sftgui(ws_path, *args) -> int:
    return main(["--workspace", str(ws_path), *args])


def test_train_with_json_events_then_runs_list_and_show(tickets, tiny_model_dir, capsys):
    assert sftgui(tickets, "train", "--project", "tickets", "--model", str(tiny_model_dir), *TINY,
                  "--json-events") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [e["event"] for e in lines]
    assert kinds[0] == "Preparing" and "Started" in kinds and "StepLogged" in kinds and kinds[-1] == "Finished"
    assert lines[-1]["version"] == "tickets@v1"

    assert sftgui(tickets, "runs", "list", "--project", "tickets", "--json") == 0
    runs = json.loads(capsys.readouterr().out)
    assert len(runs) == 1 and {"id", "status", "started_at", "ended_at", "version"} <= set(runs[0])
    assert runs[0]["status"] == "completed" and runs[0]["version"] == "tickets@v1"

    assert sftgui(tickets, "runs", "show", str(runs[0]["id"]), "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    for key in ("id", "status", "config", "device", "precision", "wall_s", "train_samples_per_second", "metrics"):
        assert key in shown
    assert shown["config"]["learning_rate"] == 3e-2 and shown["config"]["preset"] == "quick"
    assert shown["metrics"]["accuracy"] == pytest.approx(lines[-1]["metrics"]["accuracy"])


def test_train_prints_plain_lines_when_not_on_a_terminal(tickets, tiny_model_dir, capsys):
    assert sftgui(tickets, "train", "--project", "tickets", "--model", str(tiny_model_dir), *TINY,
                  "--freeze", "embeddings") == 0
    out = capsys.readouterr().out
    assert "Training on cpu" in out and "step 30/30" in out and "\r" not in out
    assert "Done: tickets@v1, accuracy" in out


def test_bad_input_is_one_sentence_and_exit_2(tickets, tiny_model_dir, capsys, tmp_path):
    pickle_only = tmp_path / "pickled"
    pickle_only.mkdir()
    (pickle_only / "config.json").write_text("{}")
    (pickle_only / "pytorch_model.bin").write_bytes(b"\x80\x04")
    assert sftgui(tickets, "train", "--project", "tickets", "--model", str(pickle_only)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pickle" in err
    assert sftgui(tickets, "train", "--project", "nope") == 2
    assert sftgui(tickets, "train", "--project", "tickets", "--freeze", "sideways") == 2
    assert sftgui(tickets, "runs", "list", "--project", "tickets", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing was started


def test_runs_cancel_and_resume(tickets, tiny_model_dir, capsys):
    from sftgui.core.training import engine
    from sftgui.store import runs_repo
    from sftgui.store.db import open_workspace

    train_then_kill(tickets, "tickets", tiny_model_dir)  # a run left `running` by a process that died

    assert sftgui(tickets, "runs", "list", "--project", "tickets", "--json") == 0
    run = json.loads(capsys.readouterr().out)[0]
    assert run["status"] == "interrupted"  # found at start-up by a writer

    # Nobody is training: cancel marks it directly; the file route is for a live run in another process.
    assert sftgui(tickets, "runs", "cancel", str(run["id"])) == 0
    assert "marked cancelled" in capsys.readouterr().out
    assert sftgui(tickets, "runs", "cancel", str(run["id"])) == 2

    assert sftgui(tickets, "runs", "resume", str(run["id"])) == 0
    out = capsys.readouterr().out
    assert "resuming at step 10" in out and "Done: tickets@v1" in out

    ws = open_workspace(tickets, readonly=True)
    try:
        assert runs_repo.get_run(run["id"]).status == "completed"
        assert not engine.cancel_file(ws, run["id"]).exists()
    finally:
        ws.close()


def test_runs_cancel_asks_a_live_run_through_the_cancel_file(tickets, tiny_model_dir):
    """Another process trains (holding the lock); `runs cancel` from here stops it cleanly."""
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "sftgui", "--workspace", str(tickets), "train", "--project", "tickets",
         "--model", str(tiny_model_dir), *TINY, "--epochs", "200", "--json-events"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        for line in proc.stdout:
            if json.loads(line)["event"] == "StepLogged":
                break
        run_id = json.loads(line)["run_id"]
        result = subprocess.run([sys.executable, "-m", "sftgui", "--workspace", str(tickets), "runs", "cancel",
                                 str(run_id)], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "Asked run" in result.stdout
        rest = [json.loads(x) for x in proc.stdout]
        assert proc.wait(timeout=120) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rest[-1]["event"] == "Cancelled" and rest[-1]["resumable"]
    time.sleep(0)


def test_demo_with_a_tiny_model(tmp_path, tiny_model_dir, capsys):
    ws = tmp_path / "ws"
    assert sftgui(ws, "demo", "--model", str(tiny_model_dir)) == 0
    out = capsys.readouterr().out
    assert f"Imported {SAMPLE_ROWS} rows" in out and "Checked the data" in out and "Fixed" in out
    assert "Done: support-tickets@v1" in out and "Summary: support-tickets@v1 is live" in out
    assert (ws / "exports" / "support-tickets-v1" / "config.json").is_file()

    assert sftgui(ws, "demo", "--model", str(tiny_model_dir)) == 0  # a second demo reuses the project
    out = capsys.readouterr().out
    assert "Found project support-tickets (v1)" in out and "Done: support-tickets@v2" in out
