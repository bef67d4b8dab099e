"""Model versions, the registry's use cases: register, load, materialize, resolve,
notes/tags/trash, aliases/rollback, lineage, verify and gc.

How the weights are laid out in blobs (manifest, tensors <-> bytes, safetensors files) is
`weights.py`; what a version's files are and how its model is rebuilt is the project's task
(`sftgui.core.tasks`).

Order of writes: every blob, then the manifest blob, then the version row in one transaction, so
a version is visible only once complete, and a crash leaves at most unreferenced blobs.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from sftgui.core import weights
from sftgui.errors import DamagedBlob, UserError, parse_id
from sftgui.store import audit_repo
from sftgui.store import versions_repo as repo
from sftgui.store.entities import AliasEvent, ModelVersion, Project

DEFAULT_ALIAS = "production"
GC_GRACE_S = 15 * 60


# -- small helpers ----------------------------------------------------------------------------
def _project(project) -> Project:
    from sftgui.core.projects import get_project

    return get_project(None, project)


def _version(ws, version) -> ModelVersion:
    """Accept an entity, a row id or a ref string; always return the current state of the row."""
    if isinstance(version, ModelVersion):
        return repo.get_version(version.id)
    if isinstance(version, int):
        return repo.get_version(version)
    return resolve_version(ws, str(version))


def read_manifest(ws, version) -> dict:
    return weights.read_manifest(ws, _version(ws, version))


def read_predictions(ws, version) -> dict | None:
    """The per-example test predictions stored with the version (None when it has none)."""
    version = _version(ws, version)
    if not version.predictions_blob:
        return None
    return json.loads(ws.blobs.get_bytes(version.predictions_blob))


# -- register ---------------------------------------------------------------------------------
def register_version(
    ws,
    project,
    model,
    tokenizer,
    *,
    labels,
    base_model,
    run_id=None,
    parent_id=None,
    snapshot_id=None,
    config=None,
    metrics=None,
    predictions=None,
    notes: str = "",
    tags=(),
) -> ModelVersion:
    """Store the model's weights and the task's files (config, tokenizer) as blobs and add
    version vN of the project. `tokenizer` is the task's processor.

    The project's first version also gets the `production` alias, so there is always a live model
    once one exists; later versions go live only when someone moves the alias (aliases set,
    rollback, or the GUI). A PEFT (LoRA) model is merged into full weights first, unless the task
    keeps adapters (`Task.keeps_adapter`): then the base tensors (unchanged, so already stored) and
    the adapter's are stored as they are, and the version adds only the adapter's bytes.
    """
    from sftgui.core.tasks import task_of

    if ws.readonly:
        raise UserError("This workspace was opened read-only; registering a version needs write access.")
    project = _project(project)
    task = task_of(project)
    labels = [str(x) for x in labels]
    task.check_labels(labels)
    if hasattr(model, "merge_and_unload") and not task.keeps_adapter:
        model = model.merge_and_unload()
    blobs = ws.blobs
    with blobs.lock:
        # One flush for all blobs, finished before the row that names them commits (DESIGN 4.4)
        with blobs.batch():
            stored = weights.store(ws, model, lambda: task.model_files(model, tokenizer, labels))
            predictions_blob = blobs.put_bytes(weights.json_bytes(predictions)) if predictions is not None else None
        return repo.insert_version(
            project.id,
            auto_alias=DEFAULT_ALIAS,
            run=run_id,
            parent=parent_id,
            snapshot=snapshot_id,
            base_model=str(base_model),
            manifest_blob=stored["manifest_blob"],
            predictions_blob=predictions_blob,
            config=config or {},
            metrics=metrics or {},
            labels=labels,
            weights_tensors=stored["tensors"],
            weights_bytes=stored["bytes"],
            weights_new_bytes=stored["new_bytes"],
            notes=notes,
            tags=list(tags),
        )


# -- load and materialize ---------------------------------------------------------------------
def load_state_dict(ws, version) -> dict:
    """name -> tensor, every blob verified by hash (DamagedBlob names the damaged one)."""
    return weights.load_state_dict(ws, _version(ws, version))


def load_version(ws, version):
    """(model, processor) in eval mode on the CPU, predicting exactly what the registered one did."""
    from sftgui.core.tasks import task_of

    version = _version(ws, version)
    manifest = weights.read_manifest(ws, version)
    state = weights.load_state_dict(ws, version, manifest)
    with tempfile.TemporaryDirectory(prefix="sftgui-load-") as tmp:
        weights.write_files(ws, manifest, Path(tmp))
        return task_of(version).load_version(Path(tmp), state)


def materialize_version(ws, version, dest_dir, *, hashes: dict | None = None) -> Path:
    """Write a standard Hugging Face folder (config.json, model.safetensors, tokenizer files).

    `hashes`, when given, receives {"model.safetensors": (sha256, bytes)} of the weights file,
    computed from the very bytes written (an export's manifest needs it; no second read).
    """
    return weights.materialize(ws, _version(ws, version), dest_dir, hashes=hashes)


# -- finding versions -------------------------------------------------------------------------
def resolve_version(ws, ref, project=None) -> ModelVersion:
    """`vN` (or `N`) with a project, `P@vN`, `P@alias`, or an alias name with a project."""
    ref = str(ref).strip()
    if "@" in ref:
        name, _, which = ref.rpartition("@")
        proj = _project(name)
    elif project is not None:
        proj, which = _project(project), ref
    else:
        raise UserError(f"Say which project {ref!r} belongs to: write it as PROJECT@{ref} or add --project.")
    number = parse_id(which[1:] if which[:1] in ("v", "V") else which, "The version number")
    if number is not None:
        found = repo.find_version(proj.id, number)
        purged = repo.purged_at(proj.id, number) if found is None else None
        if purged:
            raise UserError(f"{proj.name}@v{number} was purged on {purged[:16].replace('T', ' ')}; "
                            f"'sftgui audit --project {proj.name}' says who removed it and why.")
        if found is None:
            have = [f"v{v.number}" for v in repo.list_versions(proj.id, include_trashed=True)]
            listed = f"it has {', '.join(have)}" if have else "it has no versions yet"
            raise UserError(f"Project {proj.name} has no version v{number} ({listed}).")
        return found
    found = repo.alias_version(proj.id, which)
    if found is None:
        names = [a.name for a in repo.list_aliases(proj.id)]
        listed = f"its aliases are {', '.join(names)}" if names else "it has no aliases yet"
        raise UserError(f"{which!r} is not a version (like v2) or an alias of project {proj.name} ({listed}).")
    return found


def list_versions(ws, project, *, include_trashed: bool = False) -> list[ModelVersion]:
    return repo.list_versions(_project(project).id, include_trashed=include_trashed)


def get_version(ws, version_id: int) -> ModelVersion:
    return repo.get_version(int(version_id))


# -- the editable parts: notes, tags, trash ---------------------------------------------------
def set_notes(ws, version, text: str) -> ModelVersion:
    return repo.set_notes(_version(ws, version).id, str(text))


def tag_version(ws, version, tag: str, *, remove: bool = False) -> ModelVersion:
    version = _version(ws, version)
    tag = str(tag).strip()
    if not tag:
        raise UserError("A tag needs some text, e.g. 'baseline'.")
    tags = [t for t in version.tags if t != tag]
    if not remove:
        tags.append(tag)
    elif tag not in version.tags:
        raise UserError(f"{version.ref} has no tag {tag!r}" + (f" (its tags: {', '.join(version.tags)})." if version.tags else "."))
    return repo.set_tags(version.id, tags)


def trash_version(ws, version, *, reason: str = "") -> ModelVersion:
    """Hide a version from lists (nothing is deleted); refused while an alias points to it."""
    return repo.set_trashed(_version(ws, version).id, True, reason=str(reason or ""))


def restore_version(ws, version, *, reason: str = "") -> ModelVersion:
    return repo.set_trashed(_version(ws, version).id, False, reason=str(reason or ""))


# -- aliases and rollback ---------------------------------------------------------------------
def set_alias(ws, project, alias: str, version, *, reason: str = "") -> AliasEvent:
    """Point `alias` at the version (any version: older is a rollback, newer a promotion).

    Refused when the version is damaged: marked so by `verify` or a failed load, or a blob it
    needs is missing. Bytes are not re-hashed here, so moving an alias takes the same time for any
    model size (reads re-hash every blob, and `verify` re-hashes everything).
    """
    project = _project(project)
    alias = str(alias).strip()
    if not alias or "@" in alias or alias[:1] in ("v", "V") and alias[1:].isdigit() or alias.isdigit():
        raise UserError(f"{alias!r} cannot be an alias name: use a word like 'production' or 'staging'.")
    target = resolve_version(ws, version, project=project.name) if not isinstance(version, ModelVersion) else version
    if target.project_id != project.id:
        raise UserError(f"{target.ref} belongs to project {target.project_name}, not {project.name}.")
    problem = version_problem(ws, target, deep=False)
    if problem:
        if not ws.readonly:
            repo.set_damaged(target.id, problem)
        raise UserError(f"{target.ref} cannot become {alias!r}: {problem}")
    return repo.move_alias(project.id, alias, target.id, reason)


def rollback(ws, project, to, *, reason: str = "", alias: str = DEFAULT_ALIAS) -> AliasEvent:
    """Move `production` (or another alias) to the chosen version, recording why."""
    return set_alias(ws, project, alias, to, reason=reason)


def alias_history(ws, project, alias: str | None = None) -> list[AliasEvent]:
    return repo.alias_history(_project(project).id, alias)


def list_aliases(ws, project):
    return repo.list_aliases(_project(project).id)


# -- lineage ----------------------------------------------------------------------------------
def lineage(ws, version) -> list[tuple[int, ModelVersion]]:
    """The family tree holding the version, as (depth, version) in display order from its root."""
    version = _version(ws, version)
    root = version
    while root.parent_id is not None:
        root = repo.get_version(root.parent_id)
    out: list[tuple[int, ModelVersion]] = []

    def walk(v: ModelVersion, depth: int) -> None:
        out.append((depth, v))
        for child in repo.children(v.id):
            walk(child, depth + 1)

    walk(root, 0)
    return out


# -- integrity: verify and gc -----------------------------------------------------------------
def _version_blobs(ws, version: ModelVersion) -> tuple[dict[str, str], str | None]:
    """(digest -> what it is, problem reading the manifest) for one version."""
    blobs = {version.manifest_blob: "manifest"}
    if version.predictions_blob:
        blobs[version.predictions_blob] = "predictions"
    try:
        manifest = json.loads(ws.blobs.get_bytes(version.manifest_blob))
    except DamagedBlob as exc:
        return blobs, str(exc)
    for name, t in manifest["tensors"].items():
        blobs.setdefault(t["blob"], f"tensor {name}")
    for name, digest in manifest["files"].items():
        blobs.setdefault(digest, f"file {name}")
    return blobs, None


def version_problem(ws, version: ModelVersion, *, deep: bool = True) -> str | None:
    """None when every blob of the version is present (and, when deep, intact), else the reason.

    The shallow check trusts the damaged mark that verify and loading keep up to date and only
    looks for missing files: its cost depends on the number of tensors, not on their bytes.
    """
    if not deep and version.damaged:
        return version.damaged
    blobs, problem = _version_blobs(ws, version)
    if problem:
        return problem
    for digest, what in blobs.items():
        state = ws.blobs.check(digest) if deep else (None if ws.blobs.has(digest) else "missing")
        if state:
            return f"its {what} ({digest[:12]}) is {state}."
    return None


def _references(ws) -> tuple[dict[str, list[str]], dict[int, tuple[ModelVersion, dict, str | None]]]:
    """Every referenced digest -> who refers to it, and per version its blobs and manifest problem."""
    refs = repo.row_blob_references()
    per_version = {}
    for v in repo.all_versions():
        blobs, problem = _version_blobs(ws, v)
        per_version[v.id] = (v, blobs, problem)
        for digest, what in blobs.items():
            users = refs.setdefault(digest, [])
            label = f"{v.ref} {what}"
            if label not in users:
                users.append(label)
    return refs, per_version


def verify(ws, *, progress=None) -> dict:
    """Re-hash every blob, resolve every reference, and mark damaged versions (unmark repaired ones).

    `{ok, blobs_checked, missing: [{blob, used_by}], corrupt: [{blob, used_by}], orphans,
    orphan_bytes, damaged_versions: [ref]}`.
    """
    refs, per_version = _references(ws)
    stored = list(ws.blobs.iter_digests())
    state = {}
    for i, digest in enumerate(stored):
        state[digest] = ws.blobs.check(digest)
        if progress:
            progress((i + 1) / max(1, len(stored)), "Checking stored files")
    missing = [d for d in refs if d not in state]
    corrupt = [d for d in refs if state.get(d) == "corrupt"]
    orphans = [d for d in stored if d not in refs]
    damaged = []
    for v, blobs, problem in per_version.values():
        if not problem:
            bad = next(((d, w) for d, w in blobs.items() if d not in state or state[d]), None)
            if bad:
                problem = f"its {bad[1]} ({bad[0][:12]}) is {'missing' if bad[0] not in state else state[bad[0]]}."
        if problem:
            damaged.append(v.ref)
        if not ws.readonly:
            repo.set_damaged(v.id, problem)
    corrupt_unused = [d for d in orphans if state[d] == "corrupt"]
    links = ws.blobs.links()  # sftgui makes none: each one was planted, and is never followed
    return {
        "ok": not (missing or corrupt or corrupt_unused or links),
        "blobs_checked": len(stored),
        "missing": [{"blob": d, "used_by": refs[d]} for d in missing],
        "corrupt": [{"blob": d, "used_by": refs.get(d, [])} for d in corrupt + corrupt_unused],
        "orphans": len(orphans),
        "orphan_bytes": sum(ws.blobs.size(d) for d in orphans),
        "damaged_versions": damaged,
        "links": links,
    }


def gc(ws, *, dry_run: bool = False, grace_s: float = GC_GRACE_S) -> dict:
    """Remove blobs nothing refers to. `{removed, bytes, kept_recent, dry_run}`.

    Safe against a register running at the same time: other processes cannot write (the writer
    lock), a register in this process holds `ws.blobs.lock` until its row commits, and blobs
    younger than `grace_s` are kept anyway (a reused blob's mtime is refreshed when a register
    names it). Refused while a manifest cannot be read, because then what it names is unknown.
    """
    if ws.readonly:
        raise UserError("This workspace was opened read-only; gc needs write access.")
    with ws.blobs.lock:
        refs, per_version = _references(ws)
        unreadable = [v.ref for v, _, problem in per_version.values() if problem]
        if unreadable:
            raise UserError(
                f"gc stopped: the manifest of {', '.join(unreadable)} cannot be read, so it is unknown which "
                "stored files those versions need; run sftgui verify and restore the workspace from a backup."
            )
        now = time.time()
        removed, size, recent = [], 0, 0
        for digest in ws.blobs.iter_digests():
            if digest in refs:
                continue
            if now - ws.blobs.mtime(digest) < grace_s:
                recent += 1
                continue
            removed.append(digest)
            size += ws.blobs.size(digest)
            if not dry_run:
                ws.blobs.delete(digest)
        if removed and not dry_run:
            audit_repo.record("gc", "blobs", removed=len(removed), bytes=size)
    return {"removed": len(removed), "bytes": size, "kept_recent": recent, "dry_run": dry_run, "blobs": removed}
