"""Importing images into a project's draft: a folder with one subfolder per label, the same
zipped, or a table (CSV, Excel, Parquet, JSON) with a column of relative image paths and a label
column. Each image is checked by decoding it and stored once in the blob store; the draft row's
input is the image's digest and its source the file it came from.

A bad file (empty, truncated, not an image, a decompression bomb, a path leaving the folder) is
a sentence naming it and nothing is imported, unless the person chose to skip bad files: then
they are listed and counted in the result.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from sftgui.core.tasks.image_classification import images
from sftgui.errors import UserError

MAX_FILES = 200_000
SKIPPED_LISTED = 20


def import_images(ws, project, path, *, text_col=None, label_col=None, split_col=None, sheet=None,
                  skip_bad: bool = False, progress=None, **_ignored):
    """An `ImportResult` (info has `skipped` and `skipped_files` when bad files were skipped)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"There is no file or folder {path}; check the path.")
    if path.is_file() and path.suffix.lower() == ".zip":
        from sftgui.core.archive import extract_zip
        from sftgui.core.data.importers import _archive_root

        with tempfile.TemporaryDirectory(prefix="sftgui-zip-", dir=getattr(ws, "cache", None)) as tmp:
            folder = _archive_root(extract_zip(path, Path(tmp) / path.stem))
            return _import_folder(ws, project, folder, path.name, skip_bad, progress)
    if path.is_dir():
        return _import_folder(ws, project, path, path.name, skip_bad, progress)
    if path.suffix.lower() in images.EXTENSIONS:
        raise UserError(f"{path.name} is a single image; import a folder with one subfolder of images per label, "
                        "a zip of such a folder, or a table with an image path column.")
    return _import_table(ws, project, path, text_col=text_col, label_col=label_col, split_col=split_col,
                         sheet=sheet, skip_bad=skip_bad, progress=progress)


# -- a folder of label subfolders ----------------------------------------------------------------
def _folder_entries(folder: Path) -> list[tuple[Path, str, str]]:
    """(file, label, shown name) of every file under the label subfolders, sorted; files of
    other kinds are kept so they can be reported."""
    groups = [d for d in sorted(folder.iterdir()) if d.is_dir() and not d.is_symlink() and not d.name.startswith(".")]
    if not groups:
        raise UserError(f"The folder {folder.name} has no subfolders; put each label's images in a subfolder "
                        "named after the label (e.g. cats/, dogs/).")
    out = []
    for d in groups:
        for f in sorted(d.rglob("*")):
            if f.name.startswith(".") or f.is_dir():
                continue
            out.append((f, d.name, f"{d.name}/{f.relative_to(d).as_posix()}"))
            if len(out) > MAX_FILES:
                raise UserError(f"The folder {folder.name} has more than {MAX_FILES:,} files; import it in parts.")
    if not out:
        raise UserError(f"The label subfolders of {folder.name} hold no image files.")
    return out


def _import_folder(ws, project, folder: Path, source: str, skip_bad: bool, progress):
    entries = _folder_entries(folder)
    records = ((f, label, None, name) for f, label, name in entries)
    return _store(ws, project, records, source=source, total=len(entries), skip_bad=skip_bad, progress=progress,
                  mapping={"text_col": "(image files)", "label_col": "(subfolder)", "split_col": None},
                  info={"format": "image folder"})


# -- a table with an image path column ----------------------------------------------------------------
def _image_column(columns, sample) -> str | None:
    best, best_n = None, 0
    for c in columns:
        n = sum(1 for _, r in sample if str(r.get(c) or "").lower().endswith(images.EXTENSIONS))
        if n > best_n:
            best, best_n = c, n
    return best


def _import_table(ws, project, path: Path, *, text_col, label_col, split_col, sheet, skip_bad, progress):
    from sftgui.core.data import mapping as mp
    from sftgui.core.data.readers import open_table

    table = open_table(path, sheet=sheet)
    rows = table.rows()
    sample = list(itertools.islice(rows, 500))
    if text_col is None:
        text_col = _image_column(table.columns, sample)
        if text_col is None:
            raise UserError(f"{table.name} has no column of image file names (.jpg, .png, ...); name it with "
                            "--image-col.")
    m = mp.detect_mapping(table.columns, [r for _, r in sample], file=table.name, text_col=text_col,
                          label_col=label_col, split_col=split_col)
    rest = [c for c in table.columns if c not in (m.text_col, m.split_col)]
    if m.label_col is None and label_col is None and len(rest) == 1:  # path + one other column: the label
        m = mp.Mapping(m.text_col, rest[0], m.split_col)
    base = path.parent.resolve()

    def records():
        for where, rec in itertools.chain(sample, rows):
            raw = str(rec.get(m.text_col) or "").strip()
            if not raw:
                yield None, None, None, f"{table.name} {where}: no image path"
                continue
            if "://" in raw:
                raise UserError(f"{table.name} {where}: {raw!r} is a web address; sftgui imports files next to the "
                                "table (relative paths), never from the internet.")
            f = (base / raw).resolve()
            if not f.is_relative_to(base):
                raise UserError(f"{table.name} {where}: {raw!r} points outside the table's folder; use paths "
                                "relative to the folder that holds the table.")
            split = mp.split_value(rec.get(m.split_col), table.name, where, m.split_col) if m.split_col else None
            label = mp.label_value(rec.get(m.label_col)) if m.label_col else None
            yield f, label, split, raw

    return _store(ws, project, records(), source=table.name, total=table.total, skip_bad=skip_bad,
                  progress=progress, mapping={"text_col": m.text_col, "label_col": m.label_col,
                                              "split_col": m.split_col},
                  info={**table.info, "format": f"{table.info.get('format', 'table')} with image paths"})


# -- storing ----------------------------------------------------------------------------------
def _store(ws, project, records, *, source, total, skip_bad, progress, mapping, info):
    """Checks and stores each image, then appends all rows to the draft in one transaction."""
    from sftgui.core.data.importers import ImportResult, _store as store_rows
    from sftgui.core.data.mapping import Mapping

    kept, skipped = [], []
    for i, (f, label, split, name) in enumerate(records):
        try:
            if f is None:
                raise images.BadImage(name)
            if not f.exists():
                raise images.BadImage(f"{name} does not exist; check the path.")
            data = images.read_file(f, name)
        except images.BadImage as exc:
            if not skip_bad:
                raise UserError(f"{exc} Nothing was imported (choose to skip bad files to import the rest).") from None
            skipped.append(str(exc))
            continue
        kept.append((images.store(ws, data), label, split, name))
        if progress and (i % 50 == 0):
            progress(min(1.0, (i + 1) / total) if total else 0.0, f"Read {i + 1:,} images from {source}")
    if not kept:
        raise UserError(f"No readable image was found in {source}"
                        + (f" ({len(skipped)} bad file(s) skipped)." if skipped else "."))
    m = Mapping(mapping["text_col"], mapping["label_col"], mapping["split_col"])
    result = store_rows(project, ((d, lab, sp, name) for d, lab, sp, name in kept), source=source, mapping=m,
                        info=info)
    if progress:
        progress(1.0, f"Imported {result.rows:,} images from {source}")
    extra = {"skipped": len(skipped), "skipped_files": skipped[:SKIPPED_LISTED]} if skipped else {}
    return ImportResult(rows=result.rows, labelled=result.labelled, unlabelled=result.unlabelled, labels=result.labels,
                        mapping=result.mapping, info={**result.info, **extra}, source=source)
