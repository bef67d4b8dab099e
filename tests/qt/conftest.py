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


def fast_settings(page, epochs: float = 1) -> None:
    """Advanced settings a person would type for a short run on the tiny model."""
    page.settings.advanced.setChecked(True)
    page.settings.fields["epochs"].setValue(epochs)
    page.settings.fields["max_length"].setValue(32)
    page.settings.fields["batch_size"].setValue(32)
    page.settings.fields["learning_rate"].setValue(0.01)
