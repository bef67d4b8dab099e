"""Issue 14: does plain `pipeline()` on an export predict what `sftgui predict` does? The bundled
model trained on the whole sample (plus 40 long tickets, encoder frozen, one epoch), compared over
the whole test split. Prints the largest probability difference (goal: below 1e-5)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def run() -> dict:
    from benchmarks.machine import describe
    from sftgui.store.db import open_workspace
    from tests.core.evaluation.test_export_inference import sample_agreement

    with tempfile.TemporaryDirectory() as tmp:
        with open_workspace(Path(tmp) / "ws") as ws:
            found = sample_agreement(ws, Path(tmp), every=1)
    return {
        "name": "Export agreement: pipeline() on the exported folder vs sftgui predict",
        "goal": "largest probability difference < 1e-5 over the whole test split, long texts included",
        "baseline": "",
        "value": f"{found['max_abs_diff']:.1e} over {found['texts']} texts ({found['longer_than_trained']} longer "
                 f"than the trained {found['trained_length']} tokens, longest {found['longest']})",
        "ratio": None,
        "met": found["max_abs_diff"] < 1e-5,
        "details": {**found, "machine": describe()},
    }


if __name__ == "__main__":
    result = run()
    out = os.environ.get("BENCH_OUT")
    if out:
        Path(out).write_text(json.dumps(result))
    json.dump(result, sys.stdout, indent=2)
    print()
