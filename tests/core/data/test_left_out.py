"""Why a snapshot has fewer rows than the draft, said the same way on every screen."""

from __future__ import annotations

from sftgui.core import projects
from sftgui.core.data import importers, snapshots
from sftgui.resources import SAMPLE_CSV, resource_path


def test_the_sample_says_which_rows_training_leaves_out_and_why(ws):
    p = projects.create_project(ws, "tickets")
    importers.import_file(ws, p, resource_path(SAMPLE_CSV))
    importers.import_rows(ws, p, [{"text": "not labelled yet", "label": None}])
    takes = snapshots.what_a_snapshot_takes(ws, p)
    snap = snapshots.freeze_snapshot(ws, p)
    # the counts made in SQL (for every label edit) match what the freeze did
    assert takes["rows"] == snap.rows
    assert (takes["skipped_empty"], takes["skipped_unlabelled"]) == (snap.meta["skipped_empty"], 1)
    assert takes["draft_rows"] == snap.meta["draft_rows"] == snap.rows + takes["skipped_empty"] + 1
    assert takes["duplicates_kept"] == snap.meta["duplicates_kept"] > 0
    sentence = snapshots.left_out_sentence({**snap.meta, "rows": snap.rows})
    assert sentence == takes["sentence"]
    assert sentence.startswith(f"Training uses {snap.rows:,} of the {snap.meta['draft_rows']:,} rows: "
                               f"1 have no label yet and {snap.meta['skipped_empty']} have no text.")
    assert "repeat an earlier text and are kept" in sentence


def test_a_draft_with_nothing_left_out():
    assert snapshots.left_out_sentence({"rows": 10, "draft_rows": 10}) == "Training uses all 10 rows."
    # a snapshot from before the draft's size was recorded
    assert snapshots.left_out_sentence({"rows": 8, "skipped_empty": 2}).startswith("Training uses 8 of the 10 rows")


def test_export_names_are_safe_on_every_file_system():
    from sftgui.core.export import suggested_name

    assert suggested_name("Support tickets (sample)", 3) == "support-tickets-sample-v3"
    assert suggested_name("Support tickets (sample)", 3, "zip") == "support-tickets-sample-v3.zip"
    assert suggested_name("Support tickets (sample)", 3, "onnx") == "support-tickets-sample-v3.onnx"
    assert suggested_name("Café/../Kundenanfragen: Ü", 12) == "cafe-kundenanfragen-u-v12"
    assert suggested_name("CON", 1) == "con-model-v1"
    assert suggested_name("???", 2) == "model-v2"
    assert len(suggested_name("x" * 500, 1)) <= 64
