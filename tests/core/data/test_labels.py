import pytest

from sftgui.core import projects
from sftgui.core.data import importers, labelling, labels
from sftgui.errors import UserError


@pytest.fixture
def project(ws):
    p = projects.create_project(ws, "p")
    importers.import_rows(ws, p, [{"text": f"t{i}", "label": lab} for i, lab in enumerate("aabbc")])
    return p


def _names(ws, p):
    return [lab.name for lab in labels.list_labels(ws, p)]


def _row_labels(ws, p):
    return [r.label for r in labelling.fetch_rows(ws, p)]


def test_colours_and_shortcuts_are_assigned_and_editable(ws, project):
    labs = labels.list_labels(ws, project)
    assert [lab.shortcut for lab in labs] == [1, 2, 3]
    assert len({lab.colour for lab in labs}) == 3
    labels.set_label_style(ws, project, "c", colour="#123456", shortcut=1)
    by = {lab.name: lab for lab in labels.list_labels(ws, project)}
    assert (by["c"].colour, by["c"].shortcut, by["a"].shortcut) == ("#123456", 1, None)
    with pytest.raises(UserError, match="#rrggbb"):
        labels.set_label_style(ws, project, "c", colour="red")
    with pytest.raises(UserError, match="1 to 9"):
        labels.set_label_style(ws, project, "c", shortcut=12)


def test_only_nine_shortcuts(ws):
    p = projects.create_project(ws, "many")
    importers.import_rows(ws, p, [{"text": str(i), "label": f"l{i}"} for i in range(11)])
    assert [lab.shortcut for lab in labels.list_labels(ws, p)] == [1, 2, 3, 4, 5, 6, 7, 8, 9, None, None]


def test_add_rename_merge_delete_with_undo(ws, project):
    labels.add_label(ws, project, "d")
    with pytest.raises(UserError, match="exists already"):
        labels.add_label(ws, project, "d")
    labels.rename_label(ws, project, "a", "alpha")
    assert _row_labels(ws, project)[:2] == ["alpha", "alpha"] and "a" not in _names(ws, project)
    assert labels.merge_label(ws, project, "b", "alpha") == 2
    assert _row_labels(ws, project) == ["alpha"] * 4 + ["c"]
    assert "b" not in _names(ws, project)
    assert labels.delete_label(ws, project, "c") == 1
    assert _row_labels(ws, project)[-1] is None and "c" not in _names(ws, project)
    labelling.undo(ws, project)  # the delete
    labelling.undo(ws, project)  # the merge: label b comes back with its rows
    assert _row_labels(ws, project) == ["alpha", "alpha", "b", "b", "c"]
    assert {"b", "c"} <= set(_names(ws, project))


def test_unknown_label_lists_the_labels(ws, project):
    with pytest.raises(UserError, match="no label 'z'; the labels are: 'a', 'b', 'c'"):
        labels.delete_label(ws, project, "z")
    with pytest.raises(UserError, match="merge 'a' into it"):
        labels.rename_label(ws, project, "a", "b")
