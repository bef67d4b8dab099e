"""The live plot: buffers double, the timer redraws, 100,000 points are drawn as their envelope (every
peak kept, clipped to the view when zoomed) and redraw fast."""

from __future__ import annotations


import numpy as np

from sftgui.qt.widgets.series import SeriesBuffer, ema


def test_buffer_doubles_and_keeps_points():
    buf = SeriesBuffer(capacity=4)
    for i in range(9):
        buf.append(i, i * 2)
    assert buf.capacity == 16 and buf.n == 9
    assert buf.y.tolist() == [i * 2 for i in range(9)]
    buf.extend(range(9, 40), range(9, 40))
    assert buf.capacity == 64 and buf.x[-1] == 39


def test_smoothing_is_debiased():
    values = np.array([2.0, 2.0, 2.0])
    assert np.allclose(ema(values, 0.9), 2.0)  # a constant stays constant from the first point
    noisy = np.array([1.0, 3.0] * 50)
    assert ema(noisy, 0.9)[-1] == __import__("pytest").approx(2.0, abs=0.15)


def test_timer_draws_appended_points(qtbot):
    from sftgui.qt.widgets.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.show()
    for step in range(1, 31):
        plot.append("train_loss", step, 1.0 / step)
    plot.append("eval_accuracy", 30, 0.8)
    assert plot.drawn_points("train_loss") == 0  # nothing drawn per point
    qtbot.waitUntil(lambda: plot.drawn_points("train_loss") == 30, timeout=2000)
    assert plot.drawn_points("train_loss_smooth") == 30
    assert plot.drawn_points("eval_accuracy") == 1


def test_redraw_of_100k_points_draws_them_all(qtbot):
    """How fast is measured in benchmarks/responsiveness.py (target < 10 ms); here: it redraws right."""
    from sftgui.qt.widgets.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(1000, 300)
    plot.show()
    qtbot.waitExposed(plot)
    xs = np.arange(100_000, dtype=float)
    plot.set_series("train_loss", xs, np.exp(-xs / 30_000) + np.random.default_rng(0).random(100_000) * 0.1)
    plot.redraw()
    plot.view.repaint()
    for i in range(5):
        plot.append("train_loss", 100_000 + i, 0.5)
        plot.redraw()
        plot.view.viewport().repaint()  # the paint, with clipping and peak downsampling
    assert plot.drawn_points("train_loss") == 100_005


def _shown(qtbot, plot):
    """Let the widget redraw (timer, and the immediate redraw after a zoom) and paint."""
    plot.redraw()
    qtbot.wait(30)
    plot.view.viewport().repaint()


def test_100k_points_are_drawn_as_their_envelope(qtbot):
    """A long series reaches pyqtgraph as one min-max stroke per pixel column: every spike stays,
    the newest point is drawn, zooming in shows the points themselves, and "auto range" comes back."""
    from sftgui.qt.widgets.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(900, 400)
    plot.show()
    qtbot.waitExposed(plot)
    n = 100_000
    xs = np.arange(n, dtype=float)
    ys = 2 * np.exp(-xs / 30_000) + np.random.default_rng(1).random(n) * 0.2
    ys[31_337], ys[77_777] = 40.0, -3.0  # one spike, one dip: one point each in 100,000
    plot.set_series("train_loss", xs, ys)
    _shown(qtbot, plot)
    vb = plot.plots["loss"].vb
    shown_x, shown_y = plot.displayed("train_loss")
    assert plot.drawn_points("train_loss") == n
    assert len(shown_x) <= 2 * vb.width() + 10  # downsampled to the plot's width, not 100,000
    assert shown_y.max() == 40.0 and shown_y.min() == -3.0  # the peaks are visible
    assert shown_x[0] == 0 and shown_x[-1] == n - 1 and shown_y[-1] == ys[-1]
    assert np.all(np.diff(shown_x) >= 0)
    # each stroke spans exactly its block's min..max
    block = plot._part("train_loss")[0]
    whole = n // block
    strokes = shown_y[:2 * whole].reshape(whole, 2)
    blocks = ys[:whole * block].reshape(whole, block)
    assert np.array_equal(strokes.min(axis=1), blocks.min(axis=1))
    assert np.array_equal(strokes.max(axis=1), blocks.max(axis=1))
    assert 1 < block <= n / vb.width()  # a stroke is at most one pixel wide
    # the smoothed line is the smoothing of all points, drawn the same way
    smooth_x, smooth_y = plot.displayed("train_loss_smooth")
    smoothed = ema(ys, 0.9)
    assert smooth_x[-1] == n - 1 and np.isclose(smooth_y[-1], smoothed[-1])
    strokes = smooth_y[:2 * whole].reshape(whole, 2)
    blocks = smoothed[:whole * block].reshape(whole, block)
    assert np.allclose(strokes.min(axis=1), blocks.min(axis=1)) and np.allclose(strokes.max(axis=1), blocks.max(axis=1))

    # a new point is drawn at the next redraw, without its block being complete
    plot.append("train_loss", n, 7.5)
    _shown(qtbot, plot)
    shown_x, shown_y = plot.displayed("train_loss")
    assert (shown_x[-1], shown_y[-1]) == (n, 7.5) and plot.drawn_points("train_loss") == n + 1

    # zoomed in: only what is in view (clipped), and at 100 points the points themselves
    vb.setXRange(40_000, 40_100, padding=0)
    _shown(qtbot, plot)
    shown_x, shown_y = plot.displayed("train_loss")
    assert 40_000 - 2 <= shown_x[0] <= 40_000 and 40_100 <= shown_x[-1] <= 40_100 + 2
    first = int(shown_x[0])
    assert np.array_equal(shown_y, ys[first:first + len(shown_y)])

    # back to the whole run
    vb.enableAutoRange()
    _shown(qtbot, plot)
    shown_x, shown_y = plot.displayed("train_loss")
    assert shown_x[0] == 0 and shown_x[-1] == n and shown_y.max() == 40.0
    assert len(shown_x) <= 2 * vb.width() + 10


def test_axes_keep_their_grid_and_skip_sub_pixel_moves(qtbot):
    """The axes draw a grid, and rebuild their picture when a range change moves something by a
    quarter pixel or more, not for the sliver one new point adds to 100,000."""
    from sftgui.qt.widgets.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(900, 400)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_series("train_loss", np.arange(100_000.0), np.ones(100_000))
    _shown(qtbot, plot)
    axis = plot.plots["loss"].getAxis("bottom")
    assert axis.grid and plot.plots["loss"].getAxis("left").grid
    assert axis.picture is not None
    mn, mx = axis.range
    px = (mx - mn) / axis.width()
    axis.setRange(mn + 0.1 * px, mx + 0.1 * px)
    assert axis.picture is not None and axis.range == [mn, mx]  # kept
    axis.setRange(mn + 0.5 * px, mx + 0.5 * px)
    assert axis.picture is None and axis.range == [mn + 0.5 * px, mx + 0.5 * px]  # rebuilt
