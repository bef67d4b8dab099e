"""An export predicts like sftgui: plain `pipeline()` with default arguments on the exported folder
gives `sftgui predict`'s probabilities, also for texts longer than the length the version trained at."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from sftgui.cli import main
from sftgui.core.training import engine
from tests.core.training.conftest import FILLER, TOPICS, Recorder, keyword_rows, make_project, tiny_config

TRAINED_LENGTH = 16


def long_texts(n: int, words: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        topic = list(TOPICS.values())[i % len(TOPICS)].split()
        out.append(" ".join(rng.choice(topic + FILLER) for _ in range(words)))
    return out


def _pipeline_probs(folder, texts, labels, **kw):
    from transformers import pipeline

    classify = pipeline("text-classification", model=str(folder), device="cpu")
    answers = classify(texts, top_k=None, **kw)
    return np.asarray([[{a["label"]: a["score"] for a in ans}[x] for x in labels] for ans in answers])


@pytest.fixture
def trained_short(ws, tiny_model_dir):
    """A version trained (real Trainer) on texts cut to 16 tokens; the tiny model reads 64."""
    project, snapshot = make_project(ws, rows=keyword_rows(16))
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=2, max_length=TRAINED_LENGTH),
                        Recorder())
    assert result.status == "completed", result.error
    return result.version


def test_pipeline_with_default_arguments_predicts_like_sftgui_on_long_texts(ws, trained_short, tmp_path, capsys):
    from transformers import AutoTokenizer

    from sftgui.core.export import export_version

    version = trained_short
    assert version.config["max_length"] == TRAINED_LENGTH and version.config["extra"]["predict_max_length"] == 64
    out = export_version(ws, version, tmp_path / "export")
    tok_config = json.loads((out / "tokenizer_config.json").read_text())
    assert tok_config["model_max_length"] == 64
    assert json.loads((out / "tokenizer.json").read_text())["truncation"]["max_length"] == 64
    card = (out / "README.md").read_text()
    assert "Reads up to **64 tokens** per text" in card and f"cut to {TRAINED_LENGTH} tokens" in card
    assert "0: `account`" in card

    texts = long_texts(8, words=40)  # 42 tokens with [CLS]/[SEP]: longer than trained, within what it reads
    tok = AutoTokenizer.from_pretrained(out)
    assert all(TRAINED_LENGTH < len(tok(t)["input_ids"]) <= 64 for t in texts)
    ws.close()  # `sftgui predict` opens the workspace itself
    code = main(["--workspace", str(ws.path), "predict", version.ref, *texts, "--json"])
    printed, err = capsys.readouterr()
    assert code == 0, err
    ours = np.asarray([[p["scores"][x] for x in version.labels] for p in json.loads(printed)])
    theirs = _pipeline_probs(out, texts, version.labels)
    assert np.abs(ours - theirs).max() < 1e-5
    # and the difference matters: cutting at the trained length would have answered otherwise
    cut = _pipeline_probs(out, texts, version.labels, truncation=True, max_length=TRAINED_LENGTH)
    assert np.abs(cut - theirs).max() > 1e-4  # 10x the tolerance above


def test_texts_longer_than_the_model_reads_need_truncation_true_and_then_agree(ws, trained_short, tmp_path):
    from sftgui.core.export import export_version
    from sftgui.core.predict import predict_texts

    version = trained_short
    out = export_version(ws, version, tmp_path / "export")
    texts = long_texts(4, words=90, seed=9)  # beyond the 64 positions of the tiny model
    ours = np.asarray([[p["scores"][x] for x in version.labels] for p in predict_texts(ws, version, texts)])
    theirs = _pipeline_probs(out, texts, version.labels, truncation=True)  # cuts at model_max_length
    assert np.abs(ours - theirs).max() < 1e-5


def sample_agreement(ws, out_dir, *, every: int = 1) -> dict:
    """Train the bundled model (encoder frozen, one epoch) on the sample (every `every`-th row), with
    40 long tickets in the test split, export it, and compare plain pipeline() with sftgui predict over the whole
    test split. Also run as a script for the full sample: `python -m benchmarks.export_agreement`."""
    import csv

    from transformers import AutoTokenizer

    from sftgui.config import TrainConfig
    from sftgui.core.data.importers import import_rows
    from sftgui.core.evaluation import split_rows
    from sftgui.core.export import export_version
    from sftgui.core.predict import predict_texts
    from sftgui.core.projects import create_project
    from sftgui.resources import SAMPLE_CSV, resource_path

    project = create_project(ws, "tickets")
    with open(resource_path(SAMPLE_CSV), newline="", encoding="utf-8") as f:
        rows = [r for i, r in enumerate(csv.DictReader(f)) if i % every == 0]
    by_label: dict[str, list[str]] = {}
    for r in rows:
        if r["label"] and r["text"].strip():
            by_label.setdefault(r["label"], []).append(r["text"])
    # Long tickets (three of the same label run together) go to the test split through a split column
    # (which wins), with every tenth sample row: the training texts stay short, so the automatic
    # training length (about their 95th percentile) is below the long tickets' length.
    long_rows = [{"text": " ".join(texts[i:i + 3]), "label": label, "split": "test"}
                 for label, texts in sorted(by_label.items()) for i in range(0, 30, 3)]
    import_rows(ws, project, [{"text": r["text"], "label": r["label"] or None, "split": "test" if i % 10 == 0 else None}
                              for i, r in enumerate(rows)] + long_rows)
    config = TrainConfig.from_preset("quick", project=project.name, epochs=1, freeze="all-but-head")
    result = engine.run(config, Recorder())
    assert result.status == "completed", result.error
    version = result.version
    out = export_version(ws, version, out_dir / "export")
    texts = [r["text"] for r in split_rows(ws, version.snapshot_id)]
    tok = AutoTokenizer.from_pretrained(out)
    ours = np.asarray([[p["scores"][x] for x in version.labels] for p in predict_texts(ws, version, texts)])
    theirs = _pipeline_probs(out, texts, version.labels)
    return {"texts": len(texts), "trained_length": version.config["max_length"],
            "reads": version.config["extra"]["predict_max_length"],
            "longest": max(len(tok(t)["input_ids"]) for t in texts),
            "longer_than_trained": sum(len(tok(t)["input_ids"]) > version.config["max_length"] for t in texts),
            "max_abs_diff": float(np.abs(ours - theirs).max())}


@pytest.mark.slow
def test_the_bundled_model_on_the_sample_whole_test_split(ws, tmp_path):
    """All-MiniLM-L6-v2 on a third of the sample plus long tickets: over the whole test split, long
    texts included, plain pipeline() on the export gives sftgui's probabilities."""
    found = sample_agreement(ws, tmp_path, every=3)
    print(f"\nbundled model: {found}")
    assert found["longer_than_trained"] >= 1 and found["longest"] > found["trained_length"]
    assert found["max_abs_diff"] < 1e-5
