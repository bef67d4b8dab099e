"""Hyperparameter search on the tiny real model: trials are runs, pruning, choosing on validation
only, the best becomes a version, and a stopped search resumes."""

from __future__ import annotations

import pytest

from sftgui.core import events as ev
from sftgui.core import search
from sftgui.core.training import engine
from sftgui.core.training.control import CancelToken
from sftgui.store import audit_repo, runs_repo, searches_repo
from tests.core.training.conftest import Recorder, at_step, make_project, tiny_config

FIXED = ("epochs", "batch_size", "max_length")


@pytest.fixture
def started(ws, tiny_model_dir):
    project, snapshot = make_project(ws)
    config = tiny_config(project, snapshot, tiny_model_dir, epochs=2)
    return project, search.start_search(ws, config, trials=3, fixed=FIXED, seed=3)


def test_three_trials_are_three_runs_and_the_best_by_validation_becomes_a_version(ws, started):
    project, s = started
    rec = Recorder()
    result = search.run_search(ws, s.id, rec)

    assert result.status == "completed", result.message
    runs = runs_repo.list_runs(project.id)
    assert len(runs) == 3 and all(r.search_id == s.id for r in runs)
    assert all(r.status == "completed" for r in runs)
    # chosen on validation only: no trial scored the test split, and the version's run is the
    # trial with the best validation F1 (the first of equals, as optuna picks)
    values = [r.metrics["validation"]["macro_f1"] for r in runs_repo.list_runs(project.id)]
    best = runs[values.index(max(values))]
    assert result.version.run_id == best.id
    assert result.best_value == pytest.approx(max(values))
    assert all("test" not in r.metrics for r in runs if r.id != best.id)
    assert "test" in runs_repo.get_run(best.id).metrics  # scored once, after choosing
    assert result.version.metrics["validation"]["macro_f1"] == pytest.approx(max(values))
    # each trial drew its own settings from the task's space; the fixed ones held
    params = [r.config for r in runs]
    assert len({p["learning_rate"] for p in params}) == 3
    assert {p["epochs"] for p in params} == {2} and {p["batch_size"] for p in params} == {8}
    assert 1e-5 <= min(p["learning_rate"] for p in params) <= max(p["learning_rate"] for p in params) <= 2e-4
    trials = rec.of(ev.TrialFinished)
    assert [t.finished for t in trials] == [1, 2, 3] and trials[-1].eta_s == 0
    assert trials[-1].best_value == pytest.approx(max(values))
    assert rec.of(ev.SearchFinished)[-1].version == result.version.ref
    assert searches_repo.get_search(s.id).status == "completed"
    actions = [e.action for e in audit_repo.list_events(target=f"{project.name}/search-{s.id}")]
    assert actions[0] == "search.finish" and actions[-1] == "search.start"
    assert not (search.search_folder(ws, s.id) / "best").exists()  # the version holds the weights
    assert (search.search_folder(ws) / s.storage).is_file()  # optuna's study stays in the workspace


def test_a_pruner_stops_trials_when_told(ws, started):
    import optuna

    project, s = started
    # a real optuna pruner that prunes every trial whose F1 is below 2 (all of them), at its first report
    result = search.run_search(ws, s.id, pruner=optuna.pruners.ThresholdPruner(lower=2.0))
    runs = runs_repo.list_runs(project.id)
    assert [r.status for r in runs] == ["pruned"] * 3
    # pruned at the first validation pass (end of epoch 1 of 2): half the steps
    assert all(r.last_step * 2 == engine_steps(r) for r in runs)
    assert result.status == "failed" and result.version is None and "No trial" in result.message


def engine_steps(run) -> int:
    from sftgui.core.training.args import total_steps
    from sftgui.config import TrainConfig

    from sftgui.store.snapshots_repo import by_id

    config = TrainConfig.from_dict(run.config)
    return total_steps(config, by_id(run.snapshot_id).split_counts["train"], config.batch_size, 1)


def test_a_stopped_search_resumes_its_stopped_trial_and_finishes(ws, started):
    project, s = started
    cancel = CancelToken()
    calls = []

    # stop in the middle of the second trial (its run continues from a checkpoint on resume)
    original = search._pruning_callback

    def stopping(trial, metric):
        calls.append(trial.number)
        cb = original(trial, metric)
        if trial.number == 1:
            return _Both(cb, at_step(3, cancel.stop))
        return cb

    search._pruning_callback = stopping
    try:
        first = search.run_search(ws, s.id, cancel=cancel)
    finally:
        search._pruning_callback = original
    assert first.status == "stopped" and "--resume" in first.message
    runs = runs_repo.list_runs(project.id)
    assert [r.status for r in runs] == ["completed", "cancelled"]
    assert searches_repo.get_search(s.id).status == "stopped"

    second = search.run_search(ws, s.id)
    assert second.status == "completed"
    runs = runs_repo.list_runs(project.id)
    assert len(runs) == 3 and [r.status for r in runs] == ["completed"] * 3  # the stopped trial's run went on
    assert runs[1].last_step == engine_steps(runs[1])
    assert second.version is not None and second.version.run_id in {r.id for r in runs}
    assert [e.action for e in audit_repo.list_events(target=f"{project.name}/search-{s.id}")][:3] == [
        "search.finish", "search.resume", "search.stop"]


class _Both:
    """Two Trainer callbacks as one (the test's stop and the search's pruning bridge)."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.pruned = False

    def __getattr__(self, name):
        def both(*args, **kwargs):
            out = None
            for cb in (self.b, self.a):
                out = getattr(cb, name)(*args, **kwargs) or out
            self.pruned = self.a.pruned
            return out
        return both


def test_settings_the_user_fixed_are_left_out_and_bad_input_is_refused(ws, tiny_model_dir):
    from sftgui.errors import UserError

    project, snapshot = make_project(ws)
    config = tiny_config(project, snapshot, tiny_model_dir)
    s = search.start_search(ws, config, trials=2, fixed=("learning_rate", "epochs"))
    fields = [d["field"] for d in s.settings["space"]]
    assert "learning_rate" not in fields and "epochs" not in fields and "freeze" in fields
    lora = search.start_search(ws, config.replace(lora=True), trials=2)
    assert "lora_r" in [d["field"] for d in lora.settings["space"]]
    with pytest.raises(UserError, match="at least 1 trial"):
        search.start_search(ws, config, trials=0)
    with pytest.raises(UserError, match="fixed"):
        search.start_search(ws, config, fixed=("learning_rate", "epochs", "batch_size", "warmup", "weight_decay",
                                                 "freeze"))
