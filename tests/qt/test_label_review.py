"""Label page: review suggestions from a version (label next, possible label errors) and label colours."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QMessageBox

from sftgui.core import hints
from sftgui.core.data import labelling, labels


def _no_error_dialog(window):
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is None or not box.isVisible(), box.text()


@pytest.fixture
def versioned(ws, sample_project, tmp_path):
    """The sample project with 40 rows unlabelled and a registered version of a tiny 4-label model
    whose classifier leans to the first label, so it is confidently wrong about many rows (errors to show)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.core.versions import register_version
    from tests.tiny import make_tiny_model_dir

    names = [lab.name for lab in labels.list_labels(ws, sample_project)]
    folder = make_tiny_model_dir(tmp_path / "tiny4", num_labels=len(names), seed=1)
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    with torch.no_grad():
        model.classifier.weight.mul_(40.0)
        model.classifier.bias[0] += 3.0  # confident about the first label: every other label is a "possible error"
    tokenizer = AutoTokenizer.from_pretrained(folder)
    rows = labelling.fetch_rows(ws, sample_project, None, 0, 40)
    labelling.set_label(ws, sample_project, [r.id for r in rows], None)
    version = register_version(ws, sample_project, model, tokenizer, labels=names, base_model=str(folder))
    return sample_project, version


def _open_label(window, project):
    window.ctx.set_project(project)
    window.show_step("label")
    page = window.page("label")
    page.refresh()
    return page


def _choose(page, data):
    index = page.filter_combo.findData(data)
    assert index >= 0, f"no filter {data}"
    page.filter_combo.setCurrentIndex(index)
    page.filter_combo.activated.emit(index)


def _shown(page):
    return [page.hint_model.hint_at(i)["row_id"] for i in range(page.hint_model.rowCount())]


def test_no_suggestions_without_a_version(window, sample_project):
    page = _open_label(window, sample_project)
    assert page.filter_combo.findData("hint:next") < 0 and page.filter_combo.findData("hint:errors") < 0


def test_label_next_shows_the_core_order_and_relabels_undoably(window, qtbot, ws, versioned):
    project, version = versioned
    page = _open_label(window, project)
    _choose(page, "hint:next")
    # computed in the worker: the page says so and the GUI thread is free
    assert window.ctx.jobs.is_running("hints")
    assert page.hint_info.text().startswith("Computing") and page.hint_area.isVisible()
    qtbot.waitUntil(lambda: not window.ctx.jobs.is_running("hints") and page.hint_model.rowCount() > 0,
                    timeout=60_000)
    _no_error_dialog(window)
    expected = hints.label_next(ws, version)["rows"]
    assert _shown(page) == [h["row_id"] for h in expected]
    assert len(expected) == 40  # every unlabelled row, least sure first
    assert page.table.model() is page.hint_model
    first = expected[0]
    guess = page.hint_model.index(0, 2).data()
    assert guess == f"{first['predicted']} ({first['confidence']:.0%} sure)"
    page.table.selectRow(0)
    assert page.hint_detail.text() == (f"The model thinks this is '{first['predicted']}' "
                                       f"({first['confidence']:.0%} sure); it has no label yet.")

    # press the key of the second label: the row gets it, stays listed, the selection moves on
    window.activateWindow()
    qtbot.waitActive(window)
    page.table.setFocus()
    page.table.selectRow(0)
    key = page._key_of(page.labels[1], 1)
    qtbot.keyClick(page.table, Qt.Key(Qt.Key.Key_0 + key))
    assert labelling.rows_by_id(ws, project, [first["row_id"]])[first["row_id"]].label == page.labels[1].name
    assert page.hint_model.index(0, 1).data() == page.labels[1].name
    assert page.table.currentIndex().row() == 1 and _shown(page)[0] == first["row_id"]
    qtbot.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert labelling.rows_by_id(ws, project, [first["row_id"]])[first["row_id"]].label is None
    assert page.hint_model.index(0, 1).data() == ""
    assert not window.ctx.jobs.is_running("hints")  # undo re-reads labels, it does not ask the model again


def test_possible_label_errors_show_label_guess_and_confidence(window, qtbot, ws, versioned):
    project, version = versioned
    page = _open_label(window, project)
    _choose(page, "hint:errors")
    qtbot.waitUntil(lambda: not window.ctx.jobs.is_running("hints") and page.hint_model.rowCount() > 0,
                    timeout=60_000)
    _no_error_dialog(window)
    expected = hints.label_error_hints(ws, version)["rows"]
    assert len(expected) >= 3 and _shown(page) == [h["row_id"] for h in expected]
    for i, h in enumerate(expected[:5]):
        assert page.hint_model.index(i, 1).data() == h["label"]
        assert page.hint_model.index(i, 2).data() == f"{h['suggested']} ({h['confidence']:.0%} sure)"
    page.table.selectRow(2)
    h = expected[2]
    assert page.hint_detail.text() == (f"The model thinks this is '{h['suggested']}' ({h['confidence']:.0%} sure), "
                                       f"but it is labelled '{h['label']}'.")
    assert f"{len(expected)} labelled rows where {version.ref} confidently disagrees" in page.hint_info.text()
    # back to all rows: the plain table again; back to the errors: cached, no new job
    _choose(page, "all")
    assert page.table.model() is page.model and not page.hint_area.isVisible()
    _choose(page, "hint:errors")
    assert not window.ctx.jobs.is_running("hints") and _shown(page) == [h["row_id"] for h in expected]
    window.resize(1280, 800)
    qtbot.wait(50)
    window.grab().save("/tmp/label_errors.png")


def test_label_colour_is_saved_and_chips_follow(window, qtbot, ws, sample_project, monkeypatch):
    page = _open_label(window, sample_project)
    name = page.labels[0].name
    page.label_list.setCurrentRow(0)
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#123456")))
    page.colour_button.click()
    assert labels.list_labels(ws, sample_project)[0].colour == "#123456"
    assert page.label_list.item(0).background().color().name() == "#123456"
    assert page.label_list.currentRow() == 0
    row = next(i for i in range(page.model.rowCount()) if page.model.row_at(i).label == name)
    assert page.model.index(row, 1).data(Qt.ItemDataRole.BackgroundRole).name() == "#123456"
    assert page.model.index(row, 1).data(Qt.ItemDataRole.ForegroundRole).name() == "#ffffff"  # readable on dark
    # a cancelled dialog changes nothing
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor()))
    page.choose_colour()
    assert labels.list_labels(ws, sample_project)[0].colour == "#123456"
