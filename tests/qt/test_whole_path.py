"""A new user's whole path through the real window: sample project, import, label with the keyboard,
train a (tiny) model, see the plots and the version, train again, roll back, compare, export, try."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.qt.conftest import fast_settings


def _no_error_dialog(window):
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is None or not box.isVisible(), box.text()


def _train(window, qtbot):
    page = window.page("train")
    window.show_step("train")
    fast_settings(page)
    page.start_button.click()
    qtbot.waitUntil(lambda: page.job is None, timeout=120_000)
    _no_error_dialog(window)
    return page


def test_new_user_whole_path(window, qtbot, tiny_model_dir, tmp_path):
    import torch  # noqa: F401 - the app's warm-up has loaded it by the time a person trains

    ctx = window.ctx
    # 1. First run: the sample project (its data is imported in a worker).
    window.pages[0].sample_button.click()
    qtbot.waitUntil(lambda: ctx.project is not None and window.stack.currentWidget().key == "data", timeout=60_000)
    _no_error_dialog(window)
    assert window.project_combo.currentText() == ctx.project.name
    data = window.page("data")
    assert data.rows_in_draft > 600

    # 2. Import one more file through the Data page: preview, detected columns, import.
    extra = tmp_path / "more.csv"
    extra.write_text("message;team\nmy parcel never arrived;shipping\nrefund my card please;billing\n"
                     "new ticket without a team;\n", encoding="utf-8")
    data.set_file(extra)
    qtbot.waitUntil(lambda: data.import_button.isEnabled(), timeout=10_000)
    assert data.text_col.currentText() == "message" and data.preview.rowCount() == 3
    data.import_button.click()
    qtbot.waitUntil(lambda: not ctx.jobs.is_running("import") and "Imported 3 rows" in data.status_label.text(),
                    timeout=30_000)

    # 3. Label: the unlabelled row, with the keyboard; undo and redo.
    window.show_step("label")
    label = window.page("label")
    label.filter_combo.setCurrentIndex(label.filter_combo.findData("unlabelled"))
    label.reload()
    assert label.model.rowCount() >= 1
    before = label.progress_text
    window.activateWindow()
    qtbot.waitActive(window)  # shortcuts (Ctrl+Z) go to the active window
    label.table.setFocus()
    label.table.selectRow(0)
    key_of_first = label._key_of(label.labels[0], 0)
    qtbot.keyClick(label.table, Qt.Key(Qt.Key.Key_0 + key_of_first))
    assert label.progress_text != before
    qtbot.keyClick(label.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert label.progress_text == before
    qtbot.keyClick(label.table, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert label.progress_text != before
    label.check_quality()
    qtbot.waitUntil(lambda: label.quality_button.isEnabled(), timeout=30_000)
    assert label.findings.count() >= 1

    # 4. Model: add the tiny model folder and pick it.
    window.show_step("model")
    assert window.page("model").add_folder(tiny_model_dir)
    assert ctx.model_ref() == str(tiny_model_dir.resolve())

    # 5. Train v1, see the curves, then v2.
    train = _train(window, qtbot)
    assert train.last_version.endswith("@v1")
    qtbot.waitUntil(lambda: train.plot.drawn_points("train_loss") >= 2, timeout=2000)
    train = _train(window, qtbot)
    assert train.last_version.endswith("@v2")

    # 6. Versions: both appear; make v2 production, then roll back to v1 with a reason.
    window.show_step("versions")
    versions = window.page("versions")
    assert versions.table.rowCount() == 2
    versions.table.selectRow(1)
    versions.make_production(reason="first release")
    versions.table.selectRow(0)
    versions.make_production(reason="v2 confuses billing and delivery")
    assert "production" in versions.versions[0].aliases and "production" not in versions.versions[1].aliases
    assert "v2 confuses billing" in versions.history.toPlainText()
    assert "[production]" in versions.table.item(0, 6).text()

    # 7. Compare v1 and v2 (selected on the Versions page).
    versions.table.selectAll()
    versions.compare_button.click()
    assert window.stack.currentWidget().key == "compare"
    compare = window.page("compare")
    assert len(compare.checked_ids()) == 2
    compare.compare_button.click()
    qtbot.waitUntil(lambda: compare.result is not None, timeout=60_000)
    _no_error_dialog(window)
    assert compare.metrics.columnCount() == 2 and "fixed" in compare.predictions.toPlainText()
    assert compare.matrices_layout.count() == 2

    # 8. Export v1 as a zip.
    window.show_step("export")
    export = window.page("export")
    export.format.setCurrentIndex(export.format.findData("zip"))
    export.dest.setText(str(tmp_path / "v1"))
    export.export_button.click()
    qtbot.waitUntil(lambda: not ctx.jobs.is_running("export"), timeout=60_000)
    _no_error_dialog(window)
    assert export.exported.exists()

    # 9. Try it: typed text shows a bar per label.
    window.show_step("try")
    tryit = window.page("try")
    qtbot.keyClicks(tryit.text, "refund my card")
    qtbot.waitUntil(lambda: tryit.last is not None, timeout=30_000)
    assert tryit.bars.rowCount() == len(tryit.last["scores"]) >= 2

    # The sidebar shows the steps done.
    window.update_states()
    assert window.page("versions").state().done and window.page("compare").state().done
