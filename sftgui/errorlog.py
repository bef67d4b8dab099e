"""Where unexpected errors are written: `<workspace>/logs/sftgui-error-<time>.log`, shared by the
CLI (exit 1 names the file) and the desktop app (the error dialog's Details)."""

from __future__ import annotations

import datetime
from pathlib import Path


def write_error_log(folders, text: str, *, origin: str) -> Path | None:
    """Write `text` into the first writable folder of `folders`; None when none is writable."""
    from sftgui import __version__

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    for folder in folders:
        try:
            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"sftgui-error-{stamp}.log"
            path.write_text(f"sftgui {__version__} ({origin})\n\n{text}", encoding="utf-8")
            return path
        except OSError:
            continue
    return None
