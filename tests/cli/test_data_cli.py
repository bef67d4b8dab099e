"""The `sftgui data` commands end to end on a real workspace, including every bad file."""

import csv
import hashlib
import json

import pytest

from sftgui.cli import main
from sftgui.resources import SAMPLE_CSV, resource_path
from tests.core.data.badfiles import BAD_FILES, CLI_FLAGS, write_bad
from tests.sample_facts import SAMPLE_LABELS, SAMPLE_ROWS

SAMPLE = resource_path(SAMPLE_CSV)


@pytest.fixture
def cli(tmp_path, capsys):
    ws = tmp_path / "ws"

    def run(*argv):
        code = main(["--workspace", str(ws), *map(str, argv)])
        out, err = capsys.readouterr()
        return code, out, err

    run.db = ws / "sftgui.db"
    assert run("project", "create", "tickets")[0] == 0
    return run


def _db_hash(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sample_workflow(cli, tmp_path):
    code, out, _ = cli("data", "import", SAMPLE, "--project", "tickets", "--json")
    imported = json.loads(out)
    assert code == 0 and imported["rows"] == SAMPLE_ROWS and set(imported["labels"]) == SAMPLE_LABELS

    code, out, _ = cli("data", "check", "--project", "tickets", "--json")
    report = json.loads(out)
    assert report["rows"] == SAMPLE_ROWS and report["labelled"] == SAMPLE_ROWS and set(report["labels"]) == SAMPLE_LABELS
    kinds = {f["kind"]: f for f in report["findings"]}
    assert {"exact_duplicates", "empty_text", "label_conflicts"} <= set(kinds)
    assert all({"kind", "count", "examples"} <= set(f) for f in report["findings"])
    assert "too_long" not in kinds and report["max_length"] == 512

    code, out, _ = cli("data", "fix", "--project", "tickets", "--resolve-conflicts", "flag", "--drop-duplicates",
                       "--drop-empty")
    assert code == 0 and "Dropped" in out
    code, out, _ = cli("data", "check", "--project", "tickets", "--json", "--no-length")
    assert json.loads(out)["findings"] == []

    code, out, _ = cli("data", "snapshot", "--project", "tickets", "--json")
    snap = json.loads(out)
    assert code == 0 and {"id", "rows", "hash"} <= set(snap) and snap["rows"] == json.loads(
        cli("data", "check", "--project", "tickets", "--json", "--no-length")[1])["labelled"]
    assert json.loads(cli("data", "snapshot", "--project", "tickets", "--json")[1])["id"] == snap["id"]

    code, out, _ = cli("data", "rows", "--project", "tickets", "--filter", "search:refund", "--limit", "1", "--json")
    row = json.loads(out)["rows"][0]
    assert cli("data", "label", "--project", "tickets", "--row", row["id"], "--label", "account")[0] == 0
    snap2 = json.loads(cli("data", "snapshot", "--project", "tickets", "--json")[1])
    code, out, _ = cli("data", "diff", snap["id"], snap2["id"], "--json")
    diff = json.loads(out)
    assert (diff["added"], diff["removed"], diff["relabelled"]) == (0, 0, 1)
    assert diff["examples"]["relabelled"][0]["to"] == "account"

    assert "Undid" in cli("data", "undo", "--project", "tickets")[1]
    assert "Redid" in cli("data", "redo", "--project", "tickets")[1]

    out_csv = tmp_path / "export.csv"
    assert cli("data", "export", snap2["id"], "--out", out_csv)[0] == 0
    assert len(list(csv.DictReader(out_csv.open(encoding="utf-8")))) == snap2["rows"]


def test_labels_commands(cli):
    cli("data", "import", SAMPLE, "--project", "tickets")
    code, out, _ = cli("data", "labels", "--project", "tickets", "--json")
    before = {x["name"]: x for x in json.loads(out)}
    assert code == 0 and set(before) == SAMPLE_LABELS
    assert sorted(x["key"] for x in before.values()) == list(range(1, len(SAMPLE_LABELS) + 1))
    assert cli("data", "labels", "--project", "tickets", "add", "warranty", "--key", "9")[0] == 0
    assert cli("data", "labels", "--project", "tickets", "rename", "warranty", "guarantees")[0] == 0
    assert cli("data", "labels", "--project", "tickets", "merge", "shipping", "account")[0] == 0
    code, _, err = cli("data", "labels", "--project", "tickets", "delete", "billing")
    assert code == 2 and "--yes" in err
    assert cli("data", "labels", "--project", "tickets", "delete", "billing", "--yes")[0] == 0
    items = {x["name"]: x for x in json.loads(cli("data", "labels", "--project", "tickets", "--json")[1])}
    assert set(items) == (SAMPLE_LABELS - {"shipping", "billing"}) | {"guarantees"} and items["guarantees"]["key"] == 9
    assert items["account"]["rows"] == before["account"]["rows"] + before["shipping"]["rows"]
    code, out, _ = cli("data", "rows", "--project", "tickets", "--filter", "unlabelled", "--json")
    assert json.loads(out)["total"] >= before["billing"]["rows"]


def test_fix_and_label_mistakes_exit_2(cli):
    cli("data", "import", SAMPLE, "--project", "tickets")
    for argv, words in [
        (("data", "fix", "--project", "tickets"), "Choose a fix"),
        (("data", "fix", "--project", "tickets", "--merge-label", "billing"), "--into"),
        (("data", "label", "--project", "tickets", "--row", "1", "--label", "sports"), "no label 'sports'"),
        (("data", "label", "--project", "tickets", "--row", "99999", "--label", "billing"), "no row 99999"),
        (("data", "rows", "--project", "tickets", "--filter", "odd"), "Unknown filter"),
        (("data", "check", "--project", "nope"), "the projects are: tickets"),
        (("data", "diff", "1", "7"), "no snapshot"),
        (("data", "snapshot", "--project", "tickets", "--fractions", "a,b"), "three numbers"),
    ]:
        before = _db_hash(cli.db)
        code, out, err = cli(*argv)
        assert code == 2, (argv, err)
        assert words in err and len(err.strip().splitlines()) == 1
        assert _db_hash(cli.db) == before


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_exit_2_and_leave_the_database_unchanged(cli, tmp_path, kind):
    cli("data", "import", SAMPLE, "--project", "tickets")
    path, options, words = write_bad(tmp_path, kind)
    flags = [x for k, v in options.items() for x in (CLI_FLAGS[k], v)]
    before = _db_hash(cli.db)
    code, out, err = cli("data", "import", path, "--project", "tickets", *flags)
    assert code == 2 and out == ""
    assert err.startswith("sftgui: ") and len(err.strip().splitlines()) == 1
    for w in words:
        assert w in err
    assert _db_hash(cli.db) == before


def test_preview_needs_no_project(cli, tmp_path):
    f = tmp_path / "t.tsv"
    f.write_text("label\ttext\npos\tnice\nneg\tbad\n", encoding="utf-16")
    code, out, _ = cli("data", "preview", f, "--json")
    p = json.loads(out)
    assert code == 0 and p["mapping"]["text_col"] == "text" and p["info"]["encoding"] == "utf-16"
    assert p["info"]["delimiter"] == "\t"
