"""The main window shows under the offscreen platform, navigates by keyboard, and fails politely."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QMessageBox


def test_window_shows_steps_and_welcome(window):
    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert titles[0] == "Start"
    assert [t.split(". ", 1)[1] for t in titles[1:]] == [
        "Model", "Data", "Label", "Train", "Versions", "Compare", "Export", "Try it", "History"]
    assert window.stack.currentWidget().key == "welcome"
    assert window.isVisible()


def test_keyboard_moves_between_steps(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget().key == "model"
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget().key == "train"
    window.stack.currentWidget().next_button.click()
    assert window.stack.currentWidget().key == "versions"


def test_no_page_is_cut_off_at_1280x800(window):
    window.resize(1280, 800)
    available = window.stack.size()
    for key in ("welcome", "model", "data", "label", "train", "versions", "compare", "export", "try", "history"):
        page = window.page(key)
        hint = page.minimumSizeHint()
        assert hint.width() <= available.width() and hint.height() <= available.height(), page.key


def test_window_paints_before_the_other_pages_are_built(qtbot):
    """Start-up: only the welcome page exists at first; the rest follow right after the first paint."""
    from sftgui.qt.main_window import KEYS, MainWindow

    fresh = MainWindow()
    qtbot.addWidget(fresh)
    assert [p is not None for p in fresh.pages] == [True] + [False] * (len(KEYS) - 1)
    fresh.show()
    qtbot.waitUntil(lambda: all(p is not None for p in fresh.pages), timeout=10_000)
    assert [p.key for p in fresh.pages] == KEYS
    fresh.shutdown()


def _open_and_expect_dialog(qtbot, path, words):
    from sftgui.qt.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    assert win.open_workspace_at(path) is False
    box = win.findChild(QMessageBox, "errorDialog")
    assert box is not None and words in box.text() and "File > Open workspace" in box.text()
    assert win.ctx.ws is None
    box.close()
    win.shutdown()


def test_locked_workspace_is_a_dialog_not_a_crash(qtbot, tmp_path):
    import subprocess

    holder = subprocess.Popen(  # another sftgui holding the writer lock
        [sys.executable, "-c", "import sys; from sftgui.store.db import open_workspace;"
         f"open_workspace({str(tmp_path)!r}); print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        _open_and_expect_dialog(qtbot, tmp_path, "another sftgui")
    finally:
        holder.communicate("")


def test_damaged_workspace_is_a_dialog_not_a_crash(qtbot, tmp_path):
    (tmp_path / "sftgui.db").write_bytes(b"this is not a database" * 10)
    _open_and_expect_dialog(qtbot, tmp_path, "left untouched")


def test_new_project_appears_in_switcher(window, qtbot):
    from sftgui.qt.new_project import NewProjectDialog

    window.new_project()
    dialog = window.findChild(NewProjectDialog)
    dialog.name_edit.setText("")
    dialog.accept()  # an empty name is refused in the dialog, which stays open
    assert "needs a name" in dialog.error_label.text() and dialog.isVisible()
    qtbot.keyClicks(dialog.name_edit, "Tickets")
    dialog.accept()
    assert window.project_combo.currentText() == "Tickets"
    assert window.ctx.project.name == "Tickets"
    assert window.stack.currentWidget().key == "model"


def test_about_names_versions_and_workspace(window):
    window.show_about()
    box = window.findChild(QMessageBox, "aboutDialog")
    assert "transformers" in box.text() and str(window.ctx.workspace_path) in box.text()
    box.close()


def test_excepthook_shows_dialog_and_writes_log(window):
    from sftgui.qt.app import install_excepthook

    install_excepthook(window)
    try:
        try:
            raise RuntimeError("disk on fire")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = sys.__excepthook__
    box = window.findChild(QMessageBox, "errorDialog")
    assert "disk on fire" in box.text() and "RuntimeError" in box.detailedText()
    logs = list(Path(window.ctx.ws.logs).glob("sftgui-error-*.log"))
    assert len(logs) == 1 and "disk on fire" in logs[0].read_text()
    box.close()


def test_geometry_is_remembered(qtbot, ws):
    from sftgui.qt.main_window import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.resize(790, 570)  # inside the offscreen screen (800x600)
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.size() == QSize(790, 570)
    second.shutdown()


def test_window_appears_without_importing_torch(tmp_path):
    import subprocess

    code = (
        "import sys; from sftgui.qt.main_window import MainWindow; from sftgui.qt.app import create_app;"
        "app=create_app(); w=MainWindow(); w.show(); app.processEvents();"
        "print(','.join(m for m in ('torch','transformers','datasets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == ""
