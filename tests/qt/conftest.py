"""Qt test fixtures: no test may leave a QThread running; QSettings go to a temp folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_thread_left_running(qapp):
    """Fail any test that leaves one of the app's QThreads running (napari's fixture)."""
    from sftgui.qt import workers

    yield
    running = workers.live_threads()
    if running:
        for thread in running:  # stop them so the next test starts clean
            thread.quit()
            thread.wait(30_000)
        pytest.fail(f"test left {len(running)} QThread(s) running: {[t.objectName() for t in running]}")


@pytest.fixture(autouse=True, scope="session")
def settings_in_tmp(tmp_path_factory):
    """QSettings (window geometry) are written to a temp folder, never the user's config."""
    from PySide6.QtCore import QSettings

    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture
def window(qtbot, ws):
    """The real main window on a real (empty) workspace."""
    from sftgui.qt.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.open_workspace_at(ws.path)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.shutdown()


@pytest.fixture
def sample_project(ws, tiny_model_dir):
    """The sample data in a project whose model is the tiny test model (trains in seconds)."""
    from sftgui.core.data.importers import import_file
    from sftgui.core.projects import create_project
    from sftgui.qt.sample import sample_csv

    project = create_project(ws, "tickets", base_model=str(tiny_model_dir))
    import_file(ws, project, sample_csv())
    return project


def fast_settings(page, epochs: float = 1, qtbot=None) -> None:
    """Advanced settings a person would type for a short run on the tiny model (typed with the
    keyboard when `qtbot` is given)."""
    values = {"epochs": epochs, "max_length": 32, "batch_size": 32, "learning_rate": 0.01}
    if qtbot is None:
        page.settings.advanced.setChecked(True)
        for name, value in values.items():
            page.settings.fields[name].setValue(value)
        return
    from PySide6.QtCore import Qt

    box = page.settings.advanced
    if not box.isChecked():
        box.setFocus()
        qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked()
    for name, value in values.items():
        spin = page.settings.fields[name]
        spin.setFocus()
        qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(spin, str(value))
        qtbot.keyClick(spin, Qt.Key.Key_Tab)
        assert spin.value() == value, (name, spin.value())


# -- answering the app's dialogs through the dialogs themselves ------------------------------------
def when_dialog(act, name: str | None = None, tries: int = 500) -> None:
    """Once a modal dialog (with objectName `name`) is up, `act(dialog)` answers it. Call this
    before the click that opens the dialog: the dialog's own event loop runs the check."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def poll(left=tries):
        w = QApplication.activeModalWidget()
        if w is not None and (name is None or w.objectName() == name):
            act(w)
        elif left:
            QTimer.singleShot(20, lambda: poll(left - 1))

    QTimer.singleShot(0, poll)


def type_reason(qtbot, text: str) -> None:
    """Answer the next "why?" dialog: type `text` and press its action button."""
    from PySide6.QtCore import Qt

    def act(dialog):
        qtbot.keyClicks(dialog.edit, text)
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)

    when_dialog(act, "reasonDialog")


def type_path(qtbot, path, name: str) -> None:
    """Answer the next file dialog (`fileDialog` or `folderDialog`): put the path in its name field
    (pasted: typing it key by key lets the completer rewrite it) and press its Open/Choose button."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

    def act(dialog):
        dialog.findChild(QLineEdit, "fileNameEdit").setText(str(path))
        button = dialog.findChild(QDialogButtonBox, "buttonBox").button(QDialogButtonBox.StandardButton.Open)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    when_dialog(act, name)


def click(qtbot, widget) -> None:
    from PySide6.QtCore import Qt

    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def go_to(window, qtbot, key: str) -> None:
    """Open a step by clicking its entry in the sidebar, as a person does."""
    from PySide6.QtCore import Qt

    from sftgui.qt.main_window import KEYS

    item = window.sidebar.item(KEYS.index(key))
    window.sidebar.scrollToItem(item)
    qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.sidebar.visualItemRect(item).center())
    assert window.stack.currentWidget().key == key


def choose_in_combo(qtbot, combo, data) -> None:
    """Pick the entry holding `data` with the keyboard (which emits `activated`, like a person)."""
    from PySide6.QtCore import Qt

    target = combo.findData(data)
    assert target >= 0, data
    combo.setFocus()
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up)
