"""Pause, stop, resume, interrupted runs and the out-of-memory retry, on a tiny real model."""

from __future__ import annotations

import threading
import time

import pytest

from sftgui.core import events as ev
from sftgui.core.training import engine
from sftgui.core.training.control import CancelToken
from sftgui.errors import UserError
from sftgui.store import runs_repo
from tests.core.training.conftest import Recorder, at_step, make_project, tiny_config, train_then_kill

def test_pause_holds_training_until_resume(ws, tiny_project, tiny_model_dir):
    project, snapshot = tiny_project
    token, rec = CancelToken(), Recorder()

    def sink(event):  # like the GUI: another thread presses Resume a moment after "Paused" shows
        rec(event)
        if isinstance(event, ev.Paused):
            threading.Timer(0.5, token.resume).start()

    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1, log_steps=1), sink, token,
                        callbacks=[at_step(3, token.pause)])
    assert result.status == "completed", result.error
    paused, resumed = rec.of(ev.Paused)[0], rec.of(ev.Resumed)[0]
    assert paused.step == resumed.step == 4  # asked during step 3: held at the next step
    names = rec.names()
    assert names.index("Paused") + 1 == names.index("Resumed")  # nothing trained while paused
    before = [e for e in rec[: names.index("Paused")] if isinstance(e, ev.StepLogged)][-1]
    after = [e for e in rec[names.index("Resumed"):] if isinstance(e, ev.StepLogged)][0]
    assert (before.step, after.step) == (3, 4) and after.elapsed_s - before.elapsed_s >= 0.5


def test_stop_saves_a_checkpoint_and_resume_continues_at_the_same_step(ws, tiny_project, tiny_model_dir):
    from sftgui.core.versions import list_versions

    project, snapshot = tiny_project
    stop_file = {}

    def request_stop():  # what `sftgui runs cancel` does from another process
        path = engine.cancel_file(ws, stop_file["run"])
        path.write_text("stop")

    rec = Recorder()
    config = tiny_config(project, snapshot, tiny_model_dir, log_steps=1)
    sink = lambda e: (stop_file.setdefault("run", e.run_id), rec(e))  # noqa: E731
    result = engine.run(config, sink, callbacks=[at_step(5, request_stop)])

    assert result.status == "cancelled"
    cancelled = rec.of(ev.Cancelled)[0]
    assert cancelled.resumable and cancelled.step == 6  # written during step 5, seen at the next step
    run = runs_repo.get_run(result.run_id)
    assert run.status == "cancelled" and run.last_step == cancelled.step
    assert (engine.run_dir(ws, run.id) / f"checkpoint-{cancelled.step}").is_dir()
    assert list_versions(ws, project) == []

    again = Recorder()
    resumed = engine.resume(run.id, again)
    assert resumed.status == "completed", resumed.error
    start = again.of(ev.Started)[0]
    assert start.resumed_from_step == cancelled.step
    assert again.of(ev.StepLogged)[0].step == cancelled.step + 1
    assert resumed.version.run_id == run.id and runs_repo.get_run(run.id).status == "completed"
    loss_steps = [p.step for p in runs_repo.metric_points(run.id, "loss")]
    assert loss_steps == list(range(1, start.total_steps + 1))  # one point per step, none twice

    with pytest.raises(UserError, match="completed"):
        engine.resume(run.id)


def test_a_run_killed_mid_training_is_interrupted_and_resumable(tmp_path, tiny_model_dir):
    from sftgui.store.db import open_workspace

    ws_path = tmp_path / "ws"
    ws = open_workspace(ws_path)
    project, snapshot = make_project(ws)
    ws.close()
    train_then_kill(ws_path, project.name, tiny_model_dir)  # step 11: past epoch 1's checkpoint

    ws = open_workspace(ws_path)
    try:
        run = runs_repo.list_runs(project.id)[0]
        assert run.status == "interrupted" and run.last_step == 10
        rec = Recorder()
        result = engine.resume(run.id, rec)
        assert result.status == "completed", result.error
        assert rec.of(ev.Started)[0].resumed_from_step == 10
    finally:
        ws.close()


def test_out_of_memory_retries_with_half_the_batch(ws, tiny_project, tiny_model_dir):
    import torch
    from transformers import TrainerCallback

    class OutOfMemoryOnce(TrainerCallback):  # fault injection: the first attempt "runs out of memory"
        attempts = 0

        def on_train_begin(self, args, state, control, **kwargs):
            OutOfMemoryOnce.attempts += 1

        def on_step_begin(self, args, state, control, **kwargs):
            if OutOfMemoryOnce.attempts == 1:
                raise torch.OutOfMemoryError("CUDA out of memory (injected)")

    project, snapshot = tiny_project
    rec = Recorder()
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1), rec, callbacks=[OutOfMemoryOnce()])
    assert result.status == "completed", result.error
    retry = rec.of(ev.Retrying)[0]
    assert (retry.batch_size, retry.grad_accumulation) == (4, 2)
    starts = rec.of(ev.Started)
    assert [(s.batch_size, s.grad_accumulation) for s in starts] == [(8, 1), (4, 2)]
    assert starts[0].total_steps == starts[1].total_steps  # same effective batch, same number of updates
    config = runs_repo.get_run(result.run_id).config
    assert (config["batch_size"], config["grad_accumulation"]) == (4, 2)


def test_out_of_memory_at_batch_one_fails_with_advice(ws, tiny_project, tiny_model_dir):
    import torch
    from transformers import TrainerCallback

    class AlwaysOutOfMemory(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            raise torch.OutOfMemoryError("CUDA out of memory (injected)")

    project, snapshot = tiny_project
    rec = Recorder()
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, batch_size=2, epochs=1), rec,
                        callbacks=[AlwaysOutOfMemory()])
    assert result.status == "failed"
    assert "lower the maximum length" in result.error
    assert [e.batch_size for e in rec.of(ev.Retrying)] == [1]


def test_mark_interrupted_runs_leaves_this_process_alone(ws, tiny_project):
    project, snapshot = tiny_project
    mine = runs_repo.create_run(project.id, config={}, status="running")
    dead = runs_repo.create_run(project.id, config={}, status="running")
    runs_repo.update_run(dead.id, pid=2**22 + 7)
    done = runs_repo.create_run(project.id, config={}, status="completed")
    assert runs_repo.mark_interrupted_runs() == 1
    assert [runs_repo.get_run(r.id).status for r in (mine, dead, done)] == ["running", "interrupted", "completed"]
