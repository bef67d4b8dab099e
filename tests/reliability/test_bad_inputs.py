"""Bad data files through `sftgui data import`: exit 2, one sentence on stderr, the database file
unchanged (hash before and after), and a good import still works afterwards.

The data issue's list (unbalanced quotes, ragged rows, undecodable bytes, missing/duplicated column
names, zero rows, header only, binary, Excel with several sheets, a 10 MB cell, mixed label types,
...) is tests/core/data/badfiles.py, run through the CLI the same way by
tests/cli/test_data_cli.py::test_bad_files_exit_2_and_leave_the_database_unchanged; this table adds
the cases that list does not have, so together they are every bad input sftgui knows of.
"""

from __future__ import annotations

import json

import pytest

from sftgui.resources import SAMPLE_CSV, resource_path
from tests.core.data.badfiles import BAD_FILES
from tests.reliability.checks import file_hash
from tests.sample_facts import SAMPLE_ROWS

SAMPLE = resource_path(SAMPLE_CSV)


def _xlsx(rows):
    def write(path):
        from openpyxl import Workbook

        wb = Workbook()
        for r in rows:
            wb.active.append(r)
        wb.save(path)

    return write


def _parquet_truncated(path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": ["a"] * 50, "label": ["x"] * 50}), path)
    path.write_bytes(path.read_bytes()[:-40])


def _folder(files):
    def write(path):
        for name, data in files.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_bytes(data)

    return write


# name -> (file name, content: str | bytes | writer(path) | None for "do not create", options, words in the sentence)
EXTRA = {
    "missing_file": ("nothing-here.csv", None, [], ["no file or folder"]),
    "unsupported_extension": ("a.pdf", b"%PDF-1.4\n", [], ["cannot read .pdf"]),
    "excel_header_only": ("a.xlsx", _xlsx([["text", "label"]]), [], ["header but no rows"]),
    "excel_not_a_zip": ("a.xlsx", "text,label\nhello,pos\n", [], ["a.xlsx"]),
    "parquet_truncated": ("a.parquet", _parquet_truncated, [], ["a.parquet"]),
    "jsonl_mixed_label_types": ("a.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": "one"}\n', [],
                                ["mixes", "line 1", "line 2"]),
    "jsonl_broken_line": ("a.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": \n', [], ["line 2"]),
    "json_not_records": ("a.json", "42", [], ["a.json"]),
    "csv_bom_only": ("a.csv", b"\xef\xbb\xbf", [], ["a.csv"]),
    "csv_blank_lines_only": ("a.csv", "\n\n\n", [], ["a.csv"]),
    "csv_nul_in_the_middle": ("a.csv", b"text,label\nok,pos\nbad\x00cell,neg\n" * 3, [], ["a.csv"]),
    "unknown_label_column": ("a.csv", "text,label\nx,pos\n", ["--label-col", "category"],
                             ["no column 'category'", "'text'", "'label'"]),
    "huge_label_cell": ("a.csv", "text,label\nhello,\"" + "b" * 2_000_000 + "\"\n", [], ["line 2", "million characters"]),
    "folder_without_label_folders": ("data", _folder({"notes.md": b"hi"}), [], ["subfolder"]),
    "folder_with_a_binary_txt": ("data", _folder({"pos/1.txt": b"fine", "neg/2.txt": b"\x00\x01\x02"}), [],
                                 ["neg/2.txt", "not a text file"]),
}


@pytest.fixture
def cli_with_data(cli):
    assert cli("project", "create", "tickets")[0] == 0
    assert cli("data", "import", SAMPLE, "--project", "tickets")[0] == 0
    return cli


@pytest.mark.parametrize("kind", sorted(EXTRA))
def test_bad_input_exits_2_with_one_sentence_and_changes_nothing(cli_with_data, tmp_path, kind, figures):
    cli = cli_with_data
    name, content, options, words = EXTRA[kind]
    path = tmp_path / "input" / name
    path.parent.mkdir()
    if callable(content):
        if "." not in name:
            path.mkdir()
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    before = file_hash(cli.db)
    code, out, err = cli("data", "import", path, "--project", "tickets", *options)
    assert code == 2 and out == "", (code, out, err)
    assert err.startswith("sftgui: ") and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "Error:" not in err.split(":", 1)[1][:40]
    for w in words:
        assert w in err, (w, err)
    assert file_hash(cli.db) == before
    figures["bad_inputs_tried"] += 1


def test_the_data_issue_list_is_covered_and_counted(figures):
    """Counts the shared list for the report; the CLI test named in the module docstring runs it."""
    wanted = {"unbalanced_quotes", "ragged_row", "undecodable", "missing_column_name", "duplicate_column_name",
              "empty_file", "header_only", "binary", "excel_sheets_unchosen", "huge_cell", "mixed_label_types"}
    assert wanted <= set(BAD_FILES)
    assert not wanted & set(EXTRA)  # no case is run twice
    figures["bad_inputs_tried"] += len(BAD_FILES)


def test_a_good_import_after_every_refusal_still_works(cli_with_data):
    code, out, _ = cli_with_data("data", "check", "--project", "tickets", "--json")
    assert code == 0 and json.loads(out)["rows"] == SAMPLE_ROWS
