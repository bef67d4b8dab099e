"""One torchrun worker of a distributed run: `python -m sftgui.core.training.dist_worker PACKAGE`.

It reads the run package its coordinator wrote (distributed.py) and never opens the workspace.
Every rank trains the same Trainer under DDP; rank 0 alone writes events (JSON lines in the
package), the checkpoints' model files and the result (the best model, its metrics and test
predictions). PACKAGE "-" (a node other than the first on a cluster) learns the package from
the ranks that were given it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from sftgui.core import events as ev
from sftgui.core.training.control import CancelToken
from sftgui.core.training.distributed import EVENTS, JOB, OOM_MARKER, PAUSE, RESULT, STOP
from sftgui.core.training.session import TrainingSession


class _OutOfMemory(Exception):
    """Raised instead of retrying in place: the other ranks wait in a collective; the coordinator
    starts all of them again with a smaller batch."""


class EventChannel:
    """Rank 0's events and curve points as JSON lines, flushed one by one (the coordinator tails them)."""

    def __init__(self, path: Path):
        self.f = open(path, "a", encoding="utf-8")

    def write(self, record: dict) -> None:
        self.f.write(json.dumps(record, default=str) + "\n")
        self.f.flush()

    def event(self, event) -> None:
        self.write(ev.to_dict(event))


def _sync_callback(package: Path, token: CancelToken, emit, run_id: int, rank: int, coordinator: dict):
    """Every rank, every step: rank 0 reads the stop/pause files, all ranks take the same decision
    (one all-reduce), so they stop or pause at the same step (a lone rank would deadlock DDP)."""
    import socket

    import torch
    import torch.distributed as dist
    from transformers import TrainerCallback

    local = coordinator.get("host") == socket.gethostname()

    def coordinator_gone() -> bool:  # killed coordinator: stop with a checkpoint (the run is resumable)
        if not local:
            return False
        try:
            os.kill(int(coordinator["pid"]), 0)
            return False
        except ProcessLookupError:
            return True
        except PermissionError:
            return False

    class SyncControl(TrainerCallback):
        def _flags(self, device) -> tuple[bool, bool]:
            mine = [0, 0]
            if rank == 0:
                mine = [int((package / STOP).exists() or coordinator_gone()), int((package / PAUSE).exists())]
            flags = torch.tensor(mine, dtype=torch.int32, device=device)
            dist.all_reduce(flags, op=dist.ReduceOp.MAX)
            return bool(flags[0]), bool(flags[1])

        def on_step_end(self, args, state, control, **kwargs):
            stop, pause = self._flags(args.device)
            if pause and not stop:
                emit(ev.Paused(run_id, state.global_step))
                while pause and not stop:
                    time.sleep(0.2)
                    stop, pause = self._flags(args.device)
                if not stop:
                    emit(ev.Resumed(run_id, state.global_step))
            if stop:
                token.stop()  # the bridge (next in line) saves a checkpoint at this step and ends training
            return control

    return SyncControl()


class WorkerSession(TrainingSession):
    """A TrainingSession that reads the package instead of the workspace and writes to no store."""

    def __init__(self, prep, job: dict, package: Path, rank: int, world: int, emit, token):
        self.job, self.package, self.rank, self.world = job, package, rank, world
        self.sync = _sync_callback(package, token, emit, job["run_id"], rank, job.get("coordinator") or {})
        super().__init__(prep, job["run_id"], emit, token, [], Path(job["run_dir"]))
        # per process: an equal share of the (possibly retried) effective batch
        total = int(job.get("batch_size", self.config.batch_size))
        if total % world:
            from sftgui.errors import UserError

            raise UserError(f"The batch size ({total}) must be a multiple of the number of processes of all "
                            f"machines together ({world}).")
        self.batch = total // world
        self.accum = int(job.get("grad_accumulation", self.config.grad_accumulation))

    def _load_data(self):
        import datasets

        dd = datasets.load_from_disk(self.job["data"])
        return {s: dd[s] for s in ("train", "validation", "test") if s in dd}, True

    def _emit(self, event) -> None:
        if isinstance(event, (ev.Evaluated, ev.CheckpointSaved)):
            self.flush_points()
        self.emit_outer(event)

    def flush_points(self) -> None:
        if self.bridge is not None and self.bridge.points:
            points, self.bridge.points = self.bridge.points, []
            if self.rank == 0:
                self.emit_outer({"points": points})

    def _build(self) -> None:
        super()._build()
        self.trainer.callback_handler.callbacks.insert(0, self.sync)  # decide before the bridge looks
        # `sftgui runs cancel` reaches the workers through the coordinator and SyncControl, agreed
        # by all ranks; a rank reading the cancel file itself could stop one step before the others
        self.bridge.cancel_file = self.package / "cancel-is-read-by-the-coordinator"
        self.bridge.effective_batch *= self.world  # samples per second of all processes together

    def _smaller_batch(self) -> None:
        raise _OutOfMemory


def _prep(job: dict, package: Path):
    """What the engine's _Prepared holds, rebuilt from the package (no workspace, no database)."""
    import pyarrow.feather as feather

    from sftgui.config import TrainConfig
    from sftgui.core.training.engine import _Prepared
    from sftgui.core.tasks import get_task

    parent = job.get("parent")
    version = None
    if parent:
        version = SimpleNamespace(id=parent["id"], number=parent["number"], ref=parent["ref"],
                                  labels=parent["labels"], snapshot_id=parent["snapshot_id"], metrics={})
    source = SimpleNamespace(folder=Path(job["model_folder"]), base_model=job["base_model"], version=version)
    snapshot = SimpleNamespace(id=job["snapshot"]["id"], hash=job["snapshot"]["hash"])
    rows = feather.read_table(str(package / "rows.arrow")).to_pydict()
    return _Prepared(ws=None, config=TrainConfig.from_dict(job["config"]), project=None, snapshot=snapshot,
                     rows=rows, source=source, task=get_task(job["task"]), labels=job["labels"],
                     parent_labels=job["parent_labels"])


def _init_process_group(package_arg: str) -> tuple[int, int, Path]:
    """Join the process group (the Trainer reuses it) and agree on the package path."""
    import torch
    import torch.distributed as dist

    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl")
    else:
        dist.init_process_group("gloo")
    paths = [None] * world
    dist.all_gather_object(paths, package_arg)
    known = [p for p in paths if p and p != "-"]
    if not known:
        raise SystemExit("No process of this run was given its run package.")
    return rank, world, Path(known[0])


def _save_result(session: WorkerSession, outcome, result: Path) -> None:
    """Rank 0: what the coordinator needs to record the run and register the version."""
    import shutil

    tmp = result.with_name(result.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    facts = {"stopped": outcome.stopped, "step": outcome.step, "train_samples_per_second": session.samples_per_second}
    if not outcome.stopped:
        metrics, predictions, model = session.measure(wall_s=0.0)
        metrics.setdefault("training", {}).update(processes=session.world, batch_size=session.batch * session.world,
                                                   batch_size_per_process=session.batch)
        model.save_pretrained(tmp / "model")
        session.processor.save_pretrained(tmp / "model")
        (tmp / "metrics.json").write_text(json.dumps(metrics, default=float), encoding="utf-8")
        if predictions is not None:
            (tmp / "predictions.json").write_text(json.dumps(predictions), encoding="utf-8")
    (tmp / "outcome.json").write_text(json.dumps(facts), encoding="utf-8")
    shutil.rmtree(result, ignore_errors=True)
    tmp.rename(result)  # complete or absent


def main(argv: list[str]) -> int:
    import torch.distributed as dist
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    rank, world, package = _init_process_group(argv[0] if argv else "-")
    (package / f"rank-{rank}.pid").write_text(str(os.getpid()))
    job = json.loads((package / JOB).read_text(encoding="utf-8"))
    channel = EventChannel(package / EVENTS) if rank == 0 else None
    token = CancelToken()

    def emit(item) -> None:
        if channel is not None:
            channel.write(item) if isinstance(item, dict) else channel.event(item)

    try:
        session = WorkerSession(_prep(job, package), job, package, rank, world, emit, token)
        outcome = session.train(resume_from=job.get("resume_from"))
        if rank == 0:
            _save_result(session, outcome, package / RESULT)
        elif not outcome.stopped:
            session.measure(wall_s=0.0)  # evaluate/predict are collective: every rank takes part
    except _OutOfMemory:
        # torchrun reports any failing worker as its own exit code 1: the marker says which failure
        (package / OOM_MARKER).write_text(f"rank {rank}\n")
        return 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
