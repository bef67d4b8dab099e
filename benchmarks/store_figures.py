"""Figures for the version store, with the real bundled model (all-MiniLM-L6-v2, 22.7M params).

    .venv/bin/python -m benchmarks.store_figures [--json]

Measures: register and load time of one version; bytes on disk for 5 versions that differ only
in the classifier head (frozen encoder) against 5 full copies; time of a rollback (which re-hashes
every blob of the target version before moving the alias).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _timed(fn, repeat: int = 3):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def measure(workdir: Path) -> dict:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.core import versions
    from sftgui.core.projects import create_project
    from sftgui.paths import bundled_model_dir
    from sftgui.store.db import open_workspace

    labels = ["billing", "login", "bug", "delivery"]
    src = bundled_model_dir()
    model = AutoModelForSequenceClassification.from_pretrained(src, num_labels=len(labels)).eval()
    tok = AutoTokenizer.from_pretrained(src)
    params = sum(p.numel() for p in model.parameters())

    ws = open_workspace(workdir / "ws")
    project = create_project(ws, "figures")
    t = time.perf_counter()
    v1 = versions.register_version(ws, project, model, tok, labels=labels, base_model=str(src))
    register_s = time.perf_counter() - t
    (_, _), load_s = _timed(lambda: versions.load_version(ws, v1))

    with torch.no_grad():  # four more "trainings" with a frozen encoder: only the head changes
        for i in range(4):
            model.classifier.weight.add_(0.01 * (i + 1))
            model.classifier.bias.add_(0.01)
            versions.register_version(ws, project, model, tok, labels=labels, base_model=str(src))
    five = versions.list_versions(ws, project)
    blobs_bytes = _dir_bytes(ws.path / "blobs" / "sha256")
    full = versions.materialize_version(ws, v1, workdir / "full-copy")
    full_copy = _dir_bytes(full)

    _, rollback_s = _timed(lambda: versions.rollback(ws, project, "v3", reason="benchmark"))
    ws.close()
    return {
        "model": "all-MiniLM-L6-v2 (bundled)",
        "parameters": params,
        "weights_bytes": v1.weights_bytes,
        "register_s": round(register_s, 3),
        "load_s": round(load_s, 3),
        "versions": len(five),
        "blobs_bytes_5_versions": blobs_bytes,
        "new_bytes_per_version": [v.weights_new_bytes for v in five],
        "full_copy_bytes_each": full_copy,
        "blobs_bytes_vs_5_full_copies": f"{blobs_bytes / 2**20:.1f} MiB vs {5 * full_copy / 2**20:.1f} MiB",
        "rollback_s": round(rollback_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sftgui-store-figures-") as tmp:
        figures = measure(Path(tmp))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k:32} {v}")


if __name__ == "__main__":
    main()
