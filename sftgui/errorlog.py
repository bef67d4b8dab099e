"""Where unexpected errors are written: `<workspace>/logs/sftgui-error-<time>.log`, shared by the
CLI (exit 1 names the file) and the desktop app (the error dialog's Details)."""

from __future__ import annotations

import datetime
import os
from pathlib import Path


def write_error_log(folders, text: str, *, origin: str) -> Path | None:
    """Write `text` into the first usable folder of `folders`; None when none is.

    A folder that is a link is skipped (a workspace's `logs/` must be its own), and the file is
    created new, never through a link or over a file (a shared temp folder may hold planted names).
    """
    from sftgui import __version__
    from sftgui.core.outpath import write_new_file

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    data = f"sftgui {__version__} ({origin})\n\n{text}".encode("utf-8", errors="backslashreplace")
    for folder in folders:
        try:
            folder = Path(folder)
            if folder.is_symlink():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"sftgui-error-{stamp}-{os.getpid()}.log"
            write_new_file(path, data, mode=0o600)
            return path
        except OSError:
            continue
    return None
