"""Hostile model folders, through sftgui.core.catalog and through training (what `sftgui train
--model DIR` runs): each refused with a plain sentence before anything is loaded or written, and
the code they carry never runs (its marker file never appears)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import struct
import subprocess
import sys

import pytest

from sftgui.core.catalog import check_model_folder, resolve_model
from sftgui.errors import UserError

MARKER_CODE = "import pathlib; pathlib.Path({marker!r}).write_text('pwned')"


class _Boom:
    """Unpickling this runs exec(...) and creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (MARKER_CODE.format(marker=self.marker),))


def _pickle_only(folder, marker):
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"weight": _Boom(marker)}))
    return "pickle weights", ["pytorch_model.bin"]


def _remote_code(folder, marker):
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "configuration_evil.EvilConfig",
                          "AutoModelForSequenceClassification": "modeling_evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modeling_evil.py").write_text(MARKER_CODE.format(marker=str(marker)) + "\n")
    (folder / "configuration_evil.py").write_text(MARKER_CODE.format(marker=str(marker)) + "\n")
    return "its own Python code", ["modeling_evil.py"]


def _tokenizer_remote_code(folder, marker):
    tok = json.loads((folder / "tokenizer_config.json").read_text())
    tok["auto_map"] = {"AutoTokenizer": ["tokenization_evil.EvilTokenizer", None]}
    (folder / "tokenizer_config.json").write_text(json.dumps(tok))
    (folder / "tokenization_evil.py").write_text(MARKER_CODE.format(marker=str(marker)) + "\n")
    return "its own Python code", ["tokenization_evil.py"]


def _header(folder, header: bytes, declared: int | None = None):
    weights = folder / "model.safetensors"
    body = weights.read_bytes()
    (n,) = struct.unpack("<Q", body[:8])
    weights.write_bytes(struct.pack("<Q", len(header) if declared is None else declared) + header + body[8 + n:])


def _header_too_long(folder, marker):
    _header(folder, b"{}", declared=1 << 40)
    return "header is not valid", []


def _header_not_json(folder, marker):
    _header(folder, b"{not json at all" + b" " * 40)
    return "header is not valid", []


def _edit_first_tensor(folder, **fields):
    """Rewrite the header entry of the weights file's first tensor with `fields`."""
    body = (folder / "model.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", body[:8])
    header = json.loads(body[8 : 8 + n])
    name = next(k for k in header if k != "__metadata__")
    header[name].update({k: v for k, v in fields.items() if v is not None})
    _header(folder, json.dumps(header).encode())


def _header_offsets_outside(folder, marker):
    _edit_first_tensor(folder, data_offsets=[0, 10 ** 12])
    return "header is not valid", []


def _missing_shard(folder, marker):
    weights = folder / "model.safetensors"
    body = weights.read_bytes()
    (n,) = struct.unpack("<Q", body[:8])
    names = [k for k in json.loads(body[8 : 8 + n]) if k != "__metadata__"]
    weights.rename(folder / "model-00001-of-00002.safetensors")
    weight_map = {k: "model-00001-of-00002.safetensors" for k in names[:-1]}
    weight_map[names[-1]] = "model-00002-of-00002.safetensors"
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return "model-00002-of-00002.safetensors", []


def _shard_outside(folder, marker):
    (folder / "model.safetensors.index.json").write_text(
        json.dumps({"weight_map": {"x": "../elsewhere/model.safetensors"}}))
    return "is missing", []


def _link_outside(folder, marker):
    secret = folder.parent / "secret.txt"
    secret.write_text("not for a model to read")
    (folder / "vocab.txt").unlink()
    (folder / "vocab.txt").symlink_to(secret)
    return "outside the folder", []


def _linked_subfolder(folder, marker):
    (folder / "extra").symlink_to(folder.parent, target_is_directory=True)
    return "outside the folder", []


def _config(words, **changes):
    def edit(folder, marker):
        config = json.loads((folder / "config.json").read_text())
        config.update(changes)
        (folder / "config.json").write_text(json.dumps(config))
        return words, []

    return edit


def _raw(name: str, text: str | bytes, words: str):
    def write(folder, marker):
        data = text.encode() if isinstance(text, str) else text
        (folder / name).write_bytes(data)
        return words, []

    return write


def _tensor_shape(shape, dtype=None):
    def edit(folder, marker):
        _edit_first_tensor(folder, shape=shape, dtype=dtype)
        return "header is not valid", []

    return edit


HOSTILE = {
    # the model-folder list: absurd sizes, forged tensor headers, files that do not parse
    "config_10000_layers": _config("not a real model", num_hidden_layers=10000),
    "config_vocab_1e9_float": _config("not a whole number", vocab_size=1e9),
    "config_vocab_10_9": _config("not a real model", vocab_size=10**9),
    "config_layers_text": _config("not a whole number", num_hidden_layers="12"),
    "config_layers_true": _config("not a whole number", num_hidden_layers=True),
    "config_too_big_for_memory": _config("memory", vocab_size=9_000_000, hidden_size=65_536),
    "config_not_json": _raw("config.json", "{\"model_type\": \"bert\",", "cannot be read as JSON"),
    "config_a_list": _raw("config.json", "[1, 2, 3]", "not an object"),
    "config_deeply_nested": _raw("config.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "config_not_utf8": _raw("config.json", b'{"model_type": "\xff\xfe"}', "cannot be read as JSON"),
    "tokenizer_json_malformed": _raw("tokenizer.json", '{"version": "1.0", "model": ', "cannot be read as JSON"),
    "tokenizer_config_a_string": _raw("tokenizer_config.json", '"just a string"', "not an object"),
    "vocab_not_utf8": _raw("vocab.txt", b"[PAD]\n\xff\xfe\x00\n", "not UTF-8"),
    "tensor_1e12_by_1e12": _tensor_shape([10**12, 10**12]),
    "tensor_negative_shape": _tensor_shape([-1, 16]),
    "tensor_unknown_dtype": _tensor_shape(None, dtype="Q99"),

    "pickle_only_weights": _pickle_only,
    "auto_map_remote_code": _remote_code,
    "tokenizer_auto_map": _tokenizer_remote_code,
    "safetensors_header_too_long": _header_too_long,
    "safetensors_header_not_json": _header_not_json,
    "safetensors_offsets_outside": _header_offsets_outside,
    "missing_shard": _missing_shard,
    "shard_path_outside": _shard_outside,
    "symlink_outside": _link_outside,
    "symlinked_folder_outside": _linked_subfolder,
}
# what training refuses beyond the catalog: files that parse but do not load, settings that do not fit
LOADS = {
    "tokenizer_json_not_a_tokenizer": (_raw("tokenizer.json", '{"version": "1.0", "model": {"type": "Nope"}}', ""),
                                       "tokenizer", []),
    "config_unknown_model_type": (_raw("config.json", '{"model_type": "no-such-architecture"}', ""),
                                  "model config", []),
}


def _hostile(tmp_path, tiny_model_dir, kind):
    folder = tmp_path / "models" / kind
    shutil.copytree(tiny_model_dir, folder)
    marker = tmp_path / "marker"
    if kind in LOADS:
        make, words, code_files = LOADS[kind]
        make(folder, marker)
        return folder, marker, words, code_files
    words, code_files = HOSTILE[kind](folder, marker)
    return folder, marker, words, code_files


def test_the_payloads_are_live(tmp_path, tiny_model_dir):
    """Each payload does create its marker when run the unsafe way, so the tests below can fail."""
    for kind in ("pickle_only_weights", "auto_map_remote_code", "tokenizer_auto_map"):
        folder, marker, _, code_files = _hostile(tmp_path / kind, tiny_model_dir, kind)
        if kind == "pickle_only_weights":
            run = f"import pickle; pickle.load(open({str(folder / 'pytorch_model.bin')!r}, 'rb'))"
        else:
            run = f"import runpy; runpy.run_path({str(folder / code_files[0])!r})"
        subprocess.run([sys.executable, "-c", run], check=True)
        assert marker.read_text() == "pwned"


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_the_catalog_refuses_hostile_folders(ws, tmp_path, tiny_model_dir, kind, figures):
    folder, marker, words, _ = _hostile(tmp_path, tiny_model_dir, kind)
    with pytest.raises(UserError, match=words) as err:
        resolve_model(ws, str(folder))
    message = str(err.value)
    assert "\n" not in message and message.endswith(".") and str(folder.name) in message
    assert not marker.exists()
    figures["hostile_model_folders_refused"] += 1


@pytest.mark.parametrize("kind", ["pickle_only_weights", "auto_map_remote_code", "safetensors_header_not_json",
                                  "missing_shard", "symlink_outside"])
def test_training_from_a_hostile_folder_is_refused_before_a_run_exists(ws, tmp_path, tiny_model_dir, kind):
    from sftgui.core.training import engine
    from sftgui.store import runs_repo
    from tests.core.training.conftest import make_project, tiny_config

    project, snapshot = make_project(ws)
    folder, marker, words, _ = _hostile(tmp_path, tiny_model_dir, kind)
    with pytest.raises(UserError, match=words):
        engine.run(tiny_config(project, snapshot, folder, epochs=1))
    assert runs_repo.list_runs(project.id) == [] and not marker.exists()


def test_the_hf_cache_layout_with_links_inside_its_own_folder_is_accepted(tmp_path, tiny_model_dir):
    """Hugging Face cache snapshots are links into the model's own blobs/ folder: that is fine."""
    repo = tmp_path / "hub" / "models--someone--tiny"
    snap = repo / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (repo / "blobs").mkdir()
    for f in tiny_model_dir.iterdir():
        shutil.copy(f, repo / "blobs" / f.name)
        (snap / f.name).symlink_to(os.path.relpath(repo / "blobs" / f.name, snap))
    check_model_folder(snap)
    check_model_folder(tiny_model_dir)


def _project_with_rows(cli, tmp_path):
    import csv

    from tests.core.training.conftest import keyword_rows

    data = tmp_path / "rows.csv"
    with data.open("w", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, ["text", "label"]).writeheader()
        csv.DictWriter(f, ["text", "label"]).writerows(keyword_rows())
    assert cli("project", "create", "tickets")[0] == 0
    assert cli("data", "import", data, "--project", "tickets")[0] == 0


def _train_refused(cli, folder, words, *extra):
    from tests.reliability.checks import file_hash, tree_state

    before = file_hash(cli.db), tree_state(cli.ws / "blobs")
    code, out, err = cli("train", "--project", "tickets", "--model", folder, "--epochs", 1, *extra)
    assert code == 2 and len(err.strip().splitlines()) == 1 and words in err, (code, err)
    assert "Traceback" not in err
    # not even a snapshot or a run row, and no snapshot blob
    assert (file_hash(cli.db), tree_state(cli.ws / "blobs")) == before


@pytest.mark.parametrize("kind", sorted(HOSTILE) + sorted(LOADS))
def test_sftgui_train_refuses_hostile_folders_and_changes_nothing(cli, tmp_path, tiny_model_dir, kind, figures):
    _project_with_rows(cli, tmp_path)
    folder, marker, words, _ = _hostile(tmp_path, tiny_model_dir, kind)
    _train_refused(cli, folder, words)
    assert not marker.exists()
    figures["hostile_model_folders_refused"] += 1


def test_freezing_more_layers_than_the_model_has_writes_nothing(cli, tmp_path, tiny_model_dir, figures):
    _project_with_rows(cli, tmp_path)
    _train_refused(cli, tiny_model_dir, "cannot freeze the first 999", "--freeze", "999")
    _train_refused(cli, tiny_model_dir, "cannot freeze the first 3", "--freeze", "3")  # it has 2
    figures["cli_values_refused"] += 2


def test_a_draft_that_cannot_train_writes_no_snapshot(cli, tmp_path, tiny_model_dir):
    """The checks on the rows come before the snapshot is stored, too."""
    assert cli("project", "create", "tickets")[0] == 0
    data = tmp_path / "one-label.csv"
    data.write_text("text,label\n" + "".join(f"text {i},a\n" for i in range(20)))
    assert cli("data", "import", data, "--project", "tickets")[0] == 0
    _train_refused(cli, tiny_model_dir, "at least 2 different labels")
