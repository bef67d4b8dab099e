"""Live training curves (pyqtgraph): loss, validation scores and learning rate.

Points are appended into preallocated numpy buffers (`SeriesBuffer`, doubling when full) and
drawn by a QTimer at about 10 Hz, never per point; each plot clips to the view and downsamples
with peaks, so 100,000 points redraw in a few milliseconds. Only the GUI thread touches the plots:
workers send events as signals, the Train page calls `append` in the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg

pg.setConfigOptions(exitCleanup=False)
from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

from sftgui.qt.widgets.series import SeriesBuffer, ema

SMOOTHING = 0.9  # weight of the running average drawn over the raw training loss


@dataclass(frozen=True)
class Curve:
    panel: str  # "loss", "scores", "lr"
    title: str
    colour: str
    width: float = 2.0
    faint: bool = False  # raw series under a smoothed one
    symbol: str | None = None  # evaluations are few: show the points


CURVES = {
    "train_loss": Curve("loss", "Training loss", "#4c78a8", 1.0, faint=True),
    "train_loss_smooth": Curve("loss", "Training loss (smoothed)", "#4c78a8", 2.5),
    "eval_loss": Curve("loss", "Validation loss", "#f58518", 2.0, symbol="o"),
    "eval_accuracy": Curve("scores", "Accuracy (validation)", "#54a24b", 2.0, symbol="o"),
    "eval_f1": Curve("scores", "F1 (validation)", "#b279a2", 2.0, symbol="t"),
    "learning_rate": Curve("lr", "Learning rate", "#72b7b2", 2.0),
}
PANELS = {"loss": "Loss (lower is better)", "scores": "Scores on held-out data", "lr": "Learning rate"}


class LossPlot(QWidget):
    def __init__(self, parent: QWidget | None = None, *, panels=("loss", "scores", "lr"), refresh_hz: float = 10):
        super().__init__(parent)
        self.setObjectName("lossPlot")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setMinimumHeight(200)
        layout.addWidget(self.view)
        self._apply_palette()
        self.plots: dict[str, pg.PlotItem] = {}
        for i, key in enumerate(panels):
            plot = self.view.addPlot(row=0, col=i, title=PANELS[key])
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("bottom", "step")
            plot.addLegend(offset=(-5, 5), labelTextSize="8pt")
            self.plots[key] = plot
        self._buffers: dict[str, SeriesBuffer] = {}
        self._items: dict[str, pg.PlotDataItem] = {}
        self._dirty: set[str] = set()
        self._smooth_acc = 0.0
        self._smooth_n = 0
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / refresh_hz))
        self._timer.timeout.connect(self.redraw)
        self._timer.start()

    # -- data ----------------------------------------------------------------------------------
    def append(self, name: str, x: float, y: float | None) -> None:
        """Add one point (GUI thread only). A training-loss point also extends the smoothed curve."""
        if y is None:
            return
        self._buffer(name).append(x, y)
        self._dirty.add(name)
        if name == "train_loss":
            self._smooth_n += 1
            self._smooth_acc = SMOOTHING * self._smooth_acc + (1 - SMOOTHING) * y
            self.append("train_loss_smooth", x, self._smooth_acc / (1 - SMOOTHING ** self._smooth_n))

    def set_series(self, name: str, xs, ys, *, title: str | None = None, colour: str | None = None,
                   panel: str | None = None, dashed: bool = False) -> None:
        """Replace a whole series (finished runs, overlays in Compare)."""
        buf = self._buffer(name, title=title, colour=colour, panel=panel, dashed=dashed)
        buf.clear()
        buf.extend(xs, ys)
        self._dirty.add(name)
        if name == "train_loss" and buf.n:
            self.set_series("train_loss_smooth", buf.x, ema(buf.y, SMOOTHING))

    def clear(self) -> None:
        for plot in self.plots.values():
            plot.clear()  # removes the items and their legend entries
        self._buffers.clear()
        self._items.clear()
        self._dirty.clear()
        self._smooth_acc, self._smooth_n = 0.0, 0

    def points(self, name: str) -> int:
        buf = self._buffers.get(name)
        return buf.n if buf else 0

    def drawn_points(self, name: str) -> int:
        """How many points the plot item holds (what was last drawn)."""
        item = self._items.get(name)
        if item is None or item.xData is None:
            return 0
        return len(item.xData)

    # -- drawing (GUI thread, from the timer) ------------------------------------------------------
    def redraw(self) -> None:
        for name in self._dirty:
            buf = self._buffers[name]
            self._items[name].setData(buf.x, buf.y)
        self._dirty.clear()

    def _buffer(self, name: str, *, title=None, colour=None, panel=None, dashed=False) -> SeriesBuffer:
        buf = self._buffers.get(name)
        if buf is None:
            spec = CURVES.get(name, Curve(panel or "loss", title or name, colour or "#888888"))
            if title or colour or panel:
                spec = Curve(panel or spec.panel, title or spec.title, colour or spec.colour, spec.width,
                             spec.faint, spec.symbol)
            pen = pg.mkPen(spec.colour, width=spec.width)
            if spec.faint:
                pen.setColor(pg.mkColor(spec.colour + "60"))
            if dashed:
                pen.setStyle(pg.QtCore.Qt.PenStyle.DashLine)
            kw = dict(symbol=spec.symbol, symbolSize=6, symbolBrush=spec.colour) if spec.symbol else {}
            plot = self.plots.get(spec.panel) or next(iter(self.plots.values()))
            self._items[name] = plot.plot([], [], pen=pen, name=spec.title, **kw)
            buf = self._buffers[name] = SeriesBuffer()
        return buf

    def _apply_palette(self) -> None:
        """Follow the light/dark palette instead of pyqtgraph's fixed black background."""
        pal = self.palette()
        self.view.setBackground(pal.color(QPalette.ColorRole.Base))
