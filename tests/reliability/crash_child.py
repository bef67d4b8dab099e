"""A fork server for the crash tests: imports torch and loads the tiny model once, then forks one
child per command that saves versions into the workspace until the test kills it with SIGKILL.

Forking from a warm parent makes each kill cost milliseconds instead of a fresh torch import, and
each child is still a real process writing a real workspace, killed by a real signal.

    python -m tests.reliability.crash_child MODEL_DIR
stdin, one command a line:
    loop WORKSPACE SEED   register versions (and now and then move `production`) forever
    spot WORKSPACE NAME   register once (or roll back once) with a SIGKILL at an exact spot (_spot)
stdout, one line per fact, written with os.write so forked children never interleave a line:
    pid N | saved N | moved N | dead PID STATUS
"""

from __future__ import annotations

import os
import random
import signal
import sys

PROJECT = "crash"
LABELS = ["a", "b"]


def say(text: str) -> None:
    os.write(1, (text + "\n").encode())


def _register(ws, model, tok, rng):
    import torch

    from sftgui.core.versions import register_version

    with torch.no_grad():
        model.classifier.weight.add_(torch.randn(model.classifier.weight.shape, generator=rng["torch"]) * 0.01)
        if rng["py"].random() < 0.2:  # now and then a bigger tensor changes too: more bytes in flight
            model.bert.embeddings.word_embeddings.weight.mul_(1.0001)
    predictions = {"labels": LABELS, "split": "test", "rows": [{"row_id": 1, "predicted": "a"}]}
    return register_version(ws, PROJECT, model, tok, labels=LABELS, base_model="tiny", predictions=predictions,
                            metrics={"accuracy": rng["py"].random()})


def _loop(ws, model, tok, seed: int) -> None:
    import torch

    from sftgui.core.versions import set_alias

    rng = {"py": random.Random(seed), "torch": torch.Generator().manual_seed(seed)}
    while True:
        v = _register(ws, model, tok, rng)
        say(f"saved {v.number}")
        if v.number > 1 and rng["py"].random() < 0.3:
            target = rng["py"].randint(1, v.number)
            set_alias(ws, PROJECT, "production", f"v{target}", reason="crash test")
            say(f"moved {target}")


def _kill_self(*_a, **_k):
    os.kill(os.getpid(), signal.SIGKILL)


# The exact spots: (what to patch, attribute, what the child then does). Each patch kills the
# process the moment that step is reached.
def _spot(name: str, ws, model, tok) -> None:
    import torch

    from sftgui.core import versions
    from sftgui.store import models, versions_repo

    rng = {"py": random.Random(0), "torch": torch.Generator().manual_seed(0)}
    if name == "before_row":  # every blob written and fsynced, the row not yet inserted
        versions_repo.insert_version = _kill_self
        _register(ws, model, tok, rng)
    elif name == "row_uncommitted":  # the row inserted inside its transaction, not committed
        versions_repo.audit_repo.record = _kill_self
        _register(ws, model, tok, rng)
    elif name == "rollback_uncommitted":  # the alias row moved, its history event not yet written
        models.AliasEvent.create = classmethod(_kill_self)
        versions.set_alias(ws, PROJECT, "production", "v1", reason="crash test")
    elif name == "blob_half_written":  # a blob's temp file half written, not yet renamed into place
        original = ws.blobs._write_tmp

        def half(digest, writer):
            return original(digest, lambda f: (f.write(b"partial bytes"), f.flush(), _kill_self()))

        ws.blobs._write_tmp = half
        _register(ws, model, tok, rng)
    else:
        raise SystemExit(f"unknown spot {name}")
    say("survived")  # a spot that was never reached: the test fails on this line


def _child(command: list[str], model, tok) -> None:
    from sftgui.store.db import open_workspace

    what, ws_path, arg = command
    ws = open_workspace(ws_path)
    say("open")
    if what == "loop":
        _loop(ws, model, tok, int(arg))
    else:
        _spot(arg, ws, model, tok)


def main() -> None:
    model_dir = sys.argv[1]
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # the Rust pool is not fork-safe
    import torch

    torch.set_num_threads(1)  # no OpenMP pool in the parent: forked children would deadlock in it
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    import sftgui.core.versions  # noqa: F401 - warm every import the children need
    import sftgui.store.db  # noqa: F401

    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    model.load_state_dict({k: v.clone() for k, v in model.state_dict().items()}, assign=True)
    tok = AutoTokenizer.from_pretrained(model_dir)
    say("warm")
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        pid = os.fork()
        if pid == 0:
            try:
                _child(command, model, tok)
            except BaseException as exc:  # noqa: BLE001 - tell the test why, then leave
                say(f"error {type(exc).__name__}: {exc}".replace("\n", " "))
            finally:
                os._exit(3)
        say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        say(f"dead {pid} {status}")


if __name__ == "__main__":
    main()
