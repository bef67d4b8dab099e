"""Export a version: a Hugging Face folder, the same folder zipped, or an ONNX graph; always with a
model card and a manifest of every file's sha256.

Everything is written into a temporary folder next to the destination and renamed into place at
the end, so a crash or a cancel never leaves a half-written export under the name the person chose,
and an existing non-empty folder is only replaced with `force`.
"""

from __future__ import annotations

import datetime
import json
import os
import zipfile
from pathlib import Path
from typing import Callable

from sftgui.core.outpath import check_output, staged
from sftgui.errors import UserError, disk_full_as_user_error
from sftgui.store.blobs import sha256_file

MANIFEST = "sftgui-manifest.json"
CARD = "README.md"
WEIGHT_SUFFIXES = (".safetensors", ".onnx", ".bin")

Progress = Callable[[float, str], None] | None


def _tell(progress: Progress, fraction: float, message: str) -> None:
    if progress:
        progress(fraction, message)


# -- the destination ------------------------------------------------------------------------
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def suggested_name(project_name: str, number: int, fmt: str = "hf") -> str:
    """`<project>-v<N>` (+ `.zip` / `.onnx`), spelled so every file system takes it: ASCII letters,
    digits, `.`, `_` and `-` only, lower case (some systems ignore case), at most 60 characters."""
    import re
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", str(project_name)).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^a-z0-9._-]+", "-", ascii_name.lower())
    stem = re.sub(r"[-._]{2,}", "-", stem).strip("-._")[:60].rstrip("-._") or "model"
    if stem in _WINDOWS_RESERVED:
        stem += "-model"
    return f"{stem}-v{int(number)}" + {"zip": ".zip", "onnx": ".onnx"}.get(fmt, "")


def destination(out, fmt: str, task=None) -> Path:
    """Where the export lands: a folder for hf/onnx, a `.zip` file for zip. The formats are the
    task's (`Task.exports`; every task's when none is named)."""
    from sftgui.core.tasks import registry

    formats = task.exports if task is not None else registry.export_formats()
    if fmt not in formats:
        raise UserError(f"Unknown export format '{fmt}'; use one of {', '.join(formats)}.")
    if out is None or not str(out).strip():
        raise UserError("--out needs a path; give the folder (or .zip file) to write.")
    out = Path(os.path.abspath(os.path.expanduser(out)))
    if fmt == "zip" and out.suffix.lower() != ".zip":
        out = out.with_name(out.name + ".zip")
    return out


def check_destination(out: Path, force: bool, fmt: str = "hf", *, workspace=None, own=None) -> Path:
    """Refuse before any work is done, so a refusal changes nothing (the one guard: core/outpath.py)."""
    return check_output(out, force=force, folder=fmt != "zip", workspace=workspace, own=own)


# -- files ----------------------------------------------------------------------------------
def write_manifest(folder: Path, extra: dict | None = None, known: dict | None = None) -> dict:
    """`sftgui-manifest.json`: every other file of the folder with its size and sha256.

    `known` maps a file name to the (sha256, bytes) its writer computed from the bytes it wrote;
    such a file is not read again (unless its size on disk differs, then it is re-hashed).
    """
    known = known or {}
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            name, size = p.relative_to(folder).as_posix(), p.stat().st_size
            digest = known[name][0] if name in known and known[name][1] == size else sha256_file(p)
            files[name] = {"sha256": digest, "bytes": size}
    manifest = {**(extra or {}), "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def verify_manifest(folder: Path) -> list[str]:
    """Files that are missing, changed or unlisted (empty when the folder is intact)."""
    folder = Path(folder)
    listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    problems = [f"missing {n}" for n in sorted(listed.keys() - present)]
    problems += [f"unlisted {n}" for n in sorted(present - listed.keys())]
    problems += [
        f"changed {n}" for n in sorted(listed.keys() & present) if sha256_file(folder / n) != listed[n]["sha256"]
    ]
    return problems


def zip_folder(folder: Path, archive: Path) -> None:
    """One archive holding the folder under its own name (so unzipping gives a single folder)."""
    root = archive.stem
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                # float weights barely compress: storing them is ~10x faster than deflating them
                method = zipfile.ZIP_STORED if p.suffix in WEIGHT_SUFFIXES else zipfile.ZIP_DEFLATED
                zf.write(p, f"{root}/{p.relative_to(folder).as_posix()}", compress_type=method)


# -- assembling an export -------------------------------------------------------------------
def build_export(
    fill_hf_folder: Callable[[Path], object],
    out,
    *,
    fmt: str = "hf",
    facts: dict | None = None,
    force: bool = False,
    progress: Progress = None,
    workspace=None,
    own=None,
    task=None,
) -> Path:
    """Write an export from whatever `fill_hf_folder(dest)` writes as a standard HF folder.

    `fill_hf_folder` may return {file name: (sha256, bytes)} for files whose hash it computed
    while writing them; the manifest then takes those instead of reading the files again.
    `facts` feed the model card (see `model_card.render_model_card`). The task (default: the
    one `facts["task"]` names) converts formats beyond hf/zip and writes its part of the card.
    """
    from sftgui import __version__
    from sftgui.core.model_card import render_model_card
    from sftgui.core.tasks import get_task

    task = task or get_task((facts or {}).get("task"))
    out = destination(out, fmt, task)
    out = check_destination(out, force, fmt, workspace=workspace, own=own)
    facts = {
        **(facts or {}),
        "format": fmt,
        "sftgui_version": __version__,
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "manifest_name": MANIFEST,
    }
    with disk_full_as_user_error("the export", out.parent), \
            staged(out, force=force, folder=fmt != "zip", workspace=workspace, own=own) as target:
        folder = target.with_name(target.name + ".folder") if fmt == "zip" else target
        folder.mkdir()
        _tell(progress, 0.05, "Writing the model files")
        filled = fill_hf_folder(folder)
        known = filled if isinstance(filled, dict) else None
        if fmt not in ("hf", "zip"):
            _tell(progress, 0.4, f"Converting to {fmt.upper()}")
            task.export_extra(fmt, folder)
        _tell(progress, 0.8, "Writing the model card")
        (folder / CARD).write_text(render_model_card(facts, task.card_sections(facts)), encoding="utf-8")
        _tell(progress, 0.85, "Writing the manifest")
        write_manifest(folder, {"format": fmt, "name": facts.get("name"), "sftgui_version": __version__}, known)
        if fmt == "zip":
            _tell(progress, 0.9, "Packing the archive")
            zip_folder(folder, target)
        _tell(progress, 0.98, "Moving into place")
    _tell(progress, 1.0, f"Exported to {out}")
    return out


def card_facts(ws, version) -> dict:
    """What the model card says about `version`: data, settings, metrics, lineage."""
    from sftgui.core import versions
    from sftgui.core.tasks import task_of

    task = task_of(version)
    config = dict(version.config or {})
    facts = {
        "name": version.ref,
        "task": task.name,
        "base_model": version.base_model,
        "labels": list(version.labels),
        "config": config,
        "inference": task.inference_facts(config),
        "created_at": version.created_at,
        "metrics": (version.metrics or {}).get("test"),
    }
    lineage, parent = [version.ref], version.parent_id
    while parent is not None and len(lineage) < 100:
        p = versions.get_version(ws, parent)
        lineage.append(p.ref)
        parent = p.parent_id
    facts["lineage"] = [version.base_model, *reversed(lineage)]
    if version.snapshot_id is not None:
        from sftgui.core.data.snapshots import get_snapshot, left_out_sentence

        snap = get_snapshot(ws, version.snapshot_id)
        facts["snapshot"] = {
            "id": snap.id,
            "hash": snap.hash,
            "rows": snap.rows,
            "label_counts": snap.label_counts,
            "split_counts": snap.split_counts,
            "left_out": left_out_sentence({**snap.meta, "rows": snap.rows}),
        }
        if not facts["metrics"]:
            from sftgui.core.evaluation import evaluate_version

            facts["metrics"] = evaluate_version(ws, version)["metrics"]
    return facts


def export_version(ws, version, out, *, fmt: str = "hf", force: bool = False, progress: Progress = None,
                   own: Path | None = None) -> Path:
    """Export `version` to `out` (a folder for hf/onnx, an archive for zip) and return the path.

    `out` goes through the output-path guard (never inside a workspace; `own` is a workspace folder
    sftgui itself chose, such as the demo's `exports/`)."""
    from sftgui.core.tasks import task_of
    from sftgui.core.versions import materialize_version

    if version.damaged:
        raise UserError(f"{version.ref} is damaged ({version.damaged}); run 'sftgui verify' before exporting it.")
    task = task_of(version)
    check_destination(destination(out, fmt, task), force, fmt, workspace=ws.path, own=own)  # before any work
    _tell(progress, 0.0, f"Preparing {version.ref}")
    facts = {**card_facts(ws, version), "format": fmt}

    def fill(folder: Path) -> dict:
        hashes: dict = {}  # model.safetensors' sha256, computed while its verified bytes were written
        materialize_version(ws, version, folder, hashes=hashes)
        # e.g. the tokenizer reads what sftgui's predictions read; a LoRA adapter merged
        for name in task.finish_export_folder(folder, facts) or ():
            hashes.pop(name, None)  # rewritten: hashed again from the new bytes
        return hashes

    return build_export(
        fill,
        out,
        fmt=fmt,
        facts=facts,
        force=force,
        progress=progress,
        workspace=ws.path,
        own=own,
        task=task,
    )
