"""Model versions: register, load, materialize, resolve, aliases/rollback, verify and gc.

A version's weights are stored per tensor, content-addressed: each tensor of the state_dict is
one blob holding the raw little-endian bytes of the contiguous tensor, and a JSON manifest names
them: `{"format": 1, "tensors": {name: {blob, dtype, shape}}, "files": {file name: blob}}`.
`files` holds config.json (with id2label/label2id), the tokenizer files and labels.json. A tensor
that did not change between versions (a frozen encoder) is therefore stored once for all of them.

Order of writes: every blob, then the manifest blob, then the version row in one transaction, so
a version is visible only once complete, and a crash leaves at most unreferenced blobs.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from sftgui.errors import DamagedBlob, UserError
from sftgui.store import versions_repo as repo
from sftgui.store.entities import AliasEvent, ModelVersion, Project

MANIFEST_FORMAT = 1
DEFAULT_ALIAS = "production"
GC_GRACE_S = 15 * 60


# -- small helpers ----------------------------------------------------------------------------
def _json_bytes(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def _project(project) -> Project:
    if isinstance(project, Project):
        return project
    return repo.find_project(project)


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
        tensors, total, new = {}, 0, 0
        for name, tensor in model.state_dict().items():
            data = _tensor_bytes(tensor)
            digest, added = blobs.add_bytes(data)
            tensors[name] = {"blob": digest, "dtype": str(tensor.dtype).removeprefix("torch."), "shape": list(tensor.shape)}
            total += data.nbytes
            new += data.nbytes if added else 0
        files = {}
        for name, data in _model_files(model, tokenizer, labels).items():
            digest, added = blobs.add_bytes(data)
            files[name] = digest
            new += len(data) if added else 0
        manifest = {"format": MANIFEST_FORMAT, "tensors": tensors, "files": files}
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
    manifest = read_manifest(ws, version)
    return {
        name: _tensor_from_bytes(ws.blobs.get_bytes(t["blob"]), t["dtype"], t["shape"])
        for name, t in manifest["tensors"].items()
    }


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


def materialize_version(ws, version, dest_dir) -> Path:
    """Write a standard Hugging Face folder (config.json, model.safetensors, tokenizer files)."""
    from safetensors.torch import save_file

    version = _version(ws, version)
    manifest = read_manifest(ws, version)
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    save_file(load_state_dict(ws, version), str(dest / "model.safetensors"), metadata={"format": "pt"})
    _write_files(ws, manifest, dest)
    return dest


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
    number = which[1:] if which[:1] in ("v", "V") else which
    if number.isdigit():
        found = repo.find_version(proj.id, int(number))
        if found is None:
            have = [f"v{v.number}" for v in repo.list_versions(proj.id, include_trashed=True)]
            listed = f"it has {', '.join(have)}" if have else "it has no versions yet"
            raise UserError(f"Project {proj.name} has no version v{int(number)} ({listed}).")
        return found
    found = repo.alias_version(proj.id, which)
    if found is None:
        names = [a.name for a in repo.list_aliases(proj.id)]
        listed = f"its aliases are {', '.join(names)}" if names else "it has no aliases yet"
        raise UserError(f"{which!r} is neither a version (like v2) nor an alias of project {proj.name} ({listed}).")
    return found


def list_versions(ws, project, *, include_trashed: bool = False) -> list[ModelVersion]:
    return repo.list_versions(_project(project).id, include_trashed=include_trashed)


def get_version(ws, version_id: int) -> ModelVersion:
    return repo.get_version(int(version_id))
