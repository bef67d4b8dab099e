"""The Compare step: scores side by side, curves overlaid, confusion matrices, settings and
predictions that changed (fixed, broken, still wrong)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QWidget,
)

from sftgui.qt import dialogs, plain
from sftgui.qt.pages.base import Page, StepState
from sftgui.qt.pages.versions import pct, show_curves
from sftgui.qt.widgets.answer_compare import AnswerCompare
from sftgui.qt.widgets.changed_why import ChangedWhy
from sftgui.qt.widgets.confusion_matrix import ConfusionMatrix
from sftgui.core.tasks import registry
from sftgui.qt.widgets.loss_plot import LossPlot

PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2")


class ComparePage(Page):
    key = "compare"
    title = "Compare"
    blurb = ("Tick two or more versions and press Compare. All are scored on the first version's test "
             "examples that none of them trained on, so the numbers are fair.")
    scrollable = False

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.result = None
        top = QHBoxLayout()
        self.choices = QListWidget()
        self.choices.setObjectName("compareChoices")
        self.choices.setMaximumHeight(110)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("compareButton")
        self.compare_button.clicked.connect(self.compare)
        top.addWidget(self.choices, 1)
        top.addWidget(self.compare_button, 0, Qt.AlignmentFlag.AlignTop)
        self.body.addLayout(top)
        self.fairness = QLabel("")
        self.fairness.setObjectName("compareFairness")
        self.fairness.setWordWrap(True)
        self.body.addWidget(self.fairness)
        self.tabs = QTabWidget()
        self.metrics = QTableWidget()
        self.metrics.setObjectName("compareMetrics")
        self.curves = LossPlot()
        self.matrices = QWidget()
        self.matrices_layout = QHBoxLayout(self.matrices)
        self.config_diff = QPlainTextEdit()
        self.config_diff.setAccessibleName("Settings that differ")
        self.config_diff.setReadOnly(True)
        self.predictions = QTextBrowser()  # plain lines; for pictures, each example with its thumbnail
        self.predictions.setAccessibleName("Examples the versions answer differently")
        self.predictions.setObjectName("predictionDiff")
        for widget, name in ((self.metrics, "Scores"), (self.predictions, "Predictions that changed"),
                             (self.curves, "Curves"), (self.matrices, "Confusion matrices"),
                             (self.config_diff, "Settings that differ")):
            self.tabs.addTab(widget, name)
        # pictures that changed, as thumbnails (projects whose inputs are pictures)
        self.pictures = QListWidget()
        self.pictures.setObjectName("comparePictures")
        self.pictures.setViewMode(QListWidget.ViewMode.IconMode)
        self.pictures.setIconSize(QSize(96, 96))
        self.pictures.setGridSize(QSize(200, 140))
        self.pictures.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.pictures.setMovement(QListWidget.Movement.Static)
        self.pictures.setWordWrap(True)
        self.why = ChangedWhy(ctx)  # "Why?" beside each changed prediction (text tasks)
        self.tabs.insertTab(2, self.why, "Why they changed")
        self.body.addWidget(self.tabs, 1)
        # language models: answers side by side and the blind vote (a tab only for them; parented so
        # that it never outlives the window as a loose widget)
        self.answers = AnswerCompare(ctx, parent=self)
        self.answers.hide()

    def _show_pictures(self, result: dict) -> None:
        """The fixed / broken / still wrong examples as thumbnails with what each version said."""
        task = registry.get_task(result.get("task"))
        at = self.tabs.indexOf(self.pictures)
        if not task.thumbnails:
            if at >= 0:
                self.tabs.removeTab(at)
            return
        if at < 0:
            self.tabs.insertTab(2, self.pictures, "Pictures that changed")
        self.pictures.clear()
        refs = result["versions"]
        for ref, diff in result["prediction_diffs"].items():
            for kind in ("fixed", "broken", "still_wrong"):
                for ex in diff["examples"].get(kind, [])[:12]:
                    path = self._thumbnail(task, ex["text"])
                    item = QListWidgetItem(QIcon(QPixmap(path)) if path else QIcon(),
                                           f"{kind.replace('_', ' ')} ({refs[0]} \u2192 {ref})\n{ex['label']}: "
                                           f"was {ex['before']}, now {ex['after']}")
                    item.setData(Qt.ItemDataRole.UserRole, ex.get("row_id"))
                    self.pictures.addItem(item)

    def _thumbnail(self, task, value) -> str | None:
        if not task.thumbnails:
            return None
        try:
            path = task.thumbnail(self.ctx.ws, value)
        except Exception:  # noqa: BLE001 - an unreadable picture is named by its line, without a thumbnail
            return None
        return str(path) if path else None

    def _show_prediction_lines(self, lines: list[str], pictures: dict[int, str]) -> None:
        """The lines as plain text, or as HTML with a small thumbnail before each picture's line."""
        if not pictures:
            self.predictions.setPlainText("\n".join(lines))
            return
        from html import escape

        from PySide6.QtCore import QUrl

        html = []
        for i, line in enumerate(lines):
            img = (f'<img src="{escape(QUrl.fromLocalFile(pictures[i]).toString())}" width="48" height="48" '
                   'style="vertical-align: middle"> ' if i in pictures else "")
            html.append(img + escape(line).replace("  ", "&nbsp;&nbsp;"))
        self.predictions.setHtml("<br>".join(html))

    def _show_answers(self, result: dict) -> None:
        """A task that writes answers: its answers tab (first) instead of the confusion matrices."""
        writes = getattr(registry.get_task(result.get("task")), "playground", None) == "chat"
        for widget, name, at in ((self.answers, "Answers and vote", 0), (self.matrices, "Confusion matrices", -1)):
            index = self.tabs.indexOf(widget)
            wanted = writes if widget is self.answers else not writes
            if wanted and index < 0:
                self.tabs.insertTab(at if at >= 0 else self.tabs.count(), widget, name)
            elif not wanted and index >= 0:
                self.tabs.removeTab(index)
        if writes:
            self.answers.show_result(result)
            self.tabs.setCurrentWidget(self.answers)

    def state(self) -> StepState:
        return StepState(done=self.result is not None)

    def refresh(self) -> None:
        from sftgui.core import versions

        self.choices.clear()
        if self.ctx.project is None:
            return
        rows_of = plain.snapshot_rows(self.ctx.ws, self.ctx.project)
        headline = registry.get_task(self.ctx.project.task).metrics[0]  # accuracy; a language model's loss
        for v in versions.list_versions(self.ctx.ws, self.ctx.project):
            item = QListWidgetItem(plain.version_title(v, rows_of.get(v.snapshot_id)))
            value = v.metrics.get(headline.key)
            shown = pct(value) if headline.percent or value is None else f"{value:.4g}"
            item.setToolTip(f"{v.ref}: {headline.title.lower()} {shown} on its test examples")
            item.setData(Qt.ItemDataRole.UserRole, v.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            wanted = v.id in self.ctx.compare_selection
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
            self.choices.addItem(item)

    def checked_ids(self) -> list[int]:
        return [self.choices.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.choices.count())
                if self.choices.item(i).checkState() == Qt.CheckState.Checked]

    def compare(self) -> None:
        from sftgui.core import compare, versions

        ws = self.ctx.ws
        ids = self.checked_ids()
        self.compare_button.setEnabled(False)
        self.status_label.setText("Scoring the versions on the same test examples…")

        def task(state):
            chosen = [versions.get_version(ws, i) for i in ids]
            return compare.compare_versions(ws, chosen, progress=state.progress)

        self.ctx.jobs.start("compare", task, on_progress=lambda f, m: self.status_label.setText(m),
                            on_done=self.show_result, on_failed=self._failed)

    def _failed(self, exc, details) -> None:
        self.compare_button.setEnabled(True)
        self.status_label.setText("")
        dialogs.show_exception(self, exc, doing="comparing versions", log_dir=self.ctx.log_dir)

    def show_result(self, result: dict) -> None:
        self.result = result
        self.compare_button.setEnabled(True)
        refs = result["versions"]
        self.metrics.clear()
        self.metrics.setColumnCount(len(refs))
        self.metrics.setHorizontalHeaderLabels(refs)
        shown = registry.get_task(result.get("task")).metrics  # the task's headline metrics
        self.metrics.setRowCount(len(shown))
        self.metrics.setVerticalHeaderLabels([metric.title for metric in shown])
        for c, ref in enumerate(refs):
            m = result["metrics"][ref]
            for r, metric in enumerate(shown):
                key = metric.key
                delta = m["delta"][key] or 0.0
                value = pct(m[key]) if metric.percent else f"{m[key]:.4g}"
                text = value + (f"  ({delta * 100:+.1f})" if c and metric.percent else f"  ({delta:+.4g})" if c else "")
                item = QTableWidgetItem(text)
                if c and abs(delta) > 1e-9:
                    item.setForeground(QColor("#2e7d32" if delta > 0 else "#c62828"))
                self.metrics.setItem(r, c, item)
        self.metrics.resizeColumnsToContents()
        t = result["test_set"]
        self.fairness.setText(t["sentence"] + (f"\n\u26a0 {t['warning']}" if t.get("warning") else ""))
        self.fairness.setStyleSheet("color: #b26a00;" if t.get("warning") else "")
        lines = [t["sentence"], ""]
        for ref, d in (result.get("snapshot_diff") or {}).items():
            if d and not d.get("same_snapshot"):
                lines.append(f"Data of {ref} against {t['of']}'s: {d['added']} rows added, {d['removed']} removed, "
                             f"{d['relabelled']} relabelled, {d.get('moved', 0)} moved to another split.")
        lines.append("")
        task = registry.get_task(result.get("task"))
        pictures: dict[int, str] = {}  # line number -> thumbnail file, for a task whose inputs are pictures
        for ref, diff in result["prediction_diffs"].items():
            lines.append(f"{refs[0]} \u2192 {ref}: {diff['fixed']} fixed, {diff['broken']} broken, "
                         f"{diff['still_wrong']} still wrong, {diff['both_right']} right in both.")
            for kind in ("fixed", "broken", "still_wrong"):
                for ex in diff["examples"].get(kind, [])[:5]:
                    said = f"right: {ex['label']}, was {ex['before']}, now {ex['after']}"
                    thumb = self._thumbnail(task, ex["text"])
                    if thumb:
                        pictures[len(lines)] = thumb
                        lines.append(f"   {kind}: {said}")
                    else:
                        lines.append(f"   {kind}: \u201c{ex['text'][:90]}\u201d  {said}")
            lines.append("")
        self._show_prediction_lines(lines, pictures)
        self._show_pictures(result)
        self._show_answers(result)
        self.tabs.setTabVisible(self.tabs.indexOf(self.why), registry.get_task(result.get("task")).explanation == "words")
        self.why.set_result(result)
        self.curves.clear()
        for i, ref in enumerate(refs):
            show_curves(self.curves, result["curves"].get(ref, {}), suffix=f" {ref}",
                        colour=PALETTE[i % len(PALETTE)], dashed=i > 0)
        while self.matrices_layout.count():
            self.matrices_layout.takeAt(0).widget().deleteLater()
        for ref in (r for r in refs if r in result["confusion"]):
            cm = ConfusionMatrix(ref)
            cm.set_matrix(result["confusion"][ref]["labels"], result["confusion"][ref]["matrix"])
            self.matrices_layout.addWidget(cm)
        diff = result.get("config_diff") or {}
        self.config_diff.setPlainText("\n".join(f"{k}: " + ", ".join(f"{r}={v}" for r, v in vals.items())
                                                for k, vals in diff.items()) or "Same settings.")
        self.status_label.setText(f"Compared {', '.join(refs)}.")
        self.stateChanged.emit()
