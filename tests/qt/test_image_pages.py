"""The image project's pages clicked through with real widgets: the thumbnail grid on the Label
page (keys, undo, virtualized at 10,000 pictures) and the picture playground on the Try page."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QListView

from tests.core.image.conftest import shapes_dir, tiny_image_model_dir  # noqa: F401 - fixtures


@pytest.fixture
def image_project(ws, shapes_dir, tiny_image_model_dir):  # noqa: F811
    """The 48 drawn shapes in an image project, with a v1 registered from the tiny ResNet."""
    from sftgui.core.data.importers import import_file
    from sftgui.core.projects import create_project
    from sftgui.core.tasks import get_task
    from sftgui.core.versions import register_version

    project = create_project(ws, "pics", "image-classification", base_model=str(tiny_image_model_dir))
    import_file(ws, project, shapes_dir)
    task = get_task("image-classification")
    labels = ["circle", "square", "star", "triangle"]
    model = task.load_model(tiny_image_model_dir, labels)
    register_version(ws, project, model, task.load_processor(tiny_image_model_dir), labels=labels,
                     base_model=str(tiny_image_model_dir))
    return project


def _label_page(window, project):
    window.ctx.set_project(project)
    window.show_step("label")
    page = window.page("label")
    page.refresh()
    return page


def test_the_label_page_shows_a_thumbnail_grid_that_labels_with_keys_and_undoes(window, qtbot, image_project):
    page = _label_page(window, image_project)
    grid = page.table
    assert grid is page.grid and isinstance(grid, QListView) and grid.isVisible() and not page.text_table.isVisible()
    assert grid.viewMode() == QListView.ViewMode.IconMode and grid.uniformItemSizes()
    assert grid.model().rowCount() == 48
    first = grid.proxy.index(0, 0)
    assert not grid.proxy.data(first, Qt.ItemDataRole.DecorationRole).isNull()  # a real thumbnail
    assert grid.proxy.data(first, Qt.ItemDataRole.DisplayRole) == "circle"
    window.activateWindow()
    qtbot.waitActive(window)
    grid.setFocus()
    grid.selectRow(0)
    key = page._key_of(page.labels[1], 1)  # the second label (square)
    qtbot.keyClick(grid, Qt.Key(Qt.Key.Key_0 + key))
    assert grid.model().row_at(0).label == page.labels[1].name
    assert grid.currentIndex().row() == 1  # moved on to the next picture
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert grid.model().row_at(0).label == "circle"
    qtbot.keyClick(grid, Qt.Key.Key_F)  # flag the current picture
    assert grid.proxy.data(grid.proxy.index(grid.currentIndex().row(), 0), Qt.ItemDataRole.DisplayRole).startswith("\u2691")
    page.filter_combo.setCurrentIndex(page.filter_combo.findData("flagged"))
    page.filter_combo.activated.emit(page.filter_combo.currentIndex())
    assert grid.model().rowCount() == 1


def test_the_grid_reads_only_what_it_shows_at_10000_pictures(window, qtbot, ws, image_project):
    from sftgui.qt.widgets import draft_model, thumbnail_grid
    from sftgui.store import draft_repo

    digests = [r[1] for r in draft_repo.iter_live(image_project.id)][:8]
    start = draft_repo.next_position(image_project.id)
    with draft_repo.transaction():
        draft_repo.insert_rows(image_project.id, [(digests[i % 8], "circle", None, f"copy {i}") for i in range(10_000)],
                               start)
    page = _label_page(window, image_project)
    grid = page.grid
    assert grid.model().rowCount() == 10_048
    def at_the_end():
        grid.scrollToBottom()  # again while the batched layout grows the scroll range
        shown = [grid.indexAt(QPoint(x, y)).row() for x in (30, 60) for y in range(5, grid.viewport().height(), 15)]
        return max(shown) > 9_000

    qtbot.waitUntil(at_the_end, timeout=20_000)
    grid.viewport().repaint()
    assert len(grid.model()._pages) <= draft_model.CACHE_PAGES  # pages of 200 rows, read on demand
    assert len(grid.proxy._pixmaps) <= thumbnail_grid.CACHE


def test_the_try_page_predicts_an_opened_picture(window, qtbot, image_project, shapes_dir):  # noqa: F811
    window.ctx.set_project(image_project)
    window.show_step("try")
    tryit = window.page("try")
    tryit.refresh()
    assert tryit.picture_row.isVisible() and not tryit.text.isVisible()
    tryit.pick_button.click()
    dialog = tryit.findChild(QFileDialog, "tryPictureDialog")
    assert dialog is not None and dialog.isVisible()
    photo = next((shapes_dir / "star").iterdir())
    dialog.selectFile(str(photo))
    dialog.accept()
    qtbot.waitUntil(lambda: tryit.last is not None, timeout=60_000)
    assert set(tryit.last["scores"]) == {"circle", "square", "star", "triangle"}
    assert tryit.bars.rowCount() == 4 and not tryit.picture.pixmap().isNull()


def test_compare_shows_the_pictures_that_changed(window, qtbot, ws, image_project, tiny_image_model_dir):  # noqa: F811
    import torch

    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.tasks import get_task
    from sftgui.core.versions import list_versions, register_version

    task = get_task("image-classification")
    labels = ["circle", "square", "star", "triangle"]
    snap = freeze_snapshot(ws, image_project)
    for seed, boost in ((1, 0), (2, 3)):  # two versions that answer differently on the same test pictures
        torch.manual_seed(seed)
        model = task.load_model(tiny_image_model_dir, labels)
        with torch.no_grad():
            model.classifier[-1].bias[boost] += 5.0
        register_version(ws, image_project, model, task.load_processor(tiny_image_model_dir), labels=labels,
                         base_model=str(tiny_image_model_dir), snapshot_id=snap.id)
    window.ctx.set_project(image_project)
    window.ctx.compare_selection = [v.id for v in list_versions(ws, image_project)[-2:]]
    window.show_step("compare")
    compare = window.page("compare")
    compare.refresh()
    assert len(compare.checked_ids()) == 2
    compare.compare_button.click()
    qtbot.waitUntil(lambda: compare.result is not None, timeout=120_000)
    tab = compare.tabs.indexOf(compare.pictures)
    assert tab >= 0 and compare.tabs.tabText(tab) == "Pictures that changed"
    assert compare.pictures.count() >= 1
    first = compare.pictures.item(0)
    assert not first.icon().isNull() and ("was" in first.text() and "now" in first.text())
