import pytest

from sftgui.core import projects
from sftgui.core.data import importers, labelling, quality


def _project(ws, rows, name="p"):
    p = projects.create_project(ws, name)
    importers.import_rows(ws, p, [dict(zip(("text", "label", "split"), r)) for r in rows])
    return p


def _finding(report, kind):
    return next((f for f in report.findings if f.kind == kind), None)


def test_every_kind_of_finding(ws, tiny_model_dir):
    long_text = " ".join(["refund"] * 100)  # 100 word tokens + 2 special tokens, the tiny model reads 64
    rows = [("Refund my card", "billing", "train"), ("Refund my card", "billing", "train"),
            ("refund,  MY card!", "billing", "train"), ("Where is my parcel", "shipping", "train"),
            ("where is my parcel", "billing", "test"), ("", "billing", "train"), (None, "shipping", "train"),
            ("no label yet", None, "train"), (long_text, "billing", "train"), ("bird", "rare", "train")]
    p = _project(ws, rows + [(f"bill {i}", "billing", "validation") for i in range(20)])
    report = quality.check_draft(ws, p, model_dir=tiny_model_dir)
    assert report.rows == 30 and report.labelled == 29 and report.max_length == 64
    assert _finding(report, "exact_duplicates").count == 1
    assert _finding(report, "near_duplicates").count == 2  # "refund,  MY card!" and "where is my parcel"
    conflict = _finding(report, "label_conflicts")
    assert conflict.count == 1 and conflict.examples[0]["labels"] == {"shipping": 1, "billing": 1}
    assert _finding(report, "empty_text").count == 2
    assert _finding(report, "missing_labels").count == 1
    too_long = _finding(report, "too_long")
    assert too_long.count == 1 and too_long.examples[0]["tokens_cut"] == 102 - 64
    assert _finding(report, "too_few_examples").examples == [{"label": "shipping", "count": 2}, {"label": "rare", "count": 1}]
    assert _finding(report, "class_imbalance") is not None
    assert _finding(report, "split_leakage").count == 1
    assert _finding(report, "single_class") is None
    assert set(report.to_json()) >= {"rows", "labelled", "labels", "findings"}


def test_clean_data_has_no_findings_and_one_class_is_flagged(ws):
    p = _project(ws, [(f"text number {i}", "ab"[i % 2]) for i in range(10)])
    assert quality.check_draft(ws, p, check_length=False).findings == []
    one = _project(ws, [(f"text number {i}", "a") for i in range(10)], name="one")
    assert quality.check_draft(ws, one, check_length=False).kinds() == {"single_class"}


def test_fixes_edit_the_draft_and_can_be_undone(ws):
    p = _project(ws, [("Same text", "a"), ("same text!", "a"), ("Same text", "b"), ("", "a"), ("other", "b"),
                      ("x y", "a"), ("x y", "a"), ("x y", "b")])
    texts = lambda: [(r.text, r.label, r.flagged) for r in labelling.fetch_rows(ws, p)]  # noqa: E731
    before = texts()
    assert quality.resolve_conflicts(ws, p, "flag") == 6
    assert [t[2] for t in texts()] == [True, True, True, False, False, True, True, True]
    labelling.undo(ws, p)
    assert quality.resolve_conflicts(ws, p, "majority") == 2  # "Same text" b->a and "x y" b->a
    assert [t[1] for t in texts()] == ["a", "a", "a", "a", "b", "a", "a", "a"]
    assert quality.drop_empty(ws, p) == 1
    assert quality.drop_duplicates(ws, p) == 4
    assert [t[0] for t in texts()] == ["Same text", "other", "x y"]
    assert quality.check_draft(ws, p, check_length=False).kinds() == {"too_few_examples"}
    for _ in range(3):
        labelling.undo(ws, p)
    assert texts() == before


def test_exact_only_keeps_near_duplicates(ws):
    p = _project(ws, [("A b", "x"), ("a b", "x"), ("A b", "x")])
    assert quality.drop_duplicates(ws, p, near=False) == 1
    assert [r.text for r in labelling.fetch_rows(ws, p)] == ["A b", "a b"]


def test_bad_resolution_is_refused(ws):
    from sftgui.errors import UserError

    p = _project(ws, [("a", "x")])
    with pytest.raises(UserError, match="majority"):
        quality.resolve_conflicts(ws, p, "vote")
