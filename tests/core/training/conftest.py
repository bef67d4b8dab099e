"""Tiny data for training tests: 4 classes of keyword sentences from tests/tiny.py's vocabulary."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

TOPICS = {
    "billing": "refund money charge charged card payment bill invoice price paid",
    "account": "login password account locked reset email sign access user profile",
    "bug": "app crash error bug broken slow screen button update freeze",
    "delivery": "delivery shipping package arrived late lost tracking parcel address courier",
}
FILLER = "the a my your this that it is was to of on for with please help thanks".split()


def keyword_rows(n_per_class: int = 24, *, seed: int = 0, topics=TOPICS) -> list[dict]:
    """Sentences of varied length: 2-5 topic words among 0-6 filler words; easy to learn, real to tokenize."""
    rng = random.Random(seed)
    rows = []
    for label, words in topics.items():
        words = words.split()
        for _ in range(n_per_class):
            body = rng.sample(words, rng.randint(2, 5)) + rng.sample(FILLER, rng.randint(0, 6))
            rng.shuffle(body)
            rows.append({"text": " ".join(body), "label": label})
    rng.shuffle(rows)
    return rows


def make_project(ws, name="tickets", rows=None):
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.projects import create_project

    project = create_project(ws, name)
    import_rows(ws, project, rows if rows is not None else keyword_rows())
    return project, freeze_snapshot(ws, project)


@pytest.fixture
def tiny_project(ws):
    """(project, snapshot) with 96 rows in 4 classes, split 80/10/10."""
    return make_project(ws)


def tiny_config(project, snapshot, model_dir, **overrides):
    from sftgui.config import TrainConfig

    values = dict(project=getattr(project, "name", project), snapshot_id=snapshot.id, model=str(model_dir), epochs=3,
                  learning_rate=3e-2, batch_size=8, max_length=32, warmup=0.0, log_steps=2, seed=1,
                  group_by_length=True)  # the fast path under test (auto turns it off below 200 rows)
    values.update(overrides)
    return TrainConfig.from_dict(values)


class Recorder(list):
    """The engine's sink in tests: keeps every event."""

    def __call__(self, event):
        self.append(event)

    def of(self, cls) -> list:
        return [e for e in self if isinstance(e, cls)]

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self]


def at_step(step: int, action):
    """A real Trainer callback that runs `action()` once when training reaches `step`."""
    from transformers import TrainerCallback

    class AtStep(TrainerCallback):
        done = False

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step >= step and not self.done:
                self.done = True
                action()

    return AtStep()


def train_then_kill(ws_path, project: str, model_dir, *, at_step_: int = 11) -> None:
    """Train in another process and SIGKILL it at step `at_step_` (after epoch 1's checkpoint)."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from sftgui.store.db import open_workspace
        from sftgui.core.training import engine
        from sftgui.core.data.snapshots import freeze_snapshot
        from tests.core.training.conftest import tiny_config, at_step
        ws = open_workspace({str(ws_path)!r})
        def hang():
            print("CHECKPOINTED", flush=True)
            time.sleep(600)
        engine.run(tiny_config({project!r}, freeze_snapshot(ws, {project!r}),
                               {str(model_dir)!r}), callbacks=[at_step({at_step_}, hang)])
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        assert proc.stdout.readline().strip() == b"CHECKPOINTED"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
