"""Compare scores only the test rows that none of the compared versions trained on."""

from __future__ import annotations

import numpy as np
import pytest

from sftgui.errors import UserError


def _test_texts(ws, snapshot_id):
    from sftgui.core.data.snapshots import load_snapshot_table

    t = load_snapshot_table(ws, snapshot_id).to_pydict()
    return [(r, x) for r, x, s in zip(t["row_id"], t["text"], t["split"]) if s == "test"]


def _leaky_version(ws, project, parent, model, tokenizer, texts):
    """A version trained on a snapshot where `texts` (some of the parent's test texts) are training rows."""
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from tests.core.evaluation.keywords import register_on_last_snapshot

    import_rows(ws, project, [{"text": x, "label": "login", "split": "train"} for x in texts])
    freeze_snapshot(ws, project)
    return register_on_last_snapshot(ws, project, model, tokenizer, parent_id=None)


def test_sticky_splits_make_every_test_row_usable(ws, version, second_version):
    from sftgui.core.compare import compare_versions

    out = compare_versions(ws, [version, second_version])
    t = out["test_set"]
    assert t["left_out"] == 0 and t["examples"] == t["total"] == len(_test_texts(ws, version.snapshot_id))
    assert "no compared version trained on any of them" in t["sentence"]


def test_rows_a_version_trained_on_are_left_out_and_said(ws, project, version, trained):
    from sftgui.core.compare import compare_versions
    from sftgui.core.evaluation import evaluate_version
    from sftgui.core.tasks import get_task

    base_test = _test_texts(ws, version.snapshot_id)
    leaked = [x for _, x in base_test[:4]]
    v2 = _leaky_version(ws, project, version, *trained, leaked)
    out = compare_versions(ws, [version, v2])
    t = out["test_set"]
    assert (t["total"], t["left_out"], t["examples"]) == (len(base_test), 4, len(base_test) - 4)
    assert f"{len(base_test) - 4} of {version.ref}'s {len(base_test)} test rows" in t["sentence"]
    assert t["warning"] and "too few for a reliable comparison" in t["warning"]  # 26 < 30
    # the numbers are those of the unseen rows only, for both versions
    kept = {r for r, x in base_test if x not in leaked}
    for v in (version, v2):
        full = evaluate_version(ws, v, version.snapshot_id)
        rows = [r for r in full["rows"] if r["row_id"] in kept]
        want = get_task("text-classification").score(rows, full["labels"], np.asarray([r["probs"] for r in rows]))["metrics"]
        assert out["metrics"][v.ref]["accuracy"] == pytest.approx(want["accuracy"])
        assert out["metrics"][v.ref]["examples"] == len(kept)
    assert out["prediction_diff"]["compared"] == len(kept)
    assert out["snapshot_diff"][v2.ref]["moved"] == 4  # the diff shows the rows that changed split


def test_a_version_first_whose_own_test_rows_it_trained_on(ws, project, version, trained):
    """v2's snapshot keeps v1's test rows as test, but its twins trained v2: they are left out too."""
    from sftgui.core.compare import compare_versions

    leaked = [x for _, x in _test_texts(ws, version.snapshot_id)[:3]]
    v2 = _leaky_version(ws, project, version, *trained, leaked)
    t = compare_versions(ws, [v2, version])["test_set"]
    assert t["left_out"] == 3


def test_no_unseen_test_rows_is_refused_with_the_reason(ws, project, version, trained):
    from sftgui.core.compare import compare_versions

    every = [x for _, x in _test_texts(ws, version.snapshot_id)]
    v2 = _leaky_version(ws, project, version, *trained, every)
    with pytest.raises(UserError, match="no fair comparison is possible"):
        compare_versions(ws, [version, v2])


def test_the_account_in_plain_words():
    from sftgui.core.unseen import fairness

    ok = fairness(200, 200, ["p@v1", "p@v2"], "p@v1")
    assert ok["warning"] is None and ok["left_out"] == 0
    few = fairness(12, 8, ["p@v1", "p@v2"], "p@v1")
    assert few["sentence"].startswith("Scored on the 8 of p@v1's 12 test rows that p@v1 or p@v2 never trained on")
    assert "Only 8 test rows could be used" in few["warning"] and "12.5 points" in few["warning"]
