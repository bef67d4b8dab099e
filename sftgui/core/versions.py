"""Model versions: register, load, materialize, resolve, aliases/rollback, verify and gc.

A version's weights are stored per tensor, content-addressed: each tensor of the state_dict is
one blob holding the raw little-endian bytes of the contiguous tensor, and a JSON manifest names
them: `{"format": 1, "tensors": {name: {blob, dtype, shape}}, "files": {file name: blob}}`.
`files` holds config.json (with id2label/label2id), the tokenizer files and labels.json. A tensor
that did not change between versions (a frozen encoder) is therefore stored once for all of them.
Manifests written since issue 9 also hold `"safetensors": {sha256, bytes, header_sha256}`: the
hash of model.safetensors as `materialize_version` lays it out (header, then the blobs), so an
export checks every blob once instead of also re-hashing the whole file; older manifests lack it
and are read as before.

Order of writes: every blob, then the manifest blob, then the version row in one transaction, so
a version is visible only once complete, and a crash leaves at most unreferenced blobs.
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
import struct
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sftgui.errors import DamagedBlob, UserError, parse_id
from sftgui.store import audit_repo
from sftgui.store import versions_repo as repo
from sftgui.store.entities import AliasEvent, ModelVersion, Project
from sftgui.store.blobs import sha256_hex

MANIFEST_FORMAT = 1
DEFAULT_ALIAS = "production"
GC_GRACE_S = 15 * 60


# -- small helpers ----------------------------------------------------------------------------
def _json_bytes(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


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
    version = _version(ws, version)
    return json.loads(ws.blobs.get_bytes(version.manifest_blob))


def read_predictions(ws, version) -> dict | None:
    """The per-example test predictions stored with the version (None when it has none)."""
    version = _version(ws, version)
    if not version.predictions_blob:
        return None
    return json.loads(ws.blobs.get_bytes(version.predictions_blob))


# -- tensors <-> bytes ------------------------------------------------------------------------
def _tensor_bytes(tensor) -> memoryview:
    import torch

    t = tensor.detach().to("cpu").contiguous()
    if sys.byteorder != "little" and t.element_size() > 1:  # the stored format is little-endian
        raise UserError("Saving model versions needs a little-endian machine.")
    # viewing as bytes keeps bf16 (which numpy lacks) exact
    return memoryview(t.reshape(-1).view(torch.uint8).numpy()).cast("B")


def _tensor_from_bytes(data: bytes, dtype: str, shape: list[int]):
    import torch

    import numpy as np

    # A fresh torch allocation (64-byte aligned) rather than a view of `data`: CPU matmul kernels
    # round differently for unaligned weights, and the loaded model must predict bit for bit.
    tensor = torch.empty(shape, dtype=getattr(torch, dtype))
    target = tensor.reshape(-1).view(torch.uint8).numpy()
    if target.nbytes != len(data):
        raise UserError(f"A stored tensor has {len(data)} bytes where its manifest says {target.nbytes}; run sftgui verify.")
    target[:] = np.frombuffer(data, dtype=np.uint8)
    return tensor


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
    """Store the model's weights, config and tokenizer as blobs and add version vN of the project.

    The project's first version also gets the `production` alias, so there is always a live model
    once one exists; later versions go live only when someone moves the alias (aliases set,
    rollback, or the GUI). A PEFT (LoRA) model is merged into full weights first.
    """
    if ws.readonly:
        raise UserError("This workspace was opened read-only; registering a version needs write access.")
    project = _project(project)
    labels = [str(x) for x in labels]
    if not labels:
        raise UserError("A model version needs its list of labels.")
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    blobs = ws.blobs
    with blobs.lock:
        # One flush for all blobs, finished before the row that names them commits (DESIGN 4.4)
        with blobs.batch():
            tensors, total, new = {}, 0, 0
            state = list(model.state_dict().items())
            views = [_tensor_bytes(tensor) for _, tensor in state]  # no copies: views of the tensors
            for name, tensor in state:
                tensors[name] = {"dtype": str(tensor.dtype).removeprefix("torch."), "shape": list(tensor.shape)}
            # model.safetensors' sha256 as exports will lay it out, hashed while the blobs are
            # written, so that an export needs one hash pass (checking the blobs), not two
            layout = _safetensors_layout(tensors)
            weights_file = _weights_file_facts(*layout, dict(zip(tensors, views))) if layout else (lambda: None)
            model_files = _model_files(model, tokenizer, labels)  # while that hash runs
            for (name, tensor), data, (digest, added) in zip(state, views, blobs.add_many(views)):
                tensors[name] = {"blob": digest, **tensors[name]}
                total += data.nbytes
                new += data.nbytes if added else 0
            files = {}
            for name, data in model_files.items():
                digest, added = blobs.add_bytes(data)
                files[name] = digest
                new += len(data) if added else 0
            manifest = {"format": MANIFEST_FORMAT, "tensors": tensors, "files": files}
            if (facts := weights_file()) is not None:
                manifest["safetensors"] = facts
            manifest_blob = blobs.put_bytes(_json_bytes(manifest))
            predictions_blob = blobs.put_bytes(_json_bytes(predictions)) if predictions is not None else None
        return repo.insert_version(
            project.id,
            auto_alias=DEFAULT_ALIAS,
            run=run_id,
            parent=parent_id,
            snapshot=snapshot_id,
            base_model=str(base_model),
            manifest_blob=manifest_blob,
            predictions_blob=predictions_blob,
            config=config or {},
            metrics=metrics or {},
            labels=labels,
            weights_tensors=len(tensors),
            weights_bytes=total,
            weights_new_bytes=new,
            notes=notes,
            tags=list(tags),
        )


def _model_files(model, tokenizer, labels: list[str]) -> dict[str, bytes]:
    """config.json (with the label map), labels.json and the tokenizer's files, as bytes."""
    config = model.config.to_dict()
    config["id2label"] = {str(i): label for i, label in enumerate(labels)}
    config["label2id"] = {label: i for i, label in enumerate(labels)}
    config["architectures"] = [type(model).__name__]
    files = {"config.json": _json_bytes(config), "labels.json": _json_bytes(labels)}
    if tokenizer is not None:
        with tempfile.TemporaryDirectory(prefix="sftgui-tok-") as tmp:
            tokenizer.save_pretrained(tmp)
            for f in sorted(Path(tmp).iterdir()):
                if f.is_file():
                    files[f.name] = f.read_bytes()
    return files


# -- load and materialize ---------------------------------------------------------------------
def load_state_dict(ws, version) -> dict:
    """name -> tensor, every blob verified by hash (DamagedBlob names the damaged one)."""
    version = _version(ws, version)
    manifest = read_manifest(ws, version)
    state = {}
    for name, t in manifest["tensors"].items():
        try:
            data = ws.blobs.get_bytes(t["blob"])
        except DamagedBlob:
            # Found on load: mark the version so a rollback to it is refused without re-hashing.
            if not ws.readonly:
                problem = "missing" if not ws.blobs.has(t["blob"]) else "corrupt"
                repo.set_damaged(version.id, f"its tensor {name} ({t['blob'][:12]}) is {problem}.")
            raise
        state[name] = _tensor_from_bytes(data, t["dtype"], t["shape"])
    return state


def _write_files(ws, manifest: dict, dest: Path) -> None:
    for name, digest in manifest["files"].items():
        if name != "labels.json":
            (dest / name).write_bytes(ws.blobs.get_bytes(digest))


def load_version(ws, version):
    """(model, tokenizer) in eval mode on the CPU, predicting exactly what the registered one did."""
    import transformers
    from transformers.initialization import no_init_weights

    version = _version(ws, version)
    manifest = read_manifest(ws, version)
    state = load_state_dict(ws, version)
    with tempfile.TemporaryDirectory(prefix="sftgui-load-") as tmp:
        _write_files(ws, manifest, Path(tmp))
        config = transformers.AutoConfig.from_pretrained(tmp)
        has_tokenizer = any(n != "config.json" and n != "labels.json" for n in manifest["files"])
        tokenizer = transformers.AutoTokenizer.from_pretrained(tmp) if has_tokenizer else None
    cls = getattr(transformers, (config.architectures or ["AutoModelForSequenceClassification"])[0])
    with no_init_weights():  # every weight is assigned from the blobs just below
        model = cls._from_config(config) if cls.__name__.startswith("Auto") else cls(config)
    # assign=True keeps each tensor's stored dtype (a bf16 version stays bf16)
    model.load_state_dict(state, strict=True, assign=True)
    model.eval()
    return model, tokenizer


def materialize_version(ws, version, dest_dir, *, hashes: dict | None = None) -> Path:
    """Write a standard Hugging Face folder (config.json, model.safetensors, tokenizer files).

    `hashes`, when given, receives {"model.safetensors": (sha256, bytes)} of the weights file,
    computed from the very bytes written (an export's manifest needs it; no second read).
    """
    version = _version(ws, version)
    manifest = read_manifest(ws, version)
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    weights = dest / "model.safetensors"
    layout = _safetensors_layout(manifest["tensors"])
    if layout is None:  # a dtype safetensors has no name for here: go through torch
        from safetensors.torch import save_file

        save_file(load_state_dict(ws, version), str(weights), metadata={"format": "pt"})
        if hashes is not None:
            from sftgui.core.export import sha256_file

            hashes[weights.name] = (sha256_file(weights), weights.stat().st_size)
    else:
        digest, size = _write_safetensors(ws, version, manifest, layout, weights)
        if hashes is not None:
            hashes[weights.name] = (digest, size)
    _write_files(ws, manifest, dest)
    return dest


# -- model.safetensors straight from the blobs ------------------------------------------------
# torch dtype name -> (safetensors dtype, bytes per element)
_SAFETENSORS_DTYPES = {
    "float64": ("F64", 8), "float32": ("F32", 4), "float16": ("F16", 2), "bfloat16": ("BF16", 2),
    "int64": ("I64", 8), "int32": ("I32", 4), "int16": ("I16", 2), "int8": ("I8", 1),
    "uint64": ("U64", 8), "uint32": ("U32", 4), "uint16": ("U16", 2), "uint8": ("U8", 1),
    "bool": ("BOOL", 1), "float8_e4m3fn": ("F8_E4M3", 1), "float8_e5m2": ("F8_E5M2", 1),
}


def _safetensors_layout(tensors: dict) -> tuple[bytes, list[tuple[str, int]]] | None:
    """(the file's header, [(tensor name, bytes)] in file order) for `{name: {dtype, shape}}`, or
    None when a dtype has no safetensors name. A blob holds exactly a tensor's little-endian bytes,
    which is how safetensors stores it too, so the file is the header followed by the blobs. Same
    order as safetensors' own writer: larger elements first, then by name (every tensor aligned)."""
    entries = []
    for name, t in tensors.items():
        if t["dtype"] not in _SAFETENSORS_DTYPES:
            return None
        code, itemsize = _SAFETENSORS_DTYPES[t["dtype"]]
        entries.append((-itemsize, name, code, math.prod(t["shape"]) * itemsize, list(t["shape"])))
    entries.sort(key=lambda e: (e[0], e[1]))
    header: dict = {"__metadata__": {"format": "pt"}}
    order, offset = [], 0
    for _, name, code, size, shape in entries:
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [offset, offset + size]}
        order.append((name, size))
        offset += size
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # the data starts 8-byte aligned
    return struct.pack("<Q", len(raw)) + raw, order


def _weights_file_facts(header: bytes, order, views: dict):
    """Start hashing model.safetensors as `_write_safetensors` will lay it out, from the tensors'
    bytes in memory, on a thread of its own; returns a function giving the manifest's entry
    `{sha256, bytes, header_sha256}` (None when the bytes do not match the layout)."""
    if any(views[name].nbytes != size for name, size in order):
        return lambda: None
    h = hashlib.sha256(header)

    def run():
        for name, _ in order:
            h.update(views[name])

    pool = ThreadPoolExecutor(1, thread_name_prefix="sftgui-filehash")
    future = pool.submit(run)
    pool.shutdown(wait=False)

    def result():
        future.result()
        return {"sha256": h.hexdigest(), "bytes": len(header) + sum(size for _, size in order),
                "header_sha256": hashlib.sha256(header).hexdigest()}

    return result


def _damaged(ws, version, name: str, digest: str, problem: str) -> DamagedBlob:
    """Found on read: mark the version so a rollback to it is refused without re-hashing."""
    if not ws.readonly:
        repo.set_damaged(version.id, f"its tensor {name} ({digest[:12]}) is {problem}.")
    if problem == "missing":
        return DamagedBlob(f"Stored file {digest[:12]} is missing from {ws.blobs.path(digest).parent}.", digest)
    return DamagedBlob(f"Stored file {digest[:12]} is damaged (its bytes no longer match its hash).", digest)


def _write_safetensors(ws, version, manifest: dict, layout, path: Path) -> tuple[str, int]:
    """Write model.safetensors from the version's blobs; returns the file's (sha256, bytes).

    Each blob is mapped once; from that one mapping worker threads check the blob's hash while
    this thread writes the bytes, so the written bytes are the checked ones and nothing is read
    twice. The file's sha256 was computed at register time from the same layout (the manifest's
    `safetensors` entry): it holds when the header is byte for byte the one hashed then and every
    blob checks out. A manifest without it (older versions) has the file hashed in the same pass.
    A damaged or missing blob raises DamagedBlob (naming it) and marks the version damaged, as
    loading does.
    """
    header, order = layout
    total = len(header) + sum(size for _, size in order)
    known = manifest.get("safetensors") or {}
    recorded = known.get("sha256") if (
        known.get("bytes") == total and known.get("header_sha256") == hashlib.sha256(header).hexdigest()
    ) else None
    file_hash = None if recorded else hashlib.sha256(header)
    maps, checks = [], []
    # the file's running hash (if needed) keeps file order on its own thread; checks use the rest
    with ThreadPoolExecutor(1, thread_name_prefix="sftgui-filehash") as hasher, \
            ThreadPoolExecutor(1 if file_hash else 2, thread_name_prefix="sftgui-check") as checker:
        try:
            blobs = []
            for name, size in order:
                digest = manifest["tensors"][name]["blob"]
                data = _map_blob(ws, version, name, digest)
                maps.append(data)
                if len(data) != size:
                    if sha256_hex(data) != digest:
                        raise _damaged(ws, version, name, digest, "corrupt")
                    raise UserError(f"A stored tensor has {len(data)} bytes where its manifest says {size}; run sftgui verify.")
                blobs.append((name, digest, data))
            for name, digest, data in sorted(blobs, key=lambda b: -len(b[2])):  # the longest check first
                checks.append((checker.submit(sha256_hex, data), name, digest))
            with open(path, "wb") as out:
                out.write(header)
                for _, _, data in blobs:
                    if file_hash is not None:
                        hasher.submit(file_hash.update, data)
                    out.write(data)
                for check, name, digest in checks:
                    if check.result() != digest:
                        raise _damaged(ws, version, name, digest, "corrupt")
                hasher.shutdown(wait=True)  # every update of the file's hash has run
        except BaseException:
            hasher.shutdown(wait=True, cancel_futures=True)  # nothing may read a mapping once closed
            checker.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            for data in maps:
                if isinstance(data, mmap.mmap):
                    data.close()
    return (recorded or file_hash.hexdigest()), total


def _map_blob(ws, version, name: str, digest: str):
    try:
        fd = ws.blobs.open_fd(digest)  # never through a link
    except FileNotFoundError:
        raise _damaged(ws, version, name, digest, "missing") from None
    try:
        if os.fstat(fd).st_size == 0:
            return b""
        if hasattr(mmap, "MAP_POPULATE"):  # Linux: one call maps every page, no fault per few pages later
            return mmap.mmap(fd, 0, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE, prot=mmap.PROT_READ)
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    finally:
        os.close(fd)


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
