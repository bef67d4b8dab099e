"""The workspace never follows a link it did not make (DESIGN section 9): its folders, the lock,
the database and every blob are checked with lstat / opened with O_NOFOLLOW, so a link planted
in a workspace cannot make sftgui read, write, chmod or delete anything outside it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sftgui.errors import WorkspaceError

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def link_refused(path: Path, what: str = "") -> WorkspaceError:
    try:
        target = f" (to {os.readlink(path)})"
    except OSError:
        target = ""
    name = what or path.name
    return WorkspaceError(f"{name} in the workspace {path.parent} is a link{target}; sftgui does not follow links "
                          "it did not make inside a workspace. Remove the link (what it points to is left alone) "
                          "and try again.")


def own_dir(path: Path, what: str = "") -> Path:
    """`path` as a real folder of the workspace: created when missing, refused when it is a link or
    not a folder. Returns it."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        os.mkdir(path)
        st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise link_refused(path, what)
    if not stat.S_ISDIR(st.st_mode):
        raise WorkspaceError(f"{what or path.name} in the workspace {path.parent} is not a folder; move it away "
                             "and try again.")
    return path


def check_not_link(path: Path, what: str = "") -> None:
    """Refuse when `path` is a link (a missing path is fine)."""
    if os.path.islink(path):
        raise link_refused(Path(path), what)


def open_append(path: Path):
    """A text file opened for appending, created if missing, never through a link."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | O_NOFOLLOW, 0o644)
    except OSError as exc:
        if os.path.islink(path):
            raise link_refused(Path(path)) from None
        raise exc
    return os.fdopen(fd, "a", encoding="utf-8")
