"""The bundled sample data set: big and varied enough to train on, with a few planted flaws."""

import csv
import importlib.util

from sftgui.core import projects
from sftgui.core.data import importers, quality
from sftgui.resources import resource_path

SAMPLE_DIR = resource_path("sample")


def _generator():
    spec = importlib.util.spec_from_file_location("make_sample", SAMPLE_DIR / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_csv_is_what_the_generator_writes():
    with open(SAMPLE_DIR / "support_tickets.csv", newline="", encoding="utf-8") as f:
        rows = [tuple(r) for r in csv.reader(f)]
    assert rows[0] == ("text", "label")
    assert rows[1:] == _generator().make_rows()


def test_sample_is_large_varied_and_has_flaws_to_find(ws):
    p = projects.create_project(ws, "tickets")
    r = importers.import_file(ws, p, SAMPLE_DIR / "support_tickets.csv")
    assert r.labelled >= 600 and len(r.labels) >= 4
    assert max(r.labels.values()) / min(r.labels.values()) < 1.2
    texts = [row["text"] for row in importers.preview_file(SAMPLE_DIR / "support_tickets.csv", rows=700).rows]
    assert len(set(texts)) > 0.95 * len(texts)
    assert len({len(t.split()) for t in texts}) > 15  # varied length
    kinds = quality.check_draft(ws, p, check_length=False).kinds()
    assert {"exact_duplicates", "empty_text", "label_conflicts"} <= kinds
    assert not kinds & {"single_class", "too_few_examples", "class_imbalance"}
