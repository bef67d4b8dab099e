"""Issue 20: what `train --processes 2` gains over one process on this machine (it may be below 1).

Trains the bundled model on the sample set for a fixed number of steps with the same effective
batch, once in one process and once as 2 torchrun processes (gloo), in fresh temporary workspaces,
in the same run. Prints both figures as ratios against the one-process run:
- the Trainer's training samples per second (the training loop alone), and
- the wall time of `engine.run` (what a person waits for: start-up of the processes included).
torchrun gives each worker one thread (OMP_NUM_THREADS=1); the one process uses torch's default.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

STEPS, BATCH = 40, 16


def _one(processes: int) -> dict:
    from sftgui.config import TrainConfig
    from sftgui.core.data.importers import import_file
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.projects import create_project
    from sftgui.core.training import engine
    from sftgui.resources import SAMPLE_CSV, resource_path
    from sftgui.store.db import open_workspace

    with tempfile.TemporaryDirectory(prefix="sftgui-bench-dist-") as tmp:
        ws = open_workspace(Path(tmp) / "ws")
        try:
            project = create_project(ws, "support-tickets")
            import_file(ws, project, resource_path(SAMPLE_CSV))
            snapshot = freeze_snapshot(ws, project)
            config = TrainConfig.from_preset("quick", project=project.name, snapshot_id=snapshot.id,
                                             max_steps=STEPS, batch_size=BATCH, processes=processes)
            t0 = time.perf_counter()
            result = engine.run(config, ws=ws)
            wall = time.perf_counter() - t0
        finally:
            ws.close()
    if result.status != "completed":
        raise SystemExit(f"{processes}-process run {result.status}: {result.error}")
    return {"wall_s": round(wall, 1), "samples_per_s": result.metrics["training"]["train_samples_per_second"],
            "accuracy": result.metrics["accuracy"]}


def measure() -> dict:
    from benchmarks.machine import describe

    one, two = _one(1), _one(2)
    return {
        "name": "2 processes (torchrun, gloo) vs 1 process, bundled model, same effective batch",
        "machine": describe(),
        "steps": STEPS, "batch": BATCH,
        "one_process": one, "two_processes": two,
        "samples_per_s_ratio": round(two["samples_per_s"] / one["samples_per_s"], 2),
        "wall_ratio_speedup": round(one["wall_s"] / two["wall_s"], 2),
    }


if __name__ == "__main__":
    out = measure()
    if "--json" in sys.argv:
        print(json.dumps(out))
    else:
        m = out["machine"]
        print(f"{out['name']} ({out['steps']} steps of {out['batch']}) on {m['cpu']}, {m['cores']} cores, "
              f"bf16 CPU: {m['bf16_cpu']}")
        for key in ("one_process", "two_processes"):
            r = out[key]
            print(f"  {key.replace('_', ' ')}: {r['samples_per_s']:.1f} samples/s, {r['wall_s']:.1f} s wall, "
                  f"test accuracy {r['accuracy']:.1%}")
        print(f"  speed-up of 2 processes: {out['samples_per_s_ratio']:.2f}x samples/s (training loop), "
              f"{out['wall_ratio_speedup']:.2f}x on the wall clock (start-up included)")
