"""Training faults: a training process SIGKILLed at random moments or in the middle of writing a
checkpoint, and an exception during evaluation. The run ends `interrupted` or `failed` with its log,
nothing torn is resumed from, and a new run starts and completes.

An exception raised in a step callback is tests/core/training/test_engine.py::
test_an_exception_in_a_callback_fails_the_run_and_makes_no_version; a run left `running` by a pid
that is gone is tests/core/training/test_control.py::test_mark_interrupted_runs_leaves_this_process_alone.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from sftgui.core.data.snapshots import freeze_snapshot
from sftgui.core.projects import get_project
from sftgui.core.training import engine
from sftgui.errors import UserError
from sftgui.store import runs_repo
from sftgui.store.db import open_workspace
from tests.core.training.conftest import make_project, tiny_config
from tests.reliability.checks import integrity
from tests.reliability.conftest import ROOT, sftgui_process

TRAIN_KILLS = int(os.environ.get("SFTGUI_TRAIN_KILLS", "1"))


def _train_process(ws_path, model_dir, *extra) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.train_child", str(ws_path), "tickets",
                             str(model_dir), *map(str, extra)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def _after_the_crash(ws_path, model_dir):
    """The killed run is `interrupted` with its log; resume works or says why not; a new run completes."""
    assert integrity(ws_path / "sftgui.db") == "ok"
    ws = open_workspace(ws_path)
    try:
        project = get_project(ws, "tickets")
        runs = runs_repo.list_runs(project.id)
        killed = max(runs, key=lambda r: r.id)
        assert killed.status == "interrupted", killed.status
        assert killed.log_path and os.path.getsize(killed.log_path) > 0
        folder = engine.run_dir(ws, killed.id)
        torn = [p for p in folder.glob("checkpoint-*") if not (p / "trainer_state.json").exists()]
        try:
            resumed = engine.resume(killed.id)
            assert resumed.status == "completed", resumed.error
            outcome = "resumed"
        except UserError as exc:  # killed before its first complete checkpoint
            assert "no saved checkpoint" in str(exc)
            outcome = "nothing to resume"
        assert not any(p.exists() for p in torn)  # a torn checkpoint is never left for resume to pick
        fresh = engine.run(tiny_config(project, freeze_snapshot(ws, project), model_dir, epochs=1))
        assert fresh.status == "completed", fresh.error
        return outcome, bool(torn)
    finally:
        ws.close()


@pytest.fixture
def ws_path(tmp_path):
    path = tmp_path / "ws"
    ws = open_workspace(path)
    make_project(ws)
    ws.close()
    return path


def test_sigkill_of_a_real_sftgui_train_at_random_moments(ws_path, tiny_model_dir, figures):
    rng = random.Random(int(os.environ.get("SFTGUI_KILL_SEED", "8")))
    for _ in range(TRAIN_KILLS):
        proc = sftgui_process("--workspace", ws_path, "train", "--project", "tickets", "--model", tiny_model_dir,
                              "--epochs", 2, "--batch-size", 8, "--max-length", 32, "--lr", 0.03, "--json-events",
                              stderr=subprocess.DEVNULL)
        kill_after = rng.randint(1, 19)  # of the 20 steps, so the kill lands while it trains or checkpoints
        try:
            steps = (1 for line in proc.stdout if json.loads(line)["event"] == "StepLogged")
            assert sum(1 for _ in zip(range(kill_after), steps)) == kill_after
            time.sleep(rng.uniform(0.0, 0.1))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        _after_the_crash(ws_path, tiny_model_dir)
        figures["kills_survived"] += 1
        figures["training_kills"] += 1


def test_sigkill_in_the_middle_of_writing_a_checkpoint(ws_path, tiny_model_dir, figures):
    proc = _train_process(ws_path, tiny_model_dir, "tear-checkpoint", 2)  # the first one stays complete
    proc.wait(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    ws = open_workspace(ws_path, readonly=True)
    try:
        run = runs_repo.list_runs(get_project(ws, "tickets").id)[-1]
        folder = engine.run_dir(ws, run.id)
        states = {p.name: (p / "trainer_state.json").exists() for p in folder.glob("checkpoint-*")}
    finally:
        ws.close()
    assert list(states.values()).count(True) == 1 and list(states.values()).count(False) == 1, states
    outcome, torn = _after_the_crash(ws_path, tiny_model_dir)
    assert (outcome, torn) == ("resumed", True)
    figures["kills_survived"] += 1
    figures["training_kills"] += 1


def test_an_exception_during_evaluation_fails_the_run_and_a_new_run_completes(ws, tiny_model_dir, figures):
    from transformers import TrainerCallback

    from sftgui.core.versions import list_versions

    project, snapshot = make_project(ws)

    class Boom(TrainerCallback):
        def on_evaluate(self, args, state, control, **kwargs):
            raise RuntimeError("evaluation blew up")

    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1), callbacks=[Boom()])
    assert result.status == "failed" and "evaluation blew up" in result.error
    run = runs_repo.get_run(result.run_id)
    assert run.status == "failed" and "RuntimeError: evaluation blew up" in open(run.log_path).read()
    assert list_versions(ws, project) == []
    again = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1))
    assert again.status == "completed" and again.version.number == 1
    figures["faults_injected"] += 1
