"""A new user's whole path through the real window: sample project, import, label with the keyboard,
train a (tiny) model, see the plots and the version, train again, roll back, trash and restore,
compare, export, try, read the history.

Every action goes through the widgets a person uses: buttons are clicked with qtbot, steps are
opened from the sidebar, combo boxes are driven with the keyboard, and every dialog (file pickers,
"why?") is answered through the dialog itself. No slot is called directly.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.qt.conftest import choose_in_combo, click, fast_settings, go_to, type_path, type_reason


def _no_error_dialog(window):
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is None or not box.isVisible(), box.text()


def _train(window, qtbot):
    go_to(window, qtbot, "train")
    page = window.page("train")
    fast_settings(page, qtbot=qtbot)
    click(qtbot, page.start_button)
    qtbot.waitUntil(lambda: page.job is None, timeout=120_000)
    _no_error_dialog(window)
    return page


def _click_row(qtbot, table, row, modifier=Qt.KeyboardModifier.NoModifier):
    rect = table.visualItemRect(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_new_user_whole_path(window, qtbot, tiny_model_dir, tmp_path):
    import torch  # noqa: F401 - the app's warm-up has loaded it by the time a person trains

    ctx = window.ctx
    # 1. First run: the sample project (its data is imported in a worker).
    welcome = window.pages[0]
    assert "account, billing, returns, shipping and technical" in welcome.sample_button.description()
    click(qtbot, welcome.sample_button)
    qtbot.waitUntil(lambda: ctx.project is not None and window.stack.currentWidget().key == "data", timeout=60_000)
    _no_error_dialog(window)
    assert window.project_combo.currentText() == ctx.project.name
    data = window.page("data")
    assert data.rows_in_draft > 600
    assert "Training uses" in data.status_label.text() and "have no text" in data.status_label.text()

    # 2. Import one more file through the Data page: Open file…, the file dialog, preview, import.
    extra = tmp_path / "more.csv"
    extra.write_text("message;team\nmy parcel never arrived;shipping\nrefund my card please;billing\n"
                     "new ticket without a team;\n", encoding="utf-8")
    type_path(qtbot, extra, "fileDialog")
    click(qtbot, data.open_button)
    qtbot.waitUntil(lambda: data.import_button.isEnabled(), timeout=10_000)
    assert data.text_col.currentText() == "message" and data.preview.rowCount() == 3
    click(qtbot, data.import_button)
    qtbot.waitUntil(lambda: not ctx.jobs.is_running("import") and "Imported 3 rows" in data.status_label.text(),
                    timeout=30_000)

    # 3. Label: the unlabelled row, with the keyboard; undo and redo; the quality check.
    go_to(window, qtbot, "label")
    label = window.page("label")
    choose_in_combo(qtbot, label.filter_combo, "unlabelled")
    assert label.model.rowCount() >= 1
    before = label.progress_text
    assert "training uses" in label.counter.text() and "have no label yet" in label.counter.toolTip()
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
    click(qtbot, label.quality_button)
    qtbot.waitUntil(lambda: label.quality_button.isEnabled(), timeout=30_000)
    assert label.findings.count() >= 1

    # 4. Model: "Add a model folder…" and the folder dialog.
    go_to(window, qtbot, "model")
    type_path(qtbot, tiny_model_dir, "folderDialog")
    click(qtbot, window.page("model").add_button)
    assert ctx.model_ref() == str(tiny_model_dir.resolve())

    # 5. Train v1, see the curves, then v2.
    train = _train(window, qtbot)
    assert train.last_version.endswith("@v1")
    qtbot.waitUntil(lambda: train.plot.drawn_points("train_loss") >= 2, timeout=2000)
    train = _train(window, qtbot)
    assert train.last_version.endswith("@v2")

    # 6. Versions: both appear; make v2 production, roll back to v1, each with a reason typed in
    #    the "why?" dialog the button opens; then trash v2 and restore it, with reasons too.
    go_to(window, qtbot, "versions")
    versions = window.page("versions")
    assert versions.table.rowCount() == 2
    _click_row(qtbot, versions.table, 1)
    type_reason(qtbot, "first release")
    click(qtbot, versions.production_button)
    _click_row(qtbot, versions.table, 0)
    type_reason(qtbot, "v2 confuses billing and delivery")
    click(qtbot, versions.production_button)
    assert "production" in versions.versions[0].aliases and "production" not in versions.versions[1].aliases
    history = versions.history.toPlainText()
    assert "(first release)" in history and "(v2 confuses billing and delivery)" in history
    assert "False" not in history  # the button's `checked` never becomes the reason
    assert "[production]" in versions.table.item(0, 6).text()
    _click_row(qtbot, versions.table, 1)
    type_reason(qtbot, "worse on refunds")
    click(qtbot, versions.trash_button)
    assert versions.table.rowCount() == 1
    click(qtbot, versions.show_trash)
    _click_row(qtbot, versions.table, 1)
    assert versions.trash_button.text() == "Restore"
    type_reason(qtbot, "needed for the comparison")
    click(qtbot, versions.trash_button)
    click(qtbot, versions.show_trash)
    assert versions.table.rowCount() == 2 and "(in trash)" not in versions.table.item(1, 0).text()

    # 7. Compare v1 and v2 (both selected on the Versions page with Ctrl+click).
    _click_row(qtbot, versions.table, 0)
    _click_row(qtbot, versions.table, 1, Qt.KeyboardModifier.ControlModifier)
    click(qtbot, versions.compare_button)
    assert window.stack.currentWidget().key == "compare"
    compare = window.page("compare")
    assert len(compare.checked_ids()) == 2
    click(qtbot, compare.compare_button)
    qtbot.waitUntil(lambda: compare.result is not None, timeout=60_000)
    _no_error_dialog(window)
    assert compare.metrics.columnCount() == 2 and "fixed" in compare.predictions.toPlainText()
    assert compare.matrices_layout.count() == 2
    # Sticky splits: v1's test rows stayed test rows for v2; only texts that also sit among the
    # training rows (the sample has repeated texts) are left out, and the page says so.
    from sftgui.core.data.snapshots import load_snapshot_table

    left_out = set()
    for v in versions.versions:
        t = load_snapshot_table(ctx.ws, v.snapshot_id).to_pydict()
        trained = {x for x, s in zip(t["text"], t["split"]) if s != "test"}
        t1 = load_snapshot_table(ctx.ws, versions.versions[0].snapshot_id).to_pydict()
        left_out |= {r for r, x, s in zip(t1["row_id"], t1["text"], t1["split"]) if s == "test" and x in trained}
    assert compare.result["test_set"]["left_out"] == len(left_out)
    assert f"({len(left_out)} left out" in compare.fairness.text() or len(left_out) == 0

    # 8. Export v1 as a zip: the suggested name follows the version and the format.
    go_to(window, qtbot, "export")
    export = window.page("export")
    choose_in_combo(qtbot, export.version, versions.versions[0].id)
    type_path(qtbot, tmp_path, "folderDialog")
    click(qtbot, export.browse_button)
    assert export.dest.text() == str(tmp_path / "support-tickets-sample-v1")
    choose_in_combo(qtbot, export.format, "zip")
    assert export.dest.text() == str(tmp_path / "support-tickets-sample-v1.zip")
    click(qtbot, export.export_button)
    qtbot.waitUntil(lambda: not ctx.jobs.is_running("export"), timeout=60_000)
    _no_error_dialog(window)
    assert export.exported == tmp_path / "support-tickets-sample-v1.zip" and export.exported.exists()

    # 9. Try it: typed text shows a bar per label.
    go_to(window, qtbot, "try")
    tryit = window.page("try")
    qtbot.keyClicks(tryit.text, "refund my card")
    qtbot.waitUntil(lambda: tryit.last is not None, timeout=30_000)
    assert tryit.bars.rowCount() == len(tryit.last["scores"]) >= 2

    # 10. History: what happened, who, when and why.
    go_to(window, qtbot, "history")
    page = window.page("history")
    rows = [[page.table.item(r, c).text() for c in range(4)] for r in range(page.table.rowCount())]
    what_why = [(r[2], r[3]) for r in rows]
    assert ("restored Support tickets (sample)@v2 from the trash", "needed for the comparison") in what_why
    assert ("moved Support tickets (sample)@v2 to the trash", "worse on refunds") in what_why
    assert ("moved production from v2 to v1 (Support tickets (sample))", "v2 confuses billing and delivery") in what_why
    assert all(r[0] and r[1] != "—" for r in rows)

    # The sidebar shows the steps done.
    window.update_states()
    assert window.page("versions").state().done and window.page("compare").state().done
