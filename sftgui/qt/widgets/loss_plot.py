"""Live training curves (pyqtgraph): loss, validation scores and learning rate.

Points are appended into preallocated numpy buffers (`SeriesBuffer`, doubling when full) and
drawn by a QTimer at about 10 Hz, never per point. A long series is not handed to pyqtgraph whole:
each redraw gives it the visible part reduced to a min and a max per pixel column (the buffer
caches that envelope, so a new point costs the blocks it completes, not a pass over 100,000
points), so every spike stays visible and the newest point is always drawn; zooming or resizing
redraws at the new resolution. The axes paint their grid under a rectangular clip (Qt's raster
engine draws the faint grid lines ~20x faster with one). Only the GUI thread touches the plots:
workers send events as signals, the Train page calls `append` in the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

pg.setConfigOptions(exitCleanup=False)
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPalette
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
# A series longer than this many points per pixel of the plot's width is drawn as its envelope,
# one min-max stroke per block of points at most one pixel wide (pyqtgraph's own peak
# downsampling, 5 bins per pixel, draws ten overlapping strokes per column: ~3x the paint time,
# and the faint raw loss becomes a solid band over the smoothed line).
BINS_PER_PIXEL = 1.0
PANELS = {"loss": "Loss (lower is better)", "scores": "Scores on held-out data", "lr": "Learning rate"}
PERCENT_PANELS = ("scores",)  # share-of-examples scores: drawn from 0 to 100%


def _over(colour: QColor, background: QColor, alpha: float) -> QColor:
    mix = lambda a, b: round(a * alpha + b * (1 - alpha))  # noqa: E731
    return QColor(mix(colour.red(), background.red()), mix(colour.green(), background.green()),
                  mix(colour.blue(), background.blue()))


class _Axis(pg.AxisItem):
    """An axis that is cheaper to repaint, with the same pixels.

    Its picture (ticks, labels and the grid across the plot) is played under a rectangular clip:
    without one, Qt's raster engine draws each semi-transparent grid line pixel by pixel, 1-3 ms per
    axis and per repaint, most of a redraw; with it, about 0.1 ms.

    And a new point moves the auto-ranged x axis by a sliver (1/100,000 of its range with 100,000
    points), for which pyqtgraph rebuilds the whole picture (~1 ms); it is kept instead while no
    tick, label or grid line would move by a quarter of a pixel (measured from the range it was
    drawn for, so the drift never adds up)."""

    MOVE_PX = 0.25

    def paint(self, p, opt, widget):
        p.setClipRect(self.boundingRect().adjusted(-1, -1, 1, 1), Qt.ClipOperation.IntersectClip)
        super().paint(p, opt, widget)

    def setRange(self, mn: float, mx: float):
        if self.picture is not None and self._moves_less_than(self.MOVE_PX, mn, mx):
            return
        super().setRange(mn, mx)

    def _moves_less_than(self, px: float, mn: float, mx: float) -> bool:
        """Whether drawing for (mn, mx) instead of the drawn range would move nothing by `px`: the
        shift is linear along the axis, so largest at one of its two ends."""
        old_mn, old_mx = self.range
        length = self.width() if self.orientation in ("top", "bottom") else self.height()
        if self.logMode or not old_mx > old_mn or not mx > mn or length <= 0:
            return False
        scale = length / (old_mx - old_mn)
        return abs(mn - old_mn) * scale < px and abs(mx - old_mx) * scale < px


class _PercentAxis(_Axis):
    """A 0-1 score axis labelled in percent, 0% to 100%, as the rest of the app says scores."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setTicks([[(v / 5, f"{v * 20}%") for v in range(6)], [(v / 10, "") for v in range(11)]])
        self.setStyle(hideOverlappingLabels=False)  # 0% and 100% sit on the ends: keep them


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
        self._buffers: dict[str, SeriesBuffer] = {}
        self._items: dict[str, pg.PlotDataItem] = {}
        self._dirty: set[str] = set()
        self._drawn: dict[str, tuple[int, tuple | None]] = {}  # points drawn, and for what view
        self.legends: dict[str, pg.LegendItem] = {}
        for i, key in enumerate(panels):
            left = _PercentAxis if key in PERCENT_PANELS else _Axis
            axes = {"left": left("left"), "bottom": _Axis("bottom")}
            plot = self.view.addPlot(row=0, col=i, title=PANELS[key], axisItems=axes)
            plot.setClipToView(True)
            plot.vb.sigXRangeChanged.connect(self._view_changed)  # zoom, pan, "A"
            plot.vb.sigResized.connect(self._view_changed)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("bottom", "step")
            if key in PERCENT_PANELS:
                plot.setYRange(-0.06, 1.06, padding=0)
                plot.vb.setLimits(yMin=-0.06, yMax=1.06)
                plot.vb.enableAutoRange(axis="y", enable=False)
            # The legend sits in its own row under the plot, never over the curves.
            legend = pg.LegendItem(labelTextSize="8pt", colCount=1, verSpacing=-8)  # one column: never wider than its plot
            legend.setLabelTextColor(self.palette().color(QPalette.ColorRole.Text))
            self.view.addItem(legend, row=1, col=i)
            self.legends[key] = legend
            self.plots[key] = plot
        self._smooth_acc = 0.0
        self._smooth_n = 0
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / refresh_hz))
        self._timer.timeout.connect(self.redraw)
        self._timer.start()
        self._soon = QTimer(self, singleShot=True, interval=0)  # after a zoom: redraw at once
        self._soon.timeout.connect(self.redraw)

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
            plot.clear()  # removes the items
        for legend in self.legends.values():
            legend.clear()
        self._buffers.clear()
        self._items.clear()
        self._dirty.clear()
        self._drawn.clear()
        self._smooth_acc, self._smooth_n = 0.0, 0

    def points(self, name: str) -> int:
        buf = self._buffers.get(name)
        return buf.n if buf else 0

    def drawn_points(self, name: str) -> int:
        """How many of the series' points the last redraw shows (a long series is handed to the
        plot as its envelope, fewer points: see `displayed`)."""
        return self._drawn.get(name, (0, None))[0]

    def displayed(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The points the plot item holds for a series (what pyqtgraph draws)."""
        item = self._items.get(name)
        if item is None or item.xData is None:
            return np.empty(0), np.empty(0)
        return item.xData, item.yData

    # -- drawing (GUI thread, from the timer) ------------------------------------------------------
    def redraw(self) -> None:
        for name in self._dirty:
            buf = self._buffers[name]
            self._items[name].setData(*buf.envelope(*self._part(name)))
            self._drawn[name] = (buf.n, self._view_key(self._items[name].getViewBox()))
        self._dirty.clear()

    def _part(self, name: str) -> tuple[int, int, int]:
        """(block, start, stop): the points in view, and how many of them one min-max stroke covers
        so that a stroke is at most 1/BINS_PER_PIXEL pixel wide (1: every point)."""
        buf = self._buffers[name]
        start, stop = 0, buf.n
        vb = self._items[name].getViewBox()
        if vb is None:
            return 1, start, stop
        if not vb.autoRangeEnabled()[0] and buf.n > 1:  # zoomed or panned: only what is in view
            x0, x1 = vb.viewRange()[0]
            start = max(0, int(np.searchsorted(buf.x, x0)) - 1)
            stop = min(buf.n, int(np.searchsorted(buf.x, x1, side="right")) + 1)
        width = vb.width() if vb.width() > 0 else 1000.0
        return max(1, int((stop - start) / (width * BINS_PER_PIXEL))), start, stop

    @staticmethod
    def _view_key(vb) -> tuple | None:
        """What the drawn part of a series depends on besides its points: the x range unless it
        follows the data (auto-range), and the width in pixels."""
        if vb is None:
            return None
        auto = bool(vb.autoRangeEnabled()[0])
        return auto, None if auto else tuple(vb.viewRange()[0]), vb.width()

    def _view_changed(self, vb, *_args) -> None:
        """Zoomed, panned, back to auto-range or resized: redraw that plot's series now, at the new
        resolution. Not when a new point only moved the auto-range (the timer draws new points)."""
        key = self._view_key(vb)
        changed = {name for name, item in self._items.items()
                   if item.getViewBox() is vb and name in self._drawn and self._drawn[name][1] != key}
        if changed:
            self._dirty |= changed
            self._soon.start()

    def _buffer(self, name: str, *, title=None, colour=None, panel=None, dashed=False) -> SeriesBuffer:
        buf = self._buffers.get(name)
        if buf is None:
            spec = CURVES.get(name, Curve(panel or "loss", title or name, colour or "#888888"))
            if title or colour or panel:
                spec = Curve(panel or spec.panel, title or spec.title, colour or spec.colour, spec.width,
                             spec.faint, spec.symbol)
            pen = pg.mkPen(spec.colour, width=spec.width)
            if spec.faint:  # the colour a 38% opaque line has over the background, but opaque, so
                # the overlapping strokes of a dense series neither stack into stripes nor a solid band
                base = self.palette().color(QPalette.ColorRole.Base)
                pen.setColor(_over(pg.mkColor(spec.colour), base, 0x60 / 255))
            if dashed:
                pen.setStyle(pg.QtCore.Qt.PenStyle.DashLine)
            kw = dict(symbol=spec.symbol, symbolSize=6, symbolBrush=spec.colour) if spec.symbol else {}
            panel = spec.panel if spec.panel in self.plots else next(iter(self.plots))
            self._items[name] = self.plots[panel].plot([], [], pen=pen, **kw)
            self.legends[panel].addItem(self._items[name], spec.title)
            buf = self._buffers[name] = SeriesBuffer()
        return buf

    def _apply_palette(self) -> None:
        """Follow the light/dark palette instead of pyqtgraph's fixed black background."""
        pal = self.palette()
        self.view.setBackground(pal.color(QPalette.ColorRole.Base))
