"""The Versions page's actions ask why through a dialog, and the History page shows the answers."""

from __future__ import annotations

import pytest
import torch

from tests.qt.conftest import click, go_to, type_reason, when_dialog


@pytest.fixture
def three_versions(ws, tiny_model_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.core import versions
    from sftgui.core.projects import create_project

    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    project = create_project(ws, "tickets")
    for _ in range(3):
        versions.register_version(ws, project, model, tok, labels=["a", "b"], base_model="tiny")
        with torch.no_grad():
            model.classifier.bias.add_(1.0)
    return project


def _select(qtbot, table, row):
    from PySide6.QtCore import Qt

    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(table.item(row, 0)).center())


def test_production_trash_and_delete_for_good_ask_why(window, qtbot, three_versions):
    from sftgui.core.versions import alias_history

    window.ctx.set_project(three_versions)
    go_to(window, qtbot, "versions")
    page = window.page("versions")
    assert page.table.rowCount() == 3 and not page.purge_button.isVisible()

    _select(qtbot, page.table, 2)
    type_reason(qtbot, "best on refunds")
    click(qtbot, page.production_button)
    assert [(e.to_number, e.reason) for e in alias_history(window.ctx.ws, "tickets")][-1] == (3, "best on refunds")

    # cancelling the dialog changes nothing
    when_dialog(lambda d: d.reject(), "reasonDialog")
    click(qtbot, page.production_button)
    _select(qtbot, page.table, 0)
    when_dialog(lambda d: d.reject(), "reasonDialog")
    click(qtbot, page.production_button)
    assert len(alias_history(window.ctx.ws, "tickets")) == 2  # the first version's automatic alias, then v3

    _select(qtbot, page.table, 1)
    type_reason(qtbot, "an experiment")
    click(qtbot, page.trash_button)
    click(qtbot, page.show_trash)
    _select(qtbot, page.table, 1)
    assert page.purge_button.isVisible() and page.trash_button.text() == "Restore"
    type_reason(qtbot, "data-protection request 17")
    click(qtbot, page.purge_button)
    assert [v.number for v in page.versions] == [1, 3]

    go_to(window, qtbot, "history")
    history = window.page("history")
    rows = [[history.table.item(r, c).text() for c in range(4)] for r in range(history.table.rowCount())]
    assert rows[0][2:] == ["removed tickets@v2 for good (its stored files go at the next gc)",
                           "data-protection request 17"]
    assert rows[1][2:] == ["moved tickets@v2 to the trash", "an experiment"]
    assert rows[2][2:] == ["moved production from v1 to v3 (tickets)", "best on refunds"]
    _select(qtbot, history.table, 0)
    assert '"manifest"' in history.detail.toPlainText() and '"blobs"' in history.detail.toPlainText()
