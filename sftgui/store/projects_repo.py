"""Queries on projects and their label sets. Returns entities; peewee rows stay here."""

from __future__ import annotations

import json

from peewee import IntegrityError, fn

from sftgui.store import entities
from sftgui.store.models import Label, ModelVersion, Project, db
from sftgui.store.timeutil import now_iso


def _project(row: Project) -> entities.Project:
    return entities.Project(
        id=row.id,
        name=row.name,
        task=row.task,
        base_model=row.base_model,
        settings=json.loads(row.settings or "{}"),
        created_at=row.created_at,
    )


def _label(row: Label) -> entities.LabelDef:
    return entities.LabelDef(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        colour=row.colour,
        shortcut=row.shortcut,
        position=row.position,
    )


# -- projects -----------------------------------------------------------------------------------
def create(name: str, task: str, base_model: str | None = None) -> entities.Project | None:
    """The new project, or None when the name is taken."""
    try:
        with db.atomic():
            row = Project.create(name=name, task=task, base_model=base_model, created_at=now_iso())
    except IntegrityError:
        return None
    return _project(row)


def by_name(name: str) -> entities.Project | None:
    row = Project.get_or_none(Project.name == name)
    return _project(row) if row else None


def by_id(project_id: int) -> entities.Project | None:
    row = Project.get_or_none(Project.id == project_id)
    return _project(row) if row else None


def all_projects() -> list[entities.Project]:
    return [_project(r) for r in Project.select().order_by(Project.name)]


def version_counts() -> dict[int, int]:
    """{project id: number of versions that are not in the trash}."""
    q = (
        ModelVersion.select(ModelVersion.project, fn.COUNT(ModelVersion.id))
        .where(ModelVersion.trashed_at.is_null())
        .group_by(ModelVersion.project)
        .tuples()
    )
    return {pid: n for pid, n in q}


def update_settings(project_id: int, settings: dict) -> None:
    Project.update(settings=json.dumps(settings, sort_keys=True)).where(Project.id == project_id).execute()


# -- labels -------------------------------------------------------------------------------------
def labels(project_id: int) -> list[entities.LabelDef]:
    q = Label.select().where(Label.project == project_id).order_by(Label.position, Label.id)
    return [_label(r) for r in q]


def add_label(project_id: int, name: str, colour: str, shortcut: int | None) -> entities.LabelDef:
    position = (Label.select(fn.MAX(Label.position)).where(Label.project == project_id).scalar() or 0) + 1
    row = Label.create(project=project_id, name=name, colour=colour, shortcut=shortcut, position=position)
    return _label(row)


def update_label(label_id: int, **fields) -> None:
    """Change name, colour or shortcut of one label."""
    Label.update(**fields).where(Label.id == label_id).execute()


def delete_label(label_id: int) -> None:
    Label.delete().where(Label.id == label_id).execute()
