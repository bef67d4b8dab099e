"""The Label step: a fast table of the draft, keys 1-9 to label, undo/redo, filters, quality report."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
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
from sftgui.qt.widgets.hint_model import HintModel, hint_sentence

# Review suggestions from a version (core.hints), offered as filter choices once a version exists.
HINT_FILTERS = {
    "hint:next": ("Label next (most useful first)", "label_next"),
    "hint:errors": ("Possible label errors", "label_error_hints"),
}

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
        if not self.page.label_key(event):
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

        hint_bar = QHBoxLayout()
        self.hint_info = QLabel()
        self.hint_info.setObjectName("hintInfo")
        self.hint_info.setWordWrap(True)
        self.hint_progress = QProgressBar()
        self.hint_progress.setObjectName("hintProgress")
        self.hint_progress.setRange(0, 1000)
        self.hint_progress.setMaximumWidth(200)
        self.hint_again = QPushButton("Compute again")
        self.hint_again.setObjectName("hintAgainButton")
        self.hint_again.setToolTip("Ask the model again, e.g. after you labelled many rows.")
        hint_bar.addWidget(self.hint_info, 1)
        hint_bar.addWidget(self.hint_progress)
        hint_bar.addWidget(self.hint_again)
        self.hint_area = QWidget()
        self.hint_area.setObjectName("hintArea")
        self.hint_area.setLayout(hint_bar)
        hint_bar.setContentsMargins(0, 0, 0, 0)
        self.hint_area.hide()
        self.body.addWidget(self.hint_area)
        self.hint_detail = QLabel()
        self.hint_detail.setObjectName("hintDetail")
        self.hint_detail.setWordWrap(True)
        self.hint_detail.hide()

        self.model = DraftModel(ctx, self)
        self.hint_model = HintModel(ctx, self)
        self.hint_version = None  # the version whose suggestions are offered (production, else the newest)
        self.hint_results: dict[tuple, dict] = {}  # (mode, version id) -> the core's answer
        self._hint_computing: tuple | None = None
        self.table = LabelTable(self)
        self.table.setObjectName("labelTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._setup_header()

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
        self.colour_button = QPushButton("Colour…")
        self.colour_button.setObjectName("colourButton")
        self.colour_button.setToolTip("Change the colour of the selected label.")
        for b in (self.add_label_button, self.rename_button, self.merge_button, self.colour_button):
            manage.addWidget(b)
        self.label_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.label_list.customContextMenuRequested.connect(self._label_menu)
        side_layout.addLayout(manage)
        self.quality_button = QPushButton("Check quality")
        self.quality_button.setObjectName("qualityButton")
        side_layout.addWidget(self.quality_button)
        self.findings = QListWidget()
        self.findings.setObjectName("findingsList")
        self.findings.setWordWrap(True)
        side_layout.addWidget(self.findings, 1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        from sftgui.qt.widgets.thumbnail_grid import ThumbnailGrid

        self.text_table = self.table
        self.grid = ThumbnailGrid(ctx, keys=self.label_key)
        self.grid.setObjectName("labelGrid")
        self.grid.hide()
        left_layout.addWidget(self.grid, 1)
        left_layout.addWidget(self.hint_detail)
        from sftgui.qt.widgets.example_editor import ExampleEditor

        # instruction data: one example's turns in plain fields (widgets/example_editor.py)
        self.editor = ExampleEditor(ctx, on_saved=self._edited, undo=self.undo, redo=self.redo)
        self.editor.hide()
        left_layout.addWidget(self.editor)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_example())
        split = QSplitter()
        split.addWidget(left)
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
        self.colour_button.clicked.connect(self.choose_colour)
        self.hint_again.clicked.connect(lambda: self.compute_hints(force=True))
        self.quality_button.clicked.connect(self.check_quality)
        undo = QShortcut(QKeySequence.StandardKey.Undo, self)
        undo.activated.connect(self.undo)
        redo = QShortcut(QKeySequence.StandardKey.Redo, self)
        redo.activated.connect(self.redo)
        redo_y = QShortcut(QKeySequence("Ctrl+Y"), self)
        redo_y.activated.connect(self.redo)

    def label_key(self, event) -> bool:
        """The labelling keys of the table and the thumbnail grid; True when the key was used."""
        if event.matches(QKeySequence.StandardKey.Undo):  # also when the page's shortcut did not fire
            self.undo()
            return True
        if event.matches(QKeySequence.StandardKey.Redo) or event.keyCombination() == QKeySequence("Ctrl+Y")[0]:
            self.redo()
            return True
        key, mods = event.key(), event.modifiers()
        if mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier):
            if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
                self.assign_key(key - Qt.Key.Key_0)
                return True
            if key in (Qt.Key.Key_0, Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.assign_label(None)
                return True
            if key == Qt.Key.Key_F:
                self.toggle_flag()
                return True
        return False

    def _use_view(self) -> None:
        """The text table, or the thumbnail grid for a project whose inputs are pictures."""
        from sftgui.core.tasks import task_of

        wanted = self.grid if self.ctx.project is not None and task_of(self.ctx.project).thumbnails else self.text_table
        if self.table is not wanted:
            model = self.table.model()
            self.table.hide()
            self.table = wanted
            self.search.setPlaceholderText("Search file names…" if wanted is self.grid else "Search texts…")
            self.table.setModel(model)
            if self.table is self.text_table:
                self._setup_header()
            self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_hint_detail())
            self.table.show()

    # -- reading -------------------------------------------------------------------------------
    def state(self) -> StepState:
        return StepState(done=bool(self.progress_text) and self._all_labelled, summary=self.progress_text)

    def refresh(self) -> None:
        if self.ctx.project is None:
            self.model.reload()
            return
        self._use_view()
        from sftgui.core.data import labels

        self.labels = labels.list_labels(self.ctx.ws, self.ctx.project)
        current = self.filter_combo.currentData()
        self.filter_combo.clear()
        for text, data in (("All rows", "all"), ("Without a label", "unlabelled"), ("Labelled", "labelled"),
                           ("Flagged", "flagged")):
            self.filter_combo.addItem(text, data)
        for lab in self.labels:
            self.filter_combo.addItem(f"Label: {lab.name}", f"label:{lab.name}")
        self.hint_version = self._hint_version()
        if self.hint_version is not None:
            self.filter_combo.insertSeparator(self.filter_combo.count())
            for data, (text, _fn) in HINT_FILTERS.items():
                self.filter_combo.addItem(text, data)
                self.filter_combo.setItemData(self.filter_combo.count() - 1,
                                              f"Suggestions from {self.hint_version.ref}", Qt.ItemDataRole.ToolTipRole)
        self.filter_combo.setCurrentIndex(max(0, self.filter_combo.findData(current)))
        selected = self.label_list.currentRow()
        self.label_list.clear()
        for i, lab in enumerate(self.labels):
            item = QListWidgetItem(f"{self._key_of(lab, i)}: {lab.name}")
            item.setBackground(QColor(lab.colour))
            item.setForeground(text_colour_on(lab.colour))
            self.label_list.addItem(item)
        if 0 <= selected < self.label_list.count():
            self.label_list.setCurrentRow(selected)
        self.reload()

    def _hint_version(self):
        """The version suggestions come from: the live (production) one, else the newest; None without one."""
        from sftgui.core.versions import list_versions

        versions = [v for v in list_versions(self.ctx.ws, self.ctx.project) if not v.damaged]
        if not versions:
            return None
        live = [v for v in versions if "production" in (v.aliases or ())]
        return live[0] if live else max(versions, key=lambda v: v.number)

    def _colours(self) -> dict:
        return {lab.name: lab.colour for lab in self.labels}

    def current_model(self):
        return self.table.model()

    def _use_model(self, model) -> None:
        if self.table.model() is not model:
            self.table.setModel(model)
            self._setup_header()
            self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_hint_detail())
            self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_example())

    def _show_example(self) -> None:
        from sftgui.core.tasks import task_of

        task = task_of(self.ctx.project) if self.ctx.project is not None else None
        editing = task is not None and task.editor == "conversation"
        self.editor.setVisible(editing)
        if editing:
            self.editor.load(self.current_model().row_at(self.table.currentIndex().row()), task)

    def _edited(self) -> None:
        self.reload()
        self.status_label.setText("Saved the example (Undo takes it back).")
        self.ctx.dataChanged.emit()

    def _setup_header(self) -> None:
        if self.table is getattr(self, "grid", None):
            return  # the thumbnail grid has no columns
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, self.table.model().columnCount()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 140)
        if self.table.model().columnCount() == 4:
            header.resizeSection(2, 170)
        header.resizeSection(self.table.model().columnCount() - 1, 40)

    def reload(self) -> None:
        from sftgui.core.data import labelling
        from sftgui.store.draft_repo import RowFilter

        if self.ctx.project is None:
            return
        row = max(0, self.table.currentIndex().row())
        choice = self.filter_combo.currentData() or "all"
        hinting = choice in HINT_FILTERS
        self.hint_area.setVisible(hinting)
        self.hint_detail.setVisible(hinting)
        self.search.setEnabled(not hinting)
        if hinting:
            self._show_hints(row)
            self._count_progress()
            return
        self._use_model(self.model)
        flt = labelling.parse_filter(choice)
        if self.search.text().strip():  # a picture is found by its file name (its input is a hash)
            flt = RowFilter(status=flt.status, label=flt.label, search=self.search.text().strip(),
                            in_source=self.table is self.grid)
        self.model.reload(flt, self._colours())
        if self.model.rowCount():
            self.table.selectRow(min(row, self.model.rowCount() - 1))
        self._show_example()
        self._count_progress()

    def _count_progress(self) -> None:
        from sftgui.core.data import labelling

        p = labelling.progress(self.ctx.ws, self.ctx.project)
        self._all_labelled = p.total > 0 and p.labelled == p.total
        from sftgui.core.data.snapshots import what_a_snapshot_takes

        self.progress_text = f"{p.labelled:,} of {p.total:,} labelled"
        takes = what_a_snapshot_takes(self.ctx.ws, self.ctx.project)
        self.counter.setText(f"{self.progress_text} · showing {self.current_model().rowCount():,}"
                             f" · training uses {takes['rows']:,}")
        self.counter.setToolTip(takes["sentence"])
        self.stateChanged.emit()

    # -- review suggestions (label next, possible label errors) ---------------------------------
    def _hint_key(self) -> tuple | None:
        choice = self.filter_combo.currentData()
        if choice not in HINT_FILTERS or self.hint_version is None:
            return None
        return choice, self.hint_version.id

    def _show_hints(self, row: int = 0) -> None:
        """Show the cached suggestions for the chosen filter, or compute them in a worker."""
        key = self._hint_key()
        self._use_model(self.hint_model)
        result = self.hint_results.get(key) if key else None
        if result is None:
            self.compute_hints()
            return
        if self.hint_model.key != key:
            self.hint_model.set_hints(result["rows"], self._colours())
            self.hint_model.key = key
            row = 0
        else:
            self.hint_model.refresh_rows(self._colours())
        self.hint_progress.hide()
        self.hint_again.setEnabled(True)
        self.hint_info.setText(self._hint_summary(key[0], result))
        if self.hint_model.rowCount():
            self.table.selectRow(min(row, self.hint_model.rowCount() - 1))
        self._show_hint_detail()

    def _hint_summary(self, choice: str, result: dict) -> str:
        ref, n = self.hint_version.ref, len(result["rows"])
        scanned = f"{result['scanned']:,}" + (f" (a sample of {result['total']:,})"
                                              if result["total"] > result["scanned"] else "")
        if choice == "hint:next":
            if not n:
                return f"Every row has a label; {ref} has nothing to suggest."
            return (f"The {n} unlabelled rows {ref} is least sure about, most useful first (of {scanned} "
                    "without a label). Give them a label with 1-9.")
        if not n:
            return f"{ref} agrees with the labels it checked ({scanned} labelled rows): no likely mistakes found."
        return (f"{n} labelled rows where {ref} confidently disagrees with the label (of {scanned} checked), most "
                "suspicious first. Correct them with 1-9, or leave the ones that are right.")

    def compute_hints(self, force: bool = False) -> None:
        """Ask the version for suggestions in a worker (never on the GUI thread)."""
        from sftgui.core import hints

        key = self._hint_key()
        if key is None:
            return
        if force:
            self.hint_results.pop(key, None)
            self.hint_model.key = None
        if self._hint_computing == key and self.ctx.jobs.is_running("hints"):
            return
        ws, version, fn = self.ctx.ws, self.hint_version, getattr(hints, HINT_FILTERS[key[0]][1])
        self._hint_computing = key
        self.hint_model.set_hints([], self._colours())
        self.hint_model.key = None
        self.hint_info.setText(f"Computing… {version.ref} is reading the rows.")
        self.hint_progress.setValue(0)
        self.hint_progress.show()
        self.hint_again.setEnabled(False)
        self.hint_detail.setText("")
        self.ctx.jobs.start("hints", lambda state: fn(ws, version, progress=state.progress),
                            on_progress=self._hint_progress,
                            on_done=lambda result: self._hints_done(key, result),
                            on_failed=lambda exc, details: self._hints_failed(key, exc))

    def _hint_progress(self, fraction: float, message: str) -> None:
        self.hint_progress.setValue(int(fraction * 1000))
        if message:
            self.hint_info.setText(f"Computing… {message}")

    def _hints_done(self, key: tuple, result: dict) -> None:
        self._hint_computing = None
        self.hint_results[key] = result
        if self._hint_key() == key:
            self._show_hints()
            self._count_progress()

    def _hints_failed(self, key: tuple, exc) -> None:
        self._hint_computing = None
        self.hint_progress.hide()
        self.hint_again.setEnabled(True)
        self.hint_info.setText("The suggestions could not be computed.")
        dialogs.show_exception(self, exc, doing="computing the suggestions", log_dir=self.ctx.log_dir)

    def _show_hint_detail(self) -> None:
        if self.current_model() is not self.hint_model:
            return
        row = self.table.currentIndex().row()
        hint, r = self.hint_model.hint_at(row), self.hint_model.row_at(row)
        self.hint_detail.setText(hint_sentence(hint, r.label if r else None) if hint else "")

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
        r = self.current_model().row_at(index.row())
        if r is None:
            return
        self._edit(labelling.set_label, [r.id], name)
        model = self.current_model()
        if model.row_at(index.row()) is not None and model.row_at(index.row()).id == r.id:
            self.table.selectRow(min(index.row() + 1, model.rowCount() - 1))  # still listed: move on

    def toggle_flag(self) -> None:
        from sftgui.core.data import labelling

        r = self.current_model().row_at(self.table.currentIndex().row())
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

    def set_label_colour(self, name: str, colour: str) -> None:
        """Save a label's colour (#rrggbb) through the core; the list and the table chips follow."""
        from sftgui.core.data import labels

        self._edit(lambda ws, project: labels.set_label_style(ws, project, name, colour=colour))
        self.refresh()

    def choose_colour(self) -> None:
        name = self._selected_label()
        if name is None:
            self.status_label.setText("Select a label in the list first.")
            return
        current = next(lab.colour for lab in self.labels if lab.name == name)
        colour = QColorDialog.getColor(QColor(current), self, f"Colour of the label {name!r}")
        if colour.isValid() and colour.name() != current:
            self.set_label_colour(name, colour.name())

    def _label_menu(self, pos) -> None:
        item = self.label_list.itemAt(pos)
        if item is None:
            return
        self.label_list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction("Colour…", self.choose_colour)
        menu.addAction("Rename…", self.rename_label)
        menu.addAction("Merge into…", self.merge_label)
        menu.popup(self.label_list.viewport().mapToGlobal(pos))

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
