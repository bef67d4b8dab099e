import csv
from collections import Counter

import pytest

from sftgui.core import projects
from sftgui.core.data import augment, importers, labelling, snapshots, splits
from sftgui.errors import UserError


def _project(ws, rows, name="p"):
    p = projects.create_project(ws, name)
    importers.import_rows(ws, p, [dict(zip(("text", "label", "split"), r)) for r in rows])
    return p


def test_stratified_split_is_seeded_and_keeps_proportions():
    labels = ["a"] * 100 + ["b"] * 30 + ["c"] * 3
    out = splits.stratified(labels, seed=1)
    assert out == splits.stratified(labels, seed=1) and out != splits.stratified(labels, seed=2)
    per = Counter(zip(labels, out))
    assert (per["a", "train"], per["a", "validation"], per["a", "test"]) == (80, 10, 10)
    assert (per["b", "train"], per["b", "validation"], per["b", "test"]) == (24, 3, 3)
    assert (per["c", "train"], per["c", "validation"], per["c", "test"]) == (1, 1, 1)


def test_split_refuses_a_class_too_small_and_bad_fractions():
    with pytest.raises(UserError, match="'rare' has only 2 example.*at least 3"):
        splits.stratified(["a"] * 10 + ["rare"] * 2)
    with pytest.raises(UserError, match="add up to 1"):
        splits.stratified(["a"] * 10, fractions=(0.8, 0.3, 0.1))


def test_split_column_kept_and_validation_carved_from_train():
    labels = ["a", "b"] * 20
    given = ["train"] * 30 + ["test"] * 10
    out = splits.from_column(labels, given)
    assert out[30:] == ["test"] * 10
    assert 0 < out.count("validation") < 10 and out.count("train") + out.count("validation") == 30
    with pytest.raises(UserError, match="no test rows"):
        splits.from_column(labels, ["train"] * 40)


def test_check_trainable_refuses_one_class():
    with pytest.raises(UserError, match="one class.*'a'"):
        splits.check_trainable({"a": 10})
    splits.check_trainable({"a": 10, "b": 3}, {"train": 10, "validation": 1, "test": 2})


def test_freeze_is_content_addressed_and_immutable(ws):
    p = _project(ws, [(f"text {i}", "ab"[i % 2]) for i in range(40)] + [("unlabelled", None), ("  ", "a")])
    s1 = snapshots.freeze_snapshot(ws, p)
    assert snapshots.freeze_snapshot(ws, p).id == s1.id  # unchanged draft: the same snapshot
    assert s1.rows == 40 and s1.label_counts == {"a": 20, "b": 20}
    assert s1.split_counts == {"train": 32, "validation": 4, "test": 4}
    assert s1.meta["skipped_unlabelled"] == 1 and s1.meta["skipped_empty"] == 1
    table = snapshots.load_snapshot_table(ws, s1.id)
    assert table.column_names == ["row_id", "text", "label", "split"]
    assert str(table.schema.field("row_id").type) == "int64"
    row = labelling.fetch_rows(ws, p, limit=1)[0]
    assert table.column("row_id").to_pylist()[0] == row.id
    labelling.set_label(ws, p, row.id, "b")
    s2 = snapshots.freeze_snapshot(ws, p)
    assert s2.id != s1.id and s2.hash != s1.hash
    assert snapshots.load_snapshot_table(ws, s1.id).column("label").to_pylist()[0] == "a"  # s1 never changes
    assert snapshots.freeze_snapshot(ws, p, seed=5).hash == s2.hash  # splits are kept: the seed places new rows only
    snapshots.check_trainable(ws, s2.id)


def test_freeze_uses_the_split_column_and_refuses_one_class_training(ws):
    p = _project(ws, [(f"t{i}", "ab"[i % 2], "test" if i < 6 else "train") for i in range(30)])
    s = snapshots.freeze_snapshot(ws, p)
    assert s.meta["split_source"] == "column" and s.split_counts["test"] == 6
    one = _project(ws, [(f"t{i}", "a") for i in range(10)], name="one")
    with pytest.raises(UserError, match="one class"):
        snapshots.check_trainable(ws, snapshots.freeze_snapshot(ws, one).id)
    with pytest.raises(UserError, match="no snapshot 999"):
        snapshots.get_snapshot(ws, 999)
    empty = projects.create_project(ws, "empty")
    with pytest.raises(UserError, match="no labelled rows"):
        snapshots.freeze_snapshot(ws, empty)


def test_diff_two_snapshots(ws):
    p = _project(ws, [(f"t{i}", "ab"[i % 2]) for i in range(12)])
    a = snapshots.freeze_snapshot(ws, p)
    rows = labelling.fetch_rows(ws, p)
    labelling.set_label(ws, p, rows[0].id, "b")
    labelling.edit(p, "remove one", [[rows[1].id, "removed", False, True]])
    importers.import_rows(ws, p, [{"text": "brand new", "label": "a"}])
    d = snapshots.diff_snapshots(ws, a.id, snapshots.freeze_snapshot(ws, p).id)
    assert (d["added"], d["removed"], d["relabelled"], d["unchanged"]) == (1, 1, 1, 10)
    assert d["examples"]["relabelled"] == [{"text": "t0", "from": "a", "to": "b"}]
    assert d["examples"]["added"] == [{"text": "brand new", "label": "a"}]


def test_export_escapes_formulas(ws, tmp_path):
    danger = ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "plain"]
    p = _project(ws, [(t, lab) for t in danger for lab in "ab"] + [("x", "a"), ("y", "b")])
    s = snapshots.freeze_snapshot(ws, p)
    (tmp_path / "out").mkdir()
    out = snapshots.export_snapshot_csv(ws, s.id, tmp_path / "out" / "s.csv")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 12
    assert {r["text"] for r in rows} == {"'=1+2", "'+cmd", "'-2+3", "'@SUM(A1)", "plain", "x", "y"}


def test_augment_is_pure_and_off_at_rate_zero():
    rows = [{"row_id": i, "text": "the parcel arrived two weeks late", "label": "shipping"} for i in range(5)]
    assert augment.augment_rows(rows, 0.0) == rows
    out = augment.augment_rows(rows, 0.2, seed=3)
    assert out == augment.augment_rows(rows, 0.2, seed=3) and out[:5] == rows
    extra = out[5:]
    assert extra and all(r["augmented"] and r["label"] == "shipping" for r in extra)
    assert all(set(r["text"].split()) <= set(rows[0]["text"].split()) for r in extra)
    assert any(r["text"] != rows[0]["text"] for r in extra)
    with pytest.raises(UserError, match="between 0 and 0.5"):
        augment.augment_rows(rows, 0.9)
