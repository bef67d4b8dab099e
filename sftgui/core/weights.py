"""The weights format of a model version: per-tensor blobs, a manifest, and safetensors files.

A version's weights are stored per tensor, content-addressed: each tensor of the state_dict is
one blob holding the raw little-endian bytes of the contiguous tensor, and a JSON manifest names
them: `{"format": 1, "tensors": {name: {blob, dtype, shape}}, "files": {file name: blob}}`.
`files` holds what the task keeps beside the weights (config.json with id2label/label2id, the
tokenizer files, labels.json). A tensor that did not change between versions (a frozen encoder)
is therefore stored once for all of them.
Manifests written since issue 9 also hold `"safetensors": {sha256, bytes, header_sha256}`: the
hash of model.safetensors as `materialize` lays it out (header, then the blobs), so an export
checks every blob once instead of also re-hashing the whole file; older manifests lack it and
are read as before.

This module knows bytes and files, not tasks or registry rules: `versions.py` holds the use cases.
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
import struct
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from sftgui.errors import DamagedBlob, UserError
from sftgui.store import versions_repo as repo
from sftgui.store.blobs import sha256_file, sha256_hex
from sftgui.store.entities import ModelVersion

MANIFEST_FORMAT = 1


def json_bytes(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def read_manifest(ws, version: ModelVersion) -> dict:
    return json.loads(ws.blobs.get_bytes(version.manifest_blob))


def store(ws, model, files: Callable[[], dict[str, bytes]]) -> dict:
    """Write every tensor of `model.state_dict()`, the files `files()` makes and the manifest as
    blobs; returns `{manifest_blob, tensors, bytes, new_bytes}`. Call it inside `ws.blobs.lock`
    and `ws.blobs.batch()`: the row naming the manifest must commit after the flush (DESIGN 4.4).
    `files()` runs while the weights file's hash is computed on another thread.
    """
    blobs = ws.blobs
    tensors, total, new = {}, 0, 0
    state = list(model.state_dict().items())
    views = [_tensor_bytes(tensor) for _, tensor in state]  # no copies: views of the tensors
    for name, tensor in state:
        tensors[name] = {"dtype": str(tensor.dtype).removeprefix("torch."), "shape": list(tensor.shape)}
    # model.safetensors' sha256 as exports will lay it out, hashed while the blobs are
    # written, so that an export needs one hash pass (checking the blobs), not two
    layout = safetensors_layout(tensors)
    weights_file = weights_file_facts(*layout, dict(zip(tensors, views))) if layout else (lambda: None)
    model_files = files()  # while that hash runs
    for (name, tensor), data, (digest, added) in zip(state, views, blobs.add_many(views)):
        tensors[name] = {"blob": digest, **tensors[name]}
        total += data.nbytes
        new += data.nbytes if added else 0
    stored_files = {}
    for name, data in model_files.items():
        digest, added = blobs.add_bytes(data)
        stored_files[name] = digest
        new += len(data) if added else 0
    manifest = {"format": MANIFEST_FORMAT, "tensors": tensors, "files": stored_files}
    if (facts := weights_file()) is not None:
        manifest["safetensors"] = facts
    return {"manifest_blob": blobs.put_bytes(json_bytes(manifest)), "tensors": len(tensors),
            "bytes": total, "new_bytes": new}


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


def load_state_dict(ws, version: ModelVersion, manifest: dict | None = None) -> dict:
    """name -> tensor, every blob verified by hash (DamagedBlob names the damaged one)."""
    manifest = manifest if manifest is not None else read_manifest(ws, version)
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


def write_files(ws, manifest: dict, dest: Path) -> None:
    for name, digest in manifest["files"].items():
        if name != "labels.json":
            (dest / name).write_bytes(ws.blobs.get_bytes(digest))


def materialize(ws, version: ModelVersion, dest_dir, *, hashes: dict | None = None) -> Path:
    """Write a standard Hugging Face folder (config.json, model.safetensors, tokenizer files).

    `hashes`, when given, receives {"model.safetensors": (sha256, bytes)} of the weights file,
    computed from the very bytes written (an export's manifest needs it; no second read).
    """
    manifest = read_manifest(ws, version)
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    weights = dest / "model.safetensors"
    layout = safetensors_layout(manifest["tensors"])
    if layout is None:  # a dtype safetensors has no name for here: go through torch
        from safetensors.torch import save_file

        save_file(load_state_dict(ws, version), str(weights), metadata={"format": "pt"})
        if hashes is not None:
            hashes[weights.name] = (sha256_file(weights), weights.stat().st_size)
    else:
        digest, size = write_safetensors(ws, version, manifest, layout, weights)
        if hashes is not None:
            hashes[weights.name] = (digest, size)
    write_files(ws, manifest, dest)
    return dest


# -- model.safetensors straight from the blobs ------------------------------------------------
# torch dtype name -> (safetensors dtype, bytes per element)
_SAFETENSORS_DTYPES = {
    "float64": ("F64", 8), "float32": ("F32", 4), "float16": ("F16", 2), "bfloat16": ("BF16", 2),
    "int64": ("I64", 8), "int32": ("I32", 4), "int16": ("I16", 2), "int8": ("I8", 1),
    "uint64": ("U64", 8), "uint32": ("U32", 4), "uint16": ("U16", 2), "uint8": ("U8", 1),
    "bool": ("BOOL", 1), "float8_e4m3fn": ("F8_E4M3", 1), "float8_e5m2": ("F8_E5M2", 1),
}


def safetensors_layout(tensors: dict) -> tuple[bytes, list[tuple[str, int]]] | None:
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


def weights_file_facts(header: bytes, order, views: dict):
    """Start hashing model.safetensors as `write_safetensors` will lay it out, from the tensors'
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


def write_safetensors(ws, version, manifest: dict, layout, path: Path) -> tuple[str, int]:
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
