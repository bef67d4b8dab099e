"""A progress dialog with Cancel for a job running in a worker (never blocks the event loop)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QLabel, QProgressBar, QPushButton, QVBoxLayout


class ProgressDialog(QDialog):
    cancelled = Signal()

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.setObjectName("progressDialog")
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        layout = QVBoxLayout(self)
        self.message = QLabel(title)
        self.message.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the first progress report
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel)
        layout.addWidget(self.message)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignRight)
        self.setMinimumWidth(420)

    def set_progress(self, fraction: float, message: str = "") -> None:
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        if message:
            self.message.setText(message)

    def _cancel(self) -> None:
        self.cancelled.emit()
        self.finish()

    def reject(self) -> None:  # Escape = Cancel
        self._cancel()

    def finish(self) -> None:
        self.done(QDialog.DialogCode.Rejected)
        self.deleteLater()
