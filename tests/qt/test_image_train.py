"""An image project's Train page, clicked through with real widgets: the task's presets, the
augmentation panel with its preview of the project's own pictures (changing as the settings
change, the same for the same seed), the choices recorded in the run's and the version's config,
and training messages that speak of pictures, not of tokenized texts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.core.image.conftest import shapes_dir, tiny_image_model_dir  # noqa: F401 - fixtures


@pytest.fixture
def pics_project(ws, shapes_dir, tiny_image_model_dir):  # noqa: F811
    from sftgui.core.data.importers import import_file
    from sftgui.core.projects import create_project

    project = create_project(ws, "pics", "image-classification", base_model=str(tiny_image_model_dir))
    import_file(ws, project, shapes_dir)
    return project


def _train_page(window, project):
    window.ctx.set_project(project)
    window.show_step("train")
    page = window.page("train")
    page.refresh()
    return page


def _open_advanced(qtbot, settings):
    box = settings.advanced
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked()


def _type(qtbot, spin, value) -> None:
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, str(value))
    qtbot.keyClick(spin, Qt.Key.Key_Tab)


def _tick(qtbot, box) -> None:
    from PySide6.QtCore import QPoint

    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on the tick box


def _preview(panel) -> list[bytes]:
    """The thumbnails shown now, as PNG bytes (to compare two previews)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    out = []
    for thumb in panel.thumbs:
        if thumb.isHidden() or thumb.pixmap().isNull():
            continue
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        thumb.pixmap().toImage().save(buf, "PNG")
        out.append(bytes(data))
    return out


def test_the_augmentation_panel_previews_the_projects_pictures_and_follows_the_settings(window, qtbot, pics_project):
    from sftgui.qt.widgets.augment_panel import PREVIEW

    page = _train_page(window, pics_project)
    settings = page.settings
    assert [settings.preset.itemData(i) for i in range(settings.preset.count())] == ["quick", "balanced", "thorough", "custom"]
    assert "last layer" in settings.preset_help.text()  # the picture task's Quick, not the text one's
    panel = settings.augment
    assert panel is not None and not panel.isVisible()  # inside Advanced, which starts closed
    _open_advanced(qtbot, settings)
    assert panel.isVisible()
    assert not settings.fields["max_length"].isVisible()  # pictures have no text length
    # Quick has no augmentation: the panel says so
    assert panel.values() == {} and "as they are" in panel.summary.text()
    qtbot.waitUntil(lambda: panel.shown() == PREVIEW, timeout=5000)
    plain = _preview(panel)
    # a person ticks "mirror" and types a rotation: the preview redraws with the new settings
    _tick(qtbot, panel.fields["flip"])
    _type(qtbot, panel.fields["rotation"], 40)
    _type(qtbot, panel.fields["noise"], "0.1")
    assert panel.values() == {"flip": True, "rotation": 40.0, "noise": 0.1}
    qtbot.waitUntil(lambda: _preview(panel) != plain, timeout=5000)
    varied = _preview(panel)
    assert len(varied) == PREVIEW
    # the same seed draws the same copies; another seed other ones
    panel.update_preview()
    assert _preview(panel) == varied
    _type(qtbot, settings.fields["seed"], 7)
    qtbot.waitUntil(lambda: _preview(panel) not in (varied, plain), timeout=5000)
    config = settings.config(project=pics_project.name)
    assert config.task == "image-classification" and config.seed == 7
    assert config.augmentation == {"flip": True, "rotation": 40.0, "noise": 0.1}
    # choosing a preset puts its augmentation in the panel
    settings.preset.setCurrentIndex(settings.preset.findData("balanced"))
    assert panel.values() == {"flip": True, "rotation": 10.0, "crop": 0.9, "scale": 0.1, "jitter": 0.2}
    page.grab().save("/tmp/image-train-page.png")


def test_a_text_project_has_no_augmentation_panel(window, qtbot, sample_project):
    page = _train_page(window, sample_project)
    assert page.settings.augment is None
    _open_advanced(qtbot, page.settings)
    assert page.settings.fields["max_length"].isVisible()


def test_training_records_the_chosen_augmentation_and_speaks_of_pictures(window, qtbot, ws, pics_project):
    from sftgui.core.versions import list_versions
    from sftgui.store import runs_repo

    page = _train_page(window, pics_project)
    settings = page.settings
    _open_advanced(qtbot, settings)
    _type(qtbot, settings.fields["epochs"], 1)
    _type(qtbot, settings.fields["batch_size"], 16)
    panel = settings.augment
    _tick(qtbot, panel.fields["flip"])
    _type(qtbot, panel.fields["rotation"], 15)
    _type(qtbot, panel.fields["crop"], "0.8")
    chosen = {"flip": True, "rotation": 15.0, "crop": 0.8}
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.job is None, timeout=180_000)
    assert page.last_version == "pics@v1", page.status.text()
    fast = page.fast_label.text()
    assert "picture" in fast and "augmentation: on" in fast
    words = (fast + page.log.toPlainText()).lower()
    assert "tokeniz" not in words and "padding" not in words and "texts" not in words
    version = list_versions(ws, pics_project)[-1]
    assert version.config["augmentation"] == chosen
    assert runs_repo.get_run(version.run_id).config["augmentation"] == chosen
