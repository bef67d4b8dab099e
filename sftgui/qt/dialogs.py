"""The one way the app reports a failure: a plain sentence, with the details behind a button.

Dialogs are opened window-modal with `open()` (not `exec()`), so a failure never blocks the
event loop, a running training job or a test driving the window.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from sftgui.errors import UserError


def show_error(parent: QWidget | None, message: str, details: str | None = None,
               title: str = "sftgui") -> QMessageBox:
    """A warning box with `message`; `details` (a traceback, a log path) behind "Show Details..."."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    if details:
        box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    box.open()
    return box


def show_exception(parent: QWidget | None, exc: BaseException, *, doing: str = "",
                   log_dir: Path | None = None) -> QMessageBox:
    """UserError: its sentence as is. Anything else: a plain sentence, the traceback in Details
    and in a log file (when `log_dir` is given)."""
    if isinstance(exc, UserError):
        return show_error(parent, str(exc))
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log = write_log(log_dir, text) if log_dir else None
    what = f" while {doing}" if doing else ""
    message = f"Something unexpected went wrong{what}: {type(exc).__name__}: {exc}."
    if log:
        message += f" The details were saved to {log}."
    return show_error(parent, message, details=text)


def write_log(log_dir: Path, text: str) -> Path | None:
    """Write `text` to `<log_dir>/sftgui-error-<time>.log`; None when the folder is not writable."""
    from sftgui.errorlog import write_error_log

    return write_error_log([log_dir], text, origin="desktop app")


def ask(parent: QWidget | None, title: str, question: str, yes: str, no: str = "Cancel") -> bool:
    """A yes/no question with buttons named for what they do. Blocks until answered."""
    box = QMessageBox(QMessageBox.Icon.Question, title, question, QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("askDialog")
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is yes_button
