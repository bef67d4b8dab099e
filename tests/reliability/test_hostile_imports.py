"""Hostile files through `sftgui data import`: links out of a folder, FIFOs and devices, files that
never end, deep JSON, lone surrogates, .xlsx bombs and external entities. Each one is exit 2 with one
sentence, inside a time bound (a subprocess with a timeout where a hang was the old behaviour), with
the database file unchanged and nothing read from outside the folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sftgui.resources import SAMPLE_CSV, resource_path
from tests.reliability import xlsx_parts as X
from tests.reliability.checks import file_hash, tree_state
from tests.reliability.conftest import ROOT
from tests.sample_facts import SAMPLE_ROWS

SAMPLE = resource_path(SAMPLE_CSV)
BOUND_S = 120  # a refusal must come well within this, on a loaded 2-core machine


def _folder(root, files: dict):
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(data)
    return root


def _refused(cli, path, *words, **opts):
    assert cli("project", "create", "tickets")[0] in (0, 2)
    before = file_hash(cli.db), tree_state(cli.ws)
    extra = [f"--{k.replace('_', '-')}={v}" for k, v in opts.items()]
    code, out, err = cli("data", "import", path, "--project", "tickets", *extra)
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, err
    assert (file_hash(cli.db), tree_state(cli.ws)) == before
    return err


def _refused_in_a_process(cli, path, *words):
    """The same through a real process with a timeout: where the old code hung or read forever."""
    assert cli("project", "create", "tickets")[0] in (0, 2)
    before = file_hash(cli.db)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    p = subprocess.run([sys.executable, "-m", "sftgui", "--workspace", str(cli.ws), "data", "import", str(path),
                        "--project", "tickets"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=BOUND_S)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    for w in words:
        assert w in p.stderr, p.stderr
    assert file_hash(cli.db) == before


# -- folders: links out, FIFOs, devices --------------------------------------------------------
def test_a_link_out_of_a_text_folder_is_refused(cli, tmp_path, figures):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:$6$hash")
    root = _folder(tmp_path / "reviews", {"pos/a.txt": "great", "neg/b.txt": "bad"})
    (root / "pos" / "shadow.txt").symlink_to(secret)
    _refused(cli, root, "link", "outside the folder")
    (root / "pos" / "shadow.txt").unlink()
    (root / "pos" / "etc.txt").symlink_to("/etc/hostname")
    _refused(cli, root, "link")
    (root / "pos" / "etc.txt").unlink()
    (root / "leak").symlink_to(tmp_path, target_is_directory=True)  # a linked label folder
    _refused(cli, root, "link")
    (root / "leak").unlink()
    (root / "pos" / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    _refused(cli, root, "link")
    (root / "pos" / "dangling.txt").unlink()
    code, out, err = cli("data", "import", root, "--project", "tickets", "--json")
    assert code == 0 and json.loads(out)["rows"] == 2, err
    assert "hash" not in out
    figures["hostile_imports_refused"] += 4


def test_a_link_that_stays_inside_the_folder_is_read(cli, tmp_path):
    root = _folder(tmp_path / "reviews", {"pos/a.txt": "great", "neg/b.txt": "bad", "neg/c.txt": "awful"})
    (root / "pos" / "also.txt").symlink_to(root / "neg" / "c.txt")
    assert cli("project", "create", "tickets")[0] == 0
    code, out, err = cli("data", "import", root, "--project", "tickets", "--json")
    assert code == 0 and json.loads(out)["rows"] == 4, err


def test_a_fifo_in_a_folder_or_as_the_file_does_not_hang(cli, tmp_path, figures):
    root = _folder(tmp_path / "reviews", {"pos/a.txt": "great", "neg/b.txt": "bad"})
    os.mkfifo(root / "pos" / "pipe.txt")
    _refused_in_a_process(cli, root, "not a regular file")
    os.mkfifo(tmp_path / "pipe.csv")
    _refused_in_a_process(cli, tmp_path / "pipe.csv", "not a regular file")
    os.mkfifo(tmp_path / "pipe.jsonl")
    _refused_in_a_process(cli, tmp_path / "pipe.jsonl", "not a regular file")
    figures["hostile_imports_refused"] += 3


def test_devices_and_endless_files_are_refused(cli, tmp_path, figures):
    (tmp_path / "zero.csv").symlink_to("/dev/zero")  # the person's own link: followed, and refused for what it is
    _refused_in_a_process(cli, tmp_path / "zero.csv", "not a regular file")
    (tmp_path / "urandom.jsonl").symlink_to("/dev/urandom")
    _refused_in_a_process(cli, tmp_path / "urandom.jsonl", "not a regular file")
    root = _folder(tmp_path / "reviews", {"pos/a.txt": "great", "neg/b.txt": "bad"})
    (root / "neg" / "zero.txt").symlink_to("/dev/zero")
    _refused_in_a_process(cli, root, "link")
    _refused(cli, "/proc/self/status", "empty")  # /proc files claim size 0
    (tmp_path / "status.csv").symlink_to("/proc/self/status")
    _refused(cli, tmp_path / "status.csv", "empty")
    figures["hostile_imports_refused"] += 5


def test_an_oversized_text_file_in_a_folder(cli, tmp_path, figures):
    from sftgui.core.data.readers import MAX_TEXT_FILE_BYTES

    root = _folder(tmp_path / "reviews", {"pos/a.txt": "great", "neg/b.txt": "bad"})
    with open(root / "neg" / "huge.txt", "wb") as f:
        f.truncate(MAX_TEXT_FILE_BYTES + 1)  # sparse: no disk needed
    _refused(cli, root, "larger than")
    figures["hostile_imports_refused"] += 1


def test_a_saved_dataset_folder_with_a_link_out(cli, tmp_path, figures):
    root = tmp_path / "ds"
    root.mkdir()
    (root / "state.json").write_text("{}")
    (root / "data-00000-of-00001.arrow").symlink_to("/etc/hostname")
    _refused(cli, root, "link")
    (root / "data-00000-of-00001.arrow").unlink()
    os.mkfifo(root / "data-00000-of-00001.arrow")
    _refused_in_a_process(cli, root, "not a regular file")
    figures["hostile_imports_refused"] += 2


# -- JSON ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, content, words", [
    ("deep.json", "[" * 200_000 + "]" * 200_000, ["nested too deeply"]),
    ("deep-record.json", '[{"text": ' + "[" * 100_000 + "]" * 100_000 + ', "label": "a"}]', ["nested too deeply"]),
    ("deep.jsonl", '{"text": "a", "label": "x"}\n' + "[" * 100_000 + "]" * 100_000 + "\n", ["line 2", "nested"]),
    ("surrogate.json", '[{"text": "bad \\ud800 text", "label": "a"}, {"text": "b", "label": "b"}]', ["surrogate"]),
    ("surrogate-label.jsonl", '{"text": "a", "label": "\\udfff"}\n', ["surrogate"]),
    ("surrogate-pair-half.jsonl", '{"text": "\\ud83d only half", "label": "a"}\n', ["surrogate"]),
], ids=["deep-array", "deep-record", "deep-jsonl-line", "lone-surrogate-text", "lone-surrogate-label",
        "half-a-pair"])
def test_json_that_would_crash_the_reader_or_the_database(cli, tmp_path, name, content, words, figures):
    path = tmp_path / name
    path.write_text(content)
    _refused(cli, path, *words)
    figures["hostile_imports_refused"] += 1


# -- .xlsx --------------------------------------------------------------------------------------
def test_a_hand_built_workbook_imports(cli, tmp_path):
    """The positive control: the same kind of file the bombs below are made of."""
    assert cli("project", "create", "tickets")[0] == 0
    code, out, err = cli("data", "import", X.good(tmp_path / "good.xlsx"), "--project", "tickets", "--json")
    assert code == 0 and json.loads(out)["rows"] == 2, err


def test_thirty_million_shared_strings_are_refused_within_the_bound(cli, tmp_path, figures):
    """The issue's example: a ~1 MB .xlsx with 30 million shared strings (took 18 minutes and 2.9 GB)."""
    path = X.many_shared_strings(tmp_path / "strings.xlsx", 30_000_000)
    assert path.stat().st_size < 3_000_000
    _refused_in_a_process(cli, path, "shared strings")
    figures["hostile_imports_refused"] += 1


def test_too_many_cells_are_refused(cli, tmp_path, monkeypatch, figures):
    from sftgui.core.data import readers

    monkeypatch.setattr(readers, "MAX_CELLS", 50_000)  # the same check, on a file small enough to build fast
    _refused(cli, X.many_cells(tmp_path / "cells.xlsx", 60_000), "cells")
    monkeypatch.setattr(readers, "MAX_XLSX_XML_BYTES", 100_000)
    _refused(cli, X.many_cells(tmp_path / "big.xlsx", 20_000), "unpack to more than")
    figures["hostile_imports_refused"] += 2


@pytest.mark.parametrize("part, prolog", [
    ("xl/sharedStrings.xml", X.LAUGHS),
    ("xl/worksheets/sheet1.xml", X.LAUGHS),
    ("xl/worksheets/sheet1.xml", X.XXE),
    ("xl/workbook.xml", X.XXE),
    ("[Content_Types].xml", X.XXE),
], ids=["laughs-in-strings", "laughs-in-sheet", "xxe-in-sheet", "xxe-in-workbook", "xxe-in-content-types"])
def test_entity_bombs_and_external_entities(cli, tmp_path, part, prolog, figures):
    strings = ["text", "label", "&lol9;" if "lolz" in prolog else "&xxe;", "a"]
    parts = {"xl/sharedStrings.xml": X.shared(strings), "xl/worksheets/sheet1.xml": X.sheet([[0, 1], [2, 3]])}
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    text = parts.get(part) or X.PARTS[part]
    parts[part] = text.replace(head, head + prolog, 1)
    _refused(cli, X.write_xlsx(tmp_path / "bomb.xlsx", parts), "entities or a DTD")
    figures["hostile_imports_refused"] += 1


def test_defusedxml_refuses_what_the_scan_would_miss(tmp_path):
    """Defence in depth: with the scan switched off, openpyxl (through defusedxml) still refuses the
    entities, and the refusal is a sentence."""
    from sftgui.core.data import readers
    from sftgui.errors import UserError

    parts = {"xl/sharedStrings.xml": X.shared(["text", "label", "&xxe;", "a"]).replace(
        '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?>' + X.XXE, 1),
        "xl/worksheets/sheet1.xml": X.sheet([[0, 1], [2, 3]])}
    path = X.write_xlsx(tmp_path / "xxe.xlsx", parts)
    real = readers._check_xlsx
    readers._check_xlsx = lambda p: None
    try:
        with pytest.raises(UserError, match="cannot be"):
            list(readers.open_table(path).rows())
    finally:
        readers._check_xlsx = real


# -- row bound ----------------------------------------------------------------------------------
def test_the_row_bound_is_checked_while_reading(cli, monkeypatch, figures):
    from sftgui.core.data import importers

    monkeypatch.setattr(importers, "MAX_ROWS", 100)
    _refused(cli, SAMPLE, "more than 100 rows")
    monkeypatch.undo()
    code, out, _ = cli("data", "import", SAMPLE, "--project", "tickets", "--json")
    assert code == 0 and json.loads(out)["rows"] == SAMPLE_ROWS
    figures["hostile_imports_refused"] += 1
