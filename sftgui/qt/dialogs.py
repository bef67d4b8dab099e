"""The one way the app reports a failure: a plain sentence, with the details behind a button.

Dialogs are opened window-modal with `open()` (not `exec()`), so a failure never blocks the
event loop, a running training job or a test driving the window.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

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


class ReasonDialog(QDialog):
    """Asks why (kept in the history); the action button stays off until a reason is typed."""

    def __init__(self, parent: QWidget | None, title: str, question: str, action: str):
        super().__init__(parent)
        self.setObjectName("reasonDialog")
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        label = QLabel(question)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.edit = QLineEdit()
        self.edit.setObjectName("reasonEdit")
        self.edit.setPlaceholderText("e.g. better on refund questions")
        layout.addWidget(self.edit)
        note = QLabel("The reason is kept in the history (the History page and 'sftgui audit').")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("reasonOk")
        self.ok.setEnabled(False)
        self.edit.textChanged.connect(self._typed)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _typed(self, text: str) -> None:
        self.ok.setEnabled(bool(text.strip()))

    def reason(self) -> str:
        return self.edit.text().strip()


def ask_reason(parent: QWidget | None, title: str, question: str, action: str) -> str | None:
    """The reason typed, or None when cancelled. Blocks until answered."""
    dialog = ReasonDialog(parent, title, question, action)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    reason = dialog.reason()
    dialog.deleteLater()
    return reason if accepted and reason else None


def pick_folder(parent: QWidget | None, title: str, start: Path) -> Path | None:
    """A folder chosen in a file dialog (the platform's own where it has one), or None."""
    dialog = QFileDialog(parent, title, str(start))
    dialog.setObjectName("folderDialog")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    chosen = dialog.selectedFiles() if dialog.exec() == QDialog.DialogCode.Accepted else []
    dialog.deleteLater()
    return Path(chosen[0]) if chosen else None


def pick_file(parent: QWidget | None, title: str, start: Path, name_filter: str) -> Path | None:
    """An existing file chosen in a file dialog, or None."""
    dialog = QFileDialog(parent, title, str(start), name_filter)
    dialog.setObjectName("fileDialog")
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    chosen = dialog.selectedFiles() if dialog.exec() == QDialog.DialogCode.Accepted else []
    dialog.deleteLater()
    return Path(chosen[0]) if chosen else None
