"""`sftgui publish` and `rollback --mlflow` against a real MLflow server on a free local port.

The server (SQLite backend, artifacts in tmp) starts once for the module; each test uses its own
registered model name, so the tests do not depend on each other's order.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sftgui.cli import main
from tests.core.training.conftest import keyword_rows

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--epochs", "3", "--lr", "3e-2", "--batch-size", "8", "--max-length", "32"]
LONG = " ".join(["refund my card payment please"] * 40)  # far past the trained 32 tokens (and the 64 positions)
TEXTS = ["refund my money", "the app crash on login", "parcel arrived late", LONG]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    """A real `mlflow server` (SQLite backend) on 127.0.0.1, started (not yet answering); stopped at the end."""
    root = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    log = open(root / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}", "--artifacts-destination", str(root / "artifacts")],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
        start_new_session=True)
    try:
        yield proc, f"http://127.0.0.1:{port}", root / "server.log"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: the uvicorn worker goes too; nothing to keep
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def mlflow_uri(mlflow_server, tickets):
    """The server's URI once it answers (it starts while `tickets` trains)."""
    proc, uri, log = mlflow_server
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as r:
                if r.status == 200:
                    return uri
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"mlflow server did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def tickets(tmp_path_factory, tiny_model_dir, mlflow_server):
    """A workspace with tickets@v1 (production) and tickets@v2, both really trained; closed again."""
    from sftgui.core.data.importers import import_rows
    from sftgui.core.projects import create_project
    from sftgui.store.db import open_workspace

    path = tmp_path_factory.mktemp("publish") / "ws"
    ws = open_workspace(path)
    import_rows(ws, create_project(ws, "tickets"), keyword_rows())
    ws.close()
    for seed in ("1", "2"):
        assert sftgui(path, "train", "--project", "tickets", "--model", str(tiny_model_dir), *TINY,
                      "--seed", seed) == 0
    return path


def sftgui(ws_path, *args) -> int:
    return main(["--workspace", str(ws_path), *args])


def run_json(capsys, ws_path, *args):
    code = sftgui(ws_path, *args, "--json")
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def client(uri):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_publish_logs_the_run_registers_the_model_and_predicts_the_same(tickets, mlflow_uri, capsys):
    import mlflow

    from sftgui.store import runs_repo
    from sftgui.store.db import open_workspace

    out = run_json(capsys, tickets, "publish", "tickets@v1", "--mlflow", mlflow_uri, "--name", "tickets-a")
    assert out["version"] == "tickets@v1" and out["model_version"] == "1" and not out["reused"]
    assert out["aliases"] == {"production": "1"}  # sftgui's production is v1 (the first version)

    c = client(mlflow_uri)
    assert c.get_model_version_by_alias("tickets-a", "production").version == "1"
    run = c.get_run(out["run_id"])
    with open_workspace(tickets, readonly=True) as ws:
        from sftgui.core.versions import resolve_version

        v1 = resolve_version(ws, "tickets@v1")
        losses = [p for p in runs_repo.metric_points(v1.run_id) if p.name == "loss"]
    assert run.data.params["learning_rate"] == "0.03" and run.data.params["max_length"] == "32"
    assert run.data.tags["sftgui.version"] == "tickets@v1"
    assert run.data.metrics["accuracy"] == pytest.approx(v1.metrics["accuracy"])
    history = c.get_metric_history(out["run_id"], "loss")
    assert len(losses) >= 3 and [(m.step, m.value) for m in history] == [(p.step, p.value) for p in losses]
    card = c.download_artifacts(out["run_id"], "model_card/README.md")
    assert "tickets@v1" in open(card, encoding="utf-8").read()

    # the registered model, loaded with MLflow's transformers flavour, says what `sftgui predict` says
    ours = run_json(capsys, tickets, "predict", "tickets@production", *TEXTS)
    pipe = mlflow.transformers.load_model("models:/tickets-a@production")
    theirs = pipe(TEXTS, top_k=None, truncation=True)
    for mine, other in zip(ours, theirs):
        assert other[0]["label"] == mine["label"]
        assert {d["label"]: d["score"] for d in other} == pytest.approx(mine["scores"], abs=1e-5)
    # and so does its pyfunc form, which truncates by itself (the logged model_config)
    frame = mlflow.pyfunc.load_model("models:/tickets-a/1").predict(TEXTS)
    assert list(frame["label"]) == [m["label"] for m in ours]
    assert list(frame["score"]) == pytest.approx([max(m["scores"].values()) for m in ours], abs=1e-5)


def test_aliases_follow_sftgui_and_publishing_again_reuses_the_version(tickets, mlflow_uri, capsys):
    uri, name = mlflow_uri, "tickets-b"
    run_json(capsys, tickets, "publish", "tickets@v1", "--mlflow", uri, "--name", name)
    out = run_json(capsys, tickets, "publish", "tickets@v2", "--mlflow", uri, "--name", name)
    assert out["model_version"] == "2" and out["aliases"] == {"production": "1"}  # production stays on v1
    c = client(uri)

    assert sftgui(tickets, "aliases", "set", "production", "v2", "--project", "tickets",
                  "--mlflow", uri, "--name", name) == 0
    assert c.get_model_version_by_alias(name, "production").version == "2"
    assert sftgui(tickets, "rollback", "--project", "tickets", "--to", "v1", "--reason", "v2 worse",
                  "--mlflow", uri, "--name", name) == 0
    out_text = capsys.readouterr().out
    assert "now points to v1 (was v2)" in out_text and "MLflow alias production -> version 1" in out_text
    assert c.get_model_version_by_alias(name, "production").version == "1"

    again = run_json(capsys, tickets, "publish", "tickets@v2", "--mlflow", uri, "--name", name)
    assert again["reused"] and again["model_version"] == "2"
    assert sorted(m.version for m in c.search_model_versions(f"name = '{name}'")) == ["1", "2"]


def test_rollback_to_an_unpublished_version_changes_nothing(tickets, mlflow_uri, capsys):
    uri, name = mlflow_uri, "tickets-c"
    run_json(capsys, tickets, "publish", "tickets@v1", "--mlflow", uri, "--name", name)
    before = run_json(capsys, tickets, "aliases", "history", "--project", "tickets")
    assert sftgui(tickets, "rollback", "--project", "tickets", "--to", "v2", "--mlflow", uri, "--name", name) == 2
    assert "tickets@v2 is not in the MLflow registry as tickets-c" in capsys.readouterr().err
    assert run_json(capsys, tickets, "aliases", "history", "--project", "tickets") == before
    assert client(uri).get_model_version_by_alias(name, "production").version == "1"


def test_unreachable_server_and_missing_mlflow_are_sentences(tickets, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert sftgui(tickets, "publish", "tickets@v1", "--mlflow", f"http://127.0.0.1:{port}") == 2
    err = capsys.readouterr().err
    assert err.startswith("sftgui: Could not reach MLflow at") and err.count("\n") == 1

    # a fresh interpreter in which mlflow cannot be imported, as without the extra
    script = ("import sys; sys.modules['mlflow'] = None; from sftgui.cli import main; "
              f"sys.exit(main(['--workspace', {str(tickets)!r}, 'publish', 'tickets@v1', '--mlflow', "
              "'http://127.0.0.1:5000']))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "sftgui: Publishing to MLflow needs the mlflow package; install it with: " \
        "pip install 'sftgui[mlflow]'."
