""""Find the best settings" on the Train page, clicked with real widgets on the tiny model: three
tries finish, the table shows them, the best becomes a version; Stop then Resume finishes the
same search."""

from __future__ import annotations

import os
import shutil

from PySide6.QtWidgets import QApplication

from sftgui.core import events as ev
from sftgui.store import runs_repo, searches_repo
from tests.qt.conftest import click, fast_settings


def _open_panel(window, qtbot, project):
    window.ctx.set_project(project)
    window.show_step("train")
    page = window.page("train")
    fast_settings(page, epochs=1)
    click(qtbot, page.search_button)
    panel = page.search_panel
    qtbot.waitExposed(panel)
    panel.trials.setFocus()
    panel.trials.selectAll()
    qtbot.keyClicks(panel.trials, "3")
    assert panel.trials.value() == 3
    return page, panel


def test_three_tries_fill_the_table_and_the_best_becomes_a_version(window, qtbot, sample_project, tmp_path):
    from sftgui.core import versions

    page, panel = _open_panel(window, qtbot, sample_project)
    assert not panel.stop_button.isEnabled() and not panel.resume_button.isEnabled()
    click(qtbot, panel.start_button)
    assert panel.stop_button.isEnabled() and not panel.start_button.isEnabled()
    assert not page.start_button.isEnabled()  # no training beside a search
    qtbot.waitUntil(lambda: panel.result is not None, timeout=300_000)
    assert panel.result.status == "completed", panel.status.text()
    assert panel.table.rowCount() == 3
    states = [panel.table.item(r, panel.table.columnCount() - 1).text() for r in range(3)]
    assert sum("(best)" in s for s in states) == 1 and all(s.startswith(("finished", "stopped early")) for s in states)
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    assert "Learning rate" in headers and "Epochs" not in headers  # epochs held at the Train page's 1
    listed = versions.list_versions(window.ctx.ws, sample_project)
    assert [v.ref for v in listed] == ["tickets@v1"] and listed[0].run_id == panel.result.version.run_id
    assert "tickets@v1" in panel.outcome.text() and "became version" in panel.outcome.text()
    assert "Best so far" in panel.best.text()
    # the plots hold one point per try (plus the star on the best)
    assert sum(len(i.xData) for i in panel.by_trial.listDataItems()) == 4
    assert sum(len(i.xData) for i in panel.by_lr.listDataItems()) == 4
    assert panel.start_button.isEnabled() and page.start_button.isEnabled()
    panel.resize(1280, 800)
    shot = tmp_path / "search-panel.png"
    assert panel.grab().save(str(shot))
    if os.environ.get("SFTGUI_SCREENSHOTS"):  # README's picture: SFTGUI_SCREENSHOTS=docs/screenshots
        shutil.copy(shot, os.path.join(os.environ["SFTGUI_SCREENSHOTS"], "search-panel.png"))


def test_stop_then_resume_finishes_the_same_search(window, qtbot, sample_project):
    page, panel = _open_panel(window, qtbot, sample_project)
    stopped_after = []

    def stop_after_first_try(e):  # a person pressing Stop once the first try is in the table
        if isinstance(e, ev.TrialFinished) and not stopped_after:
            stopped_after.append(e.trial)
            click(qtbot, panel.stop_button)

    click(qtbot, panel.start_button)
    panel.job.on_event = _also(panel.job.on_event, stop_after_first_try)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=300_000)
    assert panel.result.status == "stopped", panel.status.text()
    sid = panel.search_id
    assert searches_repo.get_search(sid).status == "stopped"
    assert panel.resume_button.isEnabled() and "Resume" in panel.outcome.text()
    done_before = panel.table.rowCount()
    assert 1 <= done_before < 3

    # a new panel (as after closing it) finds the stopped search in the workspace
    panel.close()
    page.search_panel = None
    click(qtbot, page.search_button)
    panel = page.search_panel
    assert panel.search_id == sid and panel.resume_button.isEnabled()
    assert panel.table.rowCount() == done_before
    panel.result = None
    click(qtbot, panel.resume_button)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=300_000)
    assert panel.result.status == "completed", panel.status.text()
    assert panel.table.rowCount() == 3
    runs = runs_repo.list_runs(sample_project.id, search_id=sid)
    assert len(runs) == 3 and all(r.status in ("completed", "pruned") for r in runs)
    assert panel.result.version is not None and "became version" in panel.outcome.text()
    QApplication.processEvents()


def _also(first, second):
    def both(e):
        first(e)
        second(e)

    return both
