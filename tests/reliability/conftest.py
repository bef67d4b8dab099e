"""Fixtures for the reliability suite: the figures it reports, a CLI runner, the crash fork server."""

from __future__ import annotations

import collections
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def figures():
    """Counters the suite adds to (kills, faults, bad inputs, hostile files, versions checked).

    With SFTGUI_RELIABILITY_FIGURES=FILE they are written there at the end, for docs/reliability.md.
    """
    counts = collections.Counter()
    yield counts
    out = os.environ.get("SFTGUI_RELIABILITY_FIGURES")
    if out:
        Path(out).write_text(json.dumps(dict(sorted(counts.items())), indent=2) + "\n", encoding="utf-8")


@pytest.fixture
def cli(tmp_path, capsys):
    """`cli(*argv) -> (code, out, err)`: sftgui's main() on the workspace tmp_path/ws."""
    from sftgui.cli import main

    ws = tmp_path / "ws"

    def run(*argv, workspace=ws):
        capsys.readouterr()  # drop what fixtures printed (e.g. transformers' loading bars)
        code = main(["--workspace", str(workspace), *map(str, argv)])
        out, err = capsys.readouterr()
        return code, out, err

    run.ws = ws
    run.db = ws / "sftgui.db"
    return run


def sftgui_process(*argv, **kw) -> subprocess.Popen:
    """A real `sftgui` process (python -m sftgui) with the test environment."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    kw = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **kw}
    return subprocess.Popen([sys.executable, "-m", "sftgui", *map(str, argv)], cwd=ROOT, env=env, **kw)


class CrashServer:
    """Talks to tests/reliability/crash_child.py: one warm parent, one forked child per command."""

    def __init__(self, model_dir: Path):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.crash_child", str(model_dir)],
                                     cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        assert self.expect("warm", timeout=120) == "warm"

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put("eof")

    def send(self, *command) -> int:
        self.proc.stdin.write(" ".join(map(str, command)) + "\n")
        self.proc.stdin.flush()
        return int(self.expect("pid ").split()[1])

    def next(self, timeout: float = 60) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the crash child said nothing for {timeout} s") from None
        assert not line.startswith("error") and line != "eof", line
        return line

    def expect(self, prefix: str, timeout: float = 60, seen: list | None = None) -> str:
        """The next line starting with `prefix`; lines before it go to `seen`."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.next(max(0.1, deadline - time.monotonic()))
            if line.startswith(prefix):
                return line
            if seen is not None:
                seen.append(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="session")
def crash_server(tiny_model_dir):
    server = CrashServer(tiny_model_dir)
    yield server
    server.close()


@pytest.fixture
def tiny(tiny_model_dir):
    """(model, tokenizer) of the tiny BERT, with freshly allocated weights."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
    model.load_state_dict({k: v.clone() for k, v in model.state_dict().items()}, assign=True)
    return model.eval(), AutoTokenizer.from_pretrained(tiny_model_dir)


def nudge(model, scale: float = 1.01) -> None:
    """Change the classifier, so the next save has new bytes to write."""
    import torch

    with torch.no_grad():
        model.classifier.weight.mul_(scale)
