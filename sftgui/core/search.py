"""Find the best settings: a hyperparameter search with Optuna, over what the task says matters.

Each trial is a real training run (a row in the run history with the search's id) whose settings
come from the task's search space (`Task.search_space`), minus the settings the user fixed. A trial
is judged on the validation split only (`Task.search_metric`): its value is the best checkpoint's
validation metric, and the test split is never scored while choosing. A pruner watches the same
metric after every validation pass (a Trainer callback reports it to the trial) and stops trials
that are doing worse than the others. Only the best trial becomes a version, once the search ends;
its model waits meanwhile in cache/searches/<id>/best/.

Optuna's study lives in an SQLite file in the workspace (cache/searches/search-<id>.db, never
through a link), so a stopped search resumes: a trial that was stopped mid-way continues from its
checkpoint (same run), a trial cut short without one is run again with the same settings.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from sftgui.config import TrainConfig
from sftgui.core import events as ev
from sftgui.core.training.control import CancelToken
from sftgui.errors import UserError
from sftgui.store import runs_repo, searches_repo
from sftgui.store.timeutil import now_iso

DEFAULT_TRIALS = 10
SEARCH_DIR = "searches"


@dataclass
class SearchResult:
    search_id: int
    status: str  # completed | stopped | failed
    version: object | None = None
    best_value: float | None = None
    best_params: dict = field(default_factory=dict)
    trials: list = field(default_factory=list)  # trial_rows()
    wall_s: float = 0.0
    message: str = ""


# -- where the search keeps its files (never through a link) ------------------------------------
def search_folder(ws, search_id: int | None = None) -> Path:
    from sftgui.store.nofollow import own_dir

    root = own_dir(Path(ws.cache) / SEARCH_DIR, f"cache/{SEARCH_DIR}/")
    return root if search_id is None else own_dir(root / str(search_id), f"cache/{SEARCH_DIR}/{search_id}/")


def _storage_url(ws, search) -> str:
    from sftgui.store.nofollow import check_not_link

    path = search_folder(ws) / search.storage
    for suffix in ("", "-journal", "-wal", "-shm"):
        check_not_link(Path(f"{path}{suffix}"), f"cache/{SEARCH_DIR}/{search.storage}{suffix}")
    return f"sqlite:///{path}"


# -- starting and resuming --------------------------------------------------------------------------
def start_search(ws, config: TrainConfig, *, trials: int = DEFAULT_TRIALS, time_budget_min: float | None = None,
                 fixed: tuple[str, ...] = (), seed: int = 0) -> object:
    """A new search row for `config`'s project: `config` holds every setting a trial does not vary;
    `fixed` names the settings the user chose (left out of the space). Nothing trains yet."""
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.projects import get_project
    from sftgui.core.tasks import task_of

    if trials < 1:
        raise UserError("A search needs at least 1 trial.")
    if time_budget_min is not None and time_budget_min <= 0:
        raise UserError("The time budget must be more than 0 minutes.")
    project = get_project(ws, config.project)
    task = task_of(project)
    config = config.replace(task=project.task)
    if config.snapshot_id is None:  # every trial trains on the same rows
        config = config.replace(snapshot_id=freeze_snapshot(ws, project).id)
    space = [d for d in task.search_space(config.to_dict()) if d.field not in fixed]
    if not space:
        raise UserError("Every setting the search would vary is fixed; leave at least one of "
                        f"{', '.join(d.field for d in task.search_space(config.to_dict()))} open.")
    metric, greater = task.search_metric()
    settings = {"trials": int(trials), "time_budget_min": time_budget_min, "seed": int(seed),
                "config": config.to_dict(), "fixed": sorted(fixed), "metric": metric, "greater": greater,
                "space": [vars(d) | {"choices": list(d.choices)} for d in space], "spent_s": 0.0}
    search = searches_repo.create_search(project.id, settings=settings, project_name=project.name)
    study = _study(ws, search, create=True)
    study.set_user_attr("project", project.name)
    return search


def _study(ws, search, *, create: bool = False):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    s = search.settings
    sampler = optuna.samplers.TPESampler(seed=s["seed"], n_startup_trials=max(2, min(10, s["trials"] // 3)))
    direction = "maximize" if s["greater"] else "minimize"
    name = f"search-{search.id}"
    storage = _storage_url(ws, search)
    if create:
        return optuna.create_study(study_name=name, storage=storage, sampler=sampler, direction=direction)
    return optuna.load_study(study_name=name, storage=storage, sampler=sampler)


def default_pruner():
    """Stop a trial whose validation metric is below the median of earlier trials at the same step
    (after 2 complete trials and each trial's first validation pass)."""
    import optuna

    return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)


# -- the search loop ------------------------------------------------------------------------------
def run_search(ws, search_id: int, sink=None, cancel: CancelToken | None = None, *, pruner=None,
               trials: int | None = None) -> SearchResult:
    """Run (or resume) a search until it has `trials` finished trials (complete, pruned or
    failed; `trials` changes the number the search was started with), the time budget is spent or
    `cancel` stops it. Ends by registering the best trial as a version."""
    import optuna
    from optuna.trial import TrialState

    sink = sink if sink is not None else (lambda e: None)
    cancel = cancel if cancel is not None else CancelToken()
    search = searches_repo.get_search(search_id)
    if search.status == "completed":
        raise UserError(f"Search {search_id} is complete; its best trial is version {search.version_id}.")
    s = dict(search.settings)
    if trials is not None:
        if trials < 1:
            raise UserError("A search needs at least 1 trial.")
        s["trials"] = int(trials)
    target = _target(search)
    search = searches_repo.update_search(search_id, status="running", settings=s, ended_at=None,
                                         audit=("search.resume", target, {"trials": s["trials"]})
                                         if search.settings.get("spent_s") else None)
    study = _study(ws, search)
    pruner = pruner or default_pruner()
    study.pruner = pruner
    t0 = time.perf_counter()
    spent_before = float(s.get("spent_s") or 0.0)
    budget_s = s["time_budget_min"] * 60 if s.get("time_budget_min") else None

    def spent() -> float:
        return spent_before + time.perf_counter() - t0

    def finished() -> int:
        return sum(1 for t in study.get_trials(deepcopy=False)
                   if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL))

    stopped = False
    # trials left running by a stop or a crash first: continue from a checkpoint, or run again
    for frozen in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        run = _trial_run(search, frozen.number)
        if run is not None and _resumable(ws, run):
            trial = optuna.trial.Trial(study, frozen._trial_id)
            outcome = _one_trial(ws, search, study, trial, sink, cancel, resume_run=run.id)
            stopped = outcome == "stopped"
            _emit_trial(sink, search, study, trial.number, spent(), budget_s, s["trials"], finished())
            if stopped:
                break
        else:
            study.tell(frozen.number, state=TrialState.FAIL)
            study.enqueue_trial(frozen.params, skip_if_exists=False)
            if run is not None and run.status in ("running", "interrupted"):
                runs_repo.update_run(run.id, status="failed", ended_at=now_iso(),
                                     error="The search stopped before this trial saved a checkpoint; "
                                           "it is run again with the same settings.")
    while not stopped and finished() < s["trials"] and not cancel.is_stopped:
        if budget_s is not None and spent() >= budget_s:
            break
        trial = study.ask()
        outcome = _one_trial(ws, search, study, trial, sink, cancel)
        stopped = outcome == "stopped"
        _emit_trial(sink, search, study, trial.number, spent(), budget_s, s["trials"], finished())
    s["spent_s"] = spent()
    return _end(ws, search_id, study, s, stopped or cancel.is_stopped, sink, t0)


def _one_trial(ws, search, study, trial, sink, cancel, *, resume_run: int | None = None) -> str:
    """Train one trial; tell optuna how it went. Returns complete | pruned | failed | stopped."""
    from optuna.trial import TrialState

    from sftgui.core.training import engine

    s = search.settings
    params = _params(trial, s["space"])
    config = TrainConfig.from_dict({**s["config"], **params,
                                    "extra": {**s["config"].get("extra", {}), "search": search.id,
                                              "search_trial": trial.number}})
    bridge = _pruning_callback(trial, s["metric"])
    kept: dict = {}

    def keep(model, processor, labels, metrics):
        value = (metrics.get("validation") or {}).get(s["metric"])
        if value is not None and not bridge.pruned and _better(value, search.id, s):
            _keep_model(ws, search.id, model, processor, labels)
            kept["value"] = value

    try:
        if resume_run is not None:
            result = engine.resume(resume_run, sink, cancel, ws=ws, callbacks=[bridge], keep_model=keep)
        else:
            result = engine.run(config, sink, cancel, ws=ws, callbacks=[bridge], search_id=search.id, keep_model=keep)
    except UserError as exc:
        study.tell(trial, state=TrialState.FAIL)
        raise exc
    trial.set_user_attr("run_id", result.run_id)
    if result.status == "cancelled":
        return "stopped"  # the trial stays RUNNING in the study: resume continues its run
    if result.status == "failed":
        study.tell(trial, state=TrialState.FAIL)
        return "failed"
    if bridge.pruned:
        study.tell(trial, state=TrialState.PRUNED)
        runs_repo.update_run(result.run_id, status="pruned")
        return "pruned"
    value = (result.metrics.get("validation") or {}).get(s["metric"])
    study.tell(trial, value)
    if "value" in kept:
        searches_repo.update_search(search.id, best_run_id=result.run_id)
    return "complete"


def _better(value: float, search_id: int, s: dict) -> bool:
    search = searches_repo.get_search(search_id)
    if search.best_run_id is None:
        return True
    best = (runs_repo.get_run(search.best_run_id).metrics.get("validation") or {}).get(s["metric"])
    return best is None or (value > best if s["greater"] else value < best)


def _params(trial, space: list[dict]) -> dict:
    """The trial's settings, drawn from the stored space (so a resumed search draws from the same one)."""
    out = {}
    for d in space:
        name, kind = d["field"], d["kind"]
        if kind == "log":
            out[name] = trial.suggest_float(name, d["low"], d["high"], log=True)
        elif kind == "float":
            out[name] = trial.suggest_float(name, d["low"], d["high"])
        elif kind == "int":
            out[name] = trial.suggest_int(name, int(d["low"]), int(d["high"]))
        elif kind == "choice":
            out[name] = trial.suggest_categorical(name, list(d["choices"]))
        else:
            raise ValueError(f"unknown search dimension kind {kind!r}")
    return out


def _pruning_callback(trial, metric: str):
    """A Trainer callback that reports the validation metric to the trial after every validation
    pass and stops training when the pruner says so."""
    from transformers import TrainerCallback

    class Pruning(TrainerCallback):
        def __init__(self):
            self.pruned = False
            # a resumed trial validates some steps again; the closing evaluation of the best checkpoint is no new step
            self.reported = set(trial.study._storage.get_trial(trial._trial_id).intermediate_values)

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            value = (metrics or {}).get(f"eval_{metric}")
            step = int(state.global_step)
            if value is None or self.pruned or step in self.reported:
                return control
            self.reported.add(step)
            trial.report(float(value), step=step)
            if trial.should_prune():
                self.pruned = True
                control.should_training_stop = True
            return control

    return Pruning()


# -- the best trial's model, kept until the search ends -------------------------------------------
def _keep_model(ws, search_id: int, model, processor, labels) -> None:
    """The task's files and the weights of the best trial so far, replacing the previous best."""
    from safetensors.torch import save_file

    from sftgui.core.tasks import task_of

    search = searches_repo.get_search(search_id)
    task = task_of(search)
    folder = search_folder(ws, search_id)
    tmp = folder / "best.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "files").mkdir(parents=True)
    for name, data in task.model_files(model, processor, labels).items():
        (tmp / "files" / name).write_bytes(data)
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    save_file(state, str(tmp / "weights.safetensors"))
    shutil.rmtree(folder / "best", ignore_errors=True)
    tmp.rename(folder / "best")


def _load_kept(ws, search):
    from safetensors.torch import load_file

    from sftgui.core.tasks import task_of

    folder = search_folder(ws, search.id) / "best"
    if not (folder / "weights.safetensors").is_file():
        return None
    model, _processor = task_of(search).load_version(folder / "files", load_file(str(folder / "weights.safetensors")))
    return model


# -- ending: the best trial becomes a version -------------------------------------------------------
def _end(ws, search_id, study, s, stopped: bool, sink, t0) -> SearchResult:
    from sftgui.core.training import engine

    search = searches_repo.get_search(search_id)
    target = _target(search)
    rows = trial_rows(ws, search_id)
    best = _best(study)
    wall = time.perf_counter() - t0
    best_value = best.value if best is not None else None
    best_params = dict(best.params) if best is not None else {}
    if stopped:
        message = (f"Search {search_id} stopped after {_count(rows)}; resume it with "
                   f"`sftgui tune --resume {search_id}`.")
        searches_repo.update_search(search_id, status="stopped", settings=s, ended_at=now_iso(),
                                    audit=("search.stop", target, {"trials": len(rows), "best_value": best_value}))
        sink(ev.SearchFinished(search.best_run_id or 0, search_id=search_id, status="stopped", version=None,
                               best_value=best_value, best_params=best_params, metric=s["metric"],
                               trials=len(rows), wall_s=wall, message=message))
        return SearchResult(search_id, "stopped", best_value=best_value, best_params=best_params, trials=rows,
                            wall_s=wall, message=message)
    model = _load_kept(ws, search) if search.best_run_id is not None else None
    if model is None:
        message = f"No trial of search {search_id} finished, so there is no best setting to keep."
        searches_repo.update_search(search_id, status="failed", settings=s, ended_at=now_iso(),
                                    audit=("search.fail", target, {"trials": len(rows)}))
        sink(ev.SearchFinished(0, search_id=search_id, status="failed", version=None, best_value=None,
                               best_params={}, metric=s["metric"], trials=len(rows), wall_s=wall, message=message))
        return SearchResult(search_id, "failed", trials=rows, wall_s=wall, message=message)
    result = engine.register_kept(search.best_run_id, model, sink, ws=ws)
    version = result.version
    message = (f"The best of {_count(rows)} ({s['metric']} {best_value:.3f} on the validation rows) "
               f"is now {version.ref}.")
    searches_repo.update_search(
        search_id, status="completed", settings=s, version_id=version.id, ended_at=now_iso(),
        audit=("search.finish", target, {"version": version.ref, "best_run": search.best_run_id,
                                         "best_value": best_value, "best_params": best_params,
                                         "trials": len(rows), "test": {k: version.metrics.get(k) for k in
                                                                       ("accuracy", "macro_f1")}}))
    shutil.rmtree(search_folder(ws, search_id) / "best", ignore_errors=True)  # the version holds it now
    sink(ev.SearchFinished(search.best_run_id, search_id=search_id, status="completed", version=version.ref,
                           best_value=best_value, best_params=best_params, metric=s["metric"], trials=len(rows),
                           wall_s=wall, message=message))
    return SearchResult(search_id, "completed", version=version, best_value=best_value, best_params=best_params,
                        trials=rows, wall_s=wall, message=message)


def _best(study):
    try:
        return study.best_trial
    except ValueError:  # no complete trial
        return None


def _count(rows) -> str:
    n = len(rows)
    return f"{n} trial{'s' if n != 1 else ''}"


def _target(search) -> str:
    from sftgui.store import projects_repo

    return f"{projects_repo.by_id(search.project_id).name}/search-{search.id}"


def _trial_run(search, number: int):
    for run in runs_repo.list_runs(search.project_id, search_id=search.id):
        if run.config.get("extra", {}).get("search_trial") == number:
            return run
    return None


def _resumable(ws, run) -> bool:
    from sftgui.core.training import engine

    return run.status in engine.RESUMABLE and engine.last_complete_checkpoint(engine.run_dir(ws, run.id)) is not None


def _emit_trial(sink, search, study, number: int, spent: float, budget_s, total: int, done: int) -> None:
    t = study.get_trials(deepcopy=False)[number]
    best = _best(study)
    fresh = searches_repo.get_search(search.id)
    per_trial = spent / max(1, done)
    eta = per_trial * max(0, total - done)
    if budget_s is not None:
        eta = min(eta, max(0.0, budget_s - spent))
    sink(ev.TrialFinished(t.user_attrs.get("run_id", 0), search_id=search.id, trial=number,
                          state=t.state.name.lower(), value=t.value, params=dict(t.params),
                          metric=search.settings["metric"], best_value=best.value if best else None,
                          best_trial=best.number if best else None, best_run_id=fresh.best_run_id,
                          finished=done, total=total, elapsed_s=spent, eta_s=eta))


# -- reading a search back --------------------------------------------------------------------------
def trial_rows(ws, search_id: int) -> list[dict]:
    """One dict per trial run: `{trial, run_id, status, value, params, validation, wall_s, best}`."""
    search = searches_repo.get_search(search_id)
    s = search.settings
    names = [d["field"] for d in s.get("space", [])]
    out = []
    for run in runs_repo.list_runs(search.project_id, search_id=search_id):
        validation = run.metrics.get("validation") or {}
        out.append({"trial": run.config.get("extra", {}).get("search_trial"), "run_id": run.id,
                    "status": run.status, "value": validation.get(s.get("metric")),
                    "params": {n: run.config.get(n) for n in names}, "validation": validation,
                    "wall_s": run.wall_s, "best": run.id == search.best_run_id})
    return out


def describe(ws, search_id: int) -> dict:
    """The search as JSON: settings, status, trials and the version it produced."""
    search = searches_repo.get_search(search_id)
    version = None
    if search.version_id is not None:
        from sftgui.core.versions import get_version

        version = get_version(ws, search.version_id).ref
    s = search.settings
    return {"id": search.id, "status": search.status, "metric": s.get("metric"), "trials_wanted": s.get("trials"),
            "time_budget_min": s.get("time_budget_min"), "seed": s.get("seed"), "fixed": s.get("fixed"),
            "space": s.get("space"), "spent_s": s.get("spent_s"), "best_run": search.best_run_id,
            "version": version, "created_at": search.created_at, "ended_at": search.ended_at,
            "trials": trial_rows(ws, search_id)}


def list_searches(ws, project) -> list[dict]:
    from sftgui.core.projects import get_project

    project = get_project(ws, project)
    return [describe(ws, s.id) for s in searches_repo.for_project(project.id)]

