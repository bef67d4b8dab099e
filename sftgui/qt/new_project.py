"""File > New project: a name and a task."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit

from sftgui.core.tasks import registry
from sftgui.errors import UserError


class NewProjectDialog(QDialog):
    created = Signal(object)  # Project

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("New project")
        self.setObjectName("newProjectDialog")
        form = QFormLayout(self)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Support ticket router")
        form.addRow("&Name:", self.name_edit)
        self.task_combo = QComboBox()
        for key, text in registry.titles().items():
            self.task_combo.addItem(text, key)
        form.addRow("&Task:", self.task_combo)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b")
        form.addRow(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create project")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        from sftgui.core import projects

        try:
            project = projects.create_project(self.ctx.ws, self.name_edit.text(), self.task_combo.currentData())
        except UserError as exc:
            self.error_label.setText(str(exc))  # stay open so the name can be corrected
            return
        super().accept()
        self.created.emit(project)
