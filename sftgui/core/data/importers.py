"""Import rows into a project's draft: from a file (any format of `readers`) or from a list.

The whole import is one transaction: a bad row anywhere means nothing is added. Rows stream
from the reader into the draft table in batches, so a large file never sits in memory at once.
"""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sftgui.core.data import labels as label_set
from sftgui.core.data import mapping as mp
from sftgui.core.data.readers import BATCH, MAX_ROWS, _check_cell, open_table
from sftgui.core.projects import get_project
from sftgui.errors import UserError, disk_full_as_user_error
from sftgui.store import draft_repo

SAMPLE_ROWS = 500  # rows read before the column mapping is decided


@dataclass(frozen=True)
class ImportResult:
    rows: int
    labelled: int
    unlabelled: int
    labels: dict  # {label: rows imported with it}
    mapping: dict  # {text_col, label_col, split_col}
    info: dict = field(default_factory=dict)  # format, encoding, delimiter, sheet
    source: str = ""


@dataclass(frozen=True)
class Preview:
    """What the import dialog shows before anything is written."""

    columns: list[str]
    rows: list[dict]
    mapping: dict
    info: dict


def preview_file(path, *, rows: int = 20, text_col=None, label_col=None, split_col=None, sheet=None,
                 encoding=None, delimiter=None) -> Preview:
    table = open_table(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    sample = [rec for _, rec in itertools.islice(table.rows(), max(rows, SAMPLE_ROWS))]
    m = mp.detect_mapping(table.columns, sample, file=table.name, text_col=text_col, label_col=label_col,
                          split_col=split_col)
    return Preview(columns=table.columns, rows=sample[:rows], mapping=vars(m).copy(), info=table.info)


def import_file(ws, project, path, *, text_col=None, label_col=None, split_col=None, sheet=None, encoding=None,
                delimiter=None, progress: Callable[[float, str], None] | None = None,
                skip_bad: bool = False) -> ImportResult:
    project = get_project(ws, project)
    path = Path(path)
    from sftgui.core.tasks import task_of

    handled = task_of(project).import_path(ws, project, path, text_col=text_col, label_col=label_col,
                                           split_col=split_col, sheet=sheet, skip_bad=skip_bad, progress=progress)
    if handled is not None:  # the task reads this itself (e.g. a folder of pictures)
        return handled
    if path.suffix.lower() == ".zip" and path.is_file():  # a zipped folder of label subfolders
        from sftgui.core.archive import extract_zip

        with tempfile.TemporaryDirectory(prefix="sftgui-zip-", dir=getattr(ws, "cache", None)) as tmp:
            folder = extract_zip(path, Path(tmp) / path.stem)
            return import_file(ws, project, _archive_root(folder), text_col=text_col, label_col=label_col,
                               split_col=split_col, progress=progress)
    table = open_table(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    rows = table.rows()
    own = task_of(project).convert_records(table.name, table.columns, rows)
    if own is not None:  # the task reads its own shape (e.g. conversations); no label column
        result = _store(project, own, source=table.name, mapping=mp.Mapping(task_of(project).input_column, None, None),
                        info=table.info)
        if result.rows == 0:
            raise UserError(f"{table.name} has a header but no rows; nothing was imported.")
        return result
    m, converted = _mapped(table, rows, text_col=text_col, label_col=label_col, split_col=split_col)

    def report(n):
        if progress:
            frac = table.progress() if table.progress else (n / table.total if table.total else 0.0)
            progress(min(frac, 1.0), f"Imported {n:,} rows from {table.name}")

    result = _store(project, converted, source=table.name, mapping=m, info=table.info, report=report)
    if result.rows == 0:
        raise UserError(f"{table.name} has a header but no rows; nothing was imported.")
    return result


def _open_converted(path, *, text_col=None, label_col=None, split_col=None, sheet=None, encoding=None,
                    delimiter=None):
    """(table, mapping, converted rows) of a file, read the way an import reads it."""
    table = open_table(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    return (table, *_mapped(table, table.rows(), text_col=text_col, label_col=label_col, split_col=split_col))


def _mapped(table, rows, *, text_col=None, label_col=None, split_col=None):
    """(mapping, converted rows) of a table's rows: the columns detected from the first rows."""
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    m = mp.detect_mapping(table.columns, [r for _, r in sample], file=table.name, text_col=text_col,
                          label_col=label_col, split_col=split_col)
    # JSON says what a value is, so `1` and "1" there are two different labels; a spreadsheet cell
    # holding 3 in a column of words is just how Excel stores what was typed.
    typed = table.info.get("format") in ("json", "jsonl")
    return m, _convert(table.name, m, itertools.chain(sample, rows), typed=typed)


def read_rows(path, *, text_col=None, label_col=None, sheet=None, encoding=None, delimiter=None,
              max_rows: int = 1_000_000) -> tuple[list[tuple], dict]:
    """`([(text, label), ...], info)` of a file, checked as an import checks it, written nowhere
    (monitoring batches are kept as snapshots of their own, not in the draft)."""
    table, _m, converted = _open_converted(path, text_col=text_col, label_col=label_col, sheet=sheet,
                                           encoding=encoding, delimiter=delimiter)
    out = []
    for text, label, _split, _where in converted:
        out.append((text, label))
        if len(out) > max_rows:
            raise UserError(f"{table.name} has more than {max_rows:,} rows; split it into smaller batches.")
    return out, {**table.info, "file": table.name}


def _archive_root(folder: Path) -> Path:
    """Zipping a folder usually adds it as the one top entry: step into it when it holds the labels."""
    entries = list(folder.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and any(d.is_dir() for d in entries[0].iterdir()):
        return entries[0]
    return folder


def import_rows(ws, project, rows: list[dict], *, source: str = "rows") -> ImportResult:
    """Rows as dicts with `text`, `label` (None: unlabelled) and optionally `split`."""
    project = get_project(ws, project)
    m = mp.Mapping("text", "label", "split" if any("split" in r for r in rows) else None)
    records = ((f"row {i + 1}", r) for i, r in enumerate(rows))
    return _store(project, _convert(source, m, records), source=source, mapping=m, info={"format": "rows"})


def _convert(name: str, m: mp.Mapping, records, *, typed: bool = True):
    """(text, label, split, where) per record; refuses huge cells, bad splits and (when `typed`) labels
    that mix numbers and text."""
    first_kind = None
    for where, rec in records:
        for col in (m.text_col, m.label_col):
            if col:
                _check_cell(name, where, col, rec.get(col))
        raw_label = rec.get(m.label_col) if m.label_col else None
        kind = mp.label_kind(raw_label) if typed else None
        if kind is not None:
            if first_kind is None:
                first_kind = (kind, where, raw_label)
            elif kind != first_kind[0]:
                raise UserError(
                    f"{name}: the label column {m.label_col!r} mixes kinds of values ({first_kind[1]} has "
                    f"{first_kind[2]!r}, {where} has {raw_label!r}); write every label the same way, e.g. all as text."
                )
        split = mp.split_value(rec.get(m.split_col), name, where, m.split_col) if m.split_col else None
        yield mp.text_value(rec.get(m.text_col)), mp.label_value(raw_label), split, where


def _store(project, converted, *, source, mapping, info, report=None) -> ImportResult:
    counts: dict[str, int] = {}
    n = unlabelled = 0
    with disk_full_as_user_error(f"the rows of {source}", "the workspace database"), draft_repo.transaction():
        start = draft_repo.next_position(project.id)
        while batch := list(itertools.islice(converted, BATCH)):
            tuples = []
            for text, label, split, where in batch:
                if label is None:
                    unlabelled += 1
                else:
                    counts[label] = counts.get(label, 0) + 1
                tuples.append((text, label, split, f"{source}, {where}"))
            draft_repo.insert_rows(project.id, tuples, start + n)
            n += len(tuples)
            if n > MAX_ROWS:  # checked while reading: the transaction rolls back, nothing is added
                raise UserError(f"{source} has more than {MAX_ROWS:,} rows; sftgui imports at most that many at "
                                "once. Split the file.")
            if report:
                report(n)
        label_set.ensure_labels(project.id, counts)
    return ImportResult(
        rows=n, labelled=n - unlabelled, unlabelled=unlabelled, labels=counts,
        mapping={"text_col": mapping.text_col, "label_col": mapping.label_col, "split_col": mapping.split_col},
        info=info, source=source,
    )
