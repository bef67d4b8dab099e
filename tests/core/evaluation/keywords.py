"""A keyword-labelled data set and a tiny BERT classifier trained on it in about a second.

A randomly initialised tiny model gives every text nearly the same probabilities, which would let
prediction and evaluation tests pass by accident; this one really separates the labels, gets a few
rows wrong and is confident about most, like a real fine-tuned version.
"""

from __future__ import annotations

import random
from pathlib import Path

LABELS = ["billing", "login", "shipping"]
KEYWORDS = {
    "billing": "refund charge charged card payment bill invoice price paid pay money".split(),
    "login": "login password account locked reset email sign access user profile".split(),
    "shipping": "delivery shipping package arrived late lost tracking parcel address courier".split(),
}
FILLER = "the a and or not is my your this that it i you we please help thanks ok fine".split()


def make_rows(n: int, *, seed: int = 0, noise: float = 0.0, truth: bool = False) -> list[dict]:
    """`n` rows `{text, label}`; with `noise`, that share of labels is swapped for a wrong one
    (`truth` adds the right one as `true_label`)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = LABELS[i % len(LABELS)]
        words = rng.choices(FILLER, k=rng.randint(2, 12)) + rng.choices(KEYWORDS[label], k=rng.randint(1, 2))
        if rng.random() < 0.15:  # an ambiguous text: a keyword of another label too
            words.append(rng.choice(KEYWORDS[rng.choice(LABELS)]))
        rng.shuffle(words)
        given = label
        if rng.random() < noise:
            given = rng.choice([x for x in LABELS if x != label])
        rows.append({"text": " ".join(words), "label": given, **({"true_label": label} if truth else {})})
    return rows


def train_tiny(path: Path, *, steps: int = 80, seed: int = 0) -> Path:
    """Train the tests' tiny BERT on keyword rows with a plain torch loop; save it to `path`."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from tests.tiny import make_tiny_model_dir

    make_tiny_model_dir(path, num_labels=len(LABELS), seed=seed)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(
        path, id2label=dict(enumerate(LABELS)), label2id={x: i for i, x in enumerate(LABELS)}
    )
    rows = make_rows(240, seed=seed + 1)
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    for step in range(steps):
        batch = [rows[(step * 16 + j) % len(rows)] for j in range(16)]
        enc = tok([r["text"] for r in batch], padding=True, return_tensors="pt")
        y = torch.tensor([LABELS.index(r["label"]) for r in batch])
        loss = model(**enc, labels=y).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    model.save_pretrained(path)
    return path


def new_project(ws, name: str = "tickets"):
    """A project with 300 keyword rows (15% given a wrong label) frozen into a snapshot."""
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.projects import create_project

    project = create_project(ws, name)
    import_rows(ws, project, make_rows(300, seed=7, noise=0.15))
    freeze_snapshot(ws, project, seed=0)
    return project


def register_on_last_snapshot(ws, project, model, tokenizer, **kw):
    """Register `model` as the project's next version, trained (so to speak) on its last snapshot."""
    from sftgui.core.data.snapshots import list_snapshots
    from sftgui.core.versions import register_version

    snap = list_snapshots(ws, project)[-1]
    config = {"epochs": 1, "learning_rate": 0.01, "batch_size": 16, "seed": 0}
    return register_version(
        ws, project, model, tokenizer, labels=LABELS, base_model="tiny-bert", snapshot_id=snap.id,
        config=kw.pop("config", config), **kw,
    )


def register_pushed(ws, project, parent, model, tokenizer):
    """The next version: `model` with its classifier pushed towards "login" (so some answers
    change), trained on a later snapshot (5 rows added) with another learning rate, from a run
    that logged a loss curve."""
    import copy

    import torch

    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.store import runs_repo

    pushed = copy.deepcopy(model)
    with torch.no_grad():
        pushed.classifier.bias[LABELS.index("login")] += 6.0
    import_rows(ws, project, make_rows(5, seed=99))
    snap = freeze_snapshot(ws, project, seed=0)
    config = {"epochs": 1, "learning_rate": 0.02, "batch_size": 16, "seed": 0}
    run = runs_repo.create_run(project.id, config=config, snapshot_id=snap.id, status="completed")
    runs_repo.add_metric_points(run.id, [(10, 0.5, "loss", 0.9), (20, 1.0, "loss", 0.4), (20, 1.0, "eval_loss", 0.5)])
    return register_on_last_snapshot(ws, project, pushed, tokenizer, run_id=run.id, parent_id=parent.id, config=config)
