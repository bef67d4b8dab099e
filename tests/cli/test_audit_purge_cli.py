"""`sftgui audit`, reasons for trash/restore, `versions purge` and `data purge` (then `gc`)."""

from __future__ import annotations

import json
import os
import time

import pytest
import torch

from sftgui.cli import main


@pytest.fixture
def home(tmp_path, tiny_model_dir):
    """tickets@v1 (on snapshot 1) and tickets@v2 (continued from v1, on snapshot 2); production went
    v1 -> v2 -> v1, so the alias history names v2."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.core import versions
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.projects import create_project
    from sftgui.store.db import open_workspace

    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    ws = open_workspace(tmp_path / "ws")
    project = create_project(ws, "tickets")
    import_rows(ws, project, [{"text": f"text {i}", "label": "ab"[i % 2]} for i in range(30)])
    s1 = freeze_snapshot(ws, project)
    v1 = versions.register_version(ws, project, model, tok, labels=["a", "b"], base_model="tiny", snapshot_id=s1.id,
                                   predictions={"rows": [{"row_id": 1, "text": "text 1"}]})
    import_rows(ws, project, [{"text": f"more {i}", "label": "ab"[i % 2]} for i in range(30)])
    s2 = freeze_snapshot(ws, project)
    with torch.no_grad():
        model.classifier.bias.add_(1.0)
    versions.register_version(ws, project, model, tok, labels=["a", "b"], base_model="tiny", parent_id=v1.id,
                              snapshot_id=s2.id, predictions={"rows": [{"row_id": 40, "text": "more 9"}]})
    versions.rollback(ws, project, "v2", reason="better on refunds")
    versions.rollback(ws, project, "v1", reason="v2 confuses billing")
    ws.close()
    return tmp_path / "ws"


def run(home, capsys, *argv):
    code = main(["--workspace", str(home), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _audit(home, capsys, *extra):
    code, out, err = run(home, capsys, "audit", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def _age_blobs(home):
    """gc keeps files younger than 15 minutes (a save may be in progress): make them older."""
    old = time.time() - 3600
    for p in (home / "blobs").rglob("*"):
        if p.is_file():
            os.utime(p, (old, old))


def test_audit_says_what_who_when_and_why(home, capsys):
    assert run(home, capsys, "versions", "trash", "tickets@v2", "--reason", "worse on refunds")[0] == 0
    assert run(home, capsys, "versions", "restore", "tickets@v2", "--reason", "needed for the report")[0] == 0
    events = _audit(home, capsys, "--project", "tickets")
    assert [e["action"] for e in events[:4]] == ["version.restore", "version.trash", "alias.move", "alias.move"]
    restore, trash, back = events[0], events[1], events[2]
    assert (trash["what"], trash["why"]) == ("moved tickets@v2 to the trash", "worse on refunds")
    assert (restore["what"], restore["why"]) == ("restored tickets@v2 from the trash", "needed for the report")
    assert back["what"] == "moved production from v2 to v1 (tickets)" and back["why"] == "v2 confuses billing"
    assert all(e["user"] and e["at"] for e in events)
    assert events[-1]["action"] == "version.register"
    code, out, _ = run(home, capsys, "audit", "--project", "tickets", "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and "restored tickets@v2 from the trash  because: needed for the report" in lines[0]
    assert _audit(home, capsys, "--project", "tickets") == _audit(home, capsys)  # one project: the same events
    code, _, err = run(home, capsys, "audit", "--project", "nope")
    assert code == 2 and "nope" in err


def test_purge_is_refused_while_something_needs_it(home, capsys):
    code, out, err = run(home, capsys, "versions", "purge", "tickets@v1", "--reason", "x")
    assert code == 2 and "alias production points to it" in err and out == ""
    assert run(home, capsys, "rollback", "--project", "tickets", "--to", "v2", "--reason", "try v2")[0] == 0
    code, _, err = run(home, capsys, "versions", "purge", "tickets@v1", "--reason", "x")
    assert code == 2 and "v2 continued from it" in err
    code, _, err = run(home, capsys, "data", "purge", "2", "--reason", "x")
    assert code == 2 and "tickets@v2 was trained on it" in err
    code, _, err = run(home, capsys, "versions", "purge", "tickets@v2")  # a required option is missing
    assert code == 2 and "--reason" in err
    code, _, err = run(home, capsys, "versions", "purge", "tickets@v1", "--reason", "  ")
    assert code == 2 and "Say why" in err
    assert [e["action"] for e in _audit(home, capsys)][0] == "alias.move"  # nothing changed


def test_purge_keeps_a_tombstone_and_gc_frees_the_bytes(home, capsys):
    from sftgui.store.db import open_workspace

    with open_workspace(home, readonly=True) as ws:
        from sftgui.core import versions

        v2 = versions.resolve_version(ws, "tickets@v2")
        blobs_of_v2 = set(versions._version_blobs(ws, v2)[0])
        blobs_of_v1 = set(versions._version_blobs(ws, versions.resolve_version(ws, "tickets@v1"))[0])
    only_v2 = blobs_of_v2 - blobs_of_v1
    assert v2.predictions_blob in only_v2 and v2.manifest_blob in only_v2

    code, out, err = run(home, capsys, "versions", "purge", "tickets@v2", "--reason", "data-protection request 17")
    assert code == 0, err and "removed for good" in out
    tomb = _audit(home, capsys)[0]
    assert (tomb["action"], tomb["target"], tomb["why"]) == ("version.purge", "tickets@v2", "data-protection request 17")
    assert tomb["detail"]["manifest"] == v2.manifest_blob and set(tomb["detail"]["blobs"]) == blobs_of_v2
    assert tomb["detail"]["safetensors_sha256"] and tomb["user"]
    code, out, _ = run(home, capsys, "versions", "list", "--project", "tickets", "--all", "--json")
    assert [v["number"] for v in json.loads(out)] == [1]
    code, _, err = run(home, capsys, "versions", "show", "tickets@v2")
    assert code == 2 and "tickets@v2 was purged on" in err and "sftgui audit" in err
    code, out, _ = run(home, capsys, "aliases", "history", "--project", "tickets", "--json")
    assert [(h["from"], h["to"]) for h in json.loads(out)] == [(None, "v1"), ("v1", "v2"), ("v2", "v1")]

    # the snapshot v2 was trained on can go now
    code, out, err = run(home, capsys, "data", "purge", "2", "--reason", "same request", "--json")
    assert code == 0, err
    snap_tomb = json.loads(out)
    assert snap_tomb["snapshot_id"] == 2 and snap_tomb["rows"] == 60
    event = _audit(home, capsys)[0]
    assert event["action"] == "snapshot.purge" and event["detail"]["hash"] == snap_tomb["hash"]
    assert event["what"] == "removed tickets snapshot 2 for good (its stored files go at the next gc)"
    code, out, _ = run(home, capsys, "data", "snapshots", "--project", "tickets", "--json")
    assert [s["id"] for s in json.loads(out)] == [1]

    _age_blobs(home)
    code, out, _ = run(home, capsys, "gc", "--json")
    removed = set(json.loads(out)["blobs"])
    assert removed == only_v2 | {snap_tomb["blob"]}
    code, out, _ = run(home, capsys, "verify", "--json")
    assert code == 0 and json.loads(out)["ok"] and json.loads(out)["orphans"] == 0
    code, out, _ = run(home, capsys, "predict", "tickets@v1", "text 3", "--json")
    assert code == 0  # what is kept still works
    # the next version is v3: a purged number is never given again
    with open_workspace(home) as ws:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from sftgui.core import versions
        from sftgui.core.projects import get_project

        folder = versions.materialize_version(ws, versions.resolve_version(ws, "tickets@v1"), home.parent / "m")
        model = AutoModelForSequenceClassification.from_pretrained(folder)
        v3 = versions.register_version(ws, get_project(ws, "tickets"), model, AutoTokenizer.from_pretrained(folder),
                                       labels=["a", "b"], base_model="tiny")
        assert v3.number == 3
