"""evaluate_version on real versions in a real workspace."""

from __future__ import annotations

import numpy as np
import pytest

from sftgui.errors import UserError


def test_evaluation_matches_the_test_split_row_by_row(ws, version, trained):
    from sftgui.core.data.snapshots import load_snapshot_table
    from sftgui.core.evaluation import evaluate_version
    from sftgui.core.tasks.text_classification.predict import predict_proba

    result = evaluate_version(ws, version)
    table = load_snapshot_table(ws, version.snapshot_id).to_pylist()
    test = {r["row_id"]: r for r in table if r["split"] == "test"}
    assert {r["row_id"] for r in result["rows"]} == set(test)
    # each row's prediction is the model's own on that row's text (matched by row_id)
    model, tok = trained
    ids = sorted(test)
    probs = predict_proba(model, tok, [test[i]["text"] for i in ids], batch_size=4)
    by_id = {r["row_id"]: r for r in result["rows"]}
    for i, p in zip(ids, probs):
        assert by_id[i]["label"] == test[i]["label"]
        assert by_id[i]["predicted"] == version.labels[int(p.argmax())]
        np.testing.assert_allclose(by_id[i]["probs"], p, atol=1e-5)
    right = sum(by_id[i]["predicted"] == test[i]["label"] for i in ids)
    m = result["metrics"]
    assert m["accuracy"] == pytest.approx(right / len(ids))
    assert m["examples"] == len(ids) == sum(sum(row) for row in m["confusion_matrix"])
    assert set(m["per_class"]) == set(version.labels)
    assert 0.5 < m["accuracy"] < 1.0  # a real model: mostly right, some mistakes to show


def test_mistakes_are_the_most_confident_wrong_rows(ws, version):
    from sftgui.core.evaluation import evaluate_version

    result = evaluate_version(ws, version)
    wrong = [r for r in result["rows"] if r["predicted"] != r["label"]]
    assert wrong and len(result["mistakes"]) == min(len(wrong), 20)
    conf = [m["confidence"] for m in result["mistakes"]]
    assert conf == sorted(conf, reverse=True)
    assert conf[0] == max(r["confidence"] for r in wrong)


def test_result_is_cached_per_version_and_snapshot(ws, version, monkeypatch):
    import sftgui.core.predict as predict
    from sftgui.core.evaluation import evaluate_version

    first = evaluate_version(ws, version)
    predict.forget_loaded()

    def refuse(*a, **k):
        raise AssertionError("the cached evaluation should not load the model again")

    monkeypatch.setattr(predict, "loaded_version", refuse)
    assert evaluate_version(ws, version) == first


def test_evaluates_on_demand_on_another_snapshot(ws, project, version):
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.evaluation import evaluate_version

    import_rows(ws, project, [{"text": "my parcel is late", "label": "shipping", "split": "test"},
                              {"text": "my card was charged twice", "label": "refunds", "split": "test"}])
    other = freeze_snapshot(ws, project, seed=1)
    assert other.id != version.snapshot_id
    result = evaluate_version(ws, version, other.id)
    assert result["snapshot_id"] == other.id
    # a label the version never saw is kept as its own class and always counts as a mistake
    assert "refunds" in result["classes"] and "refunds" not in result["labels"]
    assert result["metrics"]["per_class"]["refunds"]["recall"] == 0.0
    assert result["metrics"]["examples"] == sum(1 for r in result["rows"])


def test_a_version_without_a_snapshot_needs_one_named(ws, version):
    import dataclasses

    from sftgui.core.evaluation import evaluate_version

    with pytest.raises(UserError, match="--snapshot"):
        evaluate_version(ws, dataclasses.replace(version, snapshot_id=None))
    assert evaluate_version(ws, dataclasses.replace(version, snapshot_id=None), version.snapshot_id)["rows"]


def test_no_rows_give_empty_metrics_not_an_error(version):
    from sftgui.core.tasks import get_task

    assert get_task("text-classification").score([], version.labels, np.zeros((0, 3)))["metrics"]["examples"] == 0
