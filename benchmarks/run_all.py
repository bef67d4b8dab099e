"""`make bench`: run every benchmark in its own process and write results.md + results.json.

Each benchmark module prints one JSON object (or a list of them) with keys
name, goal, baseline, value, ratio, met, details. A module that fails is reported, not hidden.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.machine import describe

HERE = Path(__file__).resolve().parent
MODULES = [
    "benchmarks.training_speed",  # goals 1 and 2 (+ accuracy parity)
    "benchmarks.hardware",  # goal 3
    "benchmarks.responsiveness",  # goal 4
    "benchmarks.startup",  # goal 5
    "benchmarks.store_figures",  # goal 6
    "benchmarks.data_figures",  # goal 7
    "benchmarks.export_figures",  # goal 8
    "benchmarks.quick_preset",  # issue 5: Quick preset on the sample set
    "benchmarks.export_agreement",  # issue 14: pipeline() on an export equals sftgui predict
    "benchmarks.distributed_speed",  # issue 20: 2 torchrun processes vs 1
    "benchmarks.inference_speed",  # issue 22: CPU inference, torch vs onnxruntime (and the GPU's, if any)
    "benchmarks.memory_figures",  # issue 22: peak memory of inference (streamed) and training vs plain scripts
    "benchmarks.gpu_training",  # issue 22: GPU training vs a plain Trainer (no rows without a GPU)
    "benchmarks.search_vs_quick",  # issue 18: a search's best trial vs the Quick preset (drugs.com)
    "benchmarks.cpu_no_bf16",  # issue 22: presets vs plain Trainer defaults on an emulated AVX2 CPU
]


def run_module(mod: str, timeout: int) -> list[dict]:
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", mod], capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, BENCH_OUT=str(out)))
        took = time.perf_counter() - t0
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return [{"name": mod, "error": " | ".join(tail), "took_s": took}]
        result = json.loads(out.read_text())
    results = result if isinstance(result, list) else [result]
    for r in results:
        r["took_s"] = round(took, 1)
    return results


def _fmt_ratio(r):
    ratio = r.get("ratio")
    return "" if ratio is None else f"{ratio:.2f}"


def write_report(machine: dict, results: list[dict], out_dir: Path) -> None:
    (out_dir / "results.json").write_text(json.dumps({"machine": machine, "results": results}, indent=2, default=str))
    lines = [
        "# sftgui benchmark results",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} by `make bench` on: " + ", ".join(f"{k} {v}" for k, v in machine.items()),
        "",
        "Every ratio is against a baseline measured in the same run, on the same data and machine.",
        "",
        "| benchmark | goal | baseline | sftgui | ratio | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['name']} | | | failed: {r['error']} | | no |")
            continue
        met = {True: "yes", False: "**no**", None: "(report)"}[r.get("met")]
        lines.append(f"| {r['name']} | {r.get('goal', '')} | {r.get('baseline', '')} | {r.get('value', '')} | {_fmt_ratio(r)} | {met} |")
    notes = [r for r in results if r.get("note")]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {r['name']}: {r['note']}" for r in notes]
    # Partial runs (`make bench BENCH=...`) merge rows, so each module says when it was measured.
    when = {}
    for r in results:
        when.setdefault(r.get("module", r["name"]), (r.get("measured_at", "before times were recorded"), r.get("took_s")))
    lines += ["", "## When each benchmark ran", ""]
    lines += [f"- `{m}`: {at}" + (f" (took {took:.0f} s)" if took else "") for m, (at, took) in when.items()]
    (out_dir / "results.md").write_text("\n".join(lines) + "\n")


def _previous_results() -> list[dict]:
    try:
        return json.loads((HERE / "results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []


def main(argv: list[str]) -> int:
    only = [a for a in argv if not a.startswith("-")]
    mods = [m for m in MODULES if not only or any(o in m for o in only)]
    machine = describe()
    results = []
    previous = _previous_results() if only else []
    for mod in mods:
        print(f"running {mod} ...", flush=True)
        try:
            res = run_module(mod, timeout=3600)
        except subprocess.TimeoutExpired:
            res = [{"name": mod, "error": "timed out after 60 minutes"}]
        for r in res:
            r["module"] = mod
            r["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            print(f"  {r.get('name')}: ratio {_fmt_ratio(r)} met={r.get('met')} {r.get('error', '')}", flush=True)
        results += res
    # A partial run (`make bench BENCH=startup`) replaces only its own modules' rows.
    results = [r for r in previous if r.get("module") not in mods] + results
    results.sort(key=lambda r: MODULES.index(r["module"]) if r.get("module") in MODULES else len(MODULES))
    write_report(machine, results, HERE)
    print(f"wrote {HERE / 'results.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
