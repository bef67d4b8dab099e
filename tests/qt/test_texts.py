"""Texts on screen that come from the data, not from memory."""

from __future__ import annotations

from sftgui.resources import SAMPLE_CSV, resource_path


def test_the_welcome_card_names_the_samples_real_labels():
    import csv

    from sftgui.qt.sample import describe_sample, sample_labels

    with open(resource_path(SAMPLE_CSV), newline="", encoding="utf-8") as f:
        real = {r["label"] for r in csv.DictReader(f) if r["label"]}
    assert set(sample_labels()) == real
    text = describe_sample()
    assert all(label in text for label in real)
    assert not any(word in text for word in ("login", "bugs", "delivery"))
