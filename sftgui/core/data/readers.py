"""Read tables from files, a batch of rows at a time, so large files stay in bounded memory.

`open_table(path, ...)` returns a `Table`: its column names, what was detected (format,
encoding, delimiter, sheet) and `rows()`, an iterator of `(where, {column: value})` where
`where` says in words where the row came from ("line 12", "record 3", "file neg/a.txt").
Every problem with the file is a UserError naming the file and the line or column.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from sftgui.core.data import sniff
from sftgui.errors import UserError

MAX_CELL = 1_000_000  # characters; a bigger cell is almost always a broken file
BATCH = 5000

FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".tab": "csv",
    ".xlsx": "excel", ".xlsm": "excel",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: Callable[[], Iterator[tuple[str, dict]]]
    info: dict = field(default_factory=dict)  # format, encoding, delimiter, sheet, sheets
    total: int | None = None  # rows, when known before reading
    progress: Callable[[], float] | None = None  # fraction of the file read so far


def open_table(path, *, sheet=None, encoding=None, delimiter=None) -> Table:
    path = Path(path)
    if not path.exists():
        raise UserError(f"There is no file or folder {path}; check the path.")
    if path.is_dir():
        if (path / "dataset_dict.json").exists() or (path / "state.json").exists():
            return _saved_dataset(path)
        return _text_folder(path)
    if path.stat().st_size == 0:
        raise UserError(f"{path.name} is empty; choose a file with a header and rows.")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise UserError(
            f"sftgui cannot read {path.suffix or 'extension-less'} files like {path.name}; "
            "use CSV, TSV, Excel (.xlsx), JSON, JSONL, Parquet or a folder of .txt files."
        )
    if kind == "excel":
        return _excel(path, sheet)
    if kind == "parquet":
        return _parquet(path)
    enc = sniff.check_encoding(path, encoding) if encoding else sniff.detect_encoding(path)
    if kind == "json":
        return _json(path, enc)
    if kind == "jsonl":
        return _jsonl(path, enc)
    return _csv(path, enc, delimiter)


def check_columns(path_name: str, columns: list) -> list[str]:
    """Header names with whitespace stripped; refuses blank and repeated names."""
    names = ["" if c is None else str(c).strip() for c in columns]
    for i, name in enumerate(names):
        if not name:
            raise UserError(
                f"{path_name}: column {i + 1} of the header has no name (columns: {_listing(names)}); "
                "give every column a name."
            )
    seen = set()
    for name in names:
        if name in seen:
            raise UserError(
                f"{path_name}: the column name {name!r} appears twice in the header (columns: {_listing(names)}); "
                "rename one of them."
            )
        seen.add(name)
    return names


def _listing(names) -> str:
    return ", ".join(repr(n) for n in names)


def _check_cell(path_name: str, where: str, column: str, value) -> None:
    if isinstance(value, str) and len(value) > MAX_CELL:
        raise UserError(
            f"{path_name} {where}, column {column!r}: the cell holds {len(value) / 1e6:.1f} million characters "
            f"(the limit is {MAX_CELL // 1_000_000} million); the file is probably damaged."
        )


# -- CSV / TSV ----------------------------------------------------------------------------------
class _Counting(io.RawIOBase):
    """A raw file that counts the bytes read, so progress can be reported while streaming."""

    def __init__(self, f):
        self.f, self.read_bytes = f, 0

    def readable(self):
        return True

    def readinto(self, b):
        n = self.f.readinto(b)
        self.read_bytes += n or 0
        return n

    def close(self):
        self.f.close()
        super().close()


def _csv(path: Path, encoding: str, delimiter: str | None) -> Table:
    if delimiter is None:
        delimiter = sniff.detect_delimiter(sniff.read_head(path, encoding), path.suffix.lower())
    elif delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if len(delimiter) != 1:
        raise UserError(f"The delimiter must be one character (got {delimiter!r}); e.g. ',' ';' or 'tab'.")
    csv.field_size_limit(MAX_CELL)
    size = path.stat().st_size
    counter: list[_Counting] = []

    def records() -> Iterator[tuple[int, list[str]]]:
        raw = _Counting(open(path, "rb"))
        counter[:] = [raw]
        with io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding=encoding, newline="") as f:
            reader = csv.reader(f, delimiter=delimiter, strict=True)
            start = 1
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise UserError(_csv_problem(path.name, start, str(exc))) from None
                yield start, values
                start = reader.line_num + 1

    head = next(iter(records()), None)
    if head is None:
        raise UserError(f"{path.name} is empty; choose a file with a header and rows.")
    columns = check_columns(path.name, head[1])
    width = len(columns)

    def rows():
        it = records()
        next(it)
        for line, values in it:
            if not values or (len(values) == 1 and not values[0].strip() and width > 1):
                continue  # blank line
            if len(values) != width:
                raise UserError(
                    f"{path.name} line {line} has {len(values)} cells but the header has {width} "
                    f"({_listing(columns)}); fix that line or check the delimiter."
                )
            yield f"line {line}", dict(zip(columns, values))

    return Table(
        name=path.name,
        columns=columns,
        rows=rows,
        info={"format": "csv", "encoding": encoding, "delimiter": delimiter},
        progress=lambda: (counter[0].read_bytes / size) if counter else 0.0,
    )


def _csv_problem(name: str, line: int, message: str) -> str:
    if "field larger than field limit" in message:
        return (
            f"{name} line {line} has a cell over {MAX_CELL // 1_000_000} million characters "
            "(often a quote that is never closed); the file is probably damaged."
        )
    if "unexpected end of data" in message or "expected after" in message or "EOF" in message:
        return (
            f"{name} line {line}: a quoted cell is not closed properly (unbalanced quotes); "
            "fix the quotes on that line or save the file again as CSV."
        )
    return f"{name} line {line} cannot be read as CSV ({message}); fix that line."


# -- Excel --------------------------------------------------------------------------------------
def _excel(path: Path, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UserError(f"{path.name} cannot be opened as an Excel workbook ({exc}); save it again as .xlsx.") from None
    names = wb.sheetnames
    if sheet is None:
        if len(names) > 1:
            wb.close()
            raise UserError(f"{path.name} has {len(names)} sheets ({_listing(names)}); choose one with --sheet.")
        sheet = names[0]
    if sheet not in names:
        wb.close()
        raise UserError(f"{path.name} has no sheet {sheet!r}; its sheets are {_listing(names)}.")
    ws = wb[sheet]
    it = ws.iter_rows(values_only=True)
    header = None
    for header in it:
        if any(c is not None and str(c).strip() for c in header):
            break
    else:
        wb.close()
        raise UserError(f"Sheet {sheet!r} of {path.name} is empty; choose the sheet that holds the data.")
    header = list(header)
    while header and (header[-1] is None or not str(header[-1]).strip()):
        header.pop()  # empty cells right of the last named column
    columns = check_columns(f"{path.name} (sheet {sheet!r})", header)
    width = len(columns)

    def rows():
        try:
            for n, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
                values = list(values)
                extra = [v for v in values[width:] if v is not None and str(v).strip()]
                if extra:
                    raise UserError(
                        f"{path.name} sheet {sheet!r} row {n} has cells right of the last named column "
                        f"({_listing(columns)}); give that column a name or remove the cells."
                    )
                values = (values + [None] * width)[:width]
                if all(v is None for v in values):
                    continue
                yield f"row {n}", dict(zip(columns, values))
        finally:
            wb.close()

    return Table(name=path.name, columns=columns, rows=rows, info={"format": "excel", "sheet": sheet, "sheets": names})


def excel_sheets(path) -> list[str]:
    """The sheet names of a workbook (for the import dialog's sheet chooser)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


# -- JSON and JSONL -----------------------------------------------------------------------------
def _columns_of(records) -> list[str]:
    seen: dict[str, None] = {}
    for _, rec in records:
        for k in rec:
            seen.setdefault(str(k).strip(), None)
    return list(seen)


def _object(name: str, where: str, rec) -> dict:
    if not isinstance(rec, dict):
        raise UserError(f"{name} {where} is not an object with named fields (it is {type(rec).__name__}); "
                        "write each row as {\"text\": ..., \"label\": ...}.")
    return {str(k).strip(): v for k, v in rec.items()}


def _json(path: Path, encoding: str) -> Table:
    try:
        with open(path, encoding=encoding) as f:
            doc = json.load(f)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path.name} line {exc.lineno} is not valid JSON ({exc.msg}); fix that line.") from None
    if isinstance(doc, dict):  # {"data": [...]} and the like: the one list inside
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise UserError(f"{path.name} should hold a list of rows, e.g. [{{\"text\": ..., \"label\": ...}}].")
        doc = lists[0]
    if not isinstance(doc, list):
        raise UserError(f"{path.name} should hold a list of rows, e.g. [{{\"text\": ..., \"label\": ...}}].")
    records = [(f"record {i + 1}", _object(path.name, f"record {i + 1}", r)) for i, r in enumerate(doc)]
    del doc
    return Table(
        name=path.name, columns=_columns_of(records), rows=lambda: iter(records),
        info={"format": "json", "encoding": encoding}, total=len(records),
    )


def _jsonl(path: Path, encoding: str) -> Table:
    def rows():
        with open(path, encoding=encoding) as f:
            for n, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise UserError(f"{path.name} line {n} is not valid JSON ({exc.msg}); fix that line.") from None
                yield f"line {n}", _object(path.name, f"line {n}", rec)

    sample = []
    for item in rows():
        sample.append(item)
        if len(sample) >= 1000:
            break
    return Table(name=path.name, columns=_columns_of(sample), rows=rows, info={"format": "jsonl", "encoding": encoding})


# -- Parquet ------------------------------------------------------------------------------------
def _parquet(path: Path) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise UserError(f"{path.name} cannot be read as Parquet ({exc}); save it again.") from None
    names = pf.schema_arrow.names
    columns = check_columns(path.name, names)

    def rows():
        n = 0
        for batch in pf.iter_batches(batch_size=BATCH):
            for rec in batch.to_pylist():
                n += 1
                yield f"row {n}", {c: rec[o] for c, o in zip(columns, names)}

    return Table(name=path.name, columns=columns, rows=rows, info={"format": "parquet"}, total=pf.metadata.num_rows)


# -- folders ------------------------------------------------------------------------------------
def _text_folder(path: Path) -> Table:
    """One subfolder per label, one .txt file per example."""
    groups = [d for d in sorted(path.iterdir()) if d.is_dir() and any(d.glob("*.txt"))]
    if not groups:
        raise UserError(
            f"The folder {path.name} has no subfolders with .txt files; put each label's texts in a subfolder "
            "named after the label (e.g. positive/1.txt)."
        )
    files = [(d.name, f) for d in groups for f in sorted(d.glob("*.txt"))]

    def rows():
        for label, f in files:
            where = f"file {label}/{f.name}"
            data = f.read_bytes()
            if b"\x00" in data:
                raise UserError(f"{path.name} {where} is not a text file; remove it from the folder.")
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")
            yield where, {"text": text.strip(), "label": label}

    return Table(name=path.name, columns=["text", "label"], rows=rows, info={"format": "folder"}, total=len(files))


def _saved_dataset(path: Path) -> Table:
    """A dataset written by `datasets` `save_to_disk` (a Dataset or a DatasetDict of splits)."""
    from datasets import ClassLabel, DatasetDict, load_from_disk

    try:
        loaded = load_from_disk(str(path))
    except Exception as exc:  # noqa: BLE001 - datasets raises many kinds for a damaged folder
        raise UserError(f"The folder {path.name} cannot be read as a saved dataset ({exc}).") from None
    parts = list(loaded.items()) if isinstance(loaded, DatasetDict) else [(None, loaded)]
    names = list(dict.fromkeys(c for _, d in parts for c in d.column_names))
    columns = check_columns(path.name, names + (["split"] if parts[0][0] is not None and "split" not in names else []))

    def rows():
        n = 0
        for split, d in parts:
            decoders = {c: f.int2str for c, f in d.features.items() if isinstance(f, ClassLabel)}
            for batch in d.iter(batch_size=1000):
                keys = list(batch)
                for values in zip(*(batch[k] for k in keys)):
                    n += 1
                    rec = dict(zip(keys, values))
                    for k, decode in decoders.items():  # ClassLabel ids -> names; -1 means no label
                        rec[k] = decode(rec[k]) if rec[k] is not None and rec[k] >= 0 else None
                    if split is not None:
                        rec.setdefault("split", split)
                    yield f"row {n}", rec

    total = sum(len(d) for _, d in parts)
    return Table(name=path.name, columns=columns, rows=rows, info={"format": "dataset"}, total=total)
