"""Compare two or more versions side by side.

Everything is measured on ONE common test set, the first version's (the others are evaluated on
it when they were trained on other data), and only on its rows that none of the versions trained
on (`core/unseen.py`), so the numbers and the prediction diff are comparable:
the settings that differ, what changed in the data, metrics with deltas, training curves,
confusion matrices, and which examples got fixed or broken. The metric columns and the
per-example diff are the task's (`Task.compare_metrics`, `Task.prediction_diff`).
"""

from __future__ import annotations

from typing import Sequence

from sftgui.errors import UserError

EXAMPLES_KEPT = 10


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in (d or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def config_diff(configs: dict[str, dict]) -> dict[str, dict]:
    """`{setting: {version: value}}` for the settings (nested ones dotted) that are not all equal."""
    flat = {ref: _flatten(c) for ref, c in configs.items()}
    keys = sorted(set().union(*flat.values())) if flat else []
    out = {}
    for key in keys:
        values = {ref: f.get(key) for ref, f in flat.items()}
        if len({repr(v) for v in values.values()}) > 1:
            out[key] = values
    return out


def training_curves(run_id: int | None) -> dict[str, list[list[float]]]:
    """`{series name: [[step, value], ...]}` logged by the version's run (empty without one)."""
    if run_id is None:
        return {}
    from sftgui.store.runs_repo import metric_points

    curves: dict[str, list] = {}
    for p in metric_points(run_id):
        curves.setdefault(p.name, []).append([p.step, p.value])
    return curves


def _snapshot_diffs(ws, base_snapshot: int, versions) -> dict:
    from sftgui.core.data.snapshots import diff_snapshots

    out = {}
    for v in versions[1:]:
        if v.snapshot_id is None:
            out[v.ref] = None
        elif v.snapshot_id == base_snapshot:
            out[v.ref] = {"same_snapshot": True}
        else:
            out[v.ref] = diff_snapshots(ws, base_snapshot, v.snapshot_id)
    return out


def restrict(result: dict, keep_ids: set, task) -> dict:
    """An evaluation result scored again (by the task) on only the rows whose id is in `keep_ids`."""
    rows = [r for r in result["rows"] if r["row_id"] in keep_ids]
    outputs = task.stored_outputs(rows, result["labels"])
    if outputs is None:  # no rows left: an empty result of the task's shape
        outputs = task.stored_outputs([], result["labels"]) or []
    return {**result, **task.score(rows, result["labels"], outputs)}


def common_test_rows(ws, versions) -> tuple[set, dict]:
    """Row ids of the first version's test rows that no version trained on, and the account."""
    from sftgui.core import unseen
    from sftgui.core.evaluation import split_rows

    base = versions[0]
    rows = split_rows(ws, base.snapshot_id)
    kept = unseen.unseen_rows(base.project_id, rows, unseen.trained_on(ws, versions))
    account = unseen.fairness(len(rows), len(kept), [v.ref for v in versions], base.ref)
    if not kept:
        raise UserError(
            f"Every one of {base.ref}'s {len(rows)} test rows was trained on by one of "
            f"{', '.join(v.ref for v in versions)}, so no fair comparison is possible; put another version first, "
            "or freeze new test data."
        )
    return {int(r["row_id"]) for r in kept}, account


def compare_versions(ws, versions: Sequence, *, examples: int = EXAMPLES_KEPT, progress=None) -> dict:
    """Everything the compare view and `sftgui compare` show, as one JSON-ready dict."""
    from sftgui.core.evaluation import evaluate_version
    from sftgui.core.tasks import task_of

    versions = list(versions)
    if len(versions) < 2:
        raise UserError("Name at least two versions to compare.")
    if len({v.id for v in versions}) < len(versions):
        raise UserError("A version is named twice; name each version to compare once.")
    base = versions[0]
    task = task_of(base)
    if any(task_of(v) is not task for v in versions[1:]):
        raise UserError("Only versions of the same kind of task can be compared.")
    if base.snapshot_id is None:
        raise UserError(f"{base.ref} has no test set of its own; put a version trained on a snapshot first.")
    keep_ids, account = common_test_rows(ws, versions)
    results = {}
    for i, v in enumerate(versions):
        if progress:
            progress(i / len(versions), f"Evaluating {v.ref} on {base.ref}'s test set")
        results[v.ref] = evaluate_version(ws, v, base.snapshot_id)
        if account["left_out"]:
            results[v.ref] = restrict(results[v.ref], keep_ids, task)
    refs = [v.ref for v in versions]
    first = results[refs[0]]["metrics"]
    metrics = {ref: task.compare_metrics(results[ref]["metrics"], first) for ref in refs}
    diffs = {ref: task.prediction_diff(results[refs[0]]["rows"], results[ref]["rows"], examples=examples)
             for ref in refs[1:]}
    if progress:
        progress(1.0, "Compared")
    return {
        "task": task.name,
        "versions": refs,
        # examples: rows scored; total: the first version's test rows; left_out: seen in training
        "test_set": {"snapshot_id": base.snapshot_id, "of": base.ref, **account},
        "metrics": metrics,
        "config_diff": config_diff({v.ref: v.config for v in versions}),
        "snapshot_diff": _snapshot_diffs(ws, base.snapshot_id, versions),
        "curves": {v.ref: training_curves(v.run_id) for v in versions},
        "confusion": {
            ref: {"labels": results[ref]["classes"], "matrix": results[ref]["metrics"]["confusion_matrix"]}
            for ref in refs if "confusion_matrix" in results[ref]["metrics"]
        },
        # the contract's key: first version -> second; `prediction_diffs` has first -> each other
        "prediction_diff": diffs[refs[1]],
        "prediction_diffs": diffs,
    }
