"""Queries on a project's draft: its rows and the persistent log of undoable edits.

Every function commits at once (autocommit, or the caller's `transaction()`), so killing the
app loses no label. Bulk updates are grouped by (field, new value) into `UPDATE ... WHERE id IN`
statements, which keeps a 100,000-row edit to a few hundred statements.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Iterator

from peewee import fn

from sftgui.store import entities
from sftgui.store.models import DraftEdit, DraftRow, db
from sftgui.store.timeutil import now_iso

EDITABLE = ("label", "flagged", "removed", "text")
_CHUNK = 500  # ids per IN (...): below SQLite's limit on bound variables


@dataclass(frozen=True)
class RowFilter:
    """Which draft rows a view shows. `status`: all, labelled, unlabelled or flagged."""

    status: str = "all"
    label: str | None = None
    search: str | None = None
    in_source: bool = False  # the search also matches where a row came from (a picture's file name)


def transaction():
    return db.atomic()


def _entity(r) -> entities.DraftRow:
    return entities.DraftRow(
        id=r.id, position=r.position, text=r.text, label=r.label, split=r.split, flagged=r.flagged, source=r.source
    )


def _where(project_id: int, flt: RowFilter | None):
    flt = flt or RowFilter()
    cond = (DraftRow.project == project_id) & (DraftRow.removed == False)  # noqa: E712 - peewee expression
    if flt.status == "labelled":
        cond &= DraftRow.label.is_null(False)
    elif flt.status == "unlabelled":
        cond &= DraftRow.label.is_null()
    elif flt.status == "flagged":
        cond &= DraftRow.flagged == True  # noqa: E712
    if flt.label is not None:
        cond &= DraftRow.label == flt.label
    if flt.search:  # instr() needs no escaping of % and _ (LIKE would)
        found = fn.instr(fn.lower(DraftRow.text), flt.search.lower()) > 0
        if flt.in_source:
            found |= fn.instr(fn.lower(fn.coalesce(DraftRow.source, "")), flt.search.lower()) > 0
        cond &= found
    return cond


# -- rows ---------------------------------------------------------------------------------------
def next_position(project_id: int) -> int:
    top = DraftRow.select(fn.MAX(DraftRow.position)).where(DraftRow.project == project_id).scalar()
    return 0 if top is None else top + 1


def insert_rows(project_id: int, rows: Iterable[tuple], start: int) -> int:
    """Insert (text, label, split, source) tuples at positions start, start+1, ...; returns the count."""
    # executemany on the raw cursor: peewee's insert_many builds SQL per value, ~40x slower at 100k rows.
    params = [(project_id, start + i, t, lab, sp, src) for i, (t, lab, sp, src) in enumerate(rows)]
    table = DraftRow._meta.table_name
    db.cursor().executemany(
        f"INSERT INTO {table} (project_id, position, text, label, split, source, flagged, removed) "
        "VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
        params,
    )
    return len(params)


def count_rows(project_id: int, flt: RowFilter | None = None) -> int:
    return DraftRow.select().where(_where(project_id, flt)).count()


def fetch_rows(project_id: int, flt: RowFilter | None = None, offset: int = 0, limit: int = 100) -> list[entities.DraftRow]:
    q = DraftRow.select().where(_where(project_id, flt)).order_by(DraftRow.position).offset(offset).limit(limit)
    return [_entity(r) for r in q]


def get_rows(project_id: int, ids: Iterable[int]) -> dict[int, entities.DraftRow]:
    """Live or removed rows of the project by id (ids of other projects are left out)."""
    ids = list(ids)
    out = {}
    for i in range(0, len(ids), _CHUNK):
        q = DraftRow.select().where((DraftRow.project == project_id) & DraftRow.id.in_(ids[i : i + _CHUNK]))
        out.update({r.id: _entity(r) for r in q})
    return out


def iter_live(project_id: int, batch: int = 5000) -> Iterator[tuple]:
    """(id, text, label, split, flagged) of every live row in position order, read in batches."""
    # A raw cursor: peewee's row conversion costs ~10 us a row, a second per 100k rows.
    sql = (
        f"SELECT id, text, label, split, flagged, position FROM {DraftRow._meta.table_name} "
        "WHERE project_id = ? AND removed = 0 AND position > ? ORDER BY position LIMIT ?"
    )
    last = -1
    while True:
        rows = db.execute_sql(sql, (project_id, last, batch)).fetchall()
        if not rows:
            return
        for r in rows:
            yield r[0], r[1], r[2], r[3], bool(r[4])
        last = rows[-1][5]


def assigned_splits(project_id: int) -> dict[int, tuple[str, str | None]]:
    """row id -> (split it was given at its first freeze, its text), live and removed rows alike."""
    sql = (
        f"SELECT id, assigned_split, text FROM {DraftRow._meta.table_name} "
        "WHERE project_id = ? AND assigned_split IS NOT NULL"
    )
    return {r[0]: (r[1], r[2]) for r in db.execute_sql(sql, (project_id,)).fetchall()}


def record_assigned_splits(split_by_id: dict[int, str]) -> None:
    """Remember the split each row got (only rows that had none are passed)."""
    grouped: dict[str, list[int]] = defaultdict(list)
    for row_id, split in split_by_id.items():
        grouped[split].append(row_id)
    set_field(grouped, "assigned_split")


def freeze_counts(project_id: int) -> dict:
    """What a freeze would take, counted in SQL (fast enough for every label edit): live rows,
    unlabelled ones, labelled ones without text, and labelled texts that repeat an earlier one.
    "Without text" is blank after trimming ASCII whitespace (the freeze also trims Unicode spaces)."""
    blank = "(text IS NULL OR trim(text, char(32, 9, 10, 11, 12, 13)) = '')"
    sql = (
        f"SELECT COUNT(*), SUM(label IS NULL), SUM(label IS NOT NULL AND {blank}), "
        f"SUM(label IS NOT NULL AND NOT {blank}), "
        f"COUNT(DISTINCT CASE WHEN label IS NOT NULL AND NOT {blank} THEN text END) "
        f"FROM {DraftRow._meta.table_name} WHERE project_id = ? AND removed = 0"
    )
    total, unlabelled, empty, kept, distinct = db.execute_sql(sql, (project_id,)).fetchone()
    return {"draft_rows": total or 0, "rows": kept or 0, "skipped_unlabelled": unlabelled or 0,
            "skipped_empty": empty or 0, "duplicates_kept": (kept or 0) - (distinct or 0)}


def label_counts(project_id: int) -> dict[str, int]:
    q = (
        DraftRow.select(DraftRow.label, fn.COUNT(DraftRow.id))
        .where(_where(project_id, RowFilter(status="labelled")))
        .group_by(DraftRow.label)
        .tuples()
    )
    return dict(q)


def ids_with_label(project_id: int, label: str) -> list[int]:
    q = DraftRow.select(DraftRow.id).where(_where(project_id, RowFilter(label=label))).tuples()
    return [r[0] for r in q]


def set_field(ids_by_value: dict, field: str) -> None:
    """Write `field` = value for the ids listed under each value."""
    column = getattr(DraftRow, field)
    for value, ids in ids_by_value.items():
        for i in range(0, len(ids), _CHUNK):
            DraftRow.update({column: value}).where(DraftRow.id.in_(ids[i : i + _CHUNK])).execute()


def apply_changes(changes: list[list], *, reverse: bool = False) -> None:
    """Apply [row id, field, before, after] changes (or their before values when reversing)."""
    grouped: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for row_id, field, before, after in reversed(changes) if reverse else changes:
        if field not in EDITABLE:
            raise ValueError(f"not an editable field: {field}")
        grouped[field][before if reverse else after].append(row_id)
    for field, by_value in grouped.items():
        set_field(by_value, field)


# -- the edit log -------------------------------------------------------------------------------
def record_edit(project_id: int, description: str, changes: list[list]) -> int:
    """Append an edit (dropping the redo stack) and return its sequence number."""
    DraftEdit.delete().where((DraftEdit.project == project_id) & (DraftEdit.undone == True)).execute()  # noqa: E712
    seq = (DraftEdit.select(fn.MAX(DraftEdit.seq)).where(DraftEdit.project == project_id).scalar() or 0) + 1
    DraftEdit.create(project=project_id, seq=seq, description=description, changes=json.dumps(changes), at=now_iso())
    return seq


def last_done(project_id: int) -> tuple[int, str, list] | None:
    row = (
        DraftEdit.select()
        .where((DraftEdit.project == project_id) & (DraftEdit.undone == False))  # noqa: E712
        .order_by(DraftEdit.seq.desc())
        .first()
    )
    return (row.id, row.description, json.loads(row.changes)) if row else None


def first_undone(project_id: int) -> tuple[int, str, list] | None:
    row = (
        DraftEdit.select()
        .where((DraftEdit.project == project_id) & (DraftEdit.undone == True))  # noqa: E712
        .order_by(DraftEdit.seq)
        .first()
    )
    return (row.id, row.description, json.loads(row.changes)) if row else None


def mark_undone(edit_id: int, undone: bool) -> None:
    DraftEdit.update(undone=undone).where(DraftEdit.id == edit_id).execute()


def edit_counts(project_id: int) -> tuple[int, int]:
    """(edits that can be undone, edits that can be redone)."""
    q = DraftEdit.select(DraftEdit.undone, fn.COUNT(DraftEdit.id)).where(DraftEdit.project == project_id).group_by(DraftEdit.undone).tuples()
    counts = {bool(undone): n for undone, n in q}
    return counts.get(False, 0), counts.get(True, 0)
