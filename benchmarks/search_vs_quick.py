"""Issue 18's closing figure: on a public labelled set (the drugs.com reviews, 3 classes), the test
accuracy of the best trial of a hyperparameter search against the Quick preset's, with the
search's wall time.

The package holds 600 labelled training reviews and 379 test reviews: the 600 are split into
VALIDATION validation rows (the search chooses on these only) and the rest for training; the 379
test rows are scored once per side. Both sides train on the same snapshot. Epochs and
text length are held at the Quick preset's for every trial (so the search varies learning rate,
batch size, warm-up, weight decay and frozen layers) and a time budget stops new trials.
Run: `python -m benchmarks.search_vs_quick [--trials 4] [--budget 10] [--max-length 128]`; prints one
JSON object (the `make bench` format) (and a line per finished trial on stderr).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

VALIDATION = 120


def subset(seed: int = 0) -> list[dict]:
    from benchmarks.public_data import drug_reviews

    rows = drug_reviews(seed=seed)
    pool = [r for r in rows if r["split"] != "test"]
    random.Random(seed).shuffle(pool)
    return ([dict(r, split="validation") for r in pool[:VALIDATION]] + [dict(r, split="train") for r in pool[VALIDATION:]]
            + [r for r in rows if r["split"] == "test"])


def _say(event) -> None:
    """One line per finished trial on stderr (a long run shows it is alive)."""
    from sftgui.core import events as ev

    if isinstance(event, (ev.TrialFinished, ev.Finished)):
        print(f"{time.strftime('%H:%M:%S')} {type(event).__name__}: {getattr(event, 'value', None)} "
              f"{getattr(event, 'params', '')}", file=sys.stderr, flush=True)


def measure(trials: int, budget_min: float, max_length: int) -> dict:
    from sftgui.config import TrainConfig
    from sftgui.core import search
    from sftgui.core.data.importers import import_rows
    from sftgui.core.data.snapshots import freeze_snapshot
    from sftgui.core.projects import create_project
    from sftgui.core.training import engine
    from sftgui.store.db import open_workspace

    rows = subset()
    with tempfile.TemporaryDirectory(prefix="sftgui-bench-search-") as tmp:
        ws = open_workspace(Path(tmp) / "ws")
        try:
            project = create_project(ws, "drug-reviews")
            import_rows(ws, project, rows, source="drugs.com subset")
            snapshot = freeze_snapshot(ws, project)
            quick = TrainConfig.from_preset("quick", project=project.name, snapshot_id=snapshot.id,
                                            max_length=max_length or None)
            t0 = time.perf_counter()
            base = engine.run(quick, _say, ws=ws)
            quick_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            s = search.start_search(ws, quick, trials=trials, time_budget_min=budget_min,
                                    fixed=("epochs", "max_length"), seed=0)
            result = search.run_search(ws, s.id, _say)
            search_s = time.perf_counter() - t0
            trials_out = [{k: t[k] for k in ("trial", "status", "value", "params", "wall_s")}
                          for t in result.trials]
        finally:
            ws.close()
    if base.status != "completed" or result.version is None:
        raise SystemExit(f"quick {base.status}, search {result.status}: {result.message}")
    return {
        "name": "Search: best trial vs the Quick preset (drugs.com subset)",
        "goal": "report: test accuracy of the search's best trial against the Quick preset's, and the search's time",
        "baseline": f"Quick preset: test accuracy {base.metrics['accuracy']:.3f} (macro F1 "
                    f"{base.metrics['macro_f1']:.3f}) in {quick_s:.0f} s",
        "value": f"best of {len(trials_out)} trials: test accuracy {result.version.metrics['accuracy']:.3f} "
                 f"(macro F1 {result.version.metrics['macro_f1']:.3f}); search {search_s:.0f} s",
        "ratio": round(result.version.metrics["accuracy"] / max(1e-9, base.metrics["accuracy"]), 3),
        "met": None,
        "details": {"rows": {s: sum(r["split"] == s for r in rows) for s in ("train", "validation", "test")},
                    "quick_accuracy": base.metrics["accuracy"], "quick_macro_f1": base.metrics["macro_f1"],
                    "quick_s": quick_s, "best_accuracy": result.version.metrics["accuracy"],
                    "best_macro_f1": result.version.metrics["macro_f1"], "best_validation_f1": result.best_value,
                    "best_params": result.best_params, "search_s": search_s, "budget_min": budget_min,
                    "max_length": max_length or "automatic",
                    "trials": trials_out},
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--trials", type=int, default=4)
    p.add_argument("--budget", type=float, default=10.0, help="minutes after which no new trial starts")
    p.add_argument("--max-length", type=int, default=128, help="word pieces read per review, both sides (0: automatic)")
    a = p.parse_args()
    from benchmarks.report import emit

    emit(measure(a.trials, a.budget, a.max_length))
