"""Before Start the Train page says how long training takes here (measured by the last run), and a
second training starts with blank progress figures, not the first one's "Time left: 0 s"."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt

from sftgui.core import events as ev
from sftgui.qt.widgets.train_estimate import NO_ESTIMATE
from tests.qt.conftest import fast_settings


def test_estimate_before_start_and_a_fresh_eta_for_the_second_run(window, qtbot, sample_project):
    window.ctx.set_project(sample_project)
    window.show_step("train")
    page = window.page("train")
    fast_settings(page, epochs=1)
    page.refresh()
    assert page.estimate.text() == NO_ESTIMATE and page.estimate.seconds is None  # nothing measured yet

    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.job is None, timeout=120_000)
    assert page.last_version == "tickets@v1", page.status.text()
    assert page.eta_label.text().startswith("Time left")

    # measured by that run: a number of seconds, shown before the next Start
    assert page.estimate.seconds is not None and page.estimate.seconds > 0
    assert re.fullmatch(r"About \d+ (s|min) here \(measured on run \d+\)\.", page.estimate.text()), page.estimate.text()

    first_event = {}
    original = page.on_event

    def watch(e):  # what the labels show when the second job's first event arrives
        if not first_event:
            first_event.update(eta=page.eta_label.text(), speed=page.speed_label.text(), kind=type(e))
        original(e)

    page.on_event = watch
    page.start_button.click()
    qtbot.waitUntil(lambda: page.job is None, timeout=120_000)
    page.on_event = original
    assert first_event["kind"] is ev.Preparing
    assert first_event["eta"] == "" and first_event["speed"] == ""
    assert page.last_version == "tickets@v2"
