"""Comparing versions on one common test set."""

from __future__ import annotations

import pytest

from sftgui.errors import UserError


def _row(i, label, predicted):
    return {"row_id": i, "text": f"text {i}", "label": label, "predicted": predicted}


def test_prediction_diff_matches_rows_by_id_not_position():
    from sftgui.core.tasks import get_task

    before = [_row(1, "a", "a"), _row(2, "a", "b"), _row(3, "b", "b"), _row(4, "b", "a"), _row(5, "a", "a")]
    # the same rows in another order, one row missing, one extra
    after = [_row(4, "b", "a"), _row(3, "b", "a"), _row(2, "a", "a"), _row(1, "a", "a"), _row(9, "a", "a")]
    diff = get_task("text-classification").prediction_diff(before, after, examples=10)
    assert {k: diff[k] for k in ("fixed", "broken", "still_wrong", "both_right", "compared")} == {
        "fixed": 1, "broken": 1, "still_wrong": 1, "both_right": 1, "compared": 4,
    }
    assert diff["examples"]["fixed"] == [{"row_id": 2, "text": "text 2", "label": "a", "before": "b", "after": "a"}]
    assert diff["examples"]["broken"][0]["row_id"] == 3
    assert diff["examples"]["still_wrong"][0]["row_id"] == 4


def test_config_diff_lists_only_settings_that_differ():
    from sftgui.core.compare import config_diff

    diff = config_diff({
        "p@v1": {"lr": 0.01, "epochs": 3, "freeze": {"layers": 2}},
        "p@v2": {"lr": 0.02, "epochs": 3, "freeze": {"layers": 2}, "lora": True},
    })
    assert diff == {"lr": {"p@v1": 0.01, "p@v2": 0.02}, "lora": {"p@v1": None, "p@v2": True}}


def test_compare_two_versions(ws, version, second_version):
    from sftgui.core.compare import compare_versions
    from sftgui.core.evaluation import evaluate_version

    out = compare_versions(ws, [version, second_version])
    v1, v2 = version.ref, second_version.ref
    assert out["versions"] == [v1, v2]
    assert out["test_set"]["snapshot_id"] == version.snapshot_id
    # v2 is measured on v1's test set, not its own
    on_common = evaluate_version(ws, second_version, version.snapshot_id)["metrics"]
    assert out["metrics"][v2]["accuracy"] == on_common["accuracy"]
    assert out["metrics"][v2]["delta"]["accuracy"] == pytest.approx(
        on_common["accuracy"] - out["metrics"][v1]["accuracy"]
    )
    assert out["metrics"][v1]["delta"] == {"accuracy": 0.0, "macro_f1": 0.0, "weighted_f1": 0.0}
    assert out["config_diff"] == {"learning_rate": {v1: 0.01, v2: 0.02}}
    assert out["snapshot_diff"][v2]["added"] == 5
    assert out["curves"][v1] == {}
    assert out["curves"][v2] == {"loss": [[10, 0.9], [20, 0.4]], "eval_loss": [[20, 0.5]]}
    assert out["confusion"][v2]["matrix"] == on_common["confusion_matrix"]

    diff = out["prediction_diff"]
    assert diff["compared"] == out["test_set"]["examples"]
    right1 = sum(r["predicted"] == r["label"] for r in evaluate_version(ws, version)["rows"])
    right2 = round(on_common["accuracy"] * on_common["examples"])
    assert diff["both_right"] + diff["broken"] == right1
    assert diff["both_right"] + diff["fixed"] == right2
    assert diff["broken"] > 0  # pushing towards "login" breaks some right answers
    for ex in diff["examples"]["broken"]:
        assert ex["before"] == ex["label"] != ex["after"] == "login"


def test_compare_refuses_fewer_than_two_or_repeated_versions(ws, version):
    from sftgui.core.compare import compare_versions

    with pytest.raises(UserError, match="two"):
        compare_versions(ws, [version])
    with pytest.raises(UserError, match="twice"):
        compare_versions(ws, [version, version])
