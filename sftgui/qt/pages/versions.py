"""The Versions step: every finished training, which one is live, and what to do with each."""

from __future__ import annotations

import html
import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sftgui.errors import UserError
from sftgui.qt import dialogs
from sftgui.qt import plain
from sftgui.qt.pages.base import Page, StepState
from sftgui.qt.widgets.details import Details
from sftgui.qt.widgets.loss_plot import CURVES, LossPlot

COLUMNS = ("Version", "Date", "Started from", "Examples", "Correct", "F1", "Live as", "Tags")
COLUMN_HELP = ("The version's number: v1 is the first training.", "When the training finished.",
               "The model the training began with: the built-in one, one you chose, or an earlier version.",
               "How many examples it learned from (the frozen copy of the data it used).",
               "The share of test examples, never seen in training, that it sorts correctly.",
               "F1 (macro): like 'correct', but every label counts the same, so a rare label that is "
               "always wrong pulls it down. 100% is perfect.",
               "'production' marks the version in use.", "Your own tags.")
# Names in the run's metric series -> the live plot's curve names.
CURVE_NAMES = {"loss": "train_loss", "eval_loss": "eval_loss", "eval_accuracy": "eval_accuracy",
               "eval_macro_f1": "eval_f1", "learning_rate": "learning_rate"}


def pct(value) -> str:
    return f"{value:.1%}" if isinstance(value, (int, float)) else "—"


def show_curves(plot: LossPlot, curves: dict, *, suffix: str = "", colour: str | None = None,
                dashed: bool = False) -> None:
    """Draw a finished run's stored series (`compare.training_curves`) on a LossPlot."""
    for name, points in curves.items():
        key = CURVE_NAMES.get(name)
        if key and points:
            xs, ys = zip(*points)
            if suffix:
                title = CURVES[key].title if key in CURVES else name
                plot.set_series(key + suffix, xs, ys, title=f"{title} {suffix.strip()}", colour=colour,
                                panel={"eval_accuracy": "scores", "eval_f1": "scores",
                                       "learning_rate": "lr"}.get(key, "loss"), dashed=dashed)
            else:
                plot.set_series(key, xs, ys)
    plot.redraw()


class VersionsPage(Page):
    key = "versions"
    title = "Versions"
    blurb = ("Every finished training is kept as a version and never changes. 'production' marks the one "
             "in use; making an older one production is a rollback, and nothing is deleted.")
    scrollable = False

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.versions = []
        self.rows_of: dict[int, int] = {}  # snapshot id -> rows: "640 examples"
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("versionsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for c, tip in enumerate(COLUMN_HELP):
            self.table.horizontalHeaderItem(c).setToolTip(tip)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._show_details)

        actions = QHBoxLayout()
        self.production_button = QPushButton("Make production…")
        self.production_button.setObjectName("productionButton")
        self.production_button.setToolTip("Use this version from now on. The move is recorded with your reason.")
        self.continue_button = QPushButton("Continue training from here")
        self.compare_button = QPushButton("Compare selected")
        self.compare_button.setToolTip("Select two or more versions (Ctrl+click) to compare them.")
        self.export_button = QPushButton("Export…")
        self.trash_button = QPushButton("Move to trash")
        self.show_trash = QPushButton("Show trash")
        self.show_trash.setCheckable(True)
        self.purge_button = QPushButton("Delete for good…")
        self.purge_button.setObjectName("purgeButton")
        self.purge_button.setToolTip("Remove a version in the trash for good (its files go at the next clean-up). "
                                     "The history keeps what it was and why.")
        self.purge_button.setVisible(False)
        self.monitor_button = QPushButton("Check on new data…")  # opens widgets/monitor_panel.py
        self.monitor_button.setObjectName("monitorButton")
        self.monitor_button.setToolTip("Score versions on new labelled examples over time, with warnings.")
        self.monitor_button.clicked.connect(self.open_monitor)
        for b in (self.production_button, self.continue_button, self.compare_button, self.export_button,
                  self.trash_button, self.show_trash, self.purge_button, self.monitor_button):
            actions.addWidget(b)
        actions.addStretch(1)
        self.production_button.clicked.connect(self.make_production)
        self.continue_button.clicked.connect(self.continue_training)
        self.compare_button.clicked.connect(self.compare_selected)
        self.export_button.clicked.connect(lambda: self._go_with_selection("export"))
        self.trash_button.clicked.connect(self.toggle_trash)
        self.purge_button.clicked.connect(self.purge)
        self.show_trash.toggled.connect(lambda _: self.refresh())

        self.lineage = QTreeWidget()
        self.lineage.setHeaderLabels(["Lineage (continued from)"])
        self.lineage.setAccessibleName("Which version continued from which")
        self.details = QTabWidget()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("versionSummary")
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary_details = Details("Details")
        self.summary_details.setObjectName("versionDetails")
        summary_box = QWidget()
        summary_layout = QVBoxLayout(summary_box)
        summary_layout.addWidget(self.summary)
        summary_layout.addWidget(self.summary_details)
        summary_layout.addStretch(1)
        self.config_view = QPlainTextEdit()
        self.config_view.setReadOnly(True)
        self.config_view.setAccessibleName("The version's training settings")
        self.curves = LossPlot()
        notes_box = QWidget()
        notes_layout = QVBoxLayout(notes_box)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Notes about this version (what changed, why)…")
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("tags, separated by commas")
        save = QPushButton("Save notes and tags")
        save.clicked.connect(self.save_notes)
        notes_layout.addWidget(self.notes)
        notes_layout.addWidget(self.tags)
        notes_layout.addWidget(save)
        self.history = QPlainTextEdit()
        self.history.setReadOnly(True)
        self.history.setObjectName("aliasHistory")
        self.details.addTab(summary_box, "Summary")
        self.details.addTab(self.curves, "Curves")
        self.details.addTab(self.config_view, "Settings")
        self.details.addTab(notes_box, "Notes and tags")
        self.details.addTab(self.history, "Production history")

        lower = QSplitter()
        lower.addWidget(self.lineage)
        lower.addWidget(self.details)
        lower.setStretchFactor(1, 3)
        outer = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table)
        top_layout.addLayout(actions)
        outer.addWidget(top)
        outer.addWidget(lower)
        outer.setChildrenCollapsible(False)
        self.body.addWidget(outer, 1)
        ctx.versionsChanged.connect(self._changed_elsewhere)

    # -- reading -------------------------------------------------------------------------------
    def state(self) -> StepState:
        live = [v for v in self.versions if "production" in v.aliases]
        if not self.versions:
            return StepState(summary="No versions yet: train first.")
        if not live:
            return StepState(done=True, attention="No version is in production yet.",
                             summary=f"{len(self.versions)} version(s).")
        return StepState(done=True, summary=f"{len(self.versions)} version(s); production is v{live[0].number}.")

    def _changed_elsewhere(self) -> None:
        if self.isVisible():
            self.refresh()
        else:  # keep the sidebar state right without redrawing a hidden page
            self._load()

    def _load(self) -> None:
        from sftgui.core import versions

        self.versions = (versions.list_versions(self.ctx.ws, self.ctx.project, include_trashed=self.show_trash.isChecked())
                         if self.ctx.project is not None else [])
        self.stateChanged.emit()

    def refresh(self) -> None:
        from sftgui.core import versions

        self._load()
        self.rows_of = plain.snapshot_rows(self.ctx.ws, self.ctx.project) if self.ctx.project is not None else {}
        self.table.setRowCount(len(self.versions))
        for r, v in enumerate(self.versions):
            examples = self.rows_of.get(v.snapshot_id)
            cells = (f"v{v.number}" + (" (in trash)" if v.trashed_at else ""), plain.when(v.created_at),
                     f"v{v.parent_number}" if v.parent_number else plain.model_name(v.base_model),
                     f"{examples:,}" if examples else "—", plain.percent(v.metrics.get("accuracy")),
                     plain.percent(v.metrics.get("macro_f1")), " ".join(f"[{a}]" for a in v.aliases),
                     ", ".join(v.tags))
            tips = {1: v.created_at, 2: v.base_model, 3: f"Data snapshot {v.snapshot_id}" if v.snapshot_id else "",
                    4: pct(v.metrics.get("accuracy")), 5: pct(v.metrics.get("macro_f1"))}
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if tips.get(c):
                    item.setToolTip(tips[c])
                self.table.setItem(r, c, item)
        self.lineage.clear()
        items = {}
        for v in self.versions:
            parent = items.get(v.parent_id)
            item = QTreeWidgetItem([f"v{v.number}" + (" — production" if "production" in v.aliases else "")])
            if parent is not None:
                parent.addChild(item)
            else:
                self.lineage.addTopLevelItem(item)
            items[v.id] = item
        self.lineage.expandAll()
        if self.ctx.project is not None:
            events = versions.alias_history(self.ctx.ws, self.ctx.project)
            self.history.setPlainText("\n".join(
                f"{e.at[:16].replace('T', ' ')}  {e.alias}: "
                f"{'v' + str(e.from_number) if e.from_number else 'none'} \u2192 v{e.to_number}"
                f"{'  (' + e.reason + ')' if e.reason else ''}" for e in events) or "No version has been in production yet.")
        if self.versions and not self.table.selectedItems():
            self.table.selectRow(len(self.versions) - 1)
        else:  # the rows were rewritten under a selection that did not move: show what it is now
            self._show_details()

    def selected(self) -> list:
        rows = sorted({i.row() for i in self.table.selectedItems()})
        return [self.versions[r] for r in rows if r < len(self.versions)]

    def _show_details(self) -> None:
        from sftgui.core.compare import training_curves

        chosen = self.selected()
        if not chosen:
            return
        v = chosen[-1]
        self.trash_button.setText("Restore" if v.trashed_at else "Move to trash")
        self.purge_button.setVisible(bool(v.trashed_at))  # only what is in the trash can be deleted for good
        val = v.metrics.get("validation", {})
        examples = self.rows_of.get(v.snapshot_id)
        learned = f"learned from {examples:,} examples" if examples else "learned from your examples"
        began = f"continued from v{v.parent_number}" if v.parent_number else f"began as {plain.model_name(v.base_model)}"
        score = plain.score_words(v.metrics)
        self.summary.setText(
            f"<h3>{html.escape(plain.version_title(v, examples))}</h3>"
            f"<p>It {began} and {learned}.</p>"
            + (f"<p>On test examples it never saw it is <b>{score}</b>.</p>" if score else "")
            + f"<p>It sorts texts into: {html.escape(', '.join(v.labels))}.</p>")
        self.summary_details.set_lines([
            f"Name: {v.ref}", f"Base model: {v.base_model}",
            f"Data snapshot: {v.snapshot_id}" if v.snapshot_id else "",
            f"Test accuracy {pct(v.metrics.get('accuracy'))}, F1 (macro) {pct(v.metrics.get('macro_f1'))}; "
            f"validation accuracy {pct(val.get('accuracy'))}",
            f"Weights: {v.weights_tensors} tensors, {v.weights_bytes / 2**20:.1f} MB (Hugging Face safetensors)",
            f"Finished: {v.created_at}"])
        self.config_view.setPlainText(json.dumps(v.config, indent=2, sort_keys=True))
        self.notes.setPlainText(v.notes)
        self.tags.setText(", ".join(v.tags))
        self.curves.clear()
        show_curves(self.curves, training_curves(v.run_id))

    # -- actions ---------------------------------------------------------------------------------
    def _one(self):
        chosen = self.selected()
        if len(chosen) != 1:
            self.status_label.setText("Select one version first.")
            return None
        return chosen[0]

    def make_production(self) -> None:
        """Connected to a button: takes no argument, so `clicked(bool)` cannot fill in a reason."""
        from sftgui.core import versions

        v = self._one()
        if v is None:
            return
        reason = dialogs.ask_reason(self, "Make production", f"Why should {v.ref} be in production?",
                                    "Make production")
        if reason is not None:
            self._act(versions.rollback, self.ctx.project, v, reason=reason)

    def _act(self, fn, *args, **kw) -> None:
        try:
            fn(self.ctx.ws, *args, **kw)
        except UserError as exc:
            dialogs.show_error(self, str(exc))
            return
        self.refresh()
        self.ctx.versionsChanged.emit()

    def toggle_trash(self) -> None:
        from sftgui.core import versions

        v = self._one()
        if v is None:
            return
        if v.trashed_at:
            reason = dialogs.ask_reason(self, "Restore", f"Why should {v.ref} come back from the trash?", "Restore")
        else:
            reason = dialogs.ask_reason(self, "Move to trash", f"Why should {v.ref} go to the trash? Nothing is "
                                        "deleted; it can be restored.", "Move to trash")
        if reason is not None:
            self._act(versions.restore_version if v.trashed_at else versions.trash_version, v, reason=reason)

    def purge(self) -> None:
        from sftgui.core.purge import purge_version

        v = self._one()
        if v is None or not v.trashed_at:
            return
        reason = dialogs.ask_reason(
            self, "Delete for good", f"{v.ref} will be removed for good: it cannot be restored. Its stored files are "
            "freed at the next clean-up ('sftgui gc'); the history keeps what it was. Why?", "Delete for good")
        if reason is not None:
            self._act(purge_version, v, reason=reason)
            self.status_label.setText(f"{v.ref} was deleted for good.")

    def save_notes(self) -> None:
        from sftgui.core import versions

        v = self._one()
        if v is None:
            return
        versions.set_notes(self.ctx.ws, v, self.notes.toPlainText())
        wanted = {t.strip() for t in self.tags.text().split(",") if t.strip()}
        for tag in wanted - set(v.tags):
            versions.tag_version(self.ctx.ws, v, tag)
        for tag in set(v.tags) - wanted:
            versions.tag_version(self.ctx.ws, v, tag, remove=True)
        self.refresh()
        self.status_label.setText(f"Saved the notes and tags of {v.ref}.")

    def continue_training(self) -> None:
        v = self._one()
        if v is not None:
            self.ctx.continue_from = v.ref
            self.ctx.showStep.emit("train")

    def compare_selected(self) -> None:
        chosen = self.selected()
        if len(chosen) < 2:
            self.status_label.setText("Select two or more versions (Ctrl+click) to compare.")
            return
        self._go_with_selection("compare")

    def open_monitor(self) -> None:
        from sftgui.qt.widgets.monitor_panel import MonitorPanel

        if self.needs_project():
            return
        panel = getattr(self, "monitor_panel", None)
        if panel is None or panel.project is not self.ctx.project:
            self.monitor_panel = panel = MonitorPanel(self.ctx, self)
        panel.refresh()
        panel.show()
        panel.raise_()

    def _go_with_selection(self, step: str) -> None:
        self.ctx.compare_selection = [v.id for v in self.selected()]
        self.ctx.showStep.emit(step)


def fill_version_combo(combo, ctx) -> None:
    """Versions of the project, newest first; preselects the one chosen on the Versions page."""
    from sftgui.core import versions

    combo.clear()
    if ctx.project is None:
        return
    rows_of = plain.snapshot_rows(ctx.ws, ctx.project)
    for v in reversed(versions.list_versions(ctx.ws, ctx.project)):
        live = "  [production]" if "production" in v.aliases else ""
        combo.addItem(f"{plain.version_title(v, rows_of.get(v.snapshot_id))}{live}", v.id)
        combo.setItemData(combo.count() - 1, v.ref, Qt.ItemDataRole.ToolTipRole)
    for vid in ctx.compare_selection[:1]:
        combo.setCurrentIndex(max(0, combo.findData(vid)))
