"""Issue 20: what `train --processes 2` gains over one process on this machine (it may be below 1).

Trains the bundled model on the cleaned sample set (quick_preset.train_on_sample) for a fixed
number of steps with the same effective batch, once in one process and once as 2 torchrun processes (gloo), in fresh temporary workspaces,
in the same run. Prints both figures as ratios against the one-process run:
- the Trainer's training samples per second (the training loop alone), and
- the wall time of `engine.run` (what a person waits for: start-up of the processes included).
torchrun gives each worker one thread (OMP_NUM_THREADS=1); the one process uses torch's default.
"""

from __future__ import annotations

import sys

STEPS, BATCH = 40, 16


def _one(processes: int) -> dict:
    from benchmarks.quick_preset import train_on_sample

    result, wall, _, _ = train_on_sample(max_steps=STEPS, batch_size=BATCH, processes=processes)
    return {"wall_s": round(wall, 1), "samples_per_s": result.metrics["training"]["train_samples_per_second"],
            "accuracy": result.metrics["accuracy"]}


def measure() -> dict:
    from benchmarks.machine import describe

    one, two = _one(1), _one(2)
    ratio = two["samples_per_s"] / one["samples_per_s"]
    return {
        "name": "Several processes: 2 torchrun processes (gloo) vs 1 process, bundled model, same effective batch",
        "goal": "report the speed-up (with 2 cores it may be below 1)",
        "baseline": f"1 process {one['samples_per_s']:.1f} samples/s, {one['wall_s']:.1f} s wall",
        "value": f"2 processes {two['samples_per_s']:.1f} samples/s, {two['wall_s']:.1f} s wall",
        "ratio": round(ratio, 2),
        "met": None,
        "details": {"machine": describe(), "steps": STEPS, "batch": BATCH, "one_process": one,
                    "two_processes": two, "wall_speedup": round(one["wall_s"] / two["wall_s"], 2)},
    }


if __name__ == "__main__":
    from benchmarks.report import emit

    out = measure()
    d = out["details"]
    print(f"{out['name']}: {d['steps']} steps of {d['batch']} on {d['machine']['cpu']}, {d['machine']['cores']} "
          f"cores, bf16 CPU: {d['machine']['bf16_cpu']}", file=sys.stderr)
    print(f"  {out['baseline']}; {out['value']}; speed-up {out['ratio']:.2f}x samples/s (training loop), "
          f"{d['wall_speedup']:.2f}x on the wall clock (process start-up included)", file=sys.stderr)
    emit(out)
