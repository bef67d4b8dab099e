"""Queries behind model versions, aliases and blob references. Rows become entities here.

A version row is immutable once inserted except `notes`, `tags`, `trashed_at`, `damaged` and
`purged_at`; this module has no function that changes anything else. A purged row stays as a
tombstone (alias history names it) but no longer counts as a version: lists, lookups and the blob
references skip it, so gc frees what only it used. Every change writes an AuditEvent in
the same transaction, and every alias move an AliasEvent.
"""

from __future__ import annotations

import json

from peewee import fn

from sftgui.errors import UserError
from sftgui.store import audit_repo, entities
from sftgui.store.models import ALL_MODELS, Alias, AliasEvent, ModelVersion, Project, db
from sftgui.store.timeutil import now_iso, os_user


# -- versions ---------------------------------------------------------------------------------
def _aliases_by_version(version_ids) -> dict[int, tuple]:
    out: dict[int, list] = {}
    for a in Alias.select(Alias.name, Alias.version).where(Alias.version.in_(list(version_ids))):
        out.setdefault(a.version_id, []).append(a.name)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _entity(row: ModelVersion, aliases: tuple = ()) -> entities.ModelVersion:
    return entities.ModelVersion(
        id=row.id,
        project_id=row.project_id,
        project_name=row.project.name,
        number=row.number,
        run_id=row.run_id,
        parent_id=row.parent_id,
        parent_number=row.parent.number if row.parent_id else None,
        base_model=row.base_model,
        snapshot_id=row.snapshot_id,
        manifest_blob=row.manifest_blob,
        predictions_blob=row.predictions_blob,
        config=json.loads(row.config or "{}"),
        metrics=json.loads(row.metrics or "{}"),
        labels=json.loads(row.labels or "[]"),
        weights_tensors=row.weights_tensors,
        weights_bytes=row.weights_bytes,
        notes=row.notes,
        tags=json.loads(row.tags or "[]"),
        created_at=row.created_at,
        trashed_at=row.trashed_at,
        damaged=row.damaged,
        aliases=aliases,
        weights_new_bytes=row.weights_new_bytes or 0,
    )


def _entities(rows) -> list[entities.ModelVersion]:
    rows = list(rows)
    aliases = _aliases_by_version(r.id for r in rows)
    return [_entity(r, aliases.get(r.id, ())) for r in rows]


def _row(version_id: int) -> ModelVersion:
    row = ModelVersion.get_or_none(ModelVersion.id == version_id)
    if row is None:
        raise UserError(f"There is no model version with id {version_id}.")
    return row


def get_version(version_id: int) -> entities.ModelVersion:
    return _entities([_row(version_id)])[0]


_KEPT = ModelVersion.purged_at.is_null()


def find_version(project_id: int, number: int) -> entities.ModelVersion | None:
    row = ModelVersion.get_or_none((ModelVersion.project == project_id) & (ModelVersion.number == number) & _KEPT)
    return _entities([row])[0] if row else None


def purged_at(project_id: int, number: int) -> str | None:
    """When version `number` was purged (None when it exists or never did)."""
    row = ModelVersion.get_or_none((ModelVersion.project == project_id) & (ModelVersion.number == number))
    return row.purged_at if row else None


def list_versions(project_id: int, *, include_trashed: bool = False) -> list[entities.ModelVersion]:
    query = ModelVersion.select().where((ModelVersion.project == project_id) & _KEPT)
    if not include_trashed:
        query = query.where(ModelVersion.trashed_at.is_null())
    return _entities(query.order_by(ModelVersion.number))


def all_versions() -> list[entities.ModelVersion]:
    return _entities(ModelVersion.select().where(_KEPT).order_by(ModelVersion.project, ModelVersion.number))


def children(version_id: int) -> list[entities.ModelVersion]:
    query = ModelVersion.select().where((ModelVersion.parent == version_id) & _KEPT)
    return _entities(query.order_by(ModelVersion.number))


def versions_on_snapshot(snapshot_id: int) -> list[entities.ModelVersion]:
    """Versions (trashed ones too, not purged ones) trained on the snapshot."""
    query = ModelVersion.select().where((ModelVersion.snapshot == snapshot_id) & _KEPT)
    return _entities(query.order_by(ModelVersion.project, ModelVersion.number))


def insert_version(project_id: int, *, auto_alias: str | None = None, **fields) -> entities.ModelVersion:
    """Insert the row (numbered next in its project) in one transaction; the blobs it names must
    already be stored. With `auto_alias`, the project's first version also gets that alias."""
    for key in ("config", "metrics", "labels", "tags"):
        if key in fields and not isinstance(fields[key], str):
            fields[key] = json.dumps(fields[key], default=str, ensure_ascii=False)
    with db.atomic():
        last = ModelVersion.select(fn.MAX(ModelVersion.number)).where(ModelVersion.project == project_id).scalar()
        row = ModelVersion.create(project=project_id, number=(last or 0) + 1, created_at=now_iso(), **fields)
        target = f"{row.project.name}@v{row.number}"
        audit_repo.record("version.register", target, manifest=row.manifest_blob, run=row.run_id)
        if auto_alias and not Alias.select().where((Alias.project == project_id) & (Alias.name == auto_alias)).exists():
            _move_alias(row.project, auto_alias, row, "first version of the project")
    return get_version(row.id)


def set_notes(version_id: int, notes: str) -> entities.ModelVersion:
    with db.atomic():
        row = _row(version_id)
        before = row.notes
        ModelVersion.update(notes=notes).where(ModelVersion.id == version_id).execute()
        audit_repo.record("version.notes", _target(row), before=before, after=notes)
    return get_version(version_id)


def set_tags(version_id: int, tags: list[str]) -> entities.ModelVersion:
    with db.atomic():
        row = _row(version_id)
        before = json.loads(row.tags or "[]")
        ModelVersion.update(tags=json.dumps(tags, ensure_ascii=False)).where(ModelVersion.id == version_id).execute()
        audit_repo.record("version.tags", _target(row), before=before, after=tags)
    return get_version(version_id)


def set_trashed(version_id: int, trashed: bool, reason: str = "") -> entities.ModelVersion:
    """Soft delete / restore, with the reason. Refused while an alias points at the version."""
    with db.atomic():
        row = _row(version_id)
        if trashed:
            names = [a.name for a in Alias.select().where(Alias.version == version_id)]
            if names:
                raise UserError(
                    f"{_target(row)} cannot go to the trash while the alias {', '.join(names)} points to it; "
                    "move the alias to another version first."
                )
        ModelVersion.update(trashed_at=now_iso() if trashed else None).where(ModelVersion.id == version_id).execute()
        audit_repo.record("version.trash" if trashed else "version.restore", _target(row), reason=reason,
                          project=row.project.name)
    return get_version(version_id)


def purge(version_id: int, reason: str, tombstone: dict) -> None:
    """Make the version a tombstone: refused while an alias points at it or a version continued
    from it; its cached evaluations go; the audit keeps `tombstone` (what was removed, its hashes)."""
    from sftgui.store.models import Evaluation

    with db.atomic():
        row = _row(version_id)
        if row.purged_at:
            raise UserError(f"{_target(row)} was already purged on {row.purged_at[:16].replace('T', ' ')}.")
        names = [a.name for a in Alias.select().where(Alias.version == version_id)]
        if names:
            raise UserError(f"{_target(row)} cannot be purged while the alias {', '.join(names)} points to it; "
                            "move the alias to another version first.")
        kids = [f"v{k.number}" for k in ModelVersion.select().where((ModelVersion.parent == version_id) & _KEPT)]
        if kids:
            raise UserError(f"{_target(row)} cannot be purged: {', '.join(kids)} continued from it and need its "
                            "history; purge those first, or keep it.")
        ModelVersion.update(purged_at=now_iso(), notes="", tags="[]").where(ModelVersion.id == version_id).execute()
        Evaluation.delete().where(Evaluation.version == version_id).execute()
        audit_repo.record("version.purge", _target(row), reason=reason, project=row.project.name, **tombstone)


def set_damaged(version_id: int, reason: str | None) -> None:
    with db.atomic():
        row = _row(version_id)
        if row.damaged == reason:
            return
        ModelVersion.update(damaged=reason).where(ModelVersion.id == version_id).execute()
        audit_repo.record("version.damaged" if reason else "version.repaired", _target(row), reason=reason)


def _target(row: ModelVersion) -> str:
    return f"{row.project.name}@v{row.number}"


# -- aliases ----------------------------------------------------------------------------------
def alias_version(project_id: int, name: str) -> entities.ModelVersion | None:
    alias = Alias.get_or_none((Alias.project == project_id) & (Alias.name == name))
    return get_version(alias.version_id) if alias else None


def list_aliases(project_id: int) -> list[entities.Alias]:
    query = Alias.select(Alias, ModelVersion).join(ModelVersion).where(Alias.project == project_id)
    return [
        entities.Alias(project_id=a.project_id, name=a.name, version_id=a.version_id, version_number=a.version.number)
        for a in query.order_by(Alias.name)
    ]


def move_alias(project_id: int, name: str, version_id: int, reason: str = "") -> entities.AliasEvent:
    """Point the alias at the version (creating it if new) and record the move."""
    with db.atomic():
        version = _row(version_id)
        if version.project_id != project_id:
            raise UserError(f"{_target(version)} belongs to another project.")
        if version.trashed_at:
            raise UserError(f"{_target(version)} is in the trash; restore it before pointing {name!r} at it.")
        event = _move_alias(version.project, name, version, reason)
    return event


def _move_alias(project: Project, name: str, version: ModelVersion, reason: str) -> entities.AliasEvent:
    alias = Alias.get_or_none((Alias.project == project.id) & (Alias.name == name))
    from_version = alias.version if alias else None
    if alias is None:
        Alias.create(project=project.id, name=name, version=version.id)
    else:
        Alias.update(version=version.id).where(Alias.id == alias.id).execute()
    row = AliasEvent.create(
        project=project.id,
        alias=name,
        from_version=from_version.id if from_version else None,
        to_version=version.id,
        at=now_iso(),
        reason=reason,
        user=os_user(),
    )
    audit_repo.record(
        "alias.move",
        f"{project.name}:{name}",
        from_version=f"v{from_version.number}" if from_version else None,
        to_version=f"v{version.number}",
        reason=reason,
    )
    return _event_entity(row, from_version.number if from_version else None, version.number)


def _event_entity(row: AliasEvent, from_number: int | None, to_number: int) -> entities.AliasEvent:
    return entities.AliasEvent(
        id=row.id,
        project_id=row.project_id,
        alias=row.alias,
        from_number=from_number,
        to_number=to_number,
        at=row.at,
        reason=row.reason,
        user=row.user,
    )


def alias_history(project_id: int, alias: str | None = None) -> list[entities.AliasEvent]:
    """Oldest first."""
    query = AliasEvent.select().where(AliasEvent.project == project_id)
    if alias:
        query = query.where(AliasEvent.alias == alias)
    rows = list(query.order_by(AliasEvent.id))
    ids = {r.from_version_id for r in rows} | {r.to_version_id for r in rows}
    numbers = dict(ModelVersion.select(ModelVersion.id, ModelVersion.number).where(ModelVersion.id.in_(list(ids))).tuples())
    return [_event_entity(r, numbers.get(r.from_version_id), numbers[r.to_version_id]) for r in rows]


# -- blob references --------------------------------------------------------------------------
def blob_columns() -> list:
    """Every column that holds a blob digest: by convention its name ends in `blob`, so a part
    that adds such a column is covered by verify and gc without changes here."""
    return [f for model in ALL_MODELS for f in model._meta.sorted_fields if f.name.endswith("blob")]


def row_blob_references() -> dict[str, list[str]]:
    """digest -> what names it ("ModelVersion 3 manifest_blob", ...), straight from the rows."""
    refs: dict[str, list[str]] = {}
    for field in blob_columns():
        model = field.model
        query = model.select(model._meta.primary_key, field).where(field.is_null(False))
        if model is ModelVersion:  # a purged version's blob columns name what was removed, not what is kept
            query = query.where(_KEPT)
        for pk, digest in query.tuples():
            if digest:
                refs.setdefault(digest, []).append(f"{model.__name__} {pk} {field.name}")
    return refs
