"""Labelling on a project's draft: set or clear labels, flag rows, undo and redo, filters and
progress. Every edit is committed at once and logged in SQLite (`DraftEdit`), so undo survives a
restart and killing the app loses no label. `count_rows` / `fetch_rows` feed the GUI's
virtualized table."""

from __future__ import annotations

from dataclasses import dataclass

from sftgui.core.data.labels import ensure_labels
from sftgui.core.projects import get_project
from sftgui.errors import UserError
from sftgui.store import draft_repo, projects_repo
from sftgui.store.draft_repo import RowFilter
from sftgui.store.entities import DraftRow

__all__ = ["RowFilter", "parse_filter", "set_label", "set_flag", "undo", "redo", "count_rows", "fetch_rows",
           "progress", "edit"]


@dataclass(frozen=True)
class Progress:
    labelled: int
    total: int
    can_undo: int
    can_redo: int

    @property
    def fraction(self) -> float:
        return self.labelled / self.total if self.total else 0.0


def parse_filter(text: str | None) -> RowFilter:
    """CLI filters: all, labelled, unlabelled, flagged, label:NAME, search:WORDS."""
    if not text or text == "all":
        return RowFilter()
    if text in ("labelled", "unlabelled", "flagged"):
        return RowFilter(status=text)
    kind, _, value = text.partition(":")
    if kind == "label" and value:
        return RowFilter(label=value)
    if kind == "search" and value:
        return RowFilter(search=value)
    raise UserError(f"Unknown filter {text!r}; use all, labelled, unlabelled, flagged, label:NAME or search:WORDS.")


def edit(project, description: str, changes: list[list]) -> int:
    """Apply [row id, field, before, after] changes as one undoable edit; returns how many changed."""
    changes = [c for c in changes if c[2] != c[3]]
    if not changes:
        return 0
    with draft_repo.transaction():
        draft_repo.apply_changes(changes)
        draft_repo.record_edit(project.id, description, changes)
    return len(changes)


def _live_rows(project, row_ids) -> dict[int, DraftRow]:
    ids = [int(i) for i in row_ids]
    rows = draft_repo.get_rows(project.id, ids)
    missing = [i for i in ids if i not in rows]
    if missing:
        raise UserError(f"Project {project.name!r} has no row {missing[0]}; list the rows with 'sftgui data rows'.")
    return rows


def set_label(ws, project, row_ids, label: str | None, *, create: bool = False) -> int:
    """Label rows (None clears their label). An unknown label is refused unless `create`."""
    project = get_project(ws, project)
    if isinstance(row_ids, int):
        row_ids = [row_ids]
    if label is not None:
        label = label.strip()
        names = [lab.name for lab in projects_repo.labels(project.id)]
        if label not in names:
            if not create:
                have = ", ".join(map(repr, names)) or "none yet"
                raise UserError(
                    f"There is no label {label!r} (the labels are: {have}); add it first with 'sftgui data labels add'."
                )
            ensure_labels(project.id, [label])
    rows = _live_rows(project, row_ids)
    what = f"Label {len(rows)} row(s) {label!r}" if label is not None else f"Clear the label of {len(rows)} row(s)"
    return edit(project, what, [[r.id, "label", r.label, label] for r in rows.values()])


def set_flag(ws, project, row_ids, flagged: bool = True) -> int:
    project = get_project(ws, project)
    rows = _live_rows(project, [row_ids] if isinstance(row_ids, int) else row_ids)
    what = f"{'Flag' if flagged else 'Unflag'} {len(rows)} row(s)"
    return edit(project, what, [[r.id, "flagged", r.flagged, flagged] for r in rows.values()])


def _step(project, found, reverse: bool) -> str | None:
    if found is None:
        return None
    edit_id, description, changes = found
    with draft_repo.transaction():
        draft_repo.apply_changes(changes, reverse=reverse)
        draft_repo.mark_undone(edit_id, reverse)
        # A merged or deleted label comes back into the set when its rows do.
        ensure_labels(project.id, {c[2] if reverse else c[3] for c in changes if c[1] == "label"})
    return description


def undo(ws, project) -> str | None:
    """Undo the last edit; returns its description, or None when there is nothing to undo."""
    project = get_project(ws, project)
    return _step(project, draft_repo.last_done(project.id), reverse=True)


def redo(ws, project) -> str | None:
    project = get_project(ws, project)
    return _step(project, draft_repo.first_undone(project.id), reverse=False)


def count_rows(ws, project, flt: RowFilter | None = None) -> int:
    return draft_repo.count_rows(get_project(ws, project).id, flt)


def fetch_rows(ws, project, flt: RowFilter | None = None, offset: int = 0, limit: int = 100) -> list[DraftRow]:
    return draft_repo.fetch_rows(get_project(ws, project).id, flt, offset, limit)


def rows_by_id(ws, project, row_ids) -> dict[int, DraftRow]:
    """The project's rows with these ids, as they are now (for lists kept by id, e.g. review hints)."""
    return draft_repo.get_rows(get_project(ws, project).id, [int(i) for i in row_ids])


def progress(ws, project) -> Progress:
    project = get_project(ws, project)
    total = draft_repo.count_rows(project.id)
    labelled = draft_repo.count_rows(project.id, RowFilter(status="labelled"))
    can_undo, can_redo = draft_repo.edit_counts(project.id)
    return Progress(labelled, total, can_undo, can_redo)
