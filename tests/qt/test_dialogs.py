"""The app's own dialogs: the "why?" dialog and the file pickers, answered through the dialogs."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.qt.conftest import type_path, type_reason, when_dialog


def test_the_reason_dialog_needs_a_reason_and_can_be_cancelled(qtbot):
    from sftgui.qt import dialogs

    type_reason(qtbot, "  better on refunds ")
    assert dialogs.ask_reason(None, "Make production", "Why?", "Make production") == "better on refunds"

    seen = {}

    def blank_then_cancel(dialog):
        seen["ok_enabled_when_blank"] = dialog.ok.isEnabled()
        qtbot.keyClicks(dialog.edit, "   ")
        seen["ok_enabled_when_spaces"] = dialog.ok.isEnabled()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    when_dialog(blank_then_cancel, "reasonDialog")
    assert dialogs.ask_reason(None, "Move to trash", "Why?", "Move to trash") is None
    assert seen == {"ok_enabled_when_blank": False, "ok_enabled_when_spaces": False}


def test_file_and_folder_pickers(qtbot, tmp_path):
    from sftgui.qt import dialogs

    (tmp_path / "models").mkdir()
    data = tmp_path / "tickets.csv"
    data.write_text("text,label\n", encoding="utf-8")
    type_path(qtbot, tmp_path / "models", "folderDialog")
    assert dialogs.pick_folder(None, "Choose a model folder", tmp_path) == tmp_path / "models"
    type_path(qtbot, data, "fileDialog")
    assert dialogs.pick_file(None, "Open data file", tmp_path, "Data files (*.csv)") == data
