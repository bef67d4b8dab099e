"""Two real torchrun processes (gloo on this CPU) training the tiny model: the same result as one
process, stop/pause/resume across processes, and a killed rank ending the run as failed."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from sftgui.core import events as ev
from sftgui.core.training import engine
from sftgui.core.training.distributed import PACKAGE, torchrun_command
from sftgui.store import runs_repo
from tests.core.training.conftest import Recorder, tiny_config

# dropout off: two processes draw other dropout masks than one does, the only intended difference
SAME = dict(dropout=0.0, batch_size=8)


def _losses(run_id: int) -> dict[int, float]:
    return {p.step: p.value for p in runs_repo.metric_points(run_id, "loss")}


def test_two_processes_train_like_one_and_register_one_version(ws, tiny_project, tiny_model_dir):
    from sftgui.core.versions import list_versions, verify

    project, snapshot = tiny_project
    one = engine.run(tiny_config(project, snapshot, tiny_model_dir, **SAME), ws=ws)
    rec = Recorder()
    two = engine.run(tiny_config(project, snapshot, tiny_model_dir, processes=2, **SAME), rec, ws=ws)
    assert one.status == "completed" and two.status == "completed", two.error

    versions = list_versions(ws, project)
    assert [v.number for v in versions] == [1, 2] and versions[1].run_id == two.run_id  # exactly one more
    row = runs_repo.get_run(two.run_id)
    assert row.status == "completed" and row.config["processes"] == 2 and row.config["batch_size"] == 8
    assert two.metrics["training"]["processes"] == 2 and two.metrics["training"]["batch_size_per_process"] == 4

    # same effective batch (4 + 4 = 8, the same rows in each step): the same curve and the same result
    a, b = _losses(one.run_id), _losses(two.run_id)
    assert a.keys() == b.keys() and len(a) >= 10
    assert max(abs(a[s] - b[s]) for s in a) < 0.08
    assert abs(a[min(a)] - b[min(b)]) < 1e-3  # the first step is the very same computation
    m1, m2 = one.metrics, two.metrics
    assert m2["validation"]["loss"] == pytest.approx(m1["validation"]["loss"], abs=0.08)
    assert abs(m2["accuracy"] - m1["accuracy"]) <= 0.125 + 1e-9  # at most one of the 8 test rows differs
    assert len(rec.of(ev.Started)) == 1 and len(rec.of(ev.Finished)) == 1 and rec.of(ev.Evaluated)
    assert not engine.run_dir(ws, two.run_id).exists()  # package and checkpoints go once the version holds it
    assert verify(ws)["ok"]


def test_pause_stop_and_resume_reach_every_process(ws, tiny_project, tiny_model_dir):
    from sftgui.core.training.control import CancelToken
    from sftgui.core.versions import list_versions

    project, snapshot = tiny_project
    token, rec = CancelToken(), Recorder()

    def sink(event):
        rec(event)
        if isinstance(event, ev.StepLogged) and event.step >= 4 and not rec.of(ev.Paused) and not token.is_paused:
            token.pause()
        elif isinstance(event, ev.Paused):
            threading.Timer(0.5, token.resume).start()
        elif isinstance(event, ev.StepLogged) and event.step >= 14:
            token.stop()

    config = tiny_config(project, snapshot, tiny_model_dir, processes=2, log_steps=1, **SAME)
    stopped = engine.run(config, sink, token, ws=ws)
    assert stopped.status == "cancelled", stopped.error
    assert len(rec.of(ev.Paused)) == 1 and len(rec.of(ev.Resumed)) == 1
    step = rec.of(ev.Cancelled)[0].step
    assert 14 <= step < 30 and runs_repo.get_run(stopped.run_id).last_step == step  # a checkpoint at the stop

    again = Recorder()
    done = engine.resume(stopped.run_id, again, ws=ws)
    assert done.status == "completed", done.error
    assert again.of(ev.Started)[0].resumed_from_step == step
    assert sorted(_losses(stopped.run_id)) == list(range(1, 31))  # one curve, no step twice
    assert [v.run_id for v in list_versions(ws, project)] == [stopped.run_id]


def test_a_killed_process_ends_the_run_as_failed_and_the_workspace_stays_sound(ws, tiny_project, tiny_model_dir):
    from sftgui.core.versions import list_versions, verify

    project, snapshot = tiny_project
    rec = Recorder()

    def sink(event):
        rec(event)
        if isinstance(event, ev.StepLogged) and event.step >= 3 and not rec.of(ev.Failed) and not killed:
            pid = int((engine.run_dir(ws, event.run_id) / PACKAGE / "rank-1.pid").read_text())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    killed: list[int] = []
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, processes=2, log_steps=1, **SAME),
                        sink, ws=ws)
    assert killed and result.status == "failed"
    assert "A training process stopped unexpectedly" in result.error and "run-" in result.error
    row = runs_repo.get_run(result.run_id)
    assert row.status == "failed" and row.error == result.error
    from pathlib import Path

    log = Path(ws.logs) / f"run-{result.run_id}-workers.log"
    assert log.is_file() and str(log) in result.error
    assert list_versions(ws, project) == []
    assert verify(ws)["ok"]


def test_rendezvous_options_reach_torchrun():
    local = torchrun_command(2, {}, ["PKG"])
    assert "--standalone" in local and "--nproc-per-node=2" in local and local[-3:] == ["-m", "sftgui.core.training.dist_worker", "PKG"]
    cluster = torchrun_command(4, {"nnodes": "2", "node_rank": "1", "rdzv_endpoint": "head:29500",
                                   "rdzv_backend": "c10d", "rdzv_id": "42"}, ["-"])
    assert "--standalone" not in cluster
    for flag in ("--nnodes=2", "--node-rank=1", "--rdzv-endpoint=head:29500", "--rdzv-backend=c10d", "--rdzv-id=42"):
        assert flag in cluster
    from sftgui.errors import UserError

    with pytest.raises(UserError, match="Unknown launcher option"):
        torchrun_command(2, {"nproc": "3"}, ["PKG"])
