
import pytest

from sftgui.core import projects
from sftgui.core.data import importers, labelling, labels
from sftgui.core.data.labelling import RowFilter
from sftgui.errors import UserError
from sftgui.store.db import open_workspace
from sftgui.store.models import db


@pytest.fixture
def project(ws):
    p = projects.create_project(ws, "p")
    importers.import_rows(ws, p, [{"text": "refund please", "label": "billing"}, {"text": "app crash", "label": None},
                                  {"text": "lost parcel", "label": None}, {"text": "Refund twice", "label": "billing"}])
    labels.add_label(ws, p, "technical")
    return p


def _labels(ws, p):
    return [r.label for r in labelling.fetch_rows(ws, p)]


def test_set_clear_undo_redo(ws, project):
    ids = [r.id for r in labelling.fetch_rows(ws, project)]
    assert labelling.set_label(ws, project, ids[1], "technical") == 1
    assert labelling.set_label(ws, project, [ids[0], ids[2]], None) == 1  # ids[2] had no label
    assert _labels(ws, project) == [None, "technical", None, "billing"]
    assert labelling.undo(ws, project).startswith("Clear the label")
    assert _labels(ws, project) == ["billing", "technical", None, "billing"]
    assert labelling.undo(ws, project).startswith("Label 1 row")
    assert labelling.undo(ws, project) is None
    assert _labels(ws, project) == ["billing", None, None, "billing"]
    labelling.redo(ws, project)
    assert _labels(ws, project) == ["billing", "technical", None, "billing"]
    # a new edit drops what could still be redone
    labelling.set_label(ws, project, ids[2], "billing")
    assert labelling.redo(ws, project) is None
    assert labelling.progress(ws, project).can_redo == 0


def test_undo_survives_a_restart(ws, project):
    row = labelling.fetch_rows(ws, project)[1]
    labelling.set_label(ws, project, row.id, "technical")
    path = ws.path
    ws.close()  # as if the app was killed after the edit: it is committed already
    ws2 = open_workspace(path)
    assert _labels(ws2, "p")[1] == "technical"
    labelling.undo(ws2, "p")
    assert _labels(ws2, "p")[1] is None


def test_unknown_label_and_row_are_refused(ws, project):
    row = labelling.fetch_rows(ws, project)[0]
    with pytest.raises(UserError, match="no label 'sports'.*'billing', 'technical'"):
        labelling.set_label(ws, project, row.id, "sports")
    with pytest.raises(UserError, match="no row 99999"):
        labelling.set_label(ws, project, [row.id, 99999], "billing")
    assert _labels(ws, project) == ["billing", None, None, "billing"]
    labelling.set_label(ws, project, row.id, "sports", create=True)
    assert "sports" in [lab.name for lab in labels.list_labels(ws, project)]


def test_filters_flags_and_progress(ws, project):
    rows = labelling.fetch_rows(ws, project)
    labelling.set_flag(ws, project, [rows[2].id])
    count = lambda f: labelling.count_rows(ws, project, f)  # noqa: E731
    assert count(RowFilter(status="unlabelled")) == 2
    assert count(RowFilter(status="labelled")) == 2
    assert count(RowFilter(label="billing")) == 2
    assert [r.text for r in labelling.fetch_rows(ws, project, RowFilter(status="flagged"))] == ["lost parcel"]
    assert [r.text for r in labelling.fetch_rows(ws, project, RowFilter(search="REFUND"))] == ["refund please", "Refund twice"]
    assert count(RowFilter(search="100%")) == 0
    assert labelling.parse_filter("label:billing") == RowFilter(label="billing")
    with pytest.raises(UserError, match="Unknown filter"):
        labelling.parse_filter("bogus")
    prog = labelling.progress(ws, project)
    assert (prog.labelled, prog.total, prog.fraction) == (2, 4, 0.5)


@pytest.mark.slow
def test_paging_and_bulk_edits_at_100k_rows(ws):
    p = projects.create_project(ws, "big")
    importers.import_rows(ws, p, [{"text": f"message {i}", "label": None if i % 3 else "a"} for i in range(100_000)])
    labels.add_label(ws, p, "b")
    n = labelling.count_rows(ws, p, RowFilter(status="unlabelled"))
    page = labelling.fetch_rows(ws, p, RowFilter(status="unlabelled"), offset=n - 50, limit=50)
    assert n == 66_666 and page[-1].text == "message 99998"
    ids = [r.id for r in labelling.fetch_rows(ws, p, RowFilter(status="unlabelled"), limit=100_000)]
    # What keeps it fast on any machine (the seconds are measured in benchmarks/labelling_figures.py):
    # 66,666 rows are written in grouped statements, not one per row.
    statements = []
    con = db.connection()
    con.set_trace_callback(statements.append)
    try:
        labelling.set_label(ws, p, ids, "b")
        labelling.undo(ws, p)
    finally:
        con.set_trace_callback(None)
    assert labelling.count_rows(ws, p, RowFilter(label="b")) == 0
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert 0 < len(updates) <= 2 * (-(-len(ids) // 500)) + 10, len(updates)
