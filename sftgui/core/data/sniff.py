"""Guess how a text table is written: its encoding (UTF-8, UTF-8 with BOM, UTF-16, cp1252) and
its delimiter, and refuse files that are not text at all."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from sftgui.errors import UserError

_CHUNK = 1 << 20
DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_LINES = 50


def detect_encoding(path: Path) -> str:
    """The encoding the whole file decodes with; raises UserError for binary or undecodable files."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        # UTF-16 without a BOM puts a NUL next to every ASCII character; anything else is binary.
        even, odd = head[0::2], head[1::2]
        if odd and odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even and even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
        raise UserError(f"{path.name} looks like a binary file, not a text table; export it as CSV, Excel or JSON.")
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if head and controls > 0.05 * len(head):
        raise UserError(f"{path.name} looks like a binary file, not a text table; export it as CSV, Excel or JSON.")
    if _decode_error(path, "utf-8") is None:
        return "utf-8"
    if _decode_error(path, "cp1252") is None:
        return "cp1252"
    line = _decode_error(path, "utf-8")
    raise UserError(
        f"{path.name} line {line} has bytes that are not valid UTF-8, UTF-16 or Windows-1252 text; "
        "save the file as UTF-8 or give its encoding with --encoding."
    )


def check_encoding(path: Path, encoding: str) -> str:
    """Validate a user-given encoding against the whole file."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UserError(f"Unknown encoding {encoding!r}; try utf-8, utf-16 or cp1252.") from None
    line = _decode_error(path, encoding)
    if line is not None:
        raise UserError(f"{path.name} line {line} cannot be read as {encoding}; check the encoding of the file.")
    return encoding


def _decode_error(path: Path, encoding: str) -> int | None:
    """None when the whole file decodes, else the (1-based) line of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    newlines = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return newlines + chunk[: max(exc.start, 0)].count(b"\n") + 1
            if not chunk:
                return None
            newlines += chunk.count(b"\n")


def detect_delimiter(sample: str, suffix: str = "") -> str:
    """The delimiter that splits the first lines into the same number (>1) of columns."""
    lines = sample.splitlines(keepends=True)[:_SAMPLE_LINES]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a sample may be cut in the middle
    preferred = ("\t",) + DELIMITERS if suffix == ".tsv" else DELIMITERS
    best, best_width = None, 1
    for delim in preferred:
        try:
            rows = [r for r in csv.reader(io.StringIO("".join(lines)), delimiter=delim) if r]
        except csv.Error:
            continue
        widths = {len(r) for r in rows}
        if len(widths) == 1 and (w := widths.pop()) > best_width:
            best, best_width = delim, w
    if best is None:  # ragged sample: go by the header line alone
        header = lines[0] if lines else ""
        counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in preferred}
        best = max(preferred, key=lambda d: counts[d])
        if counts[best] <= 1:
            best = "\t" if suffix == ".tsv" else ","
    return best


def read_head(path: Path, encoding: str, size: int = 1 << 16) -> str:
    with open(path, encoding=encoding, newline="") as f:
        return f.read(size)
