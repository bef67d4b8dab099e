"""The Model step: which pre-trained model (or earlier version) the next training starts from."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
)

from sftgui.errors import UserError
from sftgui.qt import dialogs
from sftgui.qt.pages.base import Page, StepState

COLUMNS = ("Model", "Where from", "Size", "Parameters", "Language", "Licence", "Can be used?")
KINDS = {"bundled": "comes with sftgui", "folder": "a folder you added", "hf-cache": "downloaded before",
         "version": "a version of this project"}


def size_text(n: int | None) -> str:
    if not n:
        return "—"
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def params_text(n: int | None) -> str:
    if not n:
        return "—"
    return f"{n / 1e9:.1f} B" if n >= 1e9 else f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n:,}"


class ModelPage(Page):
    key = "model"
    title = "Model"
    blurb = ("Choose the pre-trained model to start from. The bundled one is small, fast and reads English; "
             "you can also add a model folder, or continue from one of this project's versions.")
    scrollable = False

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.models = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("modelTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.body.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add model folder…")
        self.add_button.setObjectName("addFolderButton")
        self.add_button.clicked.connect(self.choose_folder)
        self.hub_id = QLineEdit()
        self.hub_id.setPlaceholderText("or a Hugging Face model id, e.g. distilbert-base-uncased")
        self.hub_button = QPushButton("Use this id")
        self.hub_button.clicked.connect(self.use_hub_id)
        row.addWidget(self.add_button)
        row.addWidget(self.hub_id, 1)
        row.addWidget(self.hub_button)
        self.body.addLayout(row)

    def state(self) -> StepState:
        if self.ctx.project is None:
            return StepState()
        return StepState(done=True, summary=f"Training starts from: {self.ctx.model_ref()}")

    def refresh(self) -> None:
        from sftgui.core import catalog

        self.models = catalog.list_models(self.ctx.ws, self.ctx.project) if self.ctx.ws else []
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.models))
        current = self.ctx.model_ref()
        for r, m in enumerate(self.models):
            cells = (m.name, KINDS.get(m.kind, m.kind), size_text(m.size_bytes), params_text(m.parameters),
                     m.language or "—", m.license or "—", m.problem or "yes")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if m.problem:
                    item.setForeground(Qt.GlobalColor.gray)
                    item.setToolTip(m.problem)
                self.table.setItem(r, c, item)
            if m.ref == current or (m.path and m.path == current):
                self.table.selectRow(r)
        self.table.blockSignals(False)

    def _chosen(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if not rows:
            return
        m = self.models[rows.pop()]
        if m.problem:
            dialogs.show_error(self, f"{m.name} cannot be used: {m.problem}")
            return
        if m.kind == "version":
            self.ctx.continue_from, self.ctx.chosen_model = m.ref, None
        else:
            self.ctx.continue_from, self.ctx.chosen_model = None, m.path if m.kind == "folder" else m.ref
        self.ctx.modelChanged.emit()
        self.stateChanged.emit()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder", str(Path.home()))
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path) -> bool:
        """Check and remember a model folder; a refused one (pickle weights, custom code) is a dialog."""
        from sftgui.core import catalog

        try:
            path = catalog.add_model_folder(self.ctx.ws, folder)
        except UserError as exc:
            dialogs.show_error(self, f"This folder cannot be used: {exc}",
                               details="sftgui loads weights only from safetensors files and never runs code "
                                       "that comes with a model, so that opening a model cannot harm this computer.")
            return False
        self.ctx.chosen_model, self.ctx.continue_from = str(path), None
        self.refresh()
        self.ctx.modelChanged.emit()
        return True

    def use_hub_id(self) -> None:
        from sftgui.core import catalog

        model_id = self.hub_id.text().strip()
        if not model_id:
            return
        if catalog.hub_offline():
            dialogs.show_error(self, "sftgui is offline (no internet or HF_HUB_OFFLINE is set), so it cannot download "
                                     f"{model_id}. Add a model folder instead.")
            return
        self.ctx.chosen_model, self.ctx.continue_from = model_id, None
        self.status_label.setText(f"{model_id} will be downloaded when training starts.")
        self.ctx.modelChanged.emit()
