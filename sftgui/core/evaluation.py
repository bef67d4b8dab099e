"""Evaluate a version on the test rows of a snapshot: metrics, per-example predictions, mistakes.

`evaluate_version` is the entry point the CLI, the GUI and compare use; it caches one result per
(version, snapshot) in the `Evaluation` table (result JSON as a blob). What a result holds, and
how the model predicts, is the task's (`Task.predict`, `Task.score`); `evaluate_model` works on a
plain (model, processor) pair so tests can use it without a workspace.
"""

from __future__ import annotations

import json
from typing import Sequence

from sftgui.errors import UserError


def evaluate_model(model, processor, rows: Sequence[dict], labels: Sequence[str], *, task=None,
                   max_length: int | None = None) -> dict:
    """The task's result of a loaded model on `rows` (dicts with row_id, the input and label)."""
    from sftgui.core.tasks import get_task

    task = task or get_task(None)
    outputs = task.predict(model, processor, [r[task.input_column] for r in rows], max_length=max_length)
    return task.score(rows, labels, outputs)


def rows_of(task, table: dict[str, list], split: str) -> list[dict]:
    """The rows of one split of a snapshot table (a dict of columns) as dicts of the task's
    columns and row_id; a labelled task keeps only rows with a label."""
    names = ["row_id", *(name for name, _ in task.columns)]
    return [
        {name: table[name][i] for name in names}
        for i, sp in enumerate(table["split"])
        if sp == split and (not task.labelled or table[task.label_column][i] is not None)
    ]


def split_rows(ws, snapshot_id: int, split: str = "test") -> list[dict]:
    """The rows of one split of a frozen snapshot (see `rows_of`); refuses an empty split."""
    from sftgui.core.data.snapshots import get_snapshot, load_snapshot_table
    from sftgui.core.tasks import task_of

    task = task_of(get_snapshot(ws, snapshot_id))
    rows = rows_of(task, load_snapshot_table(ws, snapshot_id).to_pydict(), split)
    if not rows:
        raise UserError(
            f"Dataset snapshot {snapshot_id} has no labelled {split} rows, so there is nothing to "
            "evaluate on; freeze a snapshot with a test split."
        )
    return rows


def _from_stored_predictions(ws, task, version, snapshot_id: int) -> dict | None:
    """Reuse the test predictions training stored, when they are for this snapshot's test split."""
    from sftgui.core.versions import read_predictions

    stored = read_predictions(ws, version)
    if not stored or stored.get("snapshot_id") != snapshot_id or stored.get("split", "test") != "test":
        return None
    if list(stored.get("labels") or version.labels) != list(version.labels):
        return None
    rows = stored.get("rows") or []
    outputs = task.stored_outputs(rows, version.labels)
    return None if outputs is None else task.score(rows, version.labels, outputs)


def evaluate_version(ws, version, snapshot_id: int | None = None, *, progress=None) -> dict:
    """Evaluation of `version` on the test split of `snapshot_id` (default: the one it was trained on).

    Computed once per (version, snapshot) and cached; `progress(fraction, message)` is told when
    the model has to run.
    """
    from sftgui.core.tasks import task_of
    from sftgui.store import evaluations_repo

    task = task_of(version)
    snapshot_id = snapshot_id if snapshot_id is not None else version.snapshot_id
    if snapshot_id is None:
        raise UserError(
            f"{version.ref} was not trained on a dataset snapshot; name one to evaluate on with --snapshot."
        )
    cached = evaluations_repo.get_evaluation_blob(version.id, snapshot_id)
    if cached and ws.blobs.has(cached):
        result = json.loads(ws.blobs.get_bytes(cached))
        if result.get("format") == task.result_format:
            return result
    result = _from_stored_predictions(ws, task, version, snapshot_id)
    if result is None:
        rows = split_rows(ws, snapshot_id)
        if progress:
            progress(0.0, f"Loading {version.ref}")
        from sftgui.core.predict import loaded_version

        model, processor = loaded_version(ws, version)
        if progress:
            progress(0.2, f"Predicting {len(rows)} test rows")
        result = evaluate_model(model, processor, rows, version.labels, task=task,
                                max_length=task.max_length(processor, version.config))
        from sftgui.core.inference import choose

        result["runs_on"] = choose().name  # where the model ran (absent: training's own predictions)
    result.update(version=version.ref, version_id=version.id, snapshot_id=snapshot_id, split="test")
    if not ws.readonly:  # a reader (e.g. while training holds the lock) computes without caching
        digest = ws.blobs.put_bytes(json.dumps(result, ensure_ascii=False).encode("utf-8"))
        evaluations_repo.save_evaluation_blob(version.id, snapshot_id, digest)
    if progress:
        progress(1.0, "Evaluated")
    return result


def summary(result: dict, task=None) -> dict:
    """The headline numbers of an evaluation result (for lists and JSON output)."""
    from sftgui.core.tasks import get_task

    m = result["metrics"]
    return {**(task or get_task(None)).headline(m), "examples": m.get("examples")}


def by_row_id(result: dict) -> dict[int, dict]:
    return {r["row_id"]: r for r in result["rows"]}
