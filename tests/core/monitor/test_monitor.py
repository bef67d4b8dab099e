"""Monitoring on the tiny keyword model: dated batches kept apart from training, scores per
version over batches, a warning on a planted drop and on planted drift, with p-values."""

from __future__ import annotations

import csv

import pytest

from sftgui.core import monitor
from sftgui.errors import UserError
from sftgui.store import audit_repo
from tests.core.evaluation.keywords import LABELS, make_rows


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label"])
        w.writeheader()
        w.writerows({"text": r["text"], "label": r["label"]} for r in rows)
    return path


@pytest.fixture
def scored(ws, project, trained):
    """v1 registered with its real test scores (what a drop is measured from)."""
    from sftgui.core.data.snapshots import list_snapshots
    from sftgui.core.evaluation import evaluate_model, split_rows
    from tests.core.evaluation.keywords import register_on_last_snapshot

    model, tok = trained
    result = evaluate_model(model, tok, split_rows(ws, list_snapshots(ws, project)[-1].id), LABELS)
    m = result["metrics"]
    return register_on_last_snapshot(ws, project, model, tok,
                                     metrics={"accuracy": m["accuracy"], "macro_f1": m["macro_f1"], "test": m})


def test_batches_are_kept_apart_scored_charted_and_warn_on_a_planted_drop_and_drift(ws, project, scored, tmp_path):
    from sftgui.core.data.snapshots import freeze_snapshot, list_snapshots
    from sftgui.store import draft_repo

    draft_before = sum(1 for _ in draft_repo.iter_live(project.id))
    training_snaps = [s.id for s in list_snapshots(ws, project)]
    same = write_csv(tmp_path / "same.csv", make_rows(90, seed=21))
    # a planted drop: the same kind of texts, but 70% of them now carry another label
    wrong = write_csv(tmp_path / "wrong.csv", make_rows(90, seed=22, noise=0.7))
    # planted drift: long texts full of words training never had, and nearly all "billing"
    drifted_rows = [{"text": " ".join(["zebra quantum violin orbit"] * 6 + [r["text"]]), "label": "billing"}
                    for r in make_rows(90, seed=23)]
    drifted = write_csv(tmp_path / "drift.csv", drifted_rows)

    b1 = monitor.add_batch(ws, project, same, date="2026-11-01")
    b2 = monitor.add_batch(ws, project, wrong, date="2026-11-08")
    b3 = monitor.add_batch(ws, project, drifted, date="2026-11-15")

    # kept as snapshots of their own: never in the draft, the snapshot list or a new freeze
    assert sum(1 for _ in draft_repo.iter_live(project.id)) == draft_before
    assert [s.id for s in list_snapshots(ws, project)] == training_snaps
    assert freeze_snapshot(ws, project).id == training_snaps[-1]
    assert b1["rows"] == 90 and b1["scores"].keys() == {scored.ref}

    rep = monitor.report(ws, project, drop_points=10)
    assert [b["date"] for b in rep["batches"]] == ["2026-11-01", "2026-11-08", "2026-11-15"]
    series = rep["versions"][scored.ref]["series"]["accuracy"]
    assert [p["date"] for p in series] == ["2026-11-01", "2026-11-08", "2026-11-15"]
    acc = [p["value"] for p in series]
    test_acc = scored.metrics["accuracy"]
    assert acc[0] > test_acc - 0.05 and acc[1] < test_acc - 0.3  # (its test rows have 15% wrong labels)
    drops = [w for w in rep["warnings"] if w["kind"] == "drop"]
    assert {w["batch"] for w in drops} >= {b2["id"]} and b1["id"] not in {w["batch"] for w in drops}
    assert any("points lower on the batch of 2026-11-08" in w["sentence"] for w in drops)

    drift = {w["check"]: w for w in rep["warnings"] if w["kind"] == "drift"}
    assert {w["batch"] for w in drift.values()} == {b3["id"]}
    assert set(drift) == {"labels", "length", "unknown_words"}
    assert all(0 <= w["p_value"] < 0.01 for w in drift.values())
    assert "chi-square" in drift["labels"]["test"] and "Kolmogorov-Smirnov" in drift["length"]["test"]
    checks = {c["check"]: c for c in b1["drift"]}
    assert all(not c["drifted"] and c["p_value"] >= 0.01 for c in checks.values())

    actions = [e.action for e in audit_repo.list_events()]
    assert actions.count("monitor.batch") == 3 and actions.count("monitor.score") == 3


def test_other_versions_are_scored_on_request_and_a_batch_can_join_the_draft(ws, project, scored, trained,
                                                                             tmp_path):
    from sftgui.store import draft_repo
    from tests.core.evaluation.keywords import register_pushed

    v2 = register_pushed(ws, project, scored, *trained)
    path = write_csv(tmp_path / "b.csv", make_rows(30, seed=5))
    b = monitor.add_batch(ws, project, path, date="2026-11-02", versions=(v2.ref,))
    assert set(b["scores"]) == {scored.ref, v2.ref}  # production, then the chosen one
    before = sum(1 for _ in draft_repo.iter_live(project.id))
    assert monitor.adopt_batch(ws, project, b["id"]) == 30
    assert sum(1 for _ in draft_repo.iter_live(project.id)) == before + 30


def test_bad_input_is_refused_with_a_sentence(ws, project, scored, tmp_path):
    path = write_csv(tmp_path / "b.csv", make_rows(10, seed=5))
    with pytest.raises(UserError, match="YYYY-MM-DD"):
        monitor.add_batch(ws, project, path, date="30/11/2026")
    empty = tmp_path / "unlabelled.csv"
    empty.write_text("text,label\nhello there,\n", encoding="utf-8")
    with pytest.raises(UserError, match="no labelled rows"):
        monitor.add_batch(ws, project, empty)
    with pytest.raises(UserError, match="not a monitoring batch"):
        monitor.get_batch(ws, project, 1)
    assert monitor.report(ws, project)["batches"] == []
