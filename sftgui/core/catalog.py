"""Where models come from: the bundled model, folders the user added, the Hugging Face cache,
and this project's versions. `resolve_model` turns a reference into a checked local folder.

Safety rules (DESIGN section 4.5): weights load from safetensors only, never from pickle
(`pytorch_model.bin`), and a config that asks for custom code (`auto_map`) is refused.
"""

from __future__ import annotations

import json
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from sftgui.errors import UserError

BUNDLED = "bundled"
BUNDLED_NAME = "all-MiniLM-L6-v2"
FOLDERS_SETTING = "catalog.folders"
_VERSION_REF = re.compile(r"^(v\d+|[^@/\\]+@[^@/\\]+)$")


@dataclass(frozen=True)
class ModelSource:
    """A resolved model reference: a local folder ready for from_pretrained."""

    ref: str  # what the user wrote
    kind: str  # bundled | folder | hub | version
    folder: Path
    base_model: str  # what the version records as its base model
    version: object | None = None  # the ModelVersion training continues from


@dataclass(frozen=True)
class ModelInfo:
    ref: str
    name: str
    kind: str  # bundled | folder | hf-cache | version
    path: str | None
    size_bytes: int
    parameters: int | None
    language: str | None = None
    license: str | None = None
    problem: str | None = None  # why it cannot be used, in a plain sentence (None when usable)


# -- checking a folder -------------------------------------------------------------------------
def check_model_folder(folder: Path) -> None:
    """Refuse folders we cannot load safely, with a reason a person can act on."""
    folder = Path(folder)
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise UserError(f"{folder} is not a model folder (it has no config.json).")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"The config.json in {folder} cannot be read; the folder looks damaged.") from None
    if config.get("auto_map"):
        raise UserError(f"The model in {folder} needs its own Python code to load (auto_map); sftgui does not "
                        "run code that comes with a model. Choose a model that works without it.")
    if not any(folder.glob("*.safetensors")):
        if any(folder.glob("pytorch_model*.bin")) or any(folder.glob("*.pt")):
            raise UserError(f"The model in {folder} only has pickle weights (pytorch_model.bin), which can run "
                            "code when loaded; sftgui only loads .safetensors weights. Convert it or choose another.")
        raise UserError(f"{folder} has no model weights (.safetensors).")


# -- resolving a reference ----------------------------------------------------------------------
def resolve_model(ws, ref: str | None, project=None) -> ModelSource:
    """"bundled", a folder, a version (vN / P@vN / P@alias) or a Hugging Face hub id -> a folder."""
    ref = (ref or BUNDLED).strip()
    if ref == BUNDLED:
        from sftgui.paths import bundled_model_dir

        folder = bundled_model_dir()
        check_model_folder(folder)
        return ModelSource(ref, "bundled", folder, f"{BUNDLED}:{BUNDLED_NAME}")
    path = Path(ref).expanduser()
    if path.is_dir():
        check_model_folder(path)
        return ModelSource(ref, "folder", path.resolve(), str(path.resolve()))
    if _VERSION_REF.match(ref) and ("@" in ref or project is not None):
        return _version_source(ws, ref, project)
    if re.match(r"^[\w.-]+(/[\w.-]+)?$", ref) and not ref.startswith((".", "/")):
        return _hub_source(ref)
    raise UserError(f"{ref!r} is neither bundled, a model folder, a version like v2 nor a Hugging Face model id.")


def _version_source(ws, ref: str, project) -> ModelSource:
    from sftgui.core.versions import materialize_version, resolve_version

    project_name = getattr(project, "name", project)
    version = resolve_version(ws, ref, project=project_name)
    if version.damaged:
        raise UserError(f"Version {version.ref} is damaged ({version.damaged}); continue from another version.")
    folder = Path(ws.cache) / "models" / f"version-{version.id}"
    if not (folder / ".complete").is_file():  # materialize once; versions never change
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        materialize_version(ws, version, folder)
        (folder / ".complete").write_text(version.ref)
    return ModelSource(ref, "version", folder, version.base_model, version)


def hub_offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE) or os.environ.get("TRANSFORMERS_OFFLINE") == "1"


def _hub_source(model_id: str) -> ModelSource:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    patterns = ["*.json", "*.safetensors", "*.txt", "*.model", "README.md"]
    try:
        folder = Path(snapshot_download(model_id, allow_patterns=patterns, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        if hub_offline():
            raise UserError(f"You are offline and {model_id} is not in the Hugging Face cache; connect to "
                            "the internet once or choose a model folder.") from None
        try:
            folder = Path(snapshot_download(model_id, allow_patterns=patterns))
        except Exception as exc:  # noqa: BLE001 - network and hub errors become one sentence
            raise UserError(f"Could not download {model_id} from the Hugging Face hub ({type(exc).__name__}); "
                            "check the name and your connection.") from None
    check_model_folder(folder)
    return ModelSource(model_id, "hub", folder, model_id)
