"""The versions/aliases/verify/gc commands through `sftgui.cli.main` and one real subprocess."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
import torch

from sftgui.cli import main


@pytest.fixture
def home(tmp_path, tiny_model_dir):
    """A closed workspace holding tickets@v1 (production) and tickets@v2 (trained from v1)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.core import versions
    from sftgui.core.projects import create_project
    from sftgui.store.db import open_workspace

    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    ws = open_workspace(tmp_path / "ws")
    project = create_project(ws, "tickets")
    v1 = versions.register_version(
        ws, project, model, tok, labels=["a", "b"], base_model="tiny", metrics={"accuracy": 0.75, "macro_f1": 0.7}
    )
    with torch.no_grad():
        model.classifier.bias.add_(1.0)
    versions.register_version(
        ws, project, model, tok, labels=["a", "b"], base_model="tiny", parent_id=v1.id, config={"epochs": 1},
        metrics={"accuracy": 0.8, "macro_f1": 0.78},
    )
    ws.close()
    return tmp_path / "ws"


def run(home, capsys, *argv):
    code = main(["--workspace", str(home), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_versions_list_and_show_json_keys(home, capsys):
    code, out, _ = run(home, capsys, "versions", "list", "--project", "tickets", "--json")
    assert code == 0
    items = json.loads(out)
    assert [i["version"] for i in items] == ["tickets@v1", "tickets@v2"]
    keys = {"version", "number", "created_at", "parent", "base_model", "dataset_snapshot", "metrics", "aliases"}
    assert keys <= set(items[0])
    assert items[0]["aliases"] == ["production"] and items[1]["parent"] == "tickets@v1"
    assert items[1]["metrics"] == {"accuracy": 0.8, "macro_f1": 0.78}

    code, out, _ = run(home, capsys, "versions", "show", "v2", "--project", "tickets", "--json")
    shown = json.loads(out)
    assert keys | {"config", "run", "weights"} <= set(shown)
    assert shown["config"] == {"epochs": 1} and shown["weights"]["tensors"] > 0
    assert 0 < shown["weights"]["new_bytes"] < shown["weights"]["bytes"]


def test_rollback_and_alias_history(home, capsys):
    assert run(home, capsys, "aliases", "set", "production", "tickets@v2", "--project", "tickets")[0] == 0
    code, out, _ = run(home, capsys, "rollback", "--project", "tickets", "--to", "v1", "--reason", "v2 is worse")
    assert code == 0 and "now points to v1 (was v2)" in out
    code, out, _ = run(home, capsys, "aliases", "history", "--project", "tickets", "--json")
    history = json.loads(out)
    assert [(h["alias"], h["from"], h["to"]) for h in history] == [
        ("production", None, "v1"),
        ("production", "v1", "v2"),
        ("production", "v2", "v1"),
    ]
    assert history[-1]["reason"] == "v2 is worse" and all(h["at"] for h in history)


def test_notes_tags_trash_restore_and_lineage(home, capsys):
    assert run(home, capsys, "versions", "notes", "tickets@v2", "first try with refunds")[0] == 0
    assert run(home, capsys, "versions", "tag", "tickets@v2", "candidate")[0] == 0
    code, out, err = run(home, capsys, "versions", "trash", "tickets@v1")
    assert code == 2 and "alias production points to it" in err and out == ""
    assert run(home, capsys, "versions", "trash", "tickets@v2")[0] == 0
    _, out, _ = run(home, capsys, "versions", "list", "--project", "tickets", "--json")
    assert [i["number"] for i in json.loads(out)] == [1]
    assert run(home, capsys, "versions", "restore", "tickets@v2")[0] == 0
    _, out, _ = run(home, capsys, "versions", "show", "tickets@v2", "--json")
    shown = json.loads(out)
    assert (shown["notes"], shown["tags"], shown["trashed"]) == ("first try with refunds", ["candidate"], False)
    code, out, _ = run(home, capsys, "versions", "lineage", "tickets@v2")
    lines = out.splitlines()
    assert code == 0 and lines[1].startswith("└─ v1") and lines[2].startswith("    └─ v2") and "<- this one" in lines[2]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["versions", "show", "tickets@v7"], "has no version v7"),
        (["versions", "show", "v1"], "Say which project"),
        (["versions", "show", "nope@v1"], "no project 'nope'"),
        (["rollback", "--project", "tickets", "--to", "tickets@staging"], "is not a version (like v2) or an alias"),
        (["versions", "tag", "tickets@v1", "x", "--remove"], "has no tag 'x'"),
    ],
)
def test_bad_refs_exit_2_with_one_sentence(home, capsys, argv, message):
    code, out, err = run(home, capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_verify_and_gc(home, capsys):
    code, out, _ = run(home, capsys, "verify", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["missing"] == [] and report["corrupt"] == []
    assert report["blobs_checked"] > 0 and report["orphans"] == 0
    code, out, _ = run(home, capsys, "gc", "--dry-run")
    assert code == 0 and "Would remove 0 unused file(s)" in out

    blob = next((home / "blobs" / "sha256").glob("*/*"))
    os.chmod(blob, stat.S_IRUSR | stat.S_IWUSR)
    blob.write_bytes(blob.read_bytes() + b"!")
    code, out, _ = run(home, capsys, "verify", "--json")
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    assert [c["blob"] for c in report["corrupt"]] == [blob.parent.name + blob.name]


def test_a_real_subprocess_gets_exit_2_and_one_line(home):
    proc = subprocess.run(
        [sys.executable, "-m", "sftgui", "--workspace", str(home), "versions", "show", "tickets@v9"],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "sftgui: Project tickets has no version v9 (it has v1, v2).\n"
