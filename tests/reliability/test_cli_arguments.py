"""Every command-line value is checked where it is parsed (sftgui/commands/validate.py): a bad one is
exit 2 with one sentence and nothing changed, never exit 1 or a traceback further in."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sftgui.core import versions
from sftgui.core.data.importers import import_rows
from sftgui.core.data.snapshots import freeze_snapshot
from sftgui.core.projects import create_project
from sftgui.resources import SAMPLE_CSV, resource_path
from sftgui.store.db import open_workspace
from tests.reliability.checks import tree_state
from tests.reliability.conftest import ROOT
from tests.sample_facts import SAMPLE_ROWS

BIG = str(2**63)
HUGE = "9" * 400


@pytest.fixture
def w(cli, tiny):
    model, tok = tiny
    ws = open_workspace(cli.ws)
    create_project(ws, "tickets")
    import_rows(ws, "tickets", [{"text": f"text {i}", "label": "ab"[i % 2]} for i in range(20)])
    snap = freeze_snapshot(ws, "tickets")
    versions.register_version(ws, "tickets", model, tok, labels=["a", "b"], base_model="tiny", snapshot_id=snap.id)
    ws.close()
    return cli


BAD = {
    "row-2^63": ("data", "label", "--project", "tickets", "--row", BIG, "--label", "a"),
    "row-huge": ("data", "flag", "--project", "tickets", "--row", HUGE),
    "row-negative": ("data", "label", "--project", "tickets", "--row", "-1", "--label", "a"),
    "row-superscript": ("data", "label", "--project", "tickets", "--row", "²", "--label", "a"),
    "row-arabic-digit": ("data", "label", "--project", "tickets", "--row", "٣", "--label", "a"),
    "snapshot-2^63": ("data", "export", BIG, "--out", "x.csv"),
    "diff-huge": ("data", "diff", "1", HUGE),
    "runs-show-2^63": ("runs", "show", BIG),
    "runs-resume-huge": ("runs", "resume", HUGE),
    "train-snapshot-2^63": ("train", "--project", "tickets", "--snapshot", BIG),
    "evaluate-snapshot-2^63": ("evaluate", "tickets@v1", "--snapshot", BIG),
    "epochs-inf": ("train", "--project", "tickets", "--epochs", "inf"),
    "epochs-nan": ("train", "--project", "tickets", "--epochs", "nan"),
    "epochs-zero": ("train", "--project", "tickets", "--epochs", "0"),
    "epochs-1e308": ("train", "--project", "tickets", "--epochs", "1e308"),
    "lr-inf": ("train", "--project", "tickets", "--lr", "inf"),
    "lr-negative": ("train", "--project", "tickets", "--lr", "-0.1"),
    "seed-negative": ("train", "--project", "tickets", "--seed", "-1"),
    "seed-2^32": ("train", "--project", "tickets", "--seed", str(2**32)),
    "batch-zero": ("train", "--project", "tickets", "--batch-size", "0"),
    "batch-huge": ("train", "--project", "tickets", "--batch-size", BIG),
    "max-length-huge": ("train", "--project", "tickets", "--max-length", "100000"),
    "freeze-superscript": ("train", "--project", "tickets", "--freeze", "²"),
    "freeze-word": ("train", "--project", "tickets", "--freeze", "everything"),
    "top-k-zero": ("predict", "tickets@v1", "hi", "--top-k", "0"),
    "limit-2^63": ("hints", "tickets@v1", "--limit", BIG),
    "rows-offset-negative": ("data", "rows", "--project", "tickets", "--offset", "-5"),
    "label-key-10": ("data", "labels", "--project", "tickets", "add", "new", "--key", "10"),
    "version-superscript": ("versions", "show", "tickets@v²"),
    "version-2^63": ("versions", "show", f"tickets@v{BIG}"),
    "version-arabic": ("versions", "show", "v٣", "--project", "tickets"),
    "rollback-superscript": ("rollback", "--project", "tickets", "--to", "v²"),
    "project-2^63": ("versions", "list", "--project", BIG),
    "fractions-nan": ("data", "snapshot", "--project", "tickets", "--fractions", "nan,0.1,0.1"),
    "workspace-empty": ("--workspace", "", "project", "list"),
    "workspace-blank": ("--workspace", "  ", "project", "list"),
    "project-name-empty": ("project", "create", ""),
}


@pytest.mark.parametrize("argv", BAD.values(), ids=BAD.keys())
def test_a_bad_value_is_exit_2_and_one_sentence(w, argv, tmp_path, monkeypatch, figures):
    monkeypatch.chdir(tmp_path)
    before = tree_state(w.ws), tree_state(tmp_path)
    if argv[0] == "--workspace":
        from sftgui.cli import main

        code = main(list(argv))
        out, err = "", ""
    else:
        code, out, err = w(*argv)
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err
    assert (tree_state(w.ws), tree_state(tmp_path)) == before
    figures["cli_values_refused"] += 1


def test_lone_surrogates_from_undecodable_argv_bytes(w, tmp_path, figures):
    """Bytes that are not UTF-8 in argv reach Python as lone surrogates: refused, not exit 1."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    bad = b"tick\xffets"
    before = tree_state(w.ws)
    for argv in ([b"project", b"create", bad], [b"data", b"rows", b"--project", bad],
                 [b"predict", b"tickets@v1", b"caf\xe9"], [b"data", b"labels", b"--project", b"tickets", b"add", bad]):
        p = subprocess.run([sys.executable.encode(), b"-m", b"sftgui", b"--workspace", bytes(w.ws), *argv],
                           cwd=ROOT, env=env, capture_output=True, timeout=120)
        err = p.stderr.decode("utf-8", "replace")
        assert p.returncode == 2, (argv, p.returncode, err)
        assert "not valid text" in err and "Traceback" not in err, err
        figures["cli_values_refused"] += 1
    assert tree_state(w.ws) == before


def test_a_project_named_like_an_id_is_found_by_name(w):
    assert w("project", "create", "1")[0] == 0
    assert w("project", "create", "2")[0] == 0
    code, out, err = w("data", "import", str(resource_path(SAMPLE_CSV)), "--project", "1",
                       "--json")
    assert code == 0, err
    projects = {p["name"]: p for p in json.loads(w("project", "list", "--json")[1])}
    code, out, _ = w("data", "rows", "--project", "1", "--json")
    assert json.loads(out)["total"] == SAMPLE_ROWS  # the project named "1", not the project with id 1 (tickets, 20 rows)
    code, out, _ = w("data", "rows", "--project", str(projects["tickets"]["id"]), "--json")
    assert json.loads(out)["total"] in (20, SAMPLE_ROWS)  # an id still works when no project has that name
    code, out, _ = w("data", "rows", "--project", str(projects["2"]["id"]), "--json")
    assert code == 0


def test_control_characters_in_names_are_escaped_on_the_terminal(w):
    name = "evil\x1b[2J\x1b]0;pwned\x07\rname\u202e"
    assert w("project", "create", name)[0] == 0
    code, out, err = w("project", "list")
    assert code == 0 and "\x1b" not in out and "\r" not in out and "\u202e" not in out and "\x07" not in out
    assert "evil\\u001b[2J" in out and "\\u202e" in out
    code, out, err = w("data", "rows", "--project", name + "x")
    assert code == 2 and "\x1b" not in err and "\\u001b" in err
    code, out, _ = w("project", "list", "--json")  # JSON keeps the name exactly (JSON escapes it itself)
    assert name in [p["name"] for p in json.loads(out)]
