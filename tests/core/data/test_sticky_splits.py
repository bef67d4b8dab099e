"""A row's split is decided once and kept in every later snapshot; new rows keep the proportions."""

from __future__ import annotations

from collections import Counter

import pytest

from sftgui.core import projects
from sftgui.core.data import importers, labelling, snapshots, splits


def _rows(n, start=0, labels="abc"):
    return [{"text": f"text number {start + i}", "label": labels[i % len(labels)]} for i in range(n)]


def _splits(ws, snap) -> dict[int, str]:
    t = snapshots.load_snapshot_table(ws, snap.id).to_pydict()
    return dict(zip(t["row_id"], t["split"]))


def _per_class(ws, snap) -> dict:
    t = snapshots.load_snapshot_table(ws, snap.id).to_pydict()
    return Counter(zip(t["label"], t["split"]))


def test_splits_are_kept_when_the_data_grows_and_new_rows_keep_the_fractions(ws):
    p = projects.create_project(ws, "p")
    importers.import_rows(ws, p, _rows(60))
    s1 = snapshots.freeze_snapshot(ws, p)
    importers.import_rows(ws, p, _rows(60, start=60))
    s2 = snapshots.freeze_snapshot(ws, p)
    importers.import_rows(ws, p, _rows(90, start=120))
    s3 = snapshots.freeze_snapshot(ws, p)
    first, second, third = _splits(ws, s1), _splits(ws, s2), _splits(ws, s3)
    assert all(second[r] == s for r, s in first.items())
    assert all(third[r] == s for r, s in second.items())
    for snap, per_class in ((s2, 40), (s3, 70)):  # each class again at 80/10/10
        n_test, n_val = splits._targets(per_class, splits.DEFAULT_FRACTIONS)
        counts = _per_class(ws, snap)
        for lab in "abc":
            assert (counts[lab, "test"], counts[lab, "validation"]) == (n_test, n_val)
            assert counts[lab, "train"] == per_class - n_test - n_val
    assert s3.meta["splits_kept"] == 120 and s3.meta["splits_new"] == 90
    d = snapshots.diff_snapshots(ws, s1.id, s3.id)
    assert (d["added"], d["moved"], d["moves"]) == (150, 0, {})


def test_the_first_snapshot_is_the_plain_stratified_split(ws):
    p = projects.create_project(ws, "p")
    rows = _rows(40)
    importers.import_rows(ws, p, rows)
    s = snapshots.freeze_snapshot(ws, p, seed=3)
    t = snapshots.load_snapshot_table(ws, s.id).to_pydict()
    assert t["split"] == splits.stratified(t["label"], seed=3)


def test_removed_then_restored_and_reimported_rows_keep_their_split(ws):
    p = projects.create_project(ws, "p")
    importers.import_rows(ws, p, _rows(60))
    first = _splits(ws, snapshots.freeze_snapshot(ws, p))
    test_ids = [r for r, s in first.items() if s == "test"]
    texts = {r.id: r.text for r in labelling.fetch_rows(ws, p, limit=100)}
    labelling.edit(p, "remove two", [[test_ids[0], "removed", False, True], [test_ids[1], "removed", False, True]])
    assert test_ids[0] not in _splits(ws, snapshots.freeze_snapshot(ws, p))
    labelling.undo(ws, p)
    # the same text imported again (a new row id) goes where its twin went: never into training
    importers.import_rows(ws, p, [{"text": texts[test_ids[2]], "label": "a"}])
    third = _splits(ws, snapshots.freeze_snapshot(ws, p))
    assert third[test_ids[0]] == third[test_ids[1]] == "test"
    twin = max(third)
    assert twin not in first and third[twin] == "test"


def test_the_split_column_still_wins_and_the_diff_shows_the_move(ws):
    p = projects.create_project(ws, "p")
    importers.import_rows(ws, p, _rows(60))
    s1 = snapshots.freeze_snapshot(ws, p)
    t1 = snapshots.load_snapshot_table(ws, s1.id).to_pydict()
    test_texts = [x for x, s in zip(t1["text"], t1["split"]) if s == "test"][:2]
    importers.import_rows(ws, p, [{"text": x, "label": "a", "split": "train"} for x in test_texts])
    s2 = snapshots.freeze_snapshot(ws, p)
    assert s2.meta["split_source"] == "column"
    second = _splits(ws, s2)
    assert all(second[r] == s for r, s in _splits(ws, s1).items())  # rows without a column value keep theirs
    d = snapshots.diff_snapshots(ws, s1.id, s2.id)
    assert d["moved"] == 2 and d["moves"] == {"test -> train": 2}
    assert {e["text"] for e in d["examples"]["moved"]} == set(test_texts)


def test_a_workspace_from_before_keeps_its_latest_snapshots_splits(ws):
    from sftgui.store.models import DraftRow

    p = projects.create_project(ws, "p")
    importers.import_rows(ws, p, _rows(60))
    s1 = snapshots.freeze_snapshot(ws, p)
    DraftRow.update(assigned_split=None).execute()  # as a schema-2 workspace has them
    importers.import_rows(ws, p, _rows(30, start=60))
    s2 = snapshots.freeze_snapshot(ws, p)
    second = _splits(ws, s2)
    assert all(second[r] == s for r, s in _splits(ws, s1).items())


def test_a_new_label_too_small_to_split_is_refused_with_the_reason(ws):
    p = projects.create_project(ws, "p")
    importers.import_rows(ws, p, _rows(30))
    snapshots.freeze_snapshot(ws, p)
    importers.import_rows(ws, p, [{"text": "one rare", "label": "rare"}, {"text": "two rare", "label": "rare"}])
    with pytest.raises(Exception, match="'rare' has only 2"):
        snapshots.freeze_snapshot(ws, p)
