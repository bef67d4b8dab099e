"""An image project's review lists, search, compare text and sample, with real widgets: the
"label next" list as thumbnails with the version's guess, the grid's search by file name, the
"Predictions that changed" text with a thumbnail per picture, and the shipped sample as the
welcome page's card would open it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.core.image.conftest import shapes_dir, tiny_image_model_dir  # noqa: F401 - fixtures
from tests.qt.test_image_pages import _label_page, image_project  # noqa: F401 - fixture


def _choose(page, data):
    index = page.filter_combo.findData(data)
    assert index >= 0, f"no filter {data}"
    page.filter_combo.setCurrentIndex(index)
    page.filter_combo.activated.emit(index)


def test_the_label_next_list_shows_thumbnails_with_the_versions_guess(window, qtbot, ws, image_project):  # noqa: F811
    from sftgui.core.data import labelling

    rows = labelling.fetch_rows(ws, image_project, limit=48)
    labelling.set_label(ws, image_project, [r.id for r in rows[:6]], None)  # six pictures without a label
    page = _label_page(window, image_project)
    _choose(page, "hint:next")
    qtbot.waitUntil(lambda: not window.ctx.jobs.is_running("hints") and page.hint_model.rowCount() > 0,
                    timeout=60_000)
    grid = page.table
    assert grid is page.grid and grid.model() is page.hint_model and grid.isVisible()
    assert grid.model().rowCount() == 6
    first = grid.proxy.index(0, 0)
    assert not grid.proxy.data(first, Qt.ItemDataRole.DecorationRole).isNull()  # the picture itself
    hint = page.hint_model.hint_at(0)
    assert grid.proxy.data(first, Qt.ItemDataRole.DisplayRole) == f"thinks {hint['guess']}"
    assert "The model thinks" in grid.proxy.data(first, Qt.ItemDataRole.ToolTipRole)
    # labelling from the list with a key works as in the text table
    grid.setFocus()
    grid.selectRow(0)
    qtbot.keyClick(grid, Qt.Key(Qt.Key.Key_0 + page._key_of(page.labels[0], 0)))
    assert page.hint_model.row_at(0).label == page.labels[0].name
    page.grab().save("/tmp/image-hints.png")


def test_the_grid_finds_pictures_by_file_name(window, qtbot, image_project):  # noqa: F811
    page = _label_page(window, image_project)
    assert page.search.placeholderText() == "Search file names…"
    wanted = page.grid.model().row_at(5).source
    assert wanted and "/" not in wanted[-4:]  # a file name, e.g. star/0003.png
    page.search.setFocus()
    qtbot.keyClicks(page.search, wanted)
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert page.grid.model().rowCount() == 1
    assert page.grid.model().row_at(0).source == wanted
    page.search.clear()
    qtbot.keyClicks(page.search, "STAR")  # case does not matter; every star's file is under star/
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert page.grid.model().rowCount() == 12


def test_a_text_search_does_not_match_file_names(ws, sample_project):
    from sftgui.core.data import labelling
    from sftgui.store.draft_repo import RowFilter

    source = labelling.fetch_rows(ws, sample_project, limit=1)[0].source
    assert source
    assert labelling.count_rows(ws, sample_project, RowFilter(search=source)) == 0


def test_predictions_that_changed_show_a_thumbnail_per_picture(window, qtbot, ws, image_project):  # noqa: F811
    import torch
    from PySide6.QtGui import QTextImageFormat

    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.tasks import get_task
    from sftgui.core.versions import list_versions, register_version

    task = get_task("image-classification")
    labels = ["circle", "square", "star", "triangle"]
    snap = freeze_snapshot(ws, image_project)
    for seed, boost in ((1, 0), (2, 3)):
        torch.manual_seed(seed)
        model = task.load_model(image_project.base_model, labels)
        with torch.no_grad():
            model.classifier[-1].bias[boost] += 5.0
        register_version(ws, image_project, model, task.load_processor(image_project.base_model), labels=labels,
                         base_model=image_project.base_model, snapshot_id=snap.id)
    window.ctx.set_project(image_project)
    window.ctx.compare_selection = [v.id for v in list_versions(ws, image_project)[-2:]]
    window.show_step("compare")
    compare = window.page("compare")
    compare.refresh()
    qtbot.mouseClick(compare.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: compare.result is not None, timeout=120_000)
    text = compare.predictions.toPlainText()
    assert "fixed" in text or "broken" in text
    assert "\u201c" not in text  # no picture is named by its hash
    images = []
    block = compare.predictions.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                images.append(QTextImageFormat(fmt).name())
            it += 1
        block = block.next()
    shown = sum(min(5, len(d["examples"].get(k, []))) for d in compare.result["prediction_diffs"].values()
                for k in ("fixed", "broken", "still_wrong"))
    assert shown >= 1 and len(images) == shown
    assert all(name.startswith("file:") and name.endswith(".png") for name in images)


def test_the_image_sample_opens_as_a_project_with_its_pictures(window, qtbot, ws):
    """What the welcome page's card for the image task does: create the project the task names,
    import the shipped folder, land on pictures ready to label and train."""
    from sftgui.core.data.importers import import_file
    from sftgui.core.projects import create_project
    from sftgui.core.tasks import get_task

    task = get_task("image-classification")
    name, folder = task.sample()
    assert folder.is_dir()
    project = create_project(ws, name, task.name)
    result = import_file(ws, project, folder)
    assert result.rows == 240 and sorted(result.labels) == ["circle", "square", "star", "triangle"]
    page = _label_page(window, project)
    assert page.table is page.grid and page.grid.model().rowCount() == 240
    assert not page.grid.proxy.data(page.grid.proxy.index(0, 0), Qt.ItemDataRole.DecorationRole).isNull()
    window.show_step("train")
    train = window.page("train")
    train.refresh()
    assert train.settings.augment is not None and train.settings.preset.currentData() == "quick"
    assert window.ctx.model_ref() == "bundled"  # the task's packaged model (EfficientNet-Lite0)
    assert train.start_button.isEnabled()
