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
