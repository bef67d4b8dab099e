"""Projects: one model line each (task, label set, base model, draft, snapshots, versions)."""

from __future__ import annotations

from sftgui.core.tasks import registry
from sftgui.errors import UserError, parse_id
from sftgui.store import projects_repo
from sftgui.store.entities import Project


def create_project(ws, name: str, task: str = registry.DEFAULT_TASK, *, base_model: str | None = None) -> Project:
    name = (name or "").strip()
    if not name:
        raise UserError("A project needs a name; give one, e.g. 'tickets'.")
    if "@" in name:  # `P@vN` names a version, so a project name cannot contain @
        raise UserError(f"Project names cannot contain '@' ({name!r}); choose another name.")
    if task not in registry.names():
        raise UserError(f"Unknown task {task!r}; sftgui supports: {', '.join(registry.names())}.")
    project = projects_repo.create(name, task, base_model)
    if project is None:
        raise UserError(f"A project named {name!r} already exists; choose another name.")
    return project


def get_project(ws, name_or_id) -> Project:
    """By entity, name or id: a name first (`--project 1` finds the project named "1"), then an id
    written in ASCII digits; an unknown one lists the projects that exist."""
    if isinstance(name_or_id, Project):
        return name_or_id
    project = None
    if isinstance(name_or_id, str):
        project = projects_repo.by_name(name_or_id.strip())
    if project is None:
        pid = parse_id(name_or_id, "The project id")
        if pid is not None:
            project = projects_repo.by_id(pid)
    if project is None:
        names = [p.name for p in projects_repo.all_projects()]
        have = f"the projects are: {', '.join(names)}" if names else "there are no projects yet"
        raise UserError(
            f"There is no project {name_or_id!r}; {have} (create one with 'sftgui project create NAME')."
        )
    return project


def list_projects(ws) -> list[Project]:
    return projects_repo.all_projects()


def version_counts(ws) -> dict[int, int]:
    return projects_repo.version_counts()
