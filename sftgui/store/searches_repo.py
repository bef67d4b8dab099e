"""Hyperparameter searches (rows -> `entities.Search`); their trials are runs with `search_id`."""

from __future__ import annotations

import json

from sftgui.errors import UserError
from sftgui.store import audit_repo, entities
from sftgui.store.models import Search, db
from sftgui.store.timeutil import now_iso


def _entity(row: Search) -> entities.Search:
    return entities.Search(id=row.id, project_id=row.project_id, status=row.status,
                           settings=json.loads(row.settings or "{}"), storage=row.storage,
                           best_run_id=row.best_run_id, version_id=row.version_id,
                           created_at=row.created_at, ended_at=row.ended_at)


def create_search(project_id: int, *, settings: dict, project_name: str) -> entities.Search:
    """A new search; its optuna study file is named `search-<id>.db`; audited as "<project>/search-<id>"."""
    with db.atomic():
        row = Search.create(project=project_id, status="running", settings=json.dumps(settings, sort_keys=True),
                            storage="", created_at=now_iso())
        row.storage = f"search-{row.id}.db"
        row.save()
        audit_repo.record("search.start", f"{project_name}/search-{row.id}", search=row.id, settings=settings)
    return _entity(row)


def update_search(search_id: int, *, audit: tuple[str, str, dict] | None = None, **fields) -> entities.Search:
    """Set columns (`settings` may be a dict); `audit` = (action, target, detail) recorded in the
    same transaction."""
    if "settings" in fields and not isinstance(fields["settings"], str):
        fields["settings"] = json.dumps(fields["settings"], sort_keys=True)
    with db.atomic():
        if fields:
            Search.update(**fields).where(Search.id == search_id).execute()
        if audit is not None:
            action, target, detail = audit
            audit_repo.record(action, target, search=search_id, **detail)
    return get_search(search_id)


def get_search(search_id: int) -> entities.Search:
    row = Search.get_or_none(Search.id == search_id)
    if row is None:
        raise UserError(f"There is no search {search_id}; `sftgui tune --project P --list` shows the searches.")
    return _entity(row)


def for_project(project_id: int) -> list[entities.Search]:
    return [_entity(r) for r in Search.select().where(Search.project == project_id).order_by(Search.id)]
