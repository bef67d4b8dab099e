""""Check on new data": dated batches of newly labelled rows (core/monitor.py), each version's
scores on them charted over time, and the plain warnings (a drop below a version's own test score,
new rows that look different from the training rows).

Opened from the Versions page. Adding a batch (a file, its date, which versions to score besides
production) runs in the job runner's "monitor" slot; the core records every batch and score in the
audit log, as `sftgui monitor add` does. The chart has one panel per metric the task charts
(accuracy and F1 for a classifier), 0-100% on the score axis, one colour per version (dots joined
by date), its own test score as a dashed line of the same colour, and the legend beside the panels.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sftgui.errors import UserError
from sftgui.qt import dialogs

SLOT = "monitor"
PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2")
DATA_FILES = "Data files (*.csv *.tsv *.txt *.xlsx *.xls *.json *.jsonl *.parquet);;All files (*)"


class AddBatchDialog(QDialog):
    """Which file, its date, and the versions to score on it (production always)."""

    def __init__(self, ctx, parent=None):
        from sftgui.core import monitor, versions

        super().__init__(parent)
        self.setObjectName("addBatchDialog")
        self.setWindowTitle("Add new labelled rows")
        self.ctx = ctx
        intro = QLabel("A file of new examples with their right answers (the same columns as your data). They are "
                       "kept as a dated batch to score versions on; they are not used for training unless you add "
                       "them to your data later.")
        intro.setWordWrap(True)
        self.path = QLineEdit()
        self.path.setObjectName("batchPath")
        self.path.setPlaceholderText("a .csv, .xlsx, .json or .parquet file")
        self.browse = QPushButton("Browse…")
        self.browse.setObjectName("batchBrowse")
        self.browse.clicked.connect(self.pick)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        self.date = QDateEdit(QDate.currentDate())
        self.date.setObjectName("batchDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setToolTip("When these examples were collected; the chart puts batches in date order.")
        self.versions = QListWidget()
        self.versions.setObjectName("batchVersions")
        self.versions.setMaximumHeight(140)
        reference = None
        try:
            reference = monitor.reference_version(ctx.ws, ctx.project).ref
        except UserError:
            pass
        for v in reversed(versions.list_versions(ctx.ws, ctx.project)):
            item = QListWidgetItem(v.ref + ("  (production: always scored)" if v.ref == reference else ""))
            item.setData(Qt.ItemDataRole.UserRole, v.ref)
            item.setFlags((item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                          & ~(Qt.ItemFlag.ItemIsEnabled if v.ref == reference else Qt.ItemFlag.NoItemFlags))
            item.setCheckState(Qt.CheckState.Checked if v.ref == reference else Qt.CheckState.Unchecked)
            self.versions.addItem(item)
        form = QFormLayout()
        form.addRow("&File:", row)
        form.addRow("&Date:", self.date)
        form.addRow("&Score also:", self.versions)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("Add and score", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("batchOk")
        self.ok.setEnabled(False)
        self.path.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def pick(self) -> None:
        start = Path(self.path.text()).parent if self.path.text().strip() else Path.home()
        chosen = dialogs.pick_file(self, "Choose the file of new labelled rows", start, DATA_FILES)
        if chosen is not None:
            self.path.setText(str(chosen))

    def _accept(self) -> None:
        if not Path(self.path.text().strip()).is_file():
            dialogs.show_error(self, f"There is no file at {self.path.text().strip()}; choose one with Browse.")
            return
        self.accept()

    def chosen(self) -> dict:
        refs = tuple(self.versions.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.versions.count())
                     if self.versions.item(i).checkState() == Qt.CheckState.Checked)
        return {"path": self.path.text().strip(), "date": self.date.date().toString("yyyy-MM-dd"), "versions": refs}


class MonitorChart(QWidget):
    """One panel per metric, scores 0-100% over the batches, and the legend beside the panels
    (a list of its own, so it can never cover a curve)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("monitorChart")
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(None)
        self.plots.setMinimumHeight(260)
        self.legend = QLabel()
        self.legend.setObjectName("monitorLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.legend.setMinimumWidth(180)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.legend)
        self.panels: dict[str, pg.PlotItem] = {}
        self.points = 0  # score dots drawn (all panels)

    def show_report(self, rep: dict) -> None:
        self.plots.clear()
        self.panels, self.points = {}, 0
        dates = [b["date"] for b in rep["batches"]]
        ticks = [list(enumerate(dates))]
        for col, key in enumerate(rep["metrics"]):
            plot = self.plots.addPlot(row=0, col=col, title=rep["titles"][key])
            plot.setYRange(0, 100, padding=0.02)
            plot.setLimits(yMin=-2, yMax=102)
            plot.setLabel("left", "Score (%)")
            plot.setLabel("bottom", "Batch (date)")
            plot.getAxis("bottom").setTicks(ticks)
            plot.showGrid(x=False, y=True, alpha=0.2)
            plot.setXRange(-0.5, max(0.5, len(dates) - 0.5), padding=0)
            self.panels[key] = plot
        entries = []
        for i, (ref, entry) in enumerate(rep["versions"].items()):
            colour = PALETTE[i % len(PALETTE)]
            for key, plot in self.panels.items():
                pts = [(dates.index(p["date"]) if p["date"] in dates else None, p["value"])
                       for p in entry["series"][key]]
                pts = [(x, v * 100) for x, v in pts if x is not None and v is not None]
                plot.plot([x for x, _ in pts], [y for _, y in pts], pen=pg.mkPen(colour, width=2), symbol="o",
                          symbolBrush=colour, symbolPen=None, symbolSize=9)
                self.points += len(pts)
                test = entry["test"].get(key)
                if test is not None:
                    plot.addItem(pg.InfiniteLine(test * 100, angle=0, pen=pg.mkPen(colour, width=1,
                                                                                   style=Qt.PenStyle.DashLine)))
            tests = ", ".join(f"{rep['titles'][k]} {entry['test'][k]:.0%}" for k in rep["metrics"]
                              if entry["test"].get(k) is not None)
            entries.append(f'<span style="color:{colour}; font-size:16px">●</span> <b>{ref}</b>'
                           + (f"<br><small>own test: {tests} (dashed)</small>" if tests else ""))
        self.legend.setText("<br>".join(entries) if entries else "")

class MonitorPanel(QDialog):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.setObjectName("monitorPanel")
        self.setWindowTitle("Check on new data")
        self.ctx = ctx
        self.project = ctx.project
        self.report: dict | None = None
        intro = QLabel("Is it still good? Add new examples with their right answers now and then; each batch scores "
                       "your versions, and you are warned when one does worse than it did on its own test examples, "
                       "or when the new examples look different from what it learned from.")
        intro.setWordWrap(True)
        self.add_button = QPushButton("Add a batch of new labelled rows…")
        self.add_button.setObjectName("monitorAdd")
        self.add_button.clicked.connect(self.add_batch)
        self.drop = QSpinBox()
        self.drop.setObjectName("monitorDrop")
        self.drop.setRange(0, 100)
        self.drop.setValue(5)
        self.drop.setSuffix(" points")
        self.drop.setToolTip("Warn when a version's score on a batch is more than this many percentage points "
                             "below its score on its own test examples.")
        self.drop.valueChanged.connect(lambda _: self.refresh())
        top = QHBoxLayout()
        top.addWidget(self.add_button)
        top.addStretch(1)
        top.addWidget(QLabel("Warn at a drop of more than"))
        top.addWidget(self.drop)
        self.progress = QProgressBar()
        self.progress.setObjectName("monitorProgress")
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)  # only while a batch is read and scored
        self.status = QLabel("")
        self.status.setObjectName("monitorStatus")
        self.status.setWordWrap(True)
        self.chart = MonitorChart()
        self.warnings = QListWidget()
        self.warnings.setObjectName("monitorWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setMaximumHeight(160)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.chart, 1)
        layout.addWidget(QLabel("<b>Warnings</b> (hover one for the test behind it)"))
        layout.addWidget(self.warnings)
        self.resize(1100, 700)
        self.ctx.jobs.busyChanged.connect(lambda: self.add_button.setEnabled(not self.ctx.jobs.is_running(SLOT)))
        self.refresh()

    def refresh(self) -> None:
        from sftgui.core import monitor

        if self.ctx.project is None:
            return
        self.report = monitor.report(self.ctx.ws, self.ctx.project, drop_points=float(self.drop.value()))
        self.chart.show_report(self.report)
        self.warnings.clear()
        for w in self.report["warnings"]:
            item = QListWidgetItem("\u26a0 " + _plain(w))
            item.setToolTip(_details(w))
            self.warnings.addItem(item)
        n = len(self.report["batches"])
        if not n:
            self.status.setText("No batch yet: add a file of new labelled examples to start.")
        elif not self.report["warnings"]:
            self.status.setText(f"{n} batch{'es' if n != 1 else ''}; no warning.")
        else:
            self.status.setText(f"{n} batch{'es' if n != 1 else ''}; {len(self.report['warnings'])} warning"
                                f"{'s' if len(self.report['warnings']) != 1 else ''} below.")

    def add_batch(self) -> None:
        from sftgui.core import monitor

        try:
            dialog = AddBatchDialog(self.ctx, self)
        except UserError as exc:
            dialogs.show_error(self, str(exc))
            return
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        chosen = dialog.chosen()
        dialog.deleteLater()
        if not accepted:
            return
        ws, project = self.ctx.ws, self.ctx.project

        def task(state):
            from sftgui.qt.heavy import load_heavy

            load_heavy()
            return monitor.add_batch(ws, project, chosen["path"], date=chosen["date"], versions=chosen["versions"],
                                     progress=state.progress)

        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status.setText(f"Reading {Path(chosen['path']).name}…")
        self.ctx.jobs.start(SLOT, task, on_progress=self._progress, on_done=self._added, on_failed=self._failed)

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 100))
        self.status.setText(message + "…")

    def _added(self, batch: dict) -> None:
        self.progress.setVisible(False)
        self.refresh()
        self.status.setText(f"Added the batch of {batch['date']} ({batch['rows']:,} rows). " + self.status.text())

    def _failed(self, exc, details: str) -> None:
        self.progress.setVisible(False)
        self.status.setText("The batch was not added.")
        if isinstance(exc, UserError):
            dialogs.show_error(self, str(exc))
        else:
            dialogs.show_exception(self, exc, doing="checking on new data", log_dir=self.ctx.log_dir)


def _plain(w: dict) -> str:
    """The warning's sentence without the test's name and p-value (those are in the tooltip)."""
    if w["kind"] == "drift":
        return w["sentence"].replace(f" ({w['test']}, p = {w['p_value']:.2g}).", ".")
    return w["sentence"]


def _details(w: dict) -> str:
    if w["kind"] == "drift":
        return f"{w['test']}: p = {w['p_value']:.2g} (a check warns below p = 0.01)."
    return f"Own test score {w['test']:.1%}, on this batch {w['batch_value']:.1%}: {w['points']:.1f} points lower."
