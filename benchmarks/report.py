"""How a benchmark module hands its results to run_all: a JSON file named by $BENCH_OUT (libraries
print to stdout, so stdout is no channel), or stdout when run by hand."""

from __future__ import annotations

import json
import os


def emit(results) -> None:
    text = json.dumps(results, indent=2, default=str)
    out = os.environ.get("BENCH_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
    print(text)
