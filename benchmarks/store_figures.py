"""Goal 6: the version store, with the real bundled model (all-MiniLM-L6-v2, 22.7M params).

- registering a version against copying its safetensors file (with fsync, as the store does): <= 2x;
- 10 versions trained with a frozen encoder (only the classifier head changes) against one full
  copy of the weights: <= 1.2x the bytes;
- a rollback of the bundled model against the same rollback of a tiny model: <= 1.5x (it must not
  depend on model size).

    .venv/bin/python -m benchmarks.store_figures
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

LABELS = ["billing", "login", "bug", "delivery"]
REPEAT = 7


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _copy_with_fsync(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    with open(dst, "rb") as f:
        os.fsync(f.fileno())


def _ten_frozen_versions(ws, project, model, tok, src) -> list:
    import torch

    from sftgui.core import versions

    out = [versions.register_version(ws, project, model, tok, labels=LABELS, base_model=str(src))]
    with torch.no_grad():  # nine more "trainings" with a frozen encoder: only the head changes
        for i in range(9):
            model.classifier.weight.add_(0.01 * (i + 1))
            model.classifier.bias.add_(0.01)
            out.append(versions.register_version(ws, project, model, tok, labels=LABELS, base_model=str(src)))
    return out


def _rollback_time(ws, project) -> float:
    from sftgui.core import versions

    targets = iter(["v1", "v2"] * 50)
    return _median_time(lambda: versions.rollback(ws, project, next(targets), reason="benchmark"), repeat=20)


def measure(workdir: Path) -> list[dict]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.core import versions
    from sftgui.core.projects import create_project
    from sftgui.paths import bundled_model_dir
    from sftgui.store.db import open_workspace
    from tests.tiny import make_tiny_model_dir

    src = bundled_model_dir()
    model = AutoModelForSequenceClassification.from_pretrained(src, num_labels=len(LABELS)).eval()
    tok = AutoTokenizer.from_pretrained(src)
    weights = src / "model.safetensors"

    # register (all bytes new, fresh workspace each time) vs copying the weights file, taken in
    # turns so that both see the same load. Each copy overwrites the previous one, so its bytes land
    # in page-cache memory the kernel has just freed; on a VM that reports free memory to its host
    # (this one does), writing into memory not touched for a while costs ~3x (a copy to a new file
    # each time measured 320 ms against 103 ms). So each register, likewise, first deletes the
    # previous one's workspace (untimed): both sides write into just-freed memory.
    reg_times, copy_times, previous = [], [], None
    for i in range(REPEAT):
        copy_times.append(_median_time(lambda: _copy_with_fsync(weights, workdir / "copy.safetensors"), repeat=1))
        if previous is not None:
            shutil.rmtree(previous)
        previous = workdir / f"reg{i}"
        ws = open_workspace(previous)
        project = create_project(ws, "figures")
        t = time.perf_counter()
        versions.register_version(ws, project, model, tok, labels=LABELS, base_model=str(src))
        reg_times.append(time.perf_counter() - t)
        ws.close()
    register_s = statistics.median(reg_times)
    copy_s = statistics.median(copy_times)

    ws = open_workspace(workdir / "ws")
    project = create_project(ws, "figures")
    ten = _ten_frozen_versions(ws, project, model, tok, src)
    blobs_bytes = _dir_bytes(ws.path / "blobs" / "sha256")
    one_copy = _dir_bytes(versions.materialize_version(ws, ten[0], workdir / "full-copy"))
    load_s = _median_time(lambda: versions.load_version(ws, ten[-1]), repeat=3)
    big_rollback = _rollback_time(ws, project)
    ws.close()

    tiny_dir = make_tiny_model_dir(workdir / "tiny", num_labels=len(LABELS))
    tiny = AutoModelForSequenceClassification.from_pretrained(tiny_dir)
    ws = open_workspace(workdir / "ws-tiny")
    project = create_project(ws, "tiny")
    for _ in range(2):
        versions.register_version(ws, project, tiny, AutoTokenizer.from_pretrained(tiny_dir), labels=LABELS,
                                  base_model=str(tiny_dir))
        tiny.classifier.bias.data.add_(0.1)
    small_rollback = _rollback_time(ws, project)
    ws.close()

    return [
        {
            "name": "Store: register a version of the bundled model",
            "goal": "<= 2x copying its safetensors file",
            "baseline": f"copy + fsync of model.safetensors ({weights.stat().st_size / 2**20:.1f} MiB) {copy_s * 1000:.0f} ms",
            "value": f"register_version {register_s * 1000:.0f} ms (every tensor hashed, fsynced, read-only); load {load_s * 1000:.0f} ms",
            "ratio": register_s / copy_s,
            "met": register_s / copy_s <= 2.0,
            "details": {"register_ms": [round(x * 1000) for x in reg_times],
                        "copy_fsync_ms": [round(x * 1000) for x in copy_times]},
            "note": f"medians of {REPEAT} runs taken in turns. Both sides flush to disk (the copy fsyncs its "
            "file; register flushes its blobs before their names and its row). register also hashes every "
            "tensor and model.safetensors as exports lay it out. Each copy overwrites the last one and each "
            "register first deletes the last one's workspace (untimed), so both write into just-freed memory.",
        },
        {
            "name": "Store: 10 versions with a frozen encoder",
            "goal": "<= 1.2x the bytes of one full copy",
            "baseline": f"one full copy {one_copy / 2**20:.1f} MiB",
            "value": f"blobs/ after 10 versions {blobs_bytes / 2**20:.1f} MiB (10 full copies: {10 * one_copy / 2**20:.0f} MiB)",
            "ratio": blobs_bytes / one_copy,
            "met": blobs_bytes / one_copy <= 1.2,
        },
        {
            "name": "Store: rollback time, bundled model vs tiny model",
            "goal": "<= 1.5x (independent of model size)",
            "baseline": f"tiny model {small_rollback * 1000:.1f} ms",
            "value": f"bundled model {big_rollback * 1000:.1f} ms",
            "ratio": big_rollback / small_rollback,
            "met": big_rollback / small_rollback <= 1.5,
        },
    ]


if __name__ == "__main__":
    from benchmarks.report import emit

    with tempfile.TemporaryDirectory(prefix="sftgui-store-figures-") as tmp:
        emit(measure(Path(tmp)))
