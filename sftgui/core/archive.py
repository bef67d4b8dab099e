"""Unpack a zip archive someone gave us, safely (DESIGN section 4.5: archives are unpacked with
path checks).

Every entry is checked before a single byte is written: no absolute paths, no `..`, no symlinks
or other special files, no duplicate names, and no zip bomb (total uncompressed size, number of
files, and the compression ratio of any large entry). While writing, the bytes actually produced
are counted too, because the sizes an archive declares can lie. Files are created with O_EXCL and
O_NOFOLLOW under a target folder that must be empty, so nothing can land outside it; when anything
fails, what was written is removed again.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from sftgui.errors import UserError

MAX_TOTAL_BYTES = 2 << 30  # 2 GiB unpacked
MAX_FILES = 200_000
MAX_RATIO = 200  # a text file compresses ~3-10x; 200x and more on a large entry is a bomb
RATIO_MIN_BYTES = 1 << 20  # small entries (a file of spaces) may compress well legitimately
_CHUNK = 1 << 20


def _member_path(archive_name: str, info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The entry's relative path, or None for the folder entries zip tools add; refuses unsafe ones."""
    raw = info.filename.replace("\\", "/")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise UserError(f"{archive_name} contains an entry with an absolute path ({info.filename}); "
                        "sftgui only unpacks archives whose files stay inside one folder.")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UserError(f"{archive_name} contains an entry that points outside its folder ({info.filename}); "
                        "sftgui does not unpack such archives.")
    if "\x00" in raw:
        raise UserError(f"{archive_name} contains an entry with an invalid name; the archive looks damaged.")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UserError(f"{archive_name} contains a symbolic link ({info.filename}); sftgui does not unpack "
                        "links from archives. Make the archive again with plain files only.")
    if mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise UserError(f"{archive_name} contains a special file ({info.filename}); only plain files are unpacked.")
    if info.is_dir() or not parts:
        return None
    return PurePosixPath(*parts)


def check_zip(zf: zipfile.ZipFile, archive_name: str, *, max_total_bytes: int = MAX_TOTAL_BYTES,
              max_files: int = MAX_FILES, max_ratio: float = MAX_RATIO) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """The (entry, relative path) pairs to write; UserError on the first unsafe entry."""
    infos = zf.infolist()
    if len(infos) > max_files:
        raise UserError(f"{archive_name} holds {len(infos):,} entries, more than the {max_files:,} sftgui unpacks; "
                        "split it into smaller archives.")
    members, seen, total = [], set(), 0
    for info in infos:
        rel = _member_path(archive_name, info)
        if rel is None:
            continue
        key = rel.as_posix().casefold()  # a.txt and A.TXT collide on Windows and macOS
        if key in seen:
            raise UserError(f"{archive_name} contains {rel} twice; the archive looks damaged.")
        seen.add(key)
        total += info.file_size
        if total > max_total_bytes:
            raise UserError(f"{archive_name} would unpack to more than {max_total_bytes / 2**30:.1f} GB; sftgui "
                            "refuses it (it may be a zip bomb). Unpack it yourself if you trust it.")
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
            raise UserError(f"{archive_name} entry {rel} unpacks to {info.file_size / max(info.compress_size, 1):,.0f} "
                            "times its packed size; sftgui refuses it (it looks like a zip bomb).")
        members.append((info, rel))
    return members


def extract_zip(archive, target, *, max_total_bytes: int = MAX_TOTAL_BYTES, max_files: int = MAX_FILES,
                max_ratio: float = MAX_RATIO) -> Path:
    """Unpack `archive` into the empty (or new) folder `target`; returns `target`."""
    archive, target = Path(archive), Path(target)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"{archive.name} is not a readable zip archive ({exc}).") from None
    with zf:
        members = check_zip(zf, archive.name, max_total_bytes=max_total_bytes, max_files=max_files,
                            max_ratio=max_ratio)
        target.mkdir(parents=True, exist_ok=True)
        if any(target.iterdir()):
            raise UserError(f"{target} is not empty; sftgui unpacks archives into an empty folder only.")
        root = target.resolve()
        try:
            written = 0
            for info, rel in members:
                written += _write_member(zf, info, root, rel, max_total_bytes - written, archive.name)
        except BaseException:
            for child in list(root.iterdir()):  # the target was empty: all of this is ours
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
            raise
    return target


def _write_member(zf, info, root: Path, rel: PurePosixPath, budget: int, archive_name: str) -> int:
    parent = root
    for part in rel.parts[:-1]:  # create folders one level at a time, never through a link
        parent = parent / part
        if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
            raise UserError(f"{archive_name} entry {rel} collides with another entry; the archive looks damaged.")
        parent.mkdir(exist_ok=True)
    dest = parent / rel.name
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(dest, flags, 0o644)
    except FileExistsError:
        raise UserError(f"{archive_name} entry {rel} collides with another entry; the archive looks damaged.") from None
    n = 0
    try:
        with os.fdopen(fd, "wb") as out, zf.open(info) as src:
            while chunk := src.read(_CHUNK):
                n += len(chunk)
                if n > info.file_size or n > budget:  # the declared size lied
                    raise UserError(f"{archive_name} entry {rel} holds more than its declared size; sftgui refuses "
                                    "the archive (it looks like a zip bomb).")
                out.write(chunk)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise UserError(f"{archive_name} is damaged ({rel}: {exc}).") from None
    return n
