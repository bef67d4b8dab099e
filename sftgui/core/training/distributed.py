"""Data-parallel training over several processes, launched through torchrun (torch.distributed.run).

Who does what (the workspace has one writer, so only one process ever opens it):
- the coordinator is the sftgui process that holds the workspace: `sftgui train --processes N`, or
  the GUI. It prepares the run exactly as a one-process run (engine._prepare, the run row), writes a
  run package into the run folder (`<run folder>/dist/`: job.json, the rows, where the tokenized
  data and the model folder are), launches torchrun, turns rank 0's event lines into events, curves
  and run-row updates, relays stop/pause as files, and registers the version from rank 0's result.
- every torchrun worker (dist_worker.py) reads only the package and the folders it names; none
  opens the workspace. They train one Trainer under DDP (gloo on CPUs, NCCL on GPUs) and agree on
  stop/pause at every step; rank 0 alone writes the events, the checkpoints' model files and the
  result (the Trainer also keeps each rank's random state in a checkpoint, for an exact resume).
- on a cluster, the same command runs on every node with torchrun's rendezvous options; nodes with
  --node-rank above 0 only `join` (they prepare nothing and never open the workspace), so the run
  folder must be on a file system all nodes see at the same path.

A worker that dies makes torchrun stop the others; the run ends `failed` with the workers' log,
and the workspace holds only what the coordinator committed (verify stays ok).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sftgui.core import events as ev
from sftgui.errors import UserError
from sftgui.store import runs_repo

PACKAGE = "dist"  # inside the run folder
JOB, EVENTS, RESULT = "job.json", "events.jsonl", "result"
STOP, PAUSE = "stop", "pause"  # written by the coordinator, read by rank 0, agreed on by all ranks
OOM_MARKER = "out-of-memory"  # a worker ran out of memory: the coordinator retries with a smaller batch
LAUNCH_OPTIONS = ("nnodes", "node_rank", "rdzv_backend", "rdzv_endpoint", "rdzv_id", "rdzv_conf",
                  "master_addr", "master_port")
POLL_S = 0.1


# -- launching torchrun -------------------------------------------------------------------------
def torchrun_command(processes: int, launch: dict, worker_args: list[str]) -> list[str]:
    """`python -m torch.distributed.run ...` for the worker module; a run on one machine without a
    rendezvous endpoint is `--standalone` (torchrun picks a free local port)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={int(processes)}", "--max-restarts=0"]
    options = {k: v for k, v in (launch or {}).items() if v not in (None, "")}
    unknown = sorted(set(options) - set(LAUNCH_OPTIONS))
    if unknown:
        raise UserError(f"Unknown launcher option(s): {', '.join(unknown)}.")
    if not options.get("rdzv_endpoint") and not options.get("master_addr") and str(options.get("nnodes", "1")) == "1":
        cmd.append("--standalone")
        options.pop("nnodes", None)
        options.pop("node_rank", None)
    for key in LAUNCH_OPTIONS:
        if key in options:
            cmd.append(f"--{key.replace('_', '-')}={options[key]}")
    return [*cmd, "-m", "sftgui.core.training.dist_worker", *worker_args]


def worker_env() -> dict:
    """The workers import this very sftgui (a checkout run with PYTHONPATH, or the installed one)."""
    import sftgui

    root = str(Path(sftgui.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH", "")
    env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def joins_another_node(launch: dict | None) -> bool:
    """True on a cluster node other than the first: it only runs workers (see `join`)."""
    try:
        return int((launch or {}).get("node_rank") or 0) > 0
    except ValueError:
        raise UserError("--node-rank must be a whole number (0 on the node that holds the workspace).") from None


def join(processes: int, launch: dict, log=None) -> int:
    """On a node other than the first: run this node's workers; they learn the run package from the
    first node's workers. Returns torchrun's exit code."""
    cmd = torchrun_command(processes, launch, ["-"])
    return subprocess.call(cmd, env=worker_env(), stdout=log, stderr=subprocess.STDOUT if log else None)


# -- the run package --------------------------------------------------------------------------
def _data_folder(data: dict, target: Path) -> str:
    """The folder of the tokenized splits: the workspace cache's own when it came from there (no copy),
    else written to `target` in the package."""
    import datasets

    files = [f["filename"] for split in data.values() for f in split.cache_files]
    if files:
        folder = Path(files[0]).parents[1]
        if (folder / "dataset_dict.json").is_file():
            return str(folder)
    datasets.DatasetDict(data).save_to_disk(str(target))
    return str(target)


def _write_package(prep, run_id: int, out_dir: Path, data: dict, resume_from) -> Path:
    import pyarrow as pa
    import pyarrow.feather as feather

    package = out_dir / PACKAGE
    if package.exists():
        import shutil

        shutil.rmtree(package)
    package.mkdir(parents=True)
    feather.write_feather(pa.table(prep.rows), str(package / "rows.arrow"))
    parent = prep.source.version
    job = {
        "run_id": run_id, "run_dir": str(out_dir), "config": prep.config.to_dict(), "task": prep.config.task,
        "labels": list(prep.labels), "parent_labels": prep.parent_labels, "model_folder": str(prep.source.folder),
        "base_model": prep.source.base_model, "snapshot": {"id": prep.snapshot.id, "hash": prep.snapshot.hash},
        "data": _data_folder(data, package / "data"), "resume_from": resume_from,
        "coordinator": {"pid": os.getpid(), "host": socket.gethostname()}, "parent": None,
    }
    if parent is not None:  # the workers load the parent's head; the forgetting check is the coordinator's
        job["parent"] = {"id": parent.id, "number": parent.number, "ref": parent.ref, "labels": list(parent.labels),
                         "snapshot_id": parent.snapshot_id}
    (package / JOB).write_text(json.dumps(job, indent=1), encoding="utf-8")
    return package


def decode_event(d: dict):
    """The inverse of events.to_dict, for rank 0's event lines."""
    d = dict(d)
    cls = getattr(ev, d.pop("event"))
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in d:
            v = d[f.name]
            kwargs[f.name] = tuple(v) if isinstance(v, list) and "tuple" in str(f.type) else v
    return cls(**kwargs)


# -- the coordinator's session ------------------------------------------------------------------
class LaunchedSession:
    """What engine._execute drives for a run trained by torchrun workers; same interface as
    TrainingSession (train -> Outcome, finish -> (version, metrics), run_fields, cleanup)."""

    def __init__(self, prep, run_id: int, emit, cancel, callbacks, out_dir: Path, *, launch: dict):
        from sftgui.core.training.hardware import pick_hardware

        if callbacks:
            raise UserError("Extra training callbacks cannot reach the processes of a distributed run.")
        self.prep, self.config, self.run_id = prep, prep.config, run_id
        self.emit, self.cancel, self.launch = emit, cancel, dict(launch or {})
        self.out_dir = Path(out_dir)
        self.processes = int(self.config.processes)
        self.hw = pick_hardware(self.config.device, self.config.precision)
        self.batch, self.accum = int(self.config.batch_size), int(self.config.grad_accumulation)
        self.samples_per_second = None
        self.log_path = Path(prep.ws.logs) / f"run-{run_id}-workers.log"
        self.emit(ev.Preparing(run_id, f"Loading the {prep.task.processor_name}"))
        self.processor = prep.task.load_processor(prep.source.folder)
        self.emit(ev.Preparing(run_id, f"Preparing {len(prep.rows['row_id']):,} rows for {self.processes} processes"))
        self.data, _ = prep.task.prepare(prep.ws.cache, prep.snapshot.hash, prep.source.folder, self.processor,
                                         prep.rows, prep.labels, self.config.max_length)
        self.package = None
        self._result = None

    def run_fields(self) -> dict:
        config = self.config.replace(batch_size=self.batch, grad_accumulation=self.accum)
        return {"device": self.hw.device, "precision": self.hw.precision, "config": config.to_dict(),
                "train_samples_per_second": self.samples_per_second}

    def flush_points(self) -> None:
        """Rank 0 sends its curve points as they are flushed; nothing is held here."""

    # -- training: launch, relay, retry on out-of-memory --------------------------------------
    def train(self, resume_from: str | None = None):
        from sftgui.core.training.session import Outcome, smaller_batch

        while True:
            self.package = _write_package(self.prep, self.run_id, self.out_dir, self.data, resume_from)
            self._write_batch()
            code = self._launch_and_relay()
            result = self.package / RESULT / "outcome.json"
            if code == 0 and result.is_file():
                self._result = json.loads(result.read_text(encoding="utf-8"))
                self.samples_per_second = self._result.get("train_samples_per_second")
                return Outcome(stopped=bool(self._result["stopped"]), step=int(self._result["step"]))
            if (self.package / OOM_MARKER).exists():
                per_process, self.accum = smaller_batch(self.hw.device, self.batch // self.processes, self.accum)
                self.batch = per_process * self.processes
                runs_repo.delete_metric_points_after(self.run_id, _step_of(resume_from))  # the retry trains them again
                self.emit(ev.Retrying(self.run_id, batch_size=self.batch, grad_accumulation=self.accum,
                                      reason="Out of memory: trying again with a smaller batch."))
                continue
            raise UserError(f"A training process stopped unexpectedly (exit code {code}{_last_error(self.log_path)}); "
                            f"the processes' log is {self.log_path}.")

    def _write_batch(self) -> None:
        """The batch the workers use after an out-of-memory retry (the config keeps the user's)."""
        job_path = self.package / JOB
        job = json.loads(job_path.read_text(encoding="utf-8"))
        job["batch_size"], job["grad_accumulation"] = self.batch, self.accum
        job_path.write_text(json.dumps(job, indent=1), encoding="utf-8")

    def _launch_and_relay(self) -> int:
        cmd = torchrun_command(self.processes, self.launch, [str(self.package)])
        self.emit(ev.Preparing(self.run_id, f"Starting {self.processes} training processes"))
        with open(self.log_path, "ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            # its own session: a Ctrl+C in the terminal reaches only us, and we stop the workers cleanly
            proc = subprocess.Popen(cmd, env=worker_env(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            events = _EventReader(self.package / EVENTS)
            try:
                while True:
                    self._relay_control()
                    for record in events.read():
                        self._handle(record)
                    code = proc.poll()
                    if code is not None:
                        for record in events.read():
                            self._handle(record)
                        return code
                    time.sleep(POLL_S)
            finally:
                if proc.poll() is None:  # we are being torn down (a second Ctrl+C, a crash)
                    _stop_group(proc)

    def _relay_control(self) -> None:
        from sftgui.core.training.engine import cancel_file

        if cancel_file(self.prep.ws, self.run_id).exists():  # `sftgui runs cancel` from another process
            self.cancel.stop()
        stop, pause = self.package / STOP, self.package / PAUSE
        if self.cancel.is_stopped and not stop.exists():
            stop.write_text("stop\n")
        if self.cancel.is_paused and not pause.exists():
            pause.write_text("pause\n")
        elif not self.cancel.is_paused and pause.exists():
            pause.unlink(missing_ok=True)

    def _handle(self, record: dict) -> None:
        if "points" in record:
            runs_repo.add_metric_points(self.run_id, [tuple(p) for p in record["points"]])
            return
        event = decode_event(record)
        if isinstance(event, ev.CheckpointSaved):
            runs_repo.update_run(self.run_id, last_step=event.step)
        self.emit(event)

    # -- the version ---------------------------------------------------------------------------
    def finish(self, wall_s: float):
        """Rank 0 measured the best model and saved it; it becomes the project's next version."""
        from transformers.utils import logging as hf_logging

        from sftgui.core.training.session import forgetting_check, register_result

        hf_logging.disable_progress_bar()  # "Loading weights" bars on stderr
        self.emit(ev.Preparing(self.run_id, "Saving the new model as a version"))
        folder = self.package / RESULT
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        predictions_file = folder / "predictions.json"
        predictions = json.loads(predictions_file.read_text(encoding="utf-8")) if predictions_file.is_file() else None
        metrics.setdefault("training", {})["wall_s"] = wall_s
        model = self.prep.task.load_model(folder / "model", self.prep.labels).eval()
        processor = self.prep.task.load_processor(folder / "model")
        forgetting = forgetting_check(self.prep, model, processor)  # needs the workspace: here, not in a worker
        if forgetting:
            metrics["forgetting"] = forgetting
        version = register_result(self.prep, self.run_id, model, processor, config=self.run_fields()["config"],
                                  metrics=metrics, predictions=predictions)
        return version, metrics

    def cleanup(self) -> None:
        import shutil

        shutil.rmtree(self.out_dir, ignore_errors=True)


class _EventReader:
    """Complete JSON lines appended to rank 0's events file since the last read."""

    def __init__(self, path: Path):
        self.path, self.offset, self.tail = path, 0, b""

    def read(self) -> list[dict]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        *lines, self.tail = (self.tail + chunk).split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]


def _step_of(checkpoint: str | None) -> int:
    return int(Path(checkpoint).name.rsplit("-", 1)[-1]) if checkpoint else 0


def _stop_group(proc) -> None:
    """torchrun and its workers: SIGTERM, then SIGKILL after a grace period."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _last_error(log_path: Path) -> str:
    """The last line of a worker's traceback, so the sentence says what happened."""
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-400:]
    except OSError:
        return ""
    def error(line: str) -> bool:
        return ("Error:" in line or "Exception:" in line or line.endswith("Error")) and "ChildFailedError" not in line

    for line in reversed(lines):  # a worker's own error first: torchrun prefixes its lines "[rank1]:"
        if line.startswith("[rank") and error(line):
            return f": {line.split(']:', 1)[-1].strip()[:200]}"
    for line in reversed(lines):
        if error(line.strip()):
            return f": {line.strip()[:200]}"
    for line in reversed(lines):
        if "exitcode" in line or "Signal" in line:
            return f": {line.strip()[:200]}"
    return ""
