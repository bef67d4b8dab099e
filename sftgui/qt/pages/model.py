"""The Model step: which pre-trained model (or earlier version) the next training starts from."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
)

from sftgui.errors import UserError
from sftgui.qt import dialogs
from sftgui.qt.pages.base import Page, StepState
from sftgui.qt.plain import model_name

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
        self.hub_id.setObjectName("hubId")
        self.hub_id.setPlaceholderText("or a Hugging Face model id, e.g. distilbert-base-uncased")
        self.hub_id.returnPressed.connect(self.download_hub_model)
        self.hub_button = QPushButton("Download")
        self.hub_button.setObjectName("hubDownloadButton")
        self.hub_button.setToolTip("Download this model from the Hugging Face hub (weights in the safe .safetensors "
                                   "format and the tokenizer only), check it, and choose it.")
        self.hub_button.clicked.connect(self.download_hub_model)
        self.hub_cancel = QPushButton("Cancel")
        self.hub_cancel.setObjectName("hubCancelButton")
        self.hub_cancel.clicked.connect(self.cancel_download)
        self.hub_cancel.hide()
        row.addWidget(self.add_button)
        row.addWidget(self.hub_id, 1)
        row.addWidget(self.hub_button)
        row.addWidget(self.hub_cancel)
        self.body.addLayout(row)
        self.hub_progress = QProgressBar()
        self.hub_progress.setObjectName("hubProgress")
        self.hub_progress.setRange(0, 1000)
        self.hub_progress.hide()
        self.body.addWidget(self.hub_progress)

    def state(self) -> StepState:
        if self.ctx.project is None:
            return StepState()
        return StepState(done=True, summary=f"Training starts from {model_name(self.ctx.model_ref())}.")

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
        folder = dialogs.pick_folder(self, "Choose a model folder", Path.home())
        if folder:
            self.add_folder(folder)

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

    # -- Hugging Face hub -------------------------------------------------------------------------
    def download_hub_model(self) -> None:
        """Download the typed id in a worker (progress, Cancel), check it like an added folder, choose it."""
        from sftgui.core import catalog

        model_id = self.hub_id.text().strip()
        if not model_id:
            self.status_label.setText("Type a Hugging Face model id first, e.g. distilbert-base-uncased.")
            return
        if catalog.hub_offline():
            self._offline(model_id)
            return
        self.hub_button.setEnabled(False)
        self.hub_cancel.show()
        self.hub_progress.setValue(0)
        self.hub_progress.show()
        self.status_label.setText(f"Downloading {model_id}…")

        def task(state):
            from sftgui.core.hub import download_model

            return download_model(model_id, progress=state.progress, cancelled=lambda: state.is_cancelled)

        self.ctx.jobs.start("hub", task, on_progress=self._download_progress,
                            on_done=lambda folder: self._downloaded(model_id, folder),
                            on_failed=lambda exc, details: self._download_failed(model_id, exc))

    def _download_progress(self, fraction: float, message: str) -> None:
        self.hub_progress.setValue(int(fraction * 1000))
        self.status_label.setText(f"{message} ({fraction:.0%})")

    def _download_ended(self) -> None:
        self.hub_button.setEnabled(True)
        self.hub_cancel.hide()
        self.hub_progress.hide()

    def cancel_download(self) -> None:
        self.ctx.jobs.cancel("hub")  # the worker stops at its next progress step; what it sends is dropped
        self._download_ended()
        self.status_label.setText("Download cancelled.")

    def _downloaded(self, model_id: str, folder) -> None:
        self._download_ended()
        self.ctx.chosen_model, self.ctx.continue_from = model_id, None
        self.refresh()
        self.status_label.setText(f"Downloaded {model_id}; training will start from it.")
        self.ctx.modelChanged.emit()

    def _download_failed(self, model_id: str, exc) -> None:
        from sftgui.core.hub import HubOffline

        self._download_ended()
        if isinstance(exc, HubOffline):
            self._offline(model_id)
        elif isinstance(exc, UserError):
            self.status_label.setText("")
            dialogs.show_error(self, f"{model_id} cannot be used: {exc}")
        else:
            dialogs.show_exception(self, exc, doing=f"downloading {model_id}", log_dir=self.ctx.log_dir)

    def _offline(self, model_id: str) -> None:
        message = (f"You are offline: {model_id} can't be downloaded; models already in the Hugging Face cache "
                   "are listed above.")
        self.status_label.setText(message)
        dialogs.show_error(self, message)
