"""The window's icons: the app icon at every size, a step icon per sidebar entry, and the step's
state (done / needs attention) as a badge on it, drawn anew only when the state changes."""

from PySide6.QtCore import QSize

from sftgui.qt.app import create_app
from sftgui.qt.icons import APP_ICON_SIZES, step_icon
from sftgui.qt.main_window import _BADGE_ROLE, KEYS


def _image(icon):
    return icon.pixmap(QSize(22, 22)).toImage()


def test_app_and_window_icon_have_every_size(window):
    app = create_app()
    sizes = {(s.width(), s.height()) for s in app.windowIcon().availableSizes()}
    assert sizes == {(s, s) for s in APP_ICON_SIZES}
    assert not window.windowIcon().isNull()


def test_every_step_has_its_own_icon(window):
    images = [_image(window.sidebar.item(i).icon()) for i in range(len(KEYS))]
    assert all(not img.isNull() for img in images)
    assert len({img.bits().tobytes() for img in images}) == len(KEYS)  # a different drawing for each step


def test_state_shows_as_a_badge_on_the_step_icon(window, qtbot, sample_project):
    qtbot.waitUntil(lambda: None not in window.pages, timeout=60_000)  # built one by one after the first paint
    window.ctx.set_project(sample_project)
    window.ctx.dataChanged.emit()
    badges = {key: window.sidebar.item(i).data(_BADGE_ROLE) for i, key in enumerate(KEYS)}
    assert badges["model"] == "done"  # a project is chosen, so is its starting model
    assert badges["train"] is None  # nothing trained yet
    row = KEYS.index("model")
    assert _image(window.sidebar.item(row).icon()) == _image(step_icon("model", "done"))
    assert _image(window.sidebar.item(row).icon()) != _image(step_icon("model"))
