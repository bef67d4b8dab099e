"""The one guard for every file or folder sftgui writes where the person says (DESIGN section 9):
model exports, data exports, error logs and screenshots.

- never inside a workspace (any folder holding `sftgui.db` or `sftgui.lock`), and never over the
  workspace in use or a folder above it;
- never over something that exists unless `force` (the GUI asks first), and even then only over a
  regular file or a folder sftgui exported itself (its `sftgui-manifest.json` lists every file in
  it): never a device, a FIFO, a link (or what it points to), a workspace or a folder sftgui did not
  write;
- a name that cannot be a path here (empty, too long, under /proc, /sys or /dev, its folder missing)
  is one sentence.

Writes happen in a staging folder next to the destination (`.NAME.XXXX.partial`), renamed into
place at the end; a failed write removes it, and the next write to the same folder removes what a
killed process left (each staging folder names the pid that made it).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

from sftgui.errors import UserError

WORKSPACE_MARKERS = ("sftgui.db", "sftgui.lock")
EXPORT_MANIFEST = "sftgui-manifest.json"
STAGING_SUFFIX = ".partial"
STAGING_OWNER = ".sftgui-staging"  # inside each staging folder: the pid of the process writing it
SYSTEM_TREES = ("/proc", "/sys", "/dev")
_NAME_MAX = 255


def _pc_max(folder: str, name: str, default: int) -> int:
    try:
        return os.pathconf(folder, name)
    except (AttributeError, OSError, ValueError):
        return default


def is_workspace(folder: Path) -> bool:
    """A workspace is recognised by its database or lock file (even a broken or linked one)."""
    return any(os.path.lexists(os.path.join(folder, m)) for m in WORKSPACE_MARKERS)


def workspace_around(path: Path) -> Path | None:
    """The workspace `path` lies in (itself or a folder above it), if any."""
    for folder in (path, *path.parents):
        if is_workspace(folder):
            return folder
    return None


def _contains_workspace(folder: Path, limit: int = 10_000) -> Path | None:
    """A workspace inside `folder` (searched without following links, at most `limit` folders)."""
    seen = 0
    for here, dirs, _files in os.walk(folder):
        if is_workspace(Path(here)):
            return Path(here)
        seen += 1
        if seen > limit:
            return Path(here)  # too big to be sure: treat as holding one
    return None


def is_sftgui_export(folder: Path) -> bool:
    """True when `folder` holds only what an sftgui export wrote: a manifest listing every file,
    no links, nothing else (an exported zip is a regular file and needs no such check)."""
    try:
        listed = json.loads((folder / EXPORT_MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return False
    if not isinstance(listed, dict):
        return False
    for here, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(here) / name
            st = p.lstat()
            if stat.S_ISDIR(st.st_mode):
                continue
            rel = p.relative_to(folder).as_posix()
            if not stat.S_ISREG(st.st_mode) or (rel != EXPORT_MANIFEST and rel not in listed):
                return False
    return True


def check_output(out, *, force: bool = False, folder: bool = False, what: str = "--out",
                 workspace: Path | None = None, own: Path | None = None) -> Path:
    """Check a destination the person named, before any work is done; returns it as an absolute path.

    `folder`: the result is a folder (an HF export) rather than a file. `workspace`: the workspace
    in use (refused, with the folders above it, even without a marker). `own`: a folder of the
    workspace where sftgui writes files it names itself (the demo's exports), allowed for those
    only. Raises UserError.
    """
    raw = os.fspath(out) if out is not None else ""
    if not raw.strip():
        raise UserError(f"{what} needs a path; give the file or folder to write.")
    if "\x00" in raw:
        raise UserError(f"{what} contains a NUL character; give a real path.")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(f"{what} is not a valid name (it holds bytes that are not text); choose another.") from None
    path = Path(os.path.abspath(os.path.expanduser(raw)))
    if any(len(part.encode()) > _pc_max("/", "PC_NAME_MAX", _NAME_MAX) for part in path.parts):
        raise UserError(f"{what} has a name longer than {_NAME_MAX} characters; choose a shorter name.")
    if len(os.fsencode(path)) >= _pc_max("/", "PC_PATH_MAX", 4096) - 64:
        raise UserError(f"{what} is too long a path for this system; choose a shorter one.")
    parent = path.parent
    try:
        real_parent = parent.resolve(strict=True)
    except (OSError, RuntimeError):
        raise UserError(f"The folder {parent} does not exist; create it or choose another {what}.") from None
    if not real_parent.is_dir():
        raise UserError(f"{parent} is not a folder; choose another {what}.")
    real = real_parent / path.name if path.name else real_parent
    if any(real == Path(t) or real.is_relative_to(t) for t in SYSTEM_TREES):
        raise UserError(f"{path} is a system folder; sftgui does not write there. Choose a folder of yours.")
    inside = workspace_around(real if is_workspace(real) else real_parent)
    if inside is not None and own is not None and _within_own(real_parent, Path(own)):
        inside = None
    if inside is None and workspace is not None and not (own is not None and _within_own(real_parent, Path(own))):
        ws_real = Path(workspace).resolve()
        if real == ws_real or ws_real.is_relative_to(real) or real.is_relative_to(ws_real):
            inside = ws_real
    if inside is not None:
        raise UserError(f"{path} is inside the workspace {inside} (or is it); sftgui never writes your files "
                        f"there. Choose a folder outside it.")
    try:
        st = os.lstat(real)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise UserError(f"{path} cannot be used ({exc.strerror}); choose another {what}.") from None
    if stat.S_ISLNK(st.st_mode):
        raise UserError(f"{path} is a link; sftgui does not write through links. Remove it or choose another {what}.")
    if stat.S_ISDIR(st.st_mode):
        if not folder:
            raise UserError(f"{path} is a folder; {what} here names a file. Give a file name.")
        if (held := _contains_workspace(real)) is not None:
            raise UserError(f"{path} holds the workspace {held}; sftgui never replaces it. Choose another {what}.")
        try:
            empty = not any(os.scandir(real))
        except OSError as exc:
            raise UserError(f"{path} cannot be read ({exc.strerror}); choose another {what}.") from None
        if empty:
            return path
        if not force:
            raise UserError(f"{path} is a folder that is not empty; choose another {what} or add --force to "
                            "replace it (only a folder that sftgui exported can be replaced).")
        if not is_sftgui_export(real):
            raise UserError(f"{path} is not a folder that sftgui exported (it has files sftgui did not write), so "
                            f"sftgui does not replace it, even with --force. Choose another {what}.")
        return path
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{path} is a device, pipe or socket, not a file; sftgui never writes over it. "
                        f"Choose another {what}.")
    if not force:
        raise UserError(f"{path} already exists; choose another {what} or add --force to replace it.")
    return path


def _within_own(real_parent: Path, own: Path) -> bool:
    return not os.path.islink(own) and own.is_dir() and real_parent.is_relative_to(own.resolve())


# -- staging --------------------------------------------------------------------------------
def sweep_staging(parent: Path) -> int:
    """Remove staging folders in `parent` whose writer is gone (a kill, a power cut). Returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return 0
    for e in entries:
        if not (e.name.startswith(".") and e.name.endswith(STAGING_SUFFIX)) or not e.is_dir(follow_symlinks=False):
            continue
        try:
            pid = int((Path(e.path) / STAGING_OWNER).read_text().strip())
        except (OSError, ValueError):
            continue  # not ours: leave it
        if pid != os.getpid() and _alive(pid):
            continue
        shutil.rmtree(e.path, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


@contextlib.contextmanager
def staged(out: Path, *, force: bool = False, folder: bool = False, what: str = "--out",
           workspace: Path | None = None, own: Path | None = None):
    """Yield a path in a staging folder next to `out`; on success it replaces `out` (checked again,
    since something may have appeared meanwhile; an old export is moved aside and removed last).
    On failure nothing is left at `out` and the staging folder is removed."""
    out = Path(out)
    sweep_staging(out.parent)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{out.name[:200]}.", suffix=STAGING_SUFFIX, dir=out.parent))
    try:
        (tmp_dir / STAGING_OWNER).write_text(f"{os.getpid()}\n")
        staging = tmp_dir / out.name
        yield staging
        check_output(out, force=force, folder=folder, what=what, workspace=workspace, own=own)
        if os.path.lexists(out):
            os.replace(out, tmp_dir / (out.name[:200] + ".old"))
        os.replace(staging, out)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def write_new_file(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Create `path` (never over anything, never through a link) and write `data` to it: for files
    sftgui names itself in a shared folder, such as error logs in the temp folder."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
