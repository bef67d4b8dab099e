"""The Export page goes through the output-path guard: a destination it may not write is a dialog
with the sentence, and an existing export it may replace is a question, answered through the dialog."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


@pytest.fixture
def export_page(window, ws, tiny_model_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.core.projects import create_project
    from sftgui.core.versions import register_version

    project = create_project(ws, "tickets")
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
    register_version(ws, project, model, AutoTokenizer.from_pretrained(tiny_model_dir), labels=["a", "b"],
                     base_model="tiny")
    window.ctx.set_project(project)
    window.show_step("export")
    page = window.page("export")
    page.refresh()
    assert page.version.count() == 1
    return page


def _answer(button_text: str, seen: list):
    """Click `button_text` in the question box as soon as it is open."""
    def click():
        box = next((w for w in QApplication.topLevelWidgets()
                    if isinstance(w, QMessageBox) and w.objectName() == "askDialog" and w.isVisible()), None)
        if box is None:
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(0, click)


def test_an_existing_export_is_replaced_only_when_the_person_says_so(qtbot, window, export_page, tmp_path):
    dest = tmp_path / "exported"
    export_page.dest.setText(str(dest))
    export_page.export_button.click()
    qtbot.waitUntil(lambda: not window.ctx.jobs.is_running("export"), timeout=60_000)
    assert (dest / "sftgui-manifest.json").is_file()
    stamp = (dest / "sftgui-manifest.json").stat().st_mtime_ns

    seen: list = []
    _answer("Cancel", seen)
    export_page.export_button.click()
    assert seen and "already exists" in seen[0]
    assert not window.ctx.jobs.is_running("export")
    assert (dest / "sftgui-manifest.json").stat().st_mtime_ns == stamp  # the answer was no

    _answer("Replace", seen)
    export_page.export_button.click()
    qtbot.waitUntil(lambda: not window.ctx.jobs.is_running("export"), timeout=60_000)
    assert len(seen) == 2 and (dest / "sftgui-manifest.json").stat().st_mtime_ns != stamp


@pytest.mark.parametrize("where", ["workspace", "foreign-folder"])
def test_a_destination_the_guard_refuses_is_a_dialog_and_nothing_runs(qtbot, window, export_page, ws, tmp_path, where):
    if where == "workspace":
        dest, words = ws.path / "my-export", "inside the workspace"
    else:
        dest, words = tmp_path / "papers", "not a folder that sftgui exported"
        dest.mkdir()
        (dest / "thesis.tex").write_text("years of work")
        export_page.force.setChecked(True)  # even with "Replace it if it exists" ticked
    export_page.dest.setText(str(dest))
    export_page.export_button.click()
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and box.isVisible() and words in box.text()
    box.close()
    assert not window.ctx.jobs.is_running("export")
    assert not (ws.path / "my-export").exists()
    if where != "workspace":
        assert [p.name for p in dest.iterdir()] == ["thesis.tex"]
