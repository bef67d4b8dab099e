""""Check on new data" on the Versions page, clicked with real widgets: batches are added through
the dialog (one file chosen in the file dialog, one typed), the chart gets its points, a planted
drop and planted drift are warned about in plain words, with the test behind each in its tooltip."""

from __future__ import annotations

import os
import shutil

from PySide6.QtCore import QDate, QTimer

from sftgui.store import audit_repo
from tests.core.evaluation.conftest import project, trained, trained_dir  # noqa: F401 - fixtures
from tests.core.evaluation.keywords import make_rows
from tests.core.monitor.test_monitor import scored, write_csv  # noqa: F401 - fixture
from tests.qt.conftest import click, type_path, when_dialog


def _answer_add(qtbot, path, date: str, *, browse: bool):
    """Fill the Add dialog as a person does: the file (typed, or chosen with Browse) and the date."""

    def act(dialog):
        dialog.date.setDate(QDate.fromString(date, "yyyy-MM-dd"))
        if browse:
            type_path(qtbot, path, "fileDialog")
            click(qtbot, dialog.browse)  # returns once the file dialog was answered
        else:
            dialog.path.setFocus()
            qtbot.keyClicks(dialog.path, str(path))
        assert dialog.path.text() == str(path)
        QTimer.singleShot(0, lambda: click(qtbot, dialog.ok))

    when_dialog(act, "addBatchDialog")


def test_batches_added_in_the_dialog_are_charted_and_warned_about(window, qtbot, project, scored, tmp_path):
    window.ctx.set_project(project)
    window.show_step("versions")
    page = window.page("versions")
    click(qtbot, page.monitor_button)
    panel = page.monitor_panel
    qtbot.waitExposed(panel)
    assert panel.warnings.count() == 0 and "No batch yet" in panel.status.text()

    same = write_csv(tmp_path / "same.csv", make_rows(90, seed=21))
    wrong = write_csv(tmp_path / "wrong.csv", make_rows(90, seed=22, noise=0.7))  # planted drop
    drifted = write_csv(tmp_path / "drift.csv", [
        {"text": " ".join(["zebra quantum violin orbit"] * 6 + [r["text"]]), "label": "billing"}
        for r in make_rows(90, seed=23)])  # planted drift
    for i, (path, date) in enumerate(((same, "2026-11-01"), (wrong, "2026-11-08"), (drifted, "2026-11-15"))):
        _answer_add(qtbot, path, date, browse=i == 0)
        click(qtbot, panel.add_button)
        qtbot.waitUntil(lambda n=i + 1: panel.report is not None and len(panel.report["batches"]) == n
                        and not window.ctx.jobs.is_running("monitor"), timeout=120_000)

    assert [b["date"] for b in panel.report["batches"]] == ["2026-11-01", "2026-11-08", "2026-11-15"]
    assert set(panel.chart.panels) == {"accuracy", "macro_f1"}
    assert "tickets@v1" in panel.chart.legend.text()
    assert panel.chart.points == 6  # v1: 3 batches x 2 metrics
    assert panel.chart.panels["accuracy"].getViewBox().viewRange()[1][1] <= 102  # score axis 0-100%
    texts = [panel.warnings.item(i).text() for i in range(panel.warnings.count())]
    tips = [panel.warnings.item(i).toolTip() for i in range(panel.warnings.count())]
    assert any("points lower on the batch of 2026-11-08" in t for t in texts), texts
    assert not any("2026-11-01" in t for t in texts)
    drift = [(t, tip) for t, tip in zip(texts, tips) if "2026-11-15" in t and "points lower" not in t]
    assert len(drift) >= 3 and all("p = " in tip and "p = " not in t for t, tip in drift)
    # a stricter threshold warns about more, a looser one about fewer
    panel.drop.setValue(60)
    assert not any("2026-11-08" in panel.warnings.item(i).text() for i in range(panel.warnings.count()))
    panel.drop.setValue(10)
    # every batch and score is in the audit log, as the CLI records them
    actions = [e.action for e in audit_repo.list_events()]
    assert actions.count("monitor.batch") == 3 and actions.count("monitor.score") == 3
    panel.resize(1280, 800)
    shot = tmp_path / "monitor-chart.png"
    assert panel.grab().save(str(shot))
    if os.environ.get("SFTGUI_SCREENSHOTS"):  # README's picture: SFTGUI_SCREENSHOTS=docs/screenshots
        shutil.copy(shot, os.path.join(os.environ["SFTGUI_SCREENSHOTS"], "monitor-chart.png"))


def test_a_missing_file_is_refused_in_plain_words(window, qtbot, project, scored, tmp_path):
    from sftgui.core import monitor

    window.ctx.set_project(project)
    window.show_step("versions")
    page = window.page("versions")
    click(qtbot, page.monitor_button)
    panel = page.monitor_panel
    said = []

    def act(dialog):
        qtbot.keyClicks(dialog.path, str(tmp_path / "nope.csv"))

        def answer_error(box):
            said.append(box.text())
            box.accept()

        when_dialog(answer_error, "errorDialog")
        click(qtbot, dialog.ok)
        qtbot.waitUntil(lambda: bool(said), timeout=5000)
        assert dialog.isVisible()  # still asking
        dialog.reject()

    when_dialog(act, "addBatchDialog")
    click(qtbot, panel.add_button)
    assert said and "There is no file at" in said[0]
    assert monitor.list_batches(window.ctx.ws, project) == []
