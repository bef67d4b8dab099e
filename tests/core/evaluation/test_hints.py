"""Label-error hints and "label next" on the project's draft."""

from __future__ import annotations

import numpy as np
import pytest

from sftgui.errors import UserError


def test_hints_find_the_wrong_labels(ws, project, version):
    from sftgui.core.hints import label_error_hints
    from sftgui.store.draft_repo import iter_live
    from tests.core.evaluation.keywords import make_rows

    truth = {r["text"]: r["true_label"] for r in make_rows(300, seed=7, noise=0.15, truth=True)}
    draft = {rid: (text, label) for rid, text, label, _s, _f in iter_live(project.id)}
    wrong = {rid for rid, (text, label) in draft.items() if label != truth[text]}
    assert len(wrong) > 20

    out = label_error_hints(ws, version, limit=1000)
    assert out["scanned"] == out["total"] == len(draft)
    hints = out["rows"]
    assert hints and out["found"] == len(hints)
    for h in hints:
        assert h["label"] == draft[h["row_id"]][1] != h["suggested"]
        assert h["confidence"] >= 0.7
    probs = [h["label_probability"] for h in hints]
    assert probs == sorted(probs)  # most suspicious first
    flagged = {h["row_id"] for h in hints}
    # 15% of the labels are wrong; some texts also carry another label's keyword, so a few hints
    # point at honest ambiguity: still, most hints are real errors and most errors are found
    assert len(flagged & wrong) / len(flagged) >= 0.6
    assert len(flagged & wrong) / len(wrong) >= 0.5
    assert len(label_error_hints(ws, version, limit=3)["rows"]) == 3


def test_label_next_orders_unlabelled_rows_by_uncertainty(ws, project, version, trained):
    from sftgui.core.data.importers import import_rows
    from sftgui.core.tasks.text_classification.predict import predict_proba
    from sftgui.core.hints import label_next

    texts = ["refund my card payment", "password reset login", "parcel delivery tracking",
             "my parcel is at the address of my account", "thanks ok"]
    import_rows(ws, project, [{"text": t, "label": None} for t in texts])
    probs = dict(zip(texts, predict_proba(*trained, texts)))
    for method in ("margin", "entropy"):
        out = label_next(ws, version, method=method)
        rows = out["rows"]
        assert out["total"] == out["scanned"] == len(texts) and out["method"] == method
        scores = [r["uncertainty"] for r in rows]
        assert scores == sorted(scores, reverse=True)
        assert rows[0]["text"] == "my parcel is at the address of my account"  # two labels' words
        for r in rows:
            p = probs[r["text"]]
            top = np.sort(p)
            expected = 1 - (top[-1] - top[-2]) if method == "margin" else -(p * np.log(p)).sum() / np.log(3)
            assert r["uncertainty"] == pytest.approx(expected, abs=1e-6)
    with pytest.raises(UserError):
        label_next(ws, version, method="vibes")


def test_a_large_draft_is_sampled_the_same_way_each_time(ws, version):
    from sftgui.core.hints import label_error_hints

    a = label_error_hints(ws, version, scan_limit=50, limit=1000)
    b = label_error_hints(ws, version, scan_limit=50, limit=1000)
    assert a["scanned"] == 50 and a["total"] == 300
    assert a == b
