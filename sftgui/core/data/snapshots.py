"""Dataset snapshots: the draft frozen into an immutable, content-hashed Parquet blob.

Rows keep their draft row id as `row_id`, so a prediction can be matched to its row through
training, evaluation and diffs. The columns between row_id and split, which draft rows are kept
and how splits are stratified are the project's task's (`Task.columns`, `Task.snapshot_row`,
`Task.stratify_by`). A row keeps the split it got at its first freeze in every later snapshot
(recorded on the draft row), so a test row never becomes a training row. The hash covers the
logical content (row id, the task's columns, split), so freezing an unchanged draft again finds
the snapshot it made before.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sftgui.core.data import splits as sp
from sftgui.core.projects import get_project
from sftgui.core.tasks import get_task, task_of
from sftgui.errors import UserError
from sftgui.store import draft_repo, snapshots_repo
from sftgui.store.entities import DatasetSnapshot


def columns(task) -> tuple[str, ...]:
    """A snapshot's columns: row_id, the task's columns, split."""
    return ("row_id", *(name for name, _ in task.columns), "split")


def _schema(task):
    import pyarrow as pa

    return pa.schema([("row_id", pa.int64()), *((name, getattr(pa, kind)()) for name, kind in task.columns),
                      ("split", pa.string())])


def content_hash(rows) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def latest_snapshot_splits(ws, project) -> dict[int, tuple[str, str | None]]:
    """row id -> (split, text) in the project's latest snapshot. A workspace made before splits
    were kept has none recorded: its latest snapshot says what they were."""
    snaps = snapshots_repo.for_project(project.id)
    if not snaps:
        return {}
    table = load_snapshot_table(ws, snaps[-1].id).to_pydict()
    inputs = table[task_of(project).input_column]
    return {int(r): (s, t) for r, s, t in zip(table["row_id"], table["split"], inputs)}


def _keep_splits(kept, before: dict) -> list[str | None]:
    """The split each kept row had before: by its row id, else by the same text (a row imported
    again gets the split of its twin, so a test text never reaches training under a new id)."""
    by_text: dict[str, str] = {}
    for row_id in sorted(before):
        split, text = before[row_id]
        if text is not None:
            by_text.setdefault(text, split)
    return [before[r[0]][0] if r[0] in before else by_text.get(r[1]) for r in kept]


def _rows_to_freeze(project) -> tuple[list[tuple], dict]:
    """The draft rows a snapshot takes (the task's `snapshot_row`: labelled, with text) as
    `(row_id, *task columns, split)`, and the count of each kind left out."""
    task = task_of(project)
    kept, skipped, seen, duplicates = [], {"unlabelled": 0, "empty": 0}, set(), 0
    for row_id, text, label, split, _flagged in draft_repo.iter_live(project.id):
        values, why = task.snapshot_row(text, label)
        if values is None:
            skipped[why] += 1
        else:
            kept.append((row_id, *values, split))
            duplicates += text in seen
            seen.add(text)
    counts = {"draft_rows": len(kept) + sum(skipped.values()), "rows": len(kept),
              "skipped_unlabelled": skipped["unlabelled"], "skipped_empty": skipped["empty"],
              "duplicates_kept": duplicates}
    return kept, counts


def what_a_snapshot_takes(ws, project) -> dict:
    """How many draft rows the next snapshot would take and why the others are left out:
    `{draft_rows, rows, skipped_unlabelled, skipped_empty, duplicates_kept, sentence}`."""
    counts = draft_repo.freeze_counts(get_project(ws, project).id)
    return {**counts, "sentence": left_out_sentence(counts)}


def left_out_sentence(counts: dict) -> str:
    """Why a snapshot has fewer rows than the draft, in plain words."""
    total, rows = counts.get("draft_rows"), counts.get("rows", 0)
    if total is None:  # a snapshot frozen before the draft's size was recorded
        total = rows + counts.get("skipped_unlabelled", 0) + counts.get("skipped_empty", 0)
    reasons = []
    if counts.get("skipped_unlabelled"):
        reasons.append(f"{counts['skipped_unlabelled']:,} have no label yet")
    if counts.get("skipped_empty"):
        reasons.append(f"{counts['skipped_empty']:,} have no text")
    sentence = (f"Training uses {rows:,} of the {total:,} rows: " + " and ".join(reasons) + "."
                if reasons else f"Training uses all {total:,} rows.")
    if counts.get("duplicates_kept"):
        sentence += (f" {counts['duplicates_kept']:,} repeat an earlier text and are kept; "
                     "the Label page's quality check can remove them.")
    return sentence


@dataclass(frozen=True)
class SnapshotPlan:
    """A snapshot as it would be frozen now, before anything is written (training checks it first)."""

    project_id: int
    task: str  # the project's task: its columns are the rows' middle values
    rows: list  # (row_id, *task columns, split): (row_id, text, label, split) for text classification
    digest: str
    meta: dict
    label_counts: dict
    split_counts: dict
    fresh_splits: dict  # row id -> split, for rows whose split is decided by this snapshot

    def columns(self) -> dict[str, list]:
        """The rows as `load_snapshot_table(...).to_pydict()` gives them."""
        return {c: [r[i] for r in self.rows] for i, c in enumerate(columns(get_task(self.task)))}


def plan_snapshot(ws, project, *, seed: int = 0, fractions=sp.DEFAULT_FRACTIONS) -> SnapshotPlan:
    """The rows the task keeps (labelled rows with text); each row keeps the split it was first given
    (the split column wins); new rows are split (stratified, when the task says by what) so the
    fractions hold. Reads only."""
    project = get_project(ws, project)
    task = task_of(project)
    fractions = sp.check_fractions(fractions)
    kept, counts = _rows_to_freeze(project)
    if not kept:
        raise UserError(f"Project {project.name!r} has no labelled rows to freeze; import or label some data first.")
    strata = task.stratify_by([r[1:-1] for r in kept])
    by_column = any(r[-1] for r in kept)
    recorded = draft_repo.assigned_splits(project.id)
    before = recorded or latest_snapshot_splits(ws, project)
    previous = _keep_splits(kept, before)
    assigned = sp.sticky(strata or [""] * len(kept), previous, [r[-1] for r in kept], seed=seed, fractions=fractions)
    rows = [(*r[:-1], s) for r, s in zip(kept, assigned)]
    fresh = {r[0]: s for r, s in zip(kept, assigned) if r[0] not in recorded}
    meta = {
        "seed": seed,
        "fractions": list(fractions),
        "split_source": "column" if by_column else "stratified",
        "splits_kept": sum(1 for p in previous if p),
        "splits_new": sum(1 for p in previous if not p),
        **{k: counts[k] for k in ("draft_rows", "skipped_unlabelled", "skipped_empty", "duplicates_kept")},
    }
    label_counts = dict(sorted(Counter(strata).items())) if strata is not None else {}
    return SnapshotPlan(project.id, task.name, rows, content_hash(rows), meta, label_counts, dict(Counter(assigned)),
                        fresh)


def store_snapshot(ws, plan: SnapshotPlan) -> DatasetSnapshot:
    """Write the planned snapshot (once per content: an equal one already stored is returned)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    found = snapshots_repo.by_hash(plan.project_id, plan.digest)
    if found is not None:
        draft_repo.record_assigned_splits(plan.fresh_splits)
        return found
    schema = _schema(get_task(plan.task))
    table = pa.Table.from_arrays([pa.array(col, type=f.type) for col, f in zip(zip(*plan.rows), schema)],
                                 schema=schema)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    blob = ws.blobs.put_bytes(buf.getvalue())  # blob first, then the row that names it
    with draft_repo.transaction():  # the splits are remembered with the snapshot that first used them
        draft_repo.record_assigned_splits(plan.fresh_splits)
        return snapshots_repo.create(
            plan.project_id, hash=plan.digest, blob=blob, rows=len(plan.rows), label_counts=plan.label_counts,
            split_counts=plan.split_counts, meta=plan.meta,
        )


def freeze_snapshot(ws, project, *, seed: int = 0, fractions=sp.DEFAULT_FRACTIONS) -> DatasetSnapshot:
    """Plan the snapshot, then store it (see plan_snapshot and store_snapshot)."""
    return store_snapshot(ws, plan_snapshot(ws, project, seed=seed, fractions=fractions))


def get_snapshot(ws, snapshot_id) -> DatasetSnapshot:
    from sftgui.errors import parse_id

    sid = parse_id(snapshot_id if isinstance(snapshot_id, int) else str(snapshot_id).lstrip("#"), "The snapshot id")
    if sid is None:
        raise UserError(f"{snapshot_id!r} is not a snapshot id; snapshot ids are numbers, e.g. 3.")
    snap = snapshots_repo.by_id(sid)
    if snap is None:
        raise UserError(f"There is no snapshot {sid}; 'sftgui data snapshot --project P' makes one.")
    return snap


def list_snapshots(ws, project) -> list[DatasetSnapshot]:
    return snapshots_repo.for_project(get_project(ws, project).id)


def load_snapshot_table(ws, snapshot_id):
    """The snapshot's rows as a pyarrow Table (`columns(task)`: row_id, text, label, split for text
    classification); the blob is verified."""
    import pyarrow.parquet as pq

    snap = get_snapshot(ws, snapshot_id)
    return pq.read_table(io.BytesIO(ws.blobs.get_bytes(snap.blob)))


def check_trainable(ws, snapshot_id) -> DatasetSnapshot:
    """Raises UserError when training cannot learn from the snapshot (e.g. one class)."""
    snap = get_snapshot(ws, snapshot_id)
    sp.check_trainable(snap.label_counts, snap.split_counts)
    return snap


# -- diff and export ------------------------------------------------------------------------------
def _labels_by_text(task, table) -> dict[str, str]:
    out: dict[str, Counter] = {}
    labels = table.column(task.label_column).to_pylist() if task.labelled else [None] * table.num_rows
    for text, label in zip(table.column(task.input_column).to_pylist(), labels):
        out.setdefault(text, Counter())[label] += 1
    return {t: c.most_common(1)[0][0] for t, c in out.items()}


def split_moves(left_table, right_table, *, examples: int = 5, column: str = "text") -> dict:
    """Rows in both snapshots (by row id, else by input `column`) whose split changed: `{count,
    by_move: {"test -> train": n}, examples}`. Kept splits make this 0 unless a split column moved rows."""
    def splits_of(table):
        cols = table.select(["row_id", column, "split"]).to_pydict()
        return dict(zip(cols["row_id"], zip(cols[column], cols["split"])))

    left, right = splits_of(left_table), splits_of(right_table)
    left_by_text = {t: s for t, s in left.values()}
    by_move: Counter = Counter()
    shown = []
    for row_id, (text, now) in right.items():
        was = left[row_id][1] if row_id in left else left_by_text.get(text)
        if was is None or was == now:
            continue
        by_move[f"{was} -> {now}"] += 1
        if len(shown) < examples:
            shown.append({"text": text, "from": was, "to": now})
    return {"count": sum(by_move.values()), "by_move": dict(sorted(by_move.items())), "examples": shown}


def diff_snapshots(ws, a, b, *, examples: int = 5) -> dict:
    """Rows added, removed and relabelled from snapshot a to b (matched by the input, the text), and
    rows whose split moved (`moved`)."""
    task = task_of(get_snapshot(ws, a))
    left_table, right_table = load_snapshot_table(ws, a), load_snapshot_table(ws, b)
    left, right = _labels_by_text(task, left_table), _labels_by_text(task, right_table)
    added = [t for t in right if t not in left]
    removed = [t for t in left if t not in right]
    relabelled = [t for t in right if t in left and left[t] != right[t]]
    moves = split_moves(left_table, right_table, examples=examples, column=task.input_column)
    return {
        "from": get_snapshot(ws, a).id,
        "to": get_snapshot(ws, b).id,
        "added": len(added),
        "removed": len(removed),
        "relabelled": len(relabelled),
        "unchanged": len(right) - len(added) - len(relabelled),
        "moved": moves["count"],
        "moves": moves["by_move"],
        "examples": {
            "added": [{"text": t, "label": right[t]} for t in added[:examples]],
            "removed": [{"text": t, "label": left[t]} for t in removed[:examples]],
            "relabelled": [{"text": t, "from": left[t], "to": right[t]} for t in relabelled[:examples]],
            "moved": moves["examples"],
        },
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Spreadsheets run a cell that starts with = + - @ as a formula: a leading ' keeps it text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_snapshot_csv(ws, snapshot_id, out, *, force: bool = False) -> Path:
    """Write the snapshot as CSV to `out` (through the output-path guard: never inside a workspace,
    never over an existing file without `force`), staged and renamed into place at the end."""
    from sftgui.core.outpath import check_output, staged
    from sftgui.errors import disk_full_as_user_error

    out = check_output(out, force=force, workspace=getattr(ws, "path", None))
    table = load_snapshot_table(ws, snapshot_id)
    names = columns(task_of(get_snapshot(ws, snapshot_id)))
    with disk_full_as_user_error("the CSV file", out.parent), \
            staged(out, force=force, workspace=getattr(ws, "path", None)) as tmp:
        with open(tmp, "x", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(names)
            for batch in table.to_batches(max_chunksize=5000):
                cols = [batch.column(c).to_pylist() for c in names]
                w.writerows([csv_safe(v) for v in row] for row in zip(*cols))
    return out
