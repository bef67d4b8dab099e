"""Goals 1 and 2: sftgui's engine against plain Hugging Face Trainer scripts on a public data set.

1. Overhead: sftgui's engine vs. a plain Trainer script with identical settings (model, data,
   batch, precision, sampler, epochs, evaluation schedule): samples/s ratio >= 0.97.
2. Fast defaults: sftgui's default settings (the Quick preset the CLI uses) vs. the plain Trainer's
   own defaults (fp32, random sampler, batch 8, lr 5e-5, 3 epochs) on the same data: >= 2.5x
   samples/s on a CPU with bf16, with test accuracy within one point. Both sides run with five
   seeds and are compared by their means: on 379 test rows one seed's accuracy alone moves by about
   2 points from the data order and initialisation, more than the one-point goal.
Samples/s is the Trainer's own `train_samples_per_second` on both sides (training loop, evaluations
and checkpoints included).
"""

from __future__ import annotations

import os
import sys
import tempfile

from benchmarks.public_data import drug_reviews


def run_sftgui(rows: list[dict], preset: str = "quick", **overrides) -> dict:
    from sftgui.config import TrainConfig
    from sftgui.core import projects
    from sftgui.core.data import importers, snapshots
    from sftgui.core.training import engine
    from sftgui.store import runs_repo
    from sftgui.store.db import open_workspace

    with tempfile.TemporaryDirectory() as tmp:
        ws = open_workspace(os.path.join(tmp, "ws"))
        try:
            project = projects.create_project(ws, "bench")
            importers.import_rows(ws, project, rows)
            snap = snapshots.freeze_snapshot(ws, project)
            config = TrainConfig.from_preset(preset, project="bench", snapshot_id=snap.id, model="bundled", **overrides)
            events = []
            result = engine.run(config, events.append, ws=ws)
            if result.status != "completed":
                raise RuntimeError(f"sftgui run ended {result.status}: {result.error}")
            run = runs_repo.get_run(result.run_id)
            started = next(e for e in events if type(e).__name__ == "Started")
            return {
                "train_samples_per_second": run.train_samples_per_second,
                "test_accuracy": result.version.metrics["accuracy"],
                "wall_s": run.wall_s,
                "precision": started.precision,
                "fast_paths": list(started.fast_paths),
                "config": run.config,  # as the engine recorded it (the automatic max length resolved)
            }
        finally:
            ws.close()


# 379 test rows: one row is 0.26 points, and one seed's accuracy moves by about 2 points (the
# Trainer defaults gave 69.7, 73.9 and 72.8% on seeds 42-44), so a mean of three seeds still has a
# standard error near 1.4 points; five bring it near one point, the size of the goal.
SEEDS = (42, 43, 44, 45, 46)


def run() -> list[dict]:
    from sftgui.config import TrainConfig
    from sftgui.paths import bundled_model_dir

    from benchmarks.plain_trainer import train_plain

    rows = drug_reviews()
    model = str(bundled_model_dir())
    quick = TrainConfig.from_preset("quick")
    # Speed and accuracy of both sides are means over the same seeds (runs interleaved, so a slow
    # stretch of a shared machine hits both sides alike).
    ours, plain = [], []
    for seed in SEEDS:
        ours.append(run_sftgui(rows, seed=seed))
        plain.append(train_plain(rows, model, epochs=3, seed=seed))
    first = ours[0]
    same = train_plain(rows, model, epochs=quick.epochs, batch_size=quick.batch_size, lr=quick.learning_rate,
                       max_length=first["config"]["max_length"], bf16=first["precision"] == "bf16",
                       group_by_length=first["config"]["group_by_length"],
                       warmup=quick.warmup, weight_decay=quick.weight_decay, seed=SEEDS[0],
                       eval_each_epoch=True, scheduler=quick.scheduler)

    def mean(runs, key):
        return sum(r[key] for r in runs) / len(runs)

    ours_sps, plain_sps = mean(ours, "train_samples_per_second"), mean(plain, "train_samples_per_second")
    ours_acc, plain_acc = mean(ours, "test_accuracy"), mean(plain, "test_accuracy")
    overhead = first["train_samples_per_second"] / same["train_samples_per_second"]
    speedup = ours_sps / plain_sps
    acc_gap = ours_acc - plain_acc
    data = f"drugs.com reviews (UCI, 3 classes): {sum(r['split'] == 'train' for r in rows)} train / {sum(r['split'] == 'test' for r in rows)} test rows"
    per_seed = ", ".join(f"{a['test_accuracy']:.3f}/{b['test_accuracy']:.3f}" for a, b in zip(ours, plain))
    return [
        {
            "name": "Overhead: sftgui engine vs plain Trainer, identical settings",
            "goal": ">= 0.97x samples/s",
            "baseline": f"plain Trainer {same['train_samples_per_second']:.1f} samples/s (acc {same['test_accuracy']:.3f})",
            "value": f"sftgui {first['train_samples_per_second']:.1f} samples/s (acc {first['test_accuracy']:.3f})",
            "ratio": overhead,
            "met": overhead >= 0.97,
            "details": {"data": data, "seed": SEEDS[0], "sftgui": first, "plain_same_settings": same},
        },
        {
            "name": "Fast defaults: sftgui defaults vs plain Trainer defaults",
            "goal": ">= 2.5x samples/s, test accuracy within 1 point",
            "baseline": f"Trainer defaults (fp32, random order, batch 8) {plain_sps:.1f} samples/s, "
                        f"acc {plain_acc:.3f} (mean of seeds {', '.join(map(str, SEEDS))})",
            "value": f"sftgui Quick preset ({', '.join(first['fast_paths']) or first['precision']}) "
                     f"{ours_sps:.1f} samples/s, acc {ours_acc:.3f} (same seeds; sftgui/plain per seed: {per_seed})",
            "ratio": speedup,
            "met": speedup >= 2.5 and acc_gap >= -0.01,
            "details": {"data": data, "seeds": SEEDS, "accuracy_gap": acc_gap, "sftgui": ours, "plain_defaults": plain},
        },
    ]


if __name__ == "__main__":
    from benchmarks.report import emit

    emit(run())
    sys.exit(0)
