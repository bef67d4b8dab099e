"""The Export step: a version, a format and a destination; the export runs in a worker."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
)

from sftgui.errors import UserError
from sftgui.qt import dialogs
from sftgui.qt.pages.base import Page, StepState
from sftgui.qt.plain import FORMAT_HELP, FORMAT_WORDS
from sftgui.qt.pages.versions import fill_version_combo

FORMATS = tuple((key, FORMAT_WORDS[key]) for key in ("hf", "zip", "onnx"))


class ExportPage(Page):
    key = "export"
    title = "Export"
    blurb = "Save a version as a model folder, a zip or an ONNX file, with a model card describing it."

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.exported: Path | None = None
        self.folder = Path.home()  # where suggested destinations go; "Choose…" changes it
        self._suggested = ""
        form = QFormLayout()
        self.version = QComboBox()
        self.version.setObjectName("exportVersion")
        self.format = QComboBox()
        for key, text in FORMATS:
            self.format.addItem(text, key)
            self.format.setItemData(self.format.count() - 1, FORMAT_HELP[key], Qt.ItemDataRole.ToolTipRole)
        self.format.setToolTip("What kind of file to make. Hover an entry to see who can use it.")
        self.dest = QLineEdit()
        self.dest.setObjectName("exportDest")
        self.dest.setPlaceholderText("Where to save it")
        self.version.currentIndexChanged.connect(self._choice_changed)
        self.format.currentIndexChanged.connect(self._choice_changed)
        self.browse_button = browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_dest)
        row = QHBoxLayout()
        row.addWidget(self.dest, 1)
        row.addWidget(browse)
        self.force = QCheckBox("Replace it if it exists")
        form.addRow("&Version:", self.version)
        form.addRow("&Format:", self.format)
        save_to = QLabel("&Save to:")  # a label for a row of widgets needs its buddy set by hand
        save_to.setBuddy(self.dest)
        form.addRow(save_to, row)
        form.addRow("", self.force)
        self.body.addLayout(form)
        actions = QHBoxLayout()
        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("exportButton")
        self.export_button.clicked.connect(self.export)
        self.progress = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        actions.addWidget(self.export_button)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        self.body.addLayout(actions)
        self.body.addStretch(1)

    def state(self) -> StepState:
        return StepState(done=self.exported is not None, summary=f"Exported to {self.exported}" if self.exported else "")

    def refresh(self) -> None:
        fill_version_combo(self.version, self.ctx)
        self.suggest()

    def _choice_changed(self, _index: int) -> None:
        self.suggest()

    def suggest(self) -> None:
        """Propose `<folder>/<project>-v<N>[.zip|.onnx]` for the chosen version and format, unless
        the person typed a destination of their own."""
        from sftgui.core import versions
        from sftgui.core.export import suggested_name

        if self.version.currentData() is None or self.dest.text().strip() not in ("", self._suggested):
            return
        v = versions.get_version(self.ctx.ws, self.version.currentData())
        self._suggested = str(self.folder / suggested_name(v.project_name, v.number, self.format.currentData()))
        self.dest.setText(self._suggested)

    def choose_dest(self) -> None:
        folder = dialogs.pick_folder(self, "Export into folder", self.folder)
        if folder:
            self.folder = folder
            self.dest.setText("")
            self.suggest()

    def export(self) -> None:
        from sftgui.core import export, versions

        if self.version.currentData() is None or not self.dest.text().strip():
            dialogs.show_error(self, "Choose a version and where to save it first.")
            return
        ws, vid, fmt = self.ctx.ws, self.version.currentData(), self.format.currentData()
        out, force = Path(self.dest.text().strip()).expanduser(), self.force.isChecked()
        force = self._may_replace(ws, out, fmt, force)
        if force is None:
            return

        def task(state):
            def progress(fraction, message=""):
                if state.is_cancelled:
                    raise UserError("The export was cancelled; nothing was written.")
                state.progress(fraction, message)

            return export.export_version(ws, versions.get_version(ws, vid), out, fmt=fmt, force=force,
                                         progress=progress)

        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.status_label.setText("Exporting…")  # the last export's "Exported to …" is not this one
        self.ctx.jobs.start("export", task, on_progress=self._progress, on_done=self._done, on_failed=self._failed)

    def _may_replace(self, ws, out: Path, fmt: str, force: bool) -> bool | None:
        """The output-path guard, before the worker starts: a refusal is a dialog; an existing
        destination that may be replaced is a question (None: the person said no)."""
        from sftgui.core import export

        try:
            dest = export.destination(out, fmt)
            export.check_destination(dest, True, fmt, workspace=ws.path)  # what even replacing refuses
        except UserError as exc:
            dialogs.show_error(self, str(exc))
            return None
        if force:
            return True
        try:
            export.check_destination(dest, False, fmt, workspace=ws.path)
            return False
        except UserError:
            pass
        if dialogs.ask(self, "Replace it?", f"{dest} already exists. Replace it with this export?",
                       yes="Replace", no="Cancel"):
            return True
        return None

    def cancel(self) -> None:
        job = self.ctx.jobs.current("export")
        if job is not None:
            job.stop()  # the next progress report raises and the export cleans up after itself
            self.status_label.setText("Cancelling…")

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(fraction * 1000))
        self.status_label.setText(message)

    def _idle(self) -> None:
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)

    def _done(self, path) -> None:
        self._idle()
        self.progress.setValue(1)
        self.exported = Path(path)
        self.status_label.setText(f"Exported to {path}.")
        self.stateChanged.emit()

    def _failed(self, exc, details) -> None:
        self._idle()
        self.status_label.setText("Nothing was exported.")
        dialogs.show_exception(self, exc, doing="exporting", log_dir=self.ctx.log_dir)
