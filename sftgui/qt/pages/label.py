"""The Label step: a fast table of the draft, keys 1-9 to label, undo/redo, filters, quality report."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sftgui.errors import UserError
from sftgui.qt import dialogs
from sftgui.qt.pages.base import Page, StepState
from sftgui.qt.widgets.draft_model import DraftModel, text_colour_on

# Quality findings a button can fix (each fix is one undoable edit in the core).
FIXES = {
    "exact_duplicates": ("Remove duplicates", lambda ws, p: _quality().drop_duplicates(ws, p, near=False)),
    "near_duplicates": ("Remove near-duplicates", lambda ws, p: _quality().drop_duplicates(ws, p, near=True)),
    "empty_text": ("Remove empty rows", lambda ws, p: _quality().drop_empty(ws, p)),
    "label_conflicts": ("Keep the majority label", lambda ws, p: _quality().resolve_conflicts(ws, p, "majority")),
}


def _quality():
    from sftgui.core.data import quality

    return quality


class LabelTable(QTableView):
    """Keys 1-9 label the current row (then move down), 0 or Delete clears, F flags."""

    def __init__(self, page):
        super().__init__()
        self.page = page

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.matches(QKeySequence.StandardKey.Undo):  # also when the page's shortcut did not fire
            self.page.undo()
            return
        if event.matches(QKeySequence.StandardKey.Redo) or event.keyCombination() == QKeySequence("Ctrl+Y")[0]:
            self.page.redo()
            return
        key, mods = event.key(), event.modifiers()
        if mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier):
            if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
                self.page.assign_key(key - Qt.Key.Key_0)
                return
            if key in (Qt.Key.Key_0, Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.page.assign_label(None)
                return
            if key == Qt.Key.Key_F:
                self.page.toggle_flag()
                return
        super().keyPressEvent(event)


class LabelPage(Page):
    key = "label"
    title = "Label"
    blurb = ("Check and correct the labels. Keys 1-9 give the selected row a label, 0 clears it, F flags it "
             "for later; arrows move; Ctrl+Z undoes and Ctrl+Y redoes.")
    scrollable = False

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.labels = []
        self.progress_text = ""
        bar = QHBoxLayout()
        self.filter_combo = QComboBox()
        self.filter_combo.setObjectName("filterCombo")
        self.filter_combo.setToolTip("Which rows to show.")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search texts…")
        self.search.setClearButtonEnabled(True)
        self.counter = QLabel()
        self.counter.setObjectName("labelCounter")
        bar.addWidget(QLabel("Show:"))
        bar.addWidget(self.filter_combo)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.counter)
        self.body.addLayout(bar)

        self.model = DraftModel(ctx, self)
        self.table = LabelTable(self)
        self.table.setObjectName("labelTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 140)
        header.resizeSection(2, 40)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("Labels (key: name):"))
        self.label_list = QListWidget()
        self.label_list.setObjectName("labelList")
        side_layout.addWidget(self.label_list, 1)
        manage = QHBoxLayout()
        self.add_label_button = QPushButton("Add…")
        self.rename_button = QPushButton("Rename…")
        self.merge_button = QPushButton("Merge into…")
        for b in (self.add_label_button, self.rename_button, self.merge_button):
            manage.addWidget(b)
        side_layout.addLayout(manage)
        self.quality_button = QPushButton("Check quality")
        self.quality_button.setObjectName("qualityButton")
        side_layout.addWidget(self.quality_button)
        self.findings = QListWidget()
        self.findings.setObjectName("findingsList")
        self.findings.setWordWrap(True)
        side_layout.addWidget(self.findings, 1)

        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.body.addWidget(split, 1)

        self.filter_combo.activated.connect(self.reload)
        self.search.returnPressed.connect(self.reload)
        self.add_label_button.clicked.connect(self.add_label)
        self.rename_button.clicked.connect(self.rename_label)
        self.merge_button.clicked.connect(self.merge_label)
        self.quality_button.clicked.connect(self.check_quality)
        undo = QShortcut(QKeySequence.StandardKey.Undo, self)
        undo.activated.connect(self.undo)
        redo = QShortcut(QKeySequence.StandardKey.Redo, self)
        redo.activated.connect(self.redo)
        redo_y = QShortcut(QKeySequence("Ctrl+Y"), self)
        redo_y.activated.connect(self.redo)

    # -- reading -------------------------------------------------------------------------------
    def state(self) -> StepState:
        return StepState(done=bool(self.progress_text) and self._all_labelled, summary=self.progress_text)

    def refresh(self) -> None:
        if self.ctx.project is None:
            self.model.reload()
            return
        from sftgui.core.data import labels

        self.labels = labels.list_labels(self.ctx.ws, self.ctx.project)
        current = self.filter_combo.currentData()
        self.filter_combo.clear()
        for text, data in (("All rows", "all"), ("Without a label", "unlabelled"), ("Labelled", "labelled"),
                           ("Flagged", "flagged")):
            self.filter_combo.addItem(text, data)
        for lab in self.labels:
            self.filter_combo.addItem(f"Label: {lab.name}", f"label:{lab.name}")
        self.filter_combo.setCurrentIndex(max(0, self.filter_combo.findData(current)))
        self.label_list.clear()
        for i, lab in enumerate(self.labels):
            item = QListWidgetItem(f"{self._key_of(lab, i)}: {lab.name}")
            item.setBackground(QColor(lab.colour))
            item.setForeground(text_colour_on(lab.colour))
            self.label_list.addItem(item)
        self.reload()

    def reload(self) -> None:
        from sftgui.core.data import labelling
        from sftgui.store.draft_repo import RowFilter

        if self.ctx.project is None:
            return
        row = max(0, self.table.currentIndex().row())
        choice = self.filter_combo.currentData() or "all"
        flt = labelling.parse_filter(choice)
        if self.search.text().strip():
            flt = RowFilter(status=flt.status, label=flt.label, search=self.search.text().strip())
        self.model.reload(flt, {lab.name: lab.colour for lab in self.labels})
        if self.model.rowCount():
            self.table.selectRow(min(row, self.model.rowCount() - 1))
        p = labelling.progress(self.ctx.ws, self.ctx.project)
        self._all_labelled = p.total > 0 and p.labelled == p.total
        self.progress_text = f"{p.labelled:,} of {p.total:,} labelled"
        self.counter.setText(f"{self.progress_text} · showing {self.model.rowCount():,}")
        self.stateChanged.emit()

    _all_labelled = False

    @staticmethod
    def _key_of(lab, i: int) -> int | str:
        return lab.shortcut if lab.shortcut else (i + 1 if i < 9 else "-")

    # -- editing ---------------------------------------------------------------------------------
    def assign_key(self, number: int) -> None:
        for i, lab in enumerate(self.labels):
            if self._key_of(lab, i) == number:
                self.assign_label(lab.name)
                return
        self.status_label.setText(f"No label has the key {number}.")

    def _edit(self, fn, *args) -> None:
        try:
            fn(self.ctx.ws, self.ctx.project, *args)
        except UserError as exc:
            dialogs.show_error(self, str(exc))
            return
        self.reload()
        self.ctx.dataChanged.emit()

    def assign_label(self, name: str | None) -> None:
        from sftgui.core.data import labelling

        index = self.table.currentIndex()
        r = self.model.row_at(index.row())
        if r is None:
            return
        self._edit(labelling.set_label, [r.id], name)
        if self.model.row_at(index.row()) is not None and self.model.row_at(index.row()).id == r.id:
            self.table.selectRow(min(index.row() + 1, self.model.rowCount() - 1))  # still listed: move on

    def toggle_flag(self) -> None:
        from sftgui.core.data import labelling

        r = self.model.row_at(self.table.currentIndex().row())
        if r is not None:
            self._edit(labelling.set_flag, [r.id], not r.flagged)

    def undo(self) -> None:
        from sftgui.core.data import labelling

        if self.ctx.project is not None:
            done = labelling.undo(self.ctx.ws, self.ctx.project)
            self.refresh()
            self.status_label.setText(f"Undone: {done}." if done else "Nothing to undo.")
            self.ctx.dataChanged.emit()

    def redo(self) -> None:
        from sftgui.core.data import labelling

        if self.ctx.project is not None:
            done = labelling.redo(self.ctx.ws, self.ctx.project)
            self.refresh()
            self.status_label.setText(f"Redone: {done}." if done else "Nothing to redo.")
            self.ctx.dataChanged.emit()

    # -- label manager ---------------------------------------------------------------------------
    def _selected_label(self) -> str | None:
        row = self.label_list.currentRow()
        return self.labels[row].name if 0 <= row < len(self.labels) else None

    def add_label(self) -> None:
        from sftgui.core.data import labels

        name, ok = QInputDialog.getText(self, "Add label", "Name of the new label:")
        if ok and name.strip():
            self._edit(labels.add_label, name)
            self.refresh()

    def rename_label(self) -> None:
        from sftgui.core.data import labels

        old = self._selected_label()
        if old is None:
            self.status_label.setText("Select a label in the list first.")
            return
        new, ok = QInputDialog.getText(self, "Rename label", f"New name for {old!r}:", text=old)
        if ok and new.strip() and new != old:
            self._edit(labels.rename_label, old, new)
            self.refresh()

    def merge_label(self) -> None:
        from sftgui.core.data import labels

        source = self._selected_label()
        if source is None:
            self.status_label.setText("Select the label to merge in the list first.")
            return
        others = [lab.name for lab in self.labels if lab.name != source]
        into, ok = QInputDialog.getItem(self, "Merge labels", f"Give the rows labelled {source!r} the label:",
                                        others, 0, False)
        if ok and into:
            self._edit(labels.merge_label, source, into)
            self.refresh()

    # -- quality report --------------------------------------------------------------------------
    def check_quality(self) -> None:
        if self.needs_project():
            return
        ws, project = self.ctx.ws, self.ctx.project
        self.quality_button.setEnabled(False)
        self.findings.clear()
        self.findings.addItem("Checking…")
        self.ctx.jobs.start("quality", lambda state: _quality().check_draft(ws, project, check_length=False),
                            on_done=self._show_findings, on_failed=self._quality_failed)

    def _quality_failed(self, exc, details) -> None:
        self.quality_button.setEnabled(True)
        self.findings.clear()
        dialogs.show_exception(self, exc, doing="checking the data", log_dir=self.ctx.log_dir)

    def _show_findings(self, report) -> None:
        self.quality_button.setEnabled(True)
        self.findings.clear()
        if not report.findings:
            self.findings.addItem("No problems found.")
        for finding in report.findings:
            item = QListWidgetItem(finding.message)
            self.findings.addItem(item)
            if finding.kind in FIXES:
                text, fix = FIXES[finding.kind]
                button = QPushButton(text)
                button.setObjectName(f"fix_{finding.kind}")
                button.clicked.connect(lambda _=False, f=fix: self._apply_fix(f))
                fix_item = QListWidgetItem()
                self.findings.addItem(fix_item)
                fix_item.setSizeHint(button.sizeHint())
                self.findings.setItemWidget(fix_item, button)

    def _apply_fix(self, fix) -> None:
        self._edit(fix)
        self.check_quality()
