"""Issue 22: on a CPU without bf16, sftgui's defaults against a plain Trainer with ITS defaults.

The CPU is made to look like an AVX2-only one (no AVX-512, no bf16) with ATEN_CPU_CAPABILITY=avx2
and ONEDNN_MAX_CPU_ISA=AVX2, set before torch is imported (this module re-runs itself in a child
process with them); sftgui's own capability detection honours the same limit, so bf16 is off.

Both sides train on the same public rows (drugs.com reviews, benchmarks/public_data.py), one after
the other, alternating per seed so a slow stretch of a shared machine hits both:
- plain: a Trainer script with its defaults (fp32, batch 8, random order, lr 5e-5, 3 epochs);
- sftgui: each preset as the CLI runs it (Quick is the default).
Figures: samples/s of the whole training (wall clock of engine training: for sftgui this includes
computing the frozen part once) and test accuracy. Prints one JSON list (the `make bench` format).

    python -m benchmarks.cpu_no_bf16 [--presets quick,balanced] [--seeds 42] [--set key=value ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

LIMIT = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def _child(argv: list[str]) -> int:
    env = dict(os.environ, **LIMIT, SFTGUI_BENCH_CHILD="1")
    return subprocess.call([sys.executable, "-m", "benchmarks.cpu_no_bf16", *argv], env=env)


def run_sftgui_timed(rows, preset: str, **overrides) -> dict:
    """training_speed.run_sftgui plus the engine's wall clock as the speed (samples trained / wall)."""
    from benchmarks.training_speed import run_sftgui

    t0 = time.perf_counter()
    out = run_sftgui(rows, preset=preset, **overrides)
    out["total_wall_s"] = time.perf_counter() - t0
    return out


def measure(presets: list[str], seeds: list[int], overrides: dict) -> list[dict]:
    import torch

    from benchmarks.machine import describe
    from benchmarks.plain_trainer import train_plain
    from benchmarks.public_data import drug_reviews
    from sftgui.config import TrainConfig
    from sftgui.core.training.hardware import cpu_capability
    from sftgui.paths import bundled_model_dir

    cap = cpu_capability()
    rows = drug_reviews()
    n_train = sum(r["split"] == "train" for r in rows)
    model = str(bundled_model_dir())
    plain, ours = [], {p: [] for p in presets}
    for seed in seeds:
        t0 = time.perf_counter()
        p = train_plain(rows, model, epochs=3, seed=seed)
        p["total_wall_s"] = time.perf_counter() - t0
        plain.append(p)
        for preset in presets:
            ours[preset].append(run_sftgui_timed(rows, preset, seed=seed, **overrides))

    def mean(runs, key):
        return sum(r[key] for r in runs) / len(runs)

    # samples/s over the whole training: epochs x train rows / training wall time (the Trainer's own
    # figure on the plain side; sftgui's includes computing the frozen part once)
    plain_sps, plain_acc = mean(plain, "train_samples_per_second"), mean(plain, "test_accuracy")
    results = []
    for preset, runs in ours.items():
        cfg = TrainConfig.from_preset(preset)
        sps = sum(cfg.epochs * n_train / r["wall_s"] for r in runs) / len(runs)
        acc = mean(runs, "test_accuracy")
        ratio = sps / plain_sps
        results.append({
            "name": f"CPU without bf16 ({cap.sentence()}): sftgui {preset} vs plain Trainer defaults",
            "goal": ">= 3x samples/s, test accuracy within 1 point" if preset == "quick" else "accuracy per preset",
            "baseline": f"plain Trainer defaults (fp32, batch 8, random order, 3 epochs) {plain_sps:.1f} samples/s, "
                        f"acc {plain_acc:.3f}",
            "value": f"sftgui {preset} {sps:.1f} samples/s, acc {acc:.3f}",
            "ratio": round(ratio, 3),
            "met": bool(ratio >= 3 and acc - plain_acc >= -0.01) if preset == "quick" else None,
            "details": {"cpu": {"isa": cap.isa, "bf16": cap.bf16, "limit": cap.limit},
                        "torch_cpu_capability": str(torch.backends.cpu.get_cpu_capability()),
                        "machine": describe(), "load_average": os.getloadavg(),
                        "data": f"drugs.com reviews: {n_train} train / "
                                f"{sum(r['split'] == 'test' for r in rows)} test rows",
                        "seeds": seeds, "accuracy_gap": acc - plain_acc,
                        "sftgui": [{k: r[k] for k in ("test_accuracy", "wall_s", "total_wall_s", "fast_paths")}
                                   for r in runs],
                        "plain": plain, "overrides": overrides},
        })
    return results


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="quick")
    ap.add_argument("--seeds", default="42")
    ap.add_argument("--set", action="append", default=[], help="a TrainConfig override, key=value (JSON value)")
    args = ap.parse_args(argv)
    if os.environ.get("SFTGUI_BENCH_CHILD") != "1":
        return _child(argv)
    overrides = {}
    for item in args.set:
        k, _, v = item.partition("=")
        try:
            overrides[k] = json.loads(v)
        except json.JSONDecodeError:
            overrides[k] = v
    from benchmarks.report import emit

    emit(measure(args.presets.split(","), [int(s) for s in args.seeds.split(",")], overrides))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
