"""The Train page drives the real engine in a worker thread; the window keeps handling events.

How long the event loop waits is a figure of the machine, not a property of the code: it is
measured in benchmarks/responsiveness.py (with a baseline run the same way); here the test checks
that the window's timers keep firing while the model trains."""

from __future__ import annotations

from PySide6.QtCore import Qt

from sftgui.qt.lag_probe import LagProbe
from tests.qt.conftest import fast_settings


def _open_train(window, project):
    window.ctx.set_project(project)
    window.show_step("train")
    return window.page("train")


def test_training_updates_plots_and_keeps_the_window_responsive(window, qtbot, sample_project):
    from sftgui.qt.heavy import load_heavy

    load_heavy()  # what the app's warm-up does after the first paint (DESIGN 7)

    page = _open_train(window, sample_project)
    fast_settings(page, epochs=2)
    meter = LagProbe()
    ticks_while_training = []
    meter.timer.timeout.connect(lambda: page.job is not None and ticks_while_training.append(1))
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert not page.start_button.isEnabled() and page.stop_button.isEnabled()
    qtbot.waitUntil(lambda: page.job is None, timeout=120_000)
    meter.stop()
    assert page.last_version == "tickets@v1", page.status.text()
    assert "tickets@v1 is ready" in page.status.text()
    qtbot.waitUntil(lambda: page.plot.drawn_points("train_loss") == page.plot.points("train_loss"), timeout=2000)
    assert page.plot.points("train_loss") >= 2
    assert page.plot.points("eval_accuracy") >= 2  # one evaluation per epoch (and the best model at the end)
    assert page.fast_label.text()  # the engine said which fast paths are on
    assert page.progress.value() == page.progress.maximum()
    # the GUI thread ran its timer again and again while the worker trained (a frozen window: none)
    assert len(ticks_while_training) >= 5, len(ticks_while_training)
    assert page.start_button.isEnabled()


def test_stop_then_resume_continues_the_run(window, qtbot, sample_project):
    from sftgui.core import events as ev

    page = _open_train(window, sample_project)
    fast_settings(page, epochs=1)
    seen = []
    original = page.on_event

    def watch(e):  # stop as soon as the first step is logged, like a person pressing Stop
        seen.append(e)
        original(e)
        if isinstance(e, ev.StepLogged) and page.stop_button.isEnabled() and not page.job.cancel.is_stopped:
            page.stop_button.click()

    page.on_event = watch
    page.start_button.click()
    qtbot.waitUntil(lambda: page.job is None, timeout=120_000)
    assert any(isinstance(e, ev.Cancelled) for e in seen)
    assert page.last_run is not None and page.resume_button.isEnabled()
    assert "Stopped at step" in page.status.text()
    page.on_event = original
    page.resume_button.click()
    qtbot.waitUntil(lambda: page.job is None, timeout=120_000)
    assert page.last_version == "tickets@v1", page.status.text()


def test_refusal_is_a_plain_dialog(window, qtbot, sample_project):
    from PySide6.QtWidgets import QMessageBox

    page = _open_train(window, sample_project)
    window.ctx.continue_from = "tickets@v9"  # no such version: the engine refuses before training
    page.start_button.click()
    qtbot.waitUntil(lambda: page.job is None, timeout=60_000)
    box = page.findChild(QMessageBox, "errorDialog")
    assert box is not None and "v9" in box.text() and "Traceback" not in box.text()
    assert page.start_button.isEnabled()
