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
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from sftgui.core.data import sniff
from sftgui.errors import UserError

MAX_CELL = 1_000_000  # characters; a bigger cell is almost always a broken file
BATCH = 5000
# Bounds checked while reading (a hostile or broken file must not take all memory or hang):
MAX_FILE_BYTES = 4 << 30  # any one file
MAX_JSON_BYTES = 1 << 30  # a .json document is parsed whole
MAX_ROWS = 10_000_000  # rows of one import
MAX_FOLDER_FILES = 1_000_000  # files of a folder of .txt files
MAX_TEXT_FILE_BYTES = 4 * MAX_CELL  # one .txt file is one cell (UTF-8 takes up to 4 bytes a character)
# .xlsx is a zip of XML: bounded before openpyxl parses it (see _check_xlsx)
MAX_XLSX_XML_BYTES = 2 << 30  # decompressed, all parts together
MAX_SHARED_STRINGS = 5_000_000
MAX_CELLS = 30_000_000
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)

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
        check_tree(path)
        if (path / "dataset_dict.json").exists() or (path / "state.json").exists():
            return _saved_dataset(path)
        return _text_folder(path)
    size = regular_file_size(path)  # the path the person chose may be a link; what it names must be a file
    if size == 0:
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


# -- what may be read -------------------------------------------------------------------------
def _not_regular(path: Path, what: str = "") -> UserError:
    return UserError(f"{what or path.name} is not a regular file (it is a device, a pipe or a socket); sftgui reads "
                     "only ordinary files.")


def regular_file_size(path: Path, *, follow: bool = True, limit: int = MAX_FILE_BYTES) -> int:
    """The size of `path` after checking, on an open descriptor, that it is a regular file (opened
    with O_NONBLOCK, so a FIFO cannot hang us; O_NOFOLLOW unless `follow`) of at most `limit` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | O_NONBLOCK | (0 if follow else O_NOFOLLOW))
    except OSError as exc:
        if not follow and os.path.islink(path):
            raise UserError(f"{path.name} is a link; sftgui reads only the files inside the folder.") from None
        raise UserError(f"{path.name} cannot be opened ({exc.strerror}).") from None
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path)
    if st.st_size > limit:
        raise UserError(f"{path.name} is {st.st_size / 2**30:.1f} GiB; sftgui imports files of at most "
                        f"{limit / 2**30:.0f} GiB. Split it into smaller files.")
    return st.st_size


def check_tree(folder: Path) -> None:
    """A folder to import holds only folders and regular files; a link may point only inside it."""
    root = folder.resolve()
    seen = 0
    for here, dirs, files in os.walk(root):  # os.walk does not descend into linked folders
        for name in dirs + files:
            p = Path(here) / name
            seen += 1
            if seen > MAX_FOLDER_FILES:
                raise UserError(f"The folder {folder.name} holds more than {MAX_FOLDER_FILES:,} files; sftgui "
                                "imports at most that many.")
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                target = p.resolve()
                if not target.is_relative_to(root) or not target.exists():
                    raise UserError(f"{p.relative_to(root)} in the folder {folder.name} is a link to {target}, outside "
                                    "the folder; sftgui reads only the files inside it. Copy the real file in instead.")
                st = target.stat()
            if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
                raise _not_regular(p, f"{p.relative_to(root)} in the folder {folder.name}")


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, checked on the descriptor and while reading
    (a file may grow, and /proc-like files claim size 0)."""
    fd = os.open(path, os.O_RDONLY | O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _not_regular(path)
        data = f.read(limit + 1)
    if len(data) > limit:
        raise UserError(f"{path.name} is larger than {limit / 1e6:.0f} MB; sftgui reads one example of at most "
                        f"{MAX_CELL // 1_000_000} million characters per file.")
    return data


def check_text(path_name: str, where: str, value: str) -> None:
    """A cell the database can store: no lone surrogates (JSON's "\ud800", undecodable bytes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UserError(f"{path_name} {where}: the text holds a character that is not valid Unicode (a lone "
                        f"surrogate at position {exc.start}); fix or remove it.") from None


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
    if isinstance(value, str):
        if len(value) > MAX_CELL:
            raise UserError(
                f"{path_name} {where}, column {column!r}: the cell holds {len(value) / 1e6:.1f} million characters "
                f"(the limit is {MAX_CELL // 1_000_000} million); the file is probably damaged."
            )
        check_text(path_name, f"{where}, column {column!r}", value)


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
        if self.read_bytes > MAX_FILE_BYTES:  # grew while being read
            raise UserError(f"The file grew past {MAX_FILE_BYTES / 2**30:.0f} GiB while it was read; sftgui "
                            "imports files of at most that size.")
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
        raw = _Counting(os.fdopen(os.open(path, os.O_RDONLY | O_NONBLOCK), "rb"))
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
def _xml_errors() -> tuple:
    """What a hostile or broken workbook's XML raises while openpyxl parses it (defusedxml, when
    installed, refuses entities and DTDs; expat refuses entity amplification itself)."""
    from xml.etree.ElementTree import ParseError

    kinds = [ParseError]
    try:
        from defusedxml import DefusedXmlException

        kinds.append(DefusedXmlException)
    except ImportError:
        pass
    return tuple(kinds)


def _check_xlsx(path: Path) -> None:
    """Bound a workbook before openpyxl parses it: every XML part is decompressed as a stream, with
    a cap on its total size, on the shared strings and on the cells, and refused when it declares a
    DTD or entities (no real workbook does; they are how entity bombs and XXE start). A 1 MB file can
    hold 30 million shared strings, which took openpyxl 18 minutes and 2.9 GB."""
    import zipfile

    refused = f"{path.name} cannot be imported"
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UserError(f"{path.name} cannot be opened as an Excel workbook ({exc}); save it again as .xlsx.") from None
    total = strings = cells = 0
    with zf:
        for info in zf.infolist():
            if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            shared = info.filename.lower().endswith("sharedstrings.xml")
            sheet_part = "/worksheets/" in info.filename.lower()
            tail = b""
            try:
                with zf.open(info) as part:
                    while chunk := part.read(1 << 20):
                        total += len(chunk)
                        if total > MAX_XLSX_XML_BYTES:
                            raise UserError(f"{refused}: its contents unpack to more than "
                                            f"{MAX_XLSX_XML_BYTES / 2**30:.0f} GiB of XML (a zip bomb, or far too big).")
                        window = tail + chunk
                        if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                            raise UserError(f"{refused}: {info.filename} declares XML entities or a DTD, which real "
                                            "workbooks never do (it is how XML bombs and external-entity attacks "
                                            "start). Save it again from your spreadsheet program.")
                        if shared:
                            strings += window.count(b"<si>") + window.count(b"<si ") - \
                                (tail.count(b"<si>") + tail.count(b"<si "))
                            if strings > MAX_SHARED_STRINGS:
                                raise UserError(f"{refused}: it holds more than {MAX_SHARED_STRINGS:,} different "
                                                "texts (shared strings); split it into smaller workbooks.")
                        if sheet_part:
                            cells += window.count(b"<c ") + window.count(b"<c>") - \
                                (tail.count(b"<c ") + tail.count(b"<c>"))
                            if cells > MAX_CELLS:
                                raise UserError(f"{refused}: its sheets hold more than {MAX_CELLS:,} cells; split "
                                                "it into smaller workbooks or save it as CSV.")
                        tail = chunk[-16:]
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
                raise UserError(f"{path.name} cannot be opened as an Excel workbook ({exc}); save it again as "
                                ".xlsx.") from None


def _excel(path: Path, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    _check_xlsx(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, *_xml_errors()) as exc:
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
    try:
        for header in it:
            if any(c is not None and str(c).strip() for c in header):
                break
        else:
            wb.close()
            raise UserError(f"Sheet {sheet!r} of {path.name} is empty; choose the sheet that holds the data.")
    except _xml_errors() as exc:
        wb.close()
        raise UserError(f"Sheet {sheet!r} of {path.name} cannot be read ({exc}); save the workbook again.") from None
    header = list(header)
    while header and (header[-1] is None or not str(header[-1]).strip()):
        header.pop()  # empty cells right of the last named column
    columns = check_columns(f"{path.name} (sheet {sheet!r})", header)
    width = len(columns)

    def rows():
        try:
            yield from _sheet_rows()
        except _xml_errors() as exc:
            raise UserError(f"Sheet {sheet!r} of {path.name} cannot be read ({exc}); save the workbook again.") from None
        finally:
            wb.close()

    def _sheet_rows():
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

    return Table(name=path.name, columns=columns, rows=rows, info={"format": "excel", "sheet": sheet, "sheets": names})


def excel_sheets(path) -> list[str]:
    """The sheet names of a workbook (for the import dialog's sheet chooser)."""
    from openpyxl import load_workbook

    path = Path(path)
    regular_file_size(path)
    _check_xlsx(path)
    try:
        wb = load_workbook(path, read_only=True)
    except _xml_errors() as exc:
        raise UserError(f"{path.name} cannot be opened as an Excel workbook ({exc}); save it again as .xlsx.") from None
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
    if path.stat().st_size > MAX_JSON_BYTES:
        raise UserError(f"{path.name} is larger than {MAX_JSON_BYTES / 2**30:.0f} GiB, too big to read as one JSON "
                        "document; save it as JSON Lines (one row per line) instead.")
    try:
        with open(path, encoding=encoding) as f:
            doc = json.load(f)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path.name} line {exc.lineno} is not valid JSON ({exc.msg}); fix that line.") from None
    except RecursionError:
        raise UserError(f"{path.name} is nested too deeply to be a table of rows; write each row as "
                        "{\"text\": ..., \"label\": ...}.") from None
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
                except RecursionError:
                    raise UserError(f"{path.name} line {n} is nested too deeply to be a row; write each row as "
                                    "{\"text\": ..., \"label\": ...}.") from None
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
    groups = [d for d in sorted(path.iterdir()) if d.is_dir() and any(d.glob("*.txt"))]  # check_tree ran
    if not groups:
        raise UserError(
            f"The folder {path.name} has no subfolders with .txt files; put each label's texts in a subfolder "
            "named after the label (e.g. positive/1.txt)."
        )
    files = [(d.name, f) for d in groups for f in sorted(d.glob("*.txt"))]

    def rows():
        for label, f in files:
            where = f"file {label}/{f.name}"
            data = read_bounded(f.resolve(), MAX_TEXT_FILE_BYTES)
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
