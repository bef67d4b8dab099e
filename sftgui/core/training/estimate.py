"""How long a training will take on THIS computer, said before Start ("about 40 s here").

Measured, not guessed: the seconds per trained example of the project's last completed run with
the same model, freeze point, cached-part setting and device (what the wall clock of that run saw:
loading, computing the frozen part, training, evaluating, registering), times the examples this
training will see. With no such run there is no estimate yet (the first training measures it);
a short calibration before the first run is not built.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Estimate:
    seconds: float
    basis: str  # plain words: what it was measured on

    def sentence(self) -> str:
        return f"About {_short(self.seconds)} here ({self.basis})."


def _short(seconds: float) -> str:
    s = max(1, int(round(seconds)))
    if s < 90:
        return f"{s} s"
    if s < 5400:
        return f"{round(s / 60)} min"
    return f"{s / 3600:.1f} h"


def _same_kind(a: dict, b: dict) -> bool:
    keys = ("model", "freeze", "feature_cache", "lora", "device")
    return all(str(a.get(k)) == str(b.get(k)) for k in keys)


def planned_examples(ws, project, config) -> int:
    """Training examples this run will see: the next snapshot's training share times the epochs."""
    from sftgui.core.data.snapshots import get_snapshot, what_a_snapshot_takes
    from sftgui.core.data.splits import DEFAULT_FRACTIONS

    if config.snapshot_id is not None:
        train = get_snapshot(ws, config.snapshot_id).split_counts.get("train", 0)
    else:
        train = int(what_a_snapshot_takes(ws, project)["rows"] * DEFAULT_FRACTIONS[0])
    if config.max_steps > 0:
        return int(config.max_steps * config.batch_size * config.grad_accumulation)
    return int(train * config.epochs)


def estimate(ws, project, config) -> Estimate | None:
    """The estimate for `config` on `project`, or None when this computer has not trained it yet."""
    from sftgui.core.projects import get_project
    from sftgui.store import runs_repo

    project = get_project(ws, project)
    wanted = config.to_dict()
    for run in reversed(runs_repo.list_runs(project.id)):
        facts = (run.metrics or {}).get("training") or {}
        seen = (facts.get("steps") or 0) * (facts.get("batch_size") or 0) * (facts.get("grad_accumulation") or 1)
        if run.status != "completed" or not run.wall_s or not seen or not _same_kind(run.config, wanted):
            continue
        per_example = run.wall_s / seen
        return Estimate(per_example * planned_examples(ws, project, config), f"measured on run {run.id}")
    return None
