"""What the shipped text sample holds, read from the file itself, so tests follow the sample when
it is regenerated (resources/sample/make_sample.py) instead of repeating its counts."""

from __future__ import annotations

import csv

from sftgui.resources import SAMPLE_CSV, resource_path

with open(resource_path(SAMPLE_CSV), newline="", encoding="utf-8") as _f:
    _ROWS = list(csv.DictReader(_f))

SAMPLE_ROWS = len(_ROWS)
SAMPLE_LABELS = {r["label"] for r in _ROWS if r["label"]}
