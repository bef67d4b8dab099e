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
    _check_links(folder)
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise UserError(f"{folder} is not a model folder (it has no config.json).")
    config = _read_json(config_file)
    for name in TOKENIZER_JSON:
        if (folder / name).exists():
            _read_json(folder / name)
    for name in TOKENIZER_TEXT:
        if (folder / name).exists():
            _read_text(folder / name)
    if config.get("auto_map") or _json_field(folder / "tokenizer_config.json", "auto_map"):
        raise UserError(f"The model in {folder} needs its own Python code to load (auto_map); sftgui does not "
                        "run code that comes with a model. Choose a model that works without it.")
    _check_shard_index(folder)
    if not any(folder.glob("*.safetensors")):
        if any(folder.glob("pytorch_model*.bin")) or any(folder.glob("*.pt")):
            raise UserError(f"The model in {folder} only has pickle weights (pytorch_model.bin), which can run "
                            "code when loaded; sftgui only loads .safetensors weights. Convert it or choose another.")
        raise UserError(f"{folder} has no model weights (.safetensors).")
    weight_bytes = sum(_check_safetensors_header(weights) for weights in sorted(folder.glob("*.safetensors")))
    _check_fits(folder, config, weight_bytes)


# -- what the model folder's files say, checked before anything loads them ---------------------
MAX_MODEL_JSON = 256 << 20  # tokenizer.json of a large vocabulary is tens of MB
TOKENIZER_JSON = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                  "vocab.json", "generation_config.json")
TOKENIZER_TEXT = ("vocab.txt", "merges.txt")
# Sizes no real model has (the largest public ones stay far below): a config beyond them is broken
# or made to exhaust memory when transformers builds the model from it.
CONFIG_LIMITS = {
    "num_hidden_layers": 1_000, "n_layer": 1_000, "num_layers": 1_000,
    "hidden_size": 65_536, "n_embd": 65_536, "d_model": 65_536,
    "intermediate_size": 1_048_576, "n_inner": 1_048_576,
    "num_attention_heads": 4_096, "n_head": 4_096,
    "vocab_size": 10_000_000, "max_position_embeddings": 100_000_000, "n_positions": 100_000_000,
    "type_vocab_size": 1_000_000, "num_labels": 1_000_000,
}


def _read_json(path: Path):
    """A model folder's JSON file, parsed, or one sentence saying it is damaged."""
    damaged = f"The file {path.name} in {path.parent} cannot be read as JSON"
    try:
        if path.stat().st_size > MAX_MODEL_JSON:
            raise UserError(f"{damaged}: it is larger than {MAX_MODEL_JSON >> 20} MB. Download or copy the model again.")
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        why = "it is nested too deeply" if isinstance(exc, RecursionError) else type(exc).__name__
        raise UserError(f"{damaged} ({why}); the folder looks damaged. Download or copy the model again.") from None
    if not isinstance(doc, dict):
        raise UserError(f"{damaged} (it is not an object of settings); the folder looks damaged. Download or copy "
                        "the model again.")
    return doc


def _read_text(path: Path) -> None:
    try:
        if path.stat().st_size > MAX_MODEL_JSON:
            raise UserError(f"The file {path.name} in {path.parent} is larger than {MAX_MODEL_JSON >> 20} MB; the "
                            "folder looks damaged.")
        path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise UserError(f"The file {path.name} in {path.parent} is not UTF-8 text; the folder looks damaged. "
                        "Download or copy the model again.") from None


def _config_sizes(folder: Path, config: dict) -> dict:
    sizes = {}
    for key, limit in CONFIG_LIMITS.items():
        if key not in config or config[key] is None:
            continue
        value = config[key]
        if not isinstance(value, int) or isinstance(value, bool):
            raise UserError(f"The config.json in {folder} says {key} is {value!r}, which is not a whole number; the "
                            "folder looks damaged.")
        if not 0 <= value <= limit:
            raise UserError(f"The config.json in {folder} says {key} is {value:,} (at most {limit:,} is possible); "
                            "this is not a real model. Choose another model folder.")
        sizes[key] = value
    return sizes


def config_parameters(sizes: dict) -> int:
    """Roughly how many parameters transformers allocates when it builds the model from its config:
    embeddings plus, per layer, attention (4 h^2) and the feed-forward block (2 h i)."""
    h = sizes.get("hidden_size") or sizes.get("n_embd") or sizes.get("d_model") or 0
    layers = sizes.get("num_hidden_layers") or sizes.get("n_layer") or sizes.get("num_layers") or 0
    inner = sizes.get("intermediate_size") or sizes.get("n_inner") or 4 * h
    positions = sizes.get("max_position_embeddings") or sizes.get("n_positions") or 0
    return (sizes.get("vocab_size", 0) + positions) * h + layers * (4 * h * h + 2 * h * inner)


def machine_memory() -> int:
    import psutil

    return psutil.virtual_memory().total


def _check_fits(folder: Path, config: dict, weight_bytes: int) -> None:
    """Refuse a model that cannot fit in this machine's memory, from its config and from its weight
    files' headers, before anything is written or allocated."""
    memory = machine_memory()
    need = max(4 * config_parameters(_config_sizes(folder, config)), weight_bytes)  # float32 weights
    if need > memory:
        raise UserError(f"The model in {folder} needs about {need / 2**30:,.1f} GiB just for its weights, more than "
                        f"this computer's {memory / 2**30:.1f} GiB of memory; choose a smaller model.")


def _json_field(path: Path, key: str):
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get(key) if isinstance(data, dict) else None


def _check_links(folder: Path) -> None:
    """A link inside the folder must stay inside it (in the Hugging Face cache: inside the model's own
    cache folder, whose snapshots link to its blobs), so a model folder cannot make us read elsewhere."""
    folder = folder.resolve()  # the folder itself may be a link the person chose; what is inside may not
    root = folder.parent.parent if folder.parent.name == "snapshots" and folder.parent.parent.name.startswith(
        "models--") else folder
    for here, dirs, files in os.walk(folder):  # os.walk does not descend into linked folders
        for name in dirs + files:
            p = Path(here) / name
            if p.is_symlink() and not p.resolve().is_relative_to(root):
                raise UserError(f"{p.relative_to(folder)} in the model folder {folder} is a link to {p.resolve()}, "
                                "outside the folder; sftgui does not follow such links. Copy the real file in instead.")


def _check_shard_index(folder: Path) -> None:
    """Every shard model.safetensors.index.json lists must be a file of this folder."""
    index = folder / "model.safetensors.index.json"
    if not index.is_file():
        return
    weight_map = _json_field(index, "weight_map")
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise UserError(f"The model.safetensors.index.json in {folder} cannot be read; the folder looks damaged.")
    shards = sorted(set(weight_map.values()))
    missing = [s for s in shards if Path(s).name != s or not (folder / s).is_file()]
    if missing:
        raise UserError(f"The model in {folder} is incomplete: {', '.join(missing)} (listed in "
                        "model.safetensors.index.json) is missing; download or copy the whole model again.")


MAX_SAFETENSORS_HEADER = 100 << 20  # the format's own limit


_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8,
                "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "F4": 1,
                "F6_E2M3": 1, "F6_E3M2": 1, "C64": 8}


def _check_safetensors_header(path: Path) -> int:
    """A torn or forged weights file is refused here with a sentence, not deep inside loading: the
    header must be JSON naming tensors whose bytes lie inside the file, each exactly as long as its
    dtype and shape say (a 1e12 x 1e12 tensor in a small file is refused). Returns the tensor bytes."""
    damaged = UserError(f"The weights file {path.name} in {path.parent} is damaged (its header is not valid "
                        "safetensors); download or copy the model again.")
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            if n > min(size - 8, MAX_SAFETENSORS_HEADER):
                raise damaged
            header = json.loads(fh.read(n))
    except (OSError, ValueError, struct.error, RecursionError):
        raise damaged from None
    if not isinstance(header, dict):
        raise damaged
    data_bytes, total = size - 8 - n, 0
    for name, t in header.items():
        if name == "__metadata__":
            continue
        offsets = t.get("data_offsets") if isinstance(t, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_whole(x) for x in offsets)
                and 0 <= offsets[0] <= offsets[1] <= data_bytes):
            raise damaged
        shape, itemsize = t.get("shape"), _DTYPE_BYTES.get(t.get("dtype"))
        if itemsize is None or not isinstance(shape, list) or not all(_whole(d) and d >= 0 for d in shape):
            raise damaged
        if _numel(shape) * itemsize != offsets[1] - offsets[0]:
            raise damaged
        total += offsets[1] - offsets[0]
    if total > data_bytes:  # tensors overlapping each other to look bigger than the file
        raise damaged
    return total


def _whole(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# -- resolving a reference ----------------------------------------------------------------------
def resolve_model(ws, ref: str | None, project=None) -> ModelSource:
    """"bundled", a folder, a version (vN / P@vN / P@alias) or a Hugging Face hub id -> a folder."""
    ref = (ref or BUNDLED).strip()
    if ref == BUNDLED and project is not None:
        shipped = _task_bundled(ws, project)
        if shipped is not None:
            folder, name = shipped
            check_model_folder(folder)
            return ModelSource(ref, "bundled", Path(folder), name)
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


def _task_bundled(ws, project):
    """(folder, name) of the bundled model of the project's task, or None (the app's bundled model)."""
    if project is None:
        return None
    from sftgui.core.projects import get_project
    from sftgui.core.tasks import task_of

    return task_of(get_project(ws, project)).bundled_model(ws)


def _version_source(ws, ref: str, project) -> ModelSource:
    from sftgui.core.versions import materialize_version, resolve_version
    from sftgui.store.nofollow import check_not_link, own_dir

    project_name = getattr(project, "name", project)
    version = resolve_version(ws, ref, project=project_name)
    if version.damaged:
        raise UserError(f"Version {version.ref} is damaged ({version.damaged}); continue from another version.")
    folder = own_dir(Path(ws.cache) / "models", "cache/models/") / f"version-{version.id}"
    check_not_link(folder, f"cache/models/{folder.name}/")
    if not _cached_copy_intact(ws, version, folder):  # versions never change: a copy that differs is damaged
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        hashes: dict = {}
        materialize_version(ws, version, folder, hashes=hashes)
        (folder / CACHE_COMPLETE).write_text(json.dumps({"version": version.ref, "weights_sha256":
                                                         hashes["model.safetensors"][0]}))
    return ModelSource(ref, "version", folder, version.base_model, version)


CACHE_COMPLETE = ".complete"


def _cached_copy_intact(ws, version, folder: Path) -> bool:
    """The cached copy holds exactly the version's files, each with the hash the version's manifest
    names (blobs are named by their sha256; the weights file by the manifest's `safetensors` entry,
    or, in older manifests, the hash recorded when the copy was built from the verified blobs)."""
    from sftgui.core.export import sha256_file
    from sftgui.core.versions import read_manifest

    try:
        done = json.loads((folder / CACHE_COMPLETE).read_text(encoding="utf-8"))
        manifest = read_manifest(ws, version)
        expected = {name: digest for name, digest in manifest["files"].items() if name != "labels.json"}
        expected["model.safetensors"] = (manifest.get("safetensors") or {}).get("sha256") or done["weights_sha256"]
        present = {}
        for entry in os.scandir(folder):
            if entry.name == CACHE_COMPLETE:
                continue
            if not entry.is_file(follow_symlinks=False):
                return False
            present[entry.name] = entry.path
        if present.keys() != expected.keys():
            return False
        return all(sha256_file(Path(path)) == expected[name] for name, path in present.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


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
            from sftgui.core.hub import HubOffline, unreachable

            if unreachable(exc):
                raise HubOffline(model_id) from None
            raise UserError(f"Could not download {model_id} from the Hugging Face hub ({type(exc).__name__}); "
                            "check the name and your connection.") from None
    check_model_folder(folder)
    return ModelSource(model_id, "hub", folder, model_id)


# -- listing ------------------------------------------------------------------------------------
def add_model_folder(ws, folder) -> Path:
    """Remember a model folder the user chose (checked first), so it shows in `list_models`."""
    from sftgui.store.settings_repo import get_setting, set_setting

    folder = Path(folder).expanduser().resolve()
    check_model_folder(folder)
    folders = get_setting(FOLDERS_SETTING, [])
    if str(folder) not in folders:
        set_setting(FOLDERS_SETTING, [*folders, str(folder)])
    return folder


def list_models(ws, project=None) -> list[ModelInfo]:
    """Every model the user can start from: bundled, added folders, the HF cache, the project's versions."""
    from sftgui.paths import bundled_model_dir
    from sftgui.store.settings_repo import get_setting

    found = [_folder_info(BUNDLED, BUNDLED_NAME, "bundled", bundled_model_dir())]
    for folder in get_setting(FOLDERS_SETTING, []):
        found.append(_folder_info(folder, Path(folder).name, "folder", Path(folder)))
    for model_id, folder in _hf_cache_folders():
        found.append(_folder_info(model_id, model_id, "hf-cache", folder))
    if project is not None:
        from sftgui.core.versions import list_versions, read_manifest

        for v in list_versions(ws, project):
            try:
                params = sum(_numel(t["shape"]) for t in read_manifest(ws, v)["tensors"].values())
            except UserError:
                params = None
            found.append(ModelInfo(v.ref, f"v{v.number}", "version", None, v.weights_bytes, params,
                                   problem=f"damaged: {v.damaged}" if v.damaged else None))
    return found


def _hf_cache_folders():
    from huggingface_hub import constants

    root = Path(constants.HF_HUB_CACHE)
    for repo in sorted(root.glob("models--*")) if root.is_dir() else ():
        snapshots = sorted((repo / "snapshots").glob("*"), key=lambda p: p.stat().st_mtime)
        if snapshots:
            yield repo.name.removeprefix("models--").replace("--", "/"), snapshots[-1]


def _folder_info(ref: str, name: str, kind: str, folder: Path) -> ModelInfo:
    try:
        check_model_folder(folder)
        problem = None
    except UserError as exc:
        problem = str(exc)
    files = [f for f in folder.rglob("*") if f.is_file()] if folder.is_dir() else []
    meta = _readme_meta(folder / "README.md")
    return ModelInfo(ref, name, kind, str(folder), sum(f.stat().st_size for f in files),
                     _safetensors_params(folder) if problem is None else None, meta.get("language"),
                     meta.get("license"), problem)


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _safetensors_params(folder: Path) -> int | None:
    """Parameter count from the safetensors headers alone (no weights are read)."""
    total, seen = 0, False
    for f in folder.glob("*.safetensors"):
        try:
            with open(f, "rb") as fh:
                (size,) = struct.unpack("<Q", fh.read(8))
                header = json.loads(fh.read(size))
        except (OSError, ValueError, struct.error):
            return None
        seen = True
        total += sum(_numel(t["shape"]) for k, t in header.items() if k != "__metadata__")
    return total if seen else None


def _readme_meta(readme: Path) -> dict:
    """language and license from a model card's YAML front matter (first values only)."""
    try:
        text = readme.read_text(encoding="utf-8", errors="ignore")
    except OSError:
        return {}
    if not text.startswith("---"):
        return {}
    block = text[3:].split("\n---", 1)[0]
    meta, key = {}, None
    for line in block.splitlines():
        if re.match(r"^[A-Za-z_]+:", line):
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key in ("language", "license") and value:
                meta[key] = value.strip("'\"")
        elif key in ("language", "license") and key not in meta and line.strip().startswith("- "):
            meta[key] = line.strip()[2:].strip("'\"")
    return meta
