"""A project's label set: each label has a colour and a shortcut key (1-9), assigned
automatically and editable. Renaming, merging and deleting also edit the draft's rows through
the undoable edit log (`labelling.edit`)."""

from __future__ import annotations

import re

from sftgui.core.projects import get_project
from sftgui.errors import UserError
from sftgui.store import draft_repo, projects_repo
from sftgui.store.entities import LabelDef

# Tableau 10: distinct colours that stay readable as row backgrounds.
PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6",
           "#9d755d", "#bab0ac")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def ensure_labels(project_id: int, names) -> None:
    """Add the labels that are not in the set yet, with the next free colour and shortcut."""
    existing = projects_repo.labels(project_id)
    have = {lab.name for lab in existing}
    used_keys = {lab.shortcut for lab in existing}
    n = len(existing)
    for name in names:
        if name is None or name in have:
            continue
        key = next((k for k in range(1, 10) if k not in used_keys), None)
        used_keys.add(key)
        projects_repo.add_label(project_id, name, PALETTE[n % len(PALETTE)], key)
        have.add(name)
        n += 1


def list_labels(ws, project) -> list[LabelDef]:
    return projects_repo.labels(get_project(ws, project).id)


def _find(project_id: int, name: str) -> LabelDef:
    labels = projects_repo.labels(project_id)
    for lab in labels:
        if lab.name == name:
            return lab
    have = ", ".join(repr(lab.name) for lab in labels) or "none yet"
    raise UserError(f"There is no label {name!r}; the labels are: {have}.")


def _clean(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise UserError("A label needs a name.")
    return name


def add_label(ws, project, name: str, *, colour: str | None = None, shortcut: int | None = None) -> LabelDef:
    project = get_project(ws, project)
    name = _clean(name)
    if any(lab.name == name for lab in projects_repo.labels(project.id)):
        raise UserError(f"The label {name!r} exists already.")
    ensure_labels(project.id, [name])
    if colour is not None or shortcut is not None:
        set_label_style(ws, project, name, colour=colour, shortcut=shortcut)
    return _find(project.id, name)


def set_label_style(ws, project, name: str, *, colour: str | None = None, shortcut: int | None = None) -> LabelDef:
    """Change a label's colour (#rrggbb) or shortcut key (1-9; 0 clears it). A key in use moves here."""
    project = get_project(ws, project)
    lab = _find(project.id, name)
    fields = {}
    if colour is not None:
        if not _COLOUR.match(colour):
            raise UserError(f"{colour!r} is not a colour; write it as #rrggbb, e.g. #4c78a8.")
        fields["colour"] = colour
    if shortcut is not None:
        if not 0 <= shortcut <= 9:
            raise UserError(f"Shortcut keys are 1 to 9 (0 clears the key); {shortcut} is not one.")
        with draft_repo.transaction():
            for other in projects_repo.labels(project.id):
                if other.shortcut == shortcut and other.id != lab.id:
                    projects_repo.update_label(other.id, shortcut=None)
            projects_repo.update_label(lab.id, shortcut=shortcut or None)
    if fields:
        projects_repo.update_label(lab.id, **fields)
    return _find(project.id, name)


def rename_label(ws, project, old: str, new: str) -> LabelDef:
    from sftgui.core.data.labelling import edit

    project = get_project(ws, project)
    lab = _find(project.id, old)
    new = _clean(new)
    if any(x.name == new for x in projects_repo.labels(project.id)):
        raise UserError(f"The label {new!r} exists already; merge {old!r} into it instead.")
    with draft_repo.transaction():
        ids = draft_repo.ids_with_label(project.id, old)
        edit(project, f"Rename label {old!r} to {new!r}", [[i, "label", old, new] for i in ids])
        projects_repo.update_label(lab.id, name=new)
    return _find(project.id, new)


def merge_label(ws, project, source: str, into: str) -> int:
    """Relabel every row of `source` as `into` and drop `source` from the set; returns the rows moved."""
    from sftgui.core.data.labelling import edit

    project = get_project(ws, project)
    lab = _find(project.id, source)
    _find(project.id, into)
    if source == into:
        raise UserError("Choose two different labels to merge.")
    with draft_repo.transaction():
        ids = draft_repo.ids_with_label(project.id, source)
        edit(project, f"Merge label {source!r} into {into!r}", [[i, "label", source, into] for i in ids])
        projects_repo.delete_label(lab.id)
    return len(ids)


def delete_label(ws, project, name: str) -> int:
    """Remove a label; its rows become unlabelled (undoable). Returns how many rows lost it."""
    from sftgui.core.data.labelling import edit

    project = get_project(ws, project)
    lab = _find(project.id, name)
    with draft_repo.transaction():
        ids = draft_repo.ids_with_label(project.id, name)
        edit(project, f"Delete label {name!r}", [[i, "label", name, None] for i in ids])
        projects_repo.delete_label(lab.id)
    return len(ids)
