"""Issue 22: peak memory, sftgui against a plain script, each side in its own process (peak RSS
from the kernel's accounting of the finished child: getrusage(RUSAGE_CHILDREN).ru_maxrss).

1. Inference over N texts read from a CSV file: `sftgui predict V --file big.csv --json` (streams a
   chunk at a time) against a plain script that reads every text into a list and calls
   `pipeline("text-classification")` on the exported folder (holding every answer). Measured at two
   sizes (default 10,000 and 100,000): sftgui's memory must not grow with the input.
2. A short training of the bundled model (a subset of the drug reviews, one epoch): sftgui's engine
   against a plain Trainer script with the same settings.
On a GPU the children also report torch's peak GPU memory (inference and training).

`python -m benchmarks.memory_figures [--texts 10000,100000] [--train-rows 800]`
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MiB = 2**20

# Runs a command and prints its peak RSS (KiB on Linux) and wall time: a fresh parent per
# measurement, because RUSAGE_CHILDREN keeps the largest child ever waited for.
_WRAP = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
         "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - t, r.returncode)")


def peak_rss(cmd: list[str], gpu_file: Path | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if gpu_file:
        env["BENCH_GPU_PEAK"] = str(gpu_file)
    out = subprocess.run([sys.executable, "-c", _WRAP, *cmd], capture_output=True, text=True, env=env, check=True)
    kib, secs, rc = out.stdout.split()
    if int(rc) != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... exited {rc}")
    found = {"peak_rss_bytes": int(kib) * 1024, "seconds": float(secs)}
    if gpu_file and gpu_file.exists():
        found["peak_gpu_bytes"] = int(gpu_file.read_text())
    return found


def _note_gpu_peak() -> None:
    """In a child: write torch's peak GPU memory where the parent asked (at exit)."""
    import atexit

    path = os.environ.get("BENCH_GPU_PEAK")
    if not path:
        return

    def write():
        import torch

        if torch.cuda.is_available():
            Path(path).write_text(str(torch.cuda.max_memory_allocated()))

    atexit.register(write)


# -- the two sides of inference ------------------------------------------------------------------
def plain_pipeline(folder: str, csv_path: str) -> None:
    """The plain script: every text in a list, one pipeline() call, every answer kept."""
    import torch
    from transformers import pipeline

    _note_gpu_peak()
    with open(csv_path, newline="", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    pipe = pipeline("text-classification", model=folder, tokenizer=folder,
                    device="cuda" if torch.cuda.is_available() else "cpu")
    answers = pipe(texts, batch_size=32, truncation=True, max_length=128, top_k=None)
    json.dump(answers, open(os.devnull, "w"))


def sftgui_predict(ws: str, csv_path: str) -> None:
    _note_gpu_peak()
    from sftgui.cli import main

    sys.stdout = open(os.devnull, "w")
    raise SystemExit(main(["--workspace", ws, "predict", "tickets@v1", "--file", csv_path, "--json"]))


def make_version(ws_path: Path, export_dir: Path) -> None:
    """tickets@v1: the bundled encoder with a seeded 3-label head, registered, and its export."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.core.export import export_version
    from sftgui.paths import bundled_model_dir
    from sftgui.store.db import open_workspace
    from tests.core.evaluation.keywords import LABELS, new_project, register_on_last_snapshot

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(bundled_model_dir(), num_labels=len(LABELS))
    tok = AutoTokenizer.from_pretrained(bundled_model_dir())
    with open_workspace(ws_path) as ws:
        project = new_project(ws)
        version = register_on_last_snapshot(ws, project, model, tok,
                                            config={"epochs": 1, "learning_rate": 0.01, "batch_size": 16,
                                                    "seed": 0, "max_length": 128})
        export_version(ws, version, export_dir)


def write_texts(path: Path, n: int) -> None:
    from benchmarks.inference_speed import texts_of

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text"])
        base = texts_of(2000)
        for i in range(n):
            w.writerow([f"{base[i % len(base)]} {i}"])


# -- the two sides of training ---------------------------------------------------------------------
def _train_rows(n: int) -> list[dict]:
    from benchmarks.public_data import drug_reviews

    rows = drug_reviews()
    take = {"train": n, "validation": n // 8, "test": n // 8}
    out = []
    for r in rows:
        if take[r["split"]] > 0:
            take[r["split"]] -= 1
            out.append(r)
    return out


def sftgui_training(n: int) -> None:
    _note_gpu_peak()
    from benchmarks.training_speed import run_sftgui

    found = run_sftgui(_train_rows(n), epochs=1, max_length=128)
    Path(os.environ["BENCH_SETTINGS"]).write_text(json.dumps({**found["config"], "precision": found["precision"]},
                                                              default=str))


def plain_training(n: int, settings: str) -> None:
    _note_gpu_peak()
    import torch

    from benchmarks.plain_trainer import train_plain
    from sftgui.paths import bundled_model_dir

    c = json.loads(Path(settings).read_text())
    train_plain(_train_rows(n), str(bundled_model_dir()), epochs=1, batch_size=c["batch_size"],
                lr=c["learning_rate"], max_length=c["max_length"], bf16=c["precision"] == "bf16",
                group_by_length=bool(c.get("group_by_length")), warmup=c.get("warmup"),
                weight_decay=c.get("weight_decay"), scheduler=c.get("scheduler"),
                device="cuda" if torch.cuda.is_available() else "cpu")


# -- the benchmark ------------------------------------------------------------------------------------
def _mib(x: int) -> str:
    return f"{x / MiB:,.0f} MiB"


def _gpu(found: dict) -> str:
    return f", GPU {_mib(found['peak_gpu_bytes'])}" if "peak_gpu_bytes" in found else ""


def run(sizes=(10_000, 100_000), train_rows: int = 800) -> list[dict]:
    from benchmarks.machine import describe

    me = [sys.executable, "-m", "benchmarks.memory_figures"]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([*me, "make-version", str(tmp / "ws"), str(tmp / "export")], check=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True)
        ours, plain = {}, {}
        for n in sizes:
            path = tmp / f"texts-{n}.csv"
            write_texts(path, n)
            ours[n] = peak_rss([*me, "sftgui-predict", str(tmp / "ws"), str(path)], tmp / f"gpu-s{n}")
            plain[n] = peak_rss([*me, "plain-pipeline", str(tmp / "export"), str(path)], tmp / f"gpu-p{n}")
            path.unlink()
        small, big = sizes[0], sizes[-1]
        growth = ours[big]["peak_rss_bytes"] / ours[small]["peak_rss_bytes"]
        results.append({
            "name": f"Inference memory: sftgui predict --file vs plain pipeline(), {big:,} texts",
            "goal": f"peak RAM does not grow with the input ({small:,} -> {big:,} texts: at most 1.1x)",
            "baseline": f"plain script (all texts in a list) {_mib(plain[big]['peak_rss_bytes'])}{_gpu(plain[big])} "
                        f"at {big:,} texts, {_mib(plain[small]['peak_rss_bytes'])} at {small:,}",
            "value": f"sftgui {_mib(ours[big]['peak_rss_bytes'])}{_gpu(ours[big])} at {big:,} texts, "
                     f"{_mib(ours[small]['peak_rss_bytes'])} at {small:,} (growth {growth:.2f}x)",
            "ratio": ours[big]["peak_rss_bytes"] / plain[big]["peak_rss_bytes"],
            "met": growth <= 1.1,
            "details": {"sftgui": ours, "plain": plain, "machine": describe()},
            "note": "ratio = sftgui's peak RAM / the plain script's (below 1 is less memory); "
                    f"texts/s at {big:,}: sftgui {big / ours[big]['seconds']:.0f}, plain "
                    f"{big / plain[big]['seconds']:.0f} (process start and model load included)",
        })
        env_settings = tmp / "settings.json"
        os.environ["BENCH_SETTINGS"] = str(env_settings)
        t_ours = peak_rss([*me, "sftgui-training", str(train_rows)], tmp / "gpu-st")
        t_plain = peak_rss([*me, "plain-training", str(train_rows), str(env_settings)], tmp / "gpu-pt")
        results.append({
            "name": f"Training memory: sftgui vs plain Trainer script, bundled model, {train_rows} drug reviews",
            "goal": "peak RAM against a plain Trainer script with the same settings (one epoch)",
            "baseline": f"plain Trainer {_mib(t_plain['peak_rss_bytes'])}{_gpu(t_plain)}",
            "value": f"sftgui {_mib(t_ours['peak_rss_bytes'])}{_gpu(t_ours)}",
            "ratio": t_ours["peak_rss_bytes"] / t_plain["peak_rss_bytes"],
            "met": None,
            "details": {"sftgui": t_ours, "plain": t_plain, "settings": json.loads(env_settings.read_text())},
        })
    return results


def main(argv: list[str]) -> int:
    step = argv[0] if argv and not argv[0].startswith("-") else None
    if step == "make-version":
        make_version(Path(argv[1]), Path(argv[2]))
    elif step == "sftgui-predict":
        sftgui_predict(argv[1], argv[2])
    elif step == "plain-pipeline":
        plain_pipeline(argv[1], argv[2])
    elif step == "sftgui-training":
        sftgui_training(int(argv[1]))
    elif step == "plain-training":
        plain_training(int(argv[1]), argv[2])
    else:
        from benchmarks.report import emit

        sizes = tuple(int(x) for x in argv[argv.index("--texts") + 1].split(",")) if "--texts" in argv \
            else (10_000, 100_000)
        rows = int(argv[argv.index("--train-rows") + 1]) if "--train-rows" in argv else 800
        emit(run(sizes, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
