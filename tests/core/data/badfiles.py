"""Bad input files, written by the tests: (name, writer, extra import options, words the error must contain)."""

from __future__ import annotations

import json
from pathlib import Path


def _xlsx_two_sheets(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "train"
    wb.active.append(["text", "label"])
    wb.active.append(["hello", "pos"])
    other = wb.create_sheet("notes")
    other.append(["anything"])
    wb.save(path)


BAD_FILES = {
    "unbalanced_quotes": ("a.csv", 'text,label\nfine,pos\n"never closed,neg\nmore,pos\n', {}, ["line 3", "quote"]),
    "ragged_row": ("a.csv", "text,label\none,pos\ntwo,neg,extra\n", {}, ["line 3", "3 cells", "'text', 'label'"]),
    "undecodable": ("a.csv", b"text,label\nok,pos\nbad \x81\x8d bytes,neg\n", {}, ["line 3", "encoding"]),
    "missing_column_name": ("a.csv", "text,,label\nx,1,pos\n", {}, ["column 2", "no name", "'text'"]),
    "duplicate_column_name": ("a.csv", "text,label,text\nx,pos,y\n", {}, ["'text' appears twice", "'label'"]),
    "unknown_text_column": ("a.csv", "body,label\nx,pos\n", {"text_col": "message"}, ["no column 'message'", "'body'", "'label'"]),
    "empty_file": ("a.csv", "", {}, ["empty"]),
    "header_only": ("a.csv", "text,label\n", {}, ["header but no rows"]),
    "binary": ("a.csv", bytes(range(256)) * 40, {}, ["binary"]),
    "excel_sheets_unchosen": ("a.xlsx", _xlsx_two_sheets, {}, ["2 sheets", "'train'", "'notes'", "--sheet"]),
    "excel_unknown_sheet": ("a.xlsx", _xlsx_two_sheets, {"sheet": "data"}, ["no sheet 'data'", "'train'"]),
    "huge_cell": ("a.csv", "text,label\n\"" + "a" * 10_000_000 + "\",pos\n", {}, ["line 2", "million characters"]),
    "mixed_label_types": ("a.json", json.dumps([{"text": "a", "label": 1}, {"text": "b", "label": "1"}]), {},
                          ["mixes", "record 1", "record 2"]),
    "bad_split_value": ("a.csv", "text,label,split\na,x,train\nb,y,holdout\n", {"split_col": "split"},
                        ["line 3", "'holdout'", "train, validation or test"]),
    "invalid_json": ("a.json", '[{"text": "a", "label": "x"},\n {"text": "b" "label": "y"}]', {}, ["line 2", "not valid JSON"]),
}

CLI_FLAGS = {"text_col": "--text-col", "label_col": "--label-col", "split_col": "--split-col", "sheet": "--sheet"}


def write_bad(tmp: Path, kind: str) -> tuple[Path, dict, list[str]]:
    name, content, options, words = BAD_FILES[kind]
    path = Path(tmp) / name
    if callable(content):
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path, options, words
