"""The Data step: open or drop a file, check the preview and the columns, import in a worker."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from sftgui.errors import UserError
from sftgui.qt import dialogs
from sftgui.qt.pages.base import Page, StepState
from sftgui.qt.plain import when

FILE_FILTER = "Data files (*.csv *.tsv *.txt *.xlsx *.xls *.jsonl *.json *.parquet *.zip);;All files (*)"
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16")
DELIMITERS = {"auto": None, "comma ,": ",", "semicolon ;": ";", "tab": "\t", "bar |": "|"}
NONE = "(none)"
PREVIEW_ROWS = 200  # rows of the project shown when no file is being imported
SPLIT_WORDS = {"train": "learn from", "validation": "check during training", "test": "test"}


def import_task(ws, project, path, options):
    def task(state):
        from sftgui.core.data.importers import import_file

        def progress(fraction, message=""):
            if state.is_cancelled:  # the import is one transaction: raising rolls it back
                raise UserError("The import was cancelled; nothing was added.")
            state.progress(fraction, message)

        return import_file(ws, project, path, progress=progress, **options)

    return task


class DataPage(Page):
    key = "data"
    title = "Data"
    blurb = ("Bring in your examples: a CSV, Excel, JSON Lines or Parquet file with a text column and, "
             "if you have them, a label column. You can also drop a file on this page.")

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.setAcceptDrops(True)
        self.path: Path | None = None
        self.rows_in_draft = 0
        self.takes = ""
        row = QHBoxLayout()
        self.open_button = QPushButton("Open file…")
        self.open_button.clicked.connect(self.choose_file)
        self.file_label = QLabel("No file chosen.")
        row.addWidget(self.open_button)
        row.addWidget(self.file_label, 1)
        self.body.addLayout(row)

        self.file_form = QWidget()  # the columns and reading options: shown once a file is chosen
        form = QFormLayout(self.file_form)
        form.setContentsMargins(0, 0, 0, 0)
        self.text_col, self.label_col, self.split_col = QComboBox(), QComboBox(), QComboBox()
        self.text_col.setToolTip("The column with the texts the model reads.")
        self.label_col.setToolTip("The column with the right answer for each text (empty cells are fine).")
        self.split_col.setToolTip("Optional: a column saying train / validation / test for each row.")
        self.encoding = QComboBox()
        self.encoding.addItems(ENCODINGS)
        self.encoding.setToolTip("How the file's letters are stored. Try latin-1 or cp1252 if accents look wrong.")
        self.delimiter = QComboBox()
        self.delimiter.addItems(list(DELIMITERS))
        self.delimiter.setToolTip("What separates the columns in a text file.")
        form.addRow("&Text column:", self.text_col)
        form.addRow("&Label column:", self.label_col)
        form.addRow("&Split column:", self.split_col)
        enc_row = QHBoxLayout()
        enc_row.addWidget(self.encoding)
        enc_row.addWidget(QLabel("Separator:"))
        enc_row.addWidget(self.delimiter)
        enc_row.addStretch(1)
        encoding_label = QLabel("&Encoding:")  # a label for a row of widgets needs its buddy set by hand
        encoding_label.setBuddy(self.encoding)
        separator_label = enc_row.itemAt(1).widget()
        separator_label.setText("Se&parator:")
        separator_label.setBuddy(self.delimiter)
        form.addRow(encoding_label, enc_row)
        self.file_form.setVisible(False)
        self.body.addWidget(self.file_form)
        self.encoding.activated.connect(self.load_preview)
        self.delimiter.activated.connect(self.load_preview)

        self.preview = QTableWidget()
        self.preview.setObjectName("previewTable")
        self.preview.setMinimumHeight(160)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.setWordWrap(False)  # one line per row; the whole text is in the cell's tooltip
        self.body.addWidget(self.preview, 1)

        actions = QHBoxLayout()
        self.import_button = QPushButton("Import these rows")
        self.import_button.setObjectName("importButton")
        self.import_button.setEnabled(False)
        self.import_button.setVisible(False)  # with the reading options, once a file is chosen
        self.import_button.clicked.connect(self.start_import)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(lambda: self.ctx.jobs.cancel("import") or self._idle("Import cancelled."))
        actions.addWidget(self.import_button)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        self.body.addLayout(actions)
        self.body.addWidget(QLabel("Copies of the data, one kept for each training (they never change):"))
        self.snapshots = QListWidget()
        self.snapshots.setObjectName("snapshotList")
        self.snapshots.setMaximumHeight(110)
        self.body.addWidget(self.snapshots)

    # -- state ---------------------------------------------------------------------------------
    def state(self) -> StepState:
        if self.ctx.project is None:
            return StepState()
        if self.rows_in_draft == 0:
            return StepState(summary="No rows yet: open a file.")
        return StepState(done=True, summary=f"{self.rows_in_draft:,} rows in the project. {self.takes}")

    def refresh(self) -> None:
        self.snapshots.clear()
        self.rows_in_draft = 0
        self.takes = ""
        if self.ctx.project is None:
            return
        from sftgui.core.data import labelling, snapshots

        self.rows_in_draft = labelling.count_rows(self.ctx.ws, self.ctx.project)
        self.takes = snapshots.what_a_snapshot_takes(self.ctx.ws, self.ctx.project)["sentence"]
        if self.path is None:  # nothing being imported: show what the project holds already
            self._show_project_rows()
        for snap in reversed(snapshots.list_snapshots(self.ctx.ws, self.ctx.project)):
            splits = ", ".join(f"{v:,} to {SPLIT_WORDS.get(k, k)}" for k, v in snap.split_counts.items())
            item = QListWidgetItem(f"{when(snap.created_at)}: {snap.rows:,} examples ({splits})")
            item.setToolTip(f"Snapshot {snap.id}. " + snapshots.left_out_sentence({**snap.meta, "rows": snap.rows}))
            self.snapshots.addItem(item)

    def _show_project_rows(self) -> None:
        """The first rows already in the project (e.g. the sample's), so the page never looks empty
        when there is data."""
        from sftgui.core.data import labelling

        self.preview.clear()
        if not self.rows_in_draft:
            self.preview.setRowCount(0)
            self.preview.setColumnCount(0)
            self.file_label.setText("No file chosen.")
            return
        progress = labelling.progress(self.ctx.ws, self.ctx.project)
        self.file_label.setText(f"This project holds {self.rows_in_draft:,} examples ({progress.labelled:,} with a "
                                f"label). Open a file to add more.")
        rows = labelling.fetch_rows(self.ctx.ws, self.ctx.project, limit=PREVIEW_ROWS)
        self.preview.setColumnCount(2)
        self.preview.setHorizontalHeaderLabels(["text", "label"])
        self.preview.setRowCount(len(rows))
        for r, row in enumerate(rows):
            self.preview.setItem(r, 0, _cell(row.text))
            self.preview.setItem(r, 1, _cell(row.label))
        _fit_columns(self.preview)

    # -- choosing and previewing a file ----------------------------------------------------------
    def choose_file(self) -> None:
        name = dialogs.pick_file(self, "Open data file", Path.home(), FILE_FILTER)
        if name:
            self.set_file(name)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.set_file(Path(urls[0].toLocalFile()))
            event.acceptProposedAction()

    def set_file(self, path: Path) -> None:
        self.path = path
        self.file_form.setVisible(True)
        self.import_button.setVisible(True)
        self.file_label.setText(str(path))
        self.load_preview()

    def _read_options(self) -> dict:
        enc = self.encoding.currentText()
        return {"encoding": None if enc == "auto" else enc, "delimiter": DELIMITERS[self.delimiter.currentText()]}

    def load_preview(self) -> None:
        if self.path is None:
            return
        from sftgui.core.data.importers import preview_file

        path, options = self.path, self._read_options()
        self.import_button.setEnabled(False)
        self.ctx.jobs.start("preview", lambda state: preview_file(path, **options),
                            on_done=self._show_preview, on_failed=self._preview_failed)

    def _preview_failed(self, exc, details) -> None:
        self.preview.clear()
        dialogs.show_exception(self, exc, doing="reading the file", log_dir=self.ctx.log_dir)

    def _show_preview(self, pv) -> None:
        self.preview.clear()
        self.preview.setColumnCount(len(pv.columns))
        self.preview.setHorizontalHeaderLabels([str(c) for c in pv.columns])
        self.preview.setRowCount(len(pv.rows))
        for r, rec in enumerate(pv.rows):
            for c, col in enumerate(pv.columns):
                self.preview.setItem(r, c, _cell(rec.get(col)))
        _fit_columns(self.preview)
        for combo, key, optional in ((self.text_col, "text_col", False), (self.label_col, "label_col", True),
                                     (self.split_col, "split_col", True)):
            combo.clear()
            if optional:
                combo.addItem(NONE)
            combo.addItems([str(c) for c in pv.columns])
            chosen = pv.mapping.get(key)
            combo.setCurrentText(str(chosen) if chosen else NONE)
        self.import_button.setEnabled(self.ctx.project is not None)
        self.status_label.setText(f"Detected: {', '.join(f'{k} {v}' for k, v in pv.info.items() if v)}.")

    # -- importing -------------------------------------------------------------------------------
    def start_import(self) -> None:
        if self.needs_project() or self.path is None:
            return
        cols = {k: (c.currentText() if c.currentText() != NONE else None) for k, c in
                (("text_col", self.text_col), ("label_col", self.label_col), ("split_col", self.split_col))}
        options = {**self._read_options(), **{k: v for k, v in cols.items() if v is not None}}
        self.progress.setRange(0, 0)
        for w in (self.progress, self.cancel_button):
            w.setVisible(True)
        self.import_button.setEnabled(False)
        self.status_label.setText("Importing…")
        self.ctx.jobs.start("import", import_task(self.ctx.ws, self.ctx.project, self.path, options),
                            on_progress=self._progress, on_done=self._imported, on_failed=self._import_failed)

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(fraction * 1000))
        self.status_label.setText(message)

    def _imported(self, result) -> None:
        self._idle(f"Imported {result.rows:,} rows ({result.labelled:,} labelled, {result.unlabelled:,} without a label).")
        self.refresh()
        self.ctx.dataChanged.emit()

    def _import_failed(self, exc, details) -> None:
        self._idle("Nothing was imported.")
        dialogs.show_exception(self, exc, doing="importing the file", log_dir=self.ctx.log_dir)

    def _idle(self, message: str) -> None:
        for w in (self.progress, self.cancel_button):
            w.setVisible(False)
        self.import_button.setEnabled(self.path is not None)
        self.status_label.setText(message)


def _cell(value) -> QTableWidgetItem:
    item = QTableWidgetItem("" if value is None else str(value))
    item.setToolTip(item.text() if len(item.text()) > 60 else "")
    return item


def _fit_columns(table: QTableWidget, widest: int = 640) -> None:
    """Each column as wide as its contents, at most `widest` px, so a long text column does not push
    the others out of sight."""
    table.resizeColumnsToContents()
    for c in range(table.columnCount()):
        table.setColumnWidth(c, min(table.columnWidth(c), widest))
