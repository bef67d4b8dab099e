import pytest

from sftgui.core.metrics import classification_metrics


def test_metrics_match_hand_computation():
    # true: a a a b b c ; pred: a a b b c c
    m = classification_metrics([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], ["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    pa, ra = 1.0, 2 / 3
    pb, rb = 0.5, 0.5
    pc, rc = 0.5, 1.0
    f = [2 * p * r / (p + r) for p, r in ((pa, ra), (pb, rb), (pc, rc))]
    assert m["macro_f1"] == pytest.approx(sum(f) / 3)
    assert m["weighted_f1"] == pytest.approx((f[0] * 3 + f[1] * 2 + f[2] * 1) / 6)
    assert m["per_class"]["a"] == {"precision": 1.0, "recall": pytest.approx(ra), "f1": pytest.approx(f[0]), "support": 3}


def test_class_never_predicted_counts_zero():
    m = classification_metrics([0, 1], [0, 0], ["x", "y"])
    assert m["per_class"]["y"]["precision"] == 0.0
    assert m["per_class"]["y"]["f1"] == 0.0
