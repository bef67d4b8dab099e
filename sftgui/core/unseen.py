"""Which test rows no version has trained on: what keeps Compare and the forgetting check fair.

A version "trained on" every train and validation row of its snapshot (validation picks the best
checkpoint), and on everything its ancestors trained on (it continued from their weights). A test
row counts as seen when a row with the same id (in the same project) or the same input (the
task's `input_column`: the text) is among them. Splits are kept from snapshot to snapshot now, so this matters for data whose split column
moved rows, and for workspaces made before splits were kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Below this many rows a difference of one or two rows is several points of accuracy.
MIN_RELIABLE_ROWS = 30


@dataclass
class Seen:
    """Rows some version trained on: (project id, row id) pairs and inputs (texts)."""

    ids: set = field(default_factory=set)
    texts: set = field(default_factory=set)
    column: str = "text"  # the task's input column, read from each row `has` is asked about

    def has(self, project_id: int, row: dict) -> bool:
        return (project_id, int(row["row_id"])) in self.ids or row.get(self.column) in self.texts


def _add_snapshot(ws, seen: Seen, project_id: int, snapshot_id: int, tables: dict) -> None:
    from sftgui.core.data.snapshots import get_snapshot, load_snapshot_table
    from sftgui.core.tasks import task_of

    seen.column = task_of(get_snapshot(ws, snapshot_id)).input_column
    if snapshot_id not in tables:
        tables[snapshot_id] = load_snapshot_table(ws, snapshot_id).select(["row_id", seen.column, "split"]).to_pydict()
    t = tables[snapshot_id]
    for row_id, text, split in zip(t["row_id"], t[seen.column], t["split"]):
        if split != "test":
            seen.ids.add((project_id, int(row_id)))
            seen.texts.add(text)


def trained_on(ws, versions, *, extra_snapshots=(), tables: dict | None = None) -> Seen:
    """Every row the versions (and their ancestors) trained on; `extra_snapshots` are
    (project id, snapshot id) pairs of a training not yet registered."""
    from sftgui.core.versions import get_version

    tables = {} if tables is None else tables
    seen, done = Seen(), set()
    for project_id, snapshot_id in extra_snapshots:
        _add_snapshot(ws, seen, project_id, snapshot_id, tables)
    for v in versions:
        hops = 0
        while v is not None and v.id not in done and hops < 1000:
            done.add(v.id)
            if v.snapshot_id is not None:
                _add_snapshot(ws, seen, v.project_id, v.snapshot_id, tables)
            v = get_version(ws, v.parent_id) if v.parent_id is not None else None
            hops += 1
    return seen


def unseen_rows(project_id: int, rows: list[dict], seen: Seen) -> list[dict]:
    return [r for r in rows if not seen.has(project_id, r)]


def fairness(total: int, kept: int, refs, of: str) -> dict:
    """The plain-words account of how many test rows a comparison used, and a warning when few."""
    names = " or ".join(refs) if len(refs) == 2 else ", ".join(refs)
    left_out = total - kept
    if left_out:
        sentence = (f"Scored on the {kept} of {of}'s {total} test rows that {names} never trained on "
                    f"({left_out} left out: a compared version trained on the same row or the same text).")
    else:
        sentence = f"Scored on all {total} of {of}'s test rows; no compared version trained on any of them."
    warning = None
    if kept < MIN_RELIABLE_ROWS:
        warning = (f"Only {kept} test row{'s' if kept != 1 else ''} could be used, too few for a reliable comparison: "
                   "one row more or less right moves accuracy by "
                   f"{100 / max(kept, 1):.3g} points. Label more test data before choosing between these versions.")
    return {"examples": kept, "total": total, "left_out": left_out, "sentence": sentence, "warning": warning}
