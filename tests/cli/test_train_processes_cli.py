"""`sftgui train --processes N` with torchrun's rendezvous options, through the real CLI."""

from __future__ import annotations

import json
import socket

from tests.cli.test_train_cli import TINY, sftgui, tickets  # noqa: F401 - the fixture


def test_processes_must_split_the_batch_evenly(tickets, tiny_model_dir, capsys):  # noqa: F811
    code = sftgui(tickets, "train", "--project", "tickets", "--model", str(tiny_model_dir), *TINY, "--processes", "3")
    assert code == 2
    err = capsys.readouterr().err
    assert "The batch size (8) must be a multiple of the number of processes (3)" in err
    assert sftgui(tickets, "runs", "list", "--project", "tickets", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing was started


def test_two_processes_meet_at_a_rendezvous_endpoint(tickets, tiny_model_dir, capsys):  # noqa: F811
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = sftgui(tickets, "train", "--project", "tickets", "--model", str(tiny_model_dir), *TINY, "--json-events",
                  "--processes", "2", "--nnodes", "1", "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}",
                  "--rdzv-id", "cli-test")
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "Finished" and events[-1]["version"] == "tickets@v1"
    assert sftgui(tickets, "runs", "show", str(events[-1]["run_id"]), "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "completed" and shown["config"]["processes"] == 2
    assert shown["metrics"]["training"]["processes"] == 2
