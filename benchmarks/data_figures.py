"""Figures for the data part: import + quality check of a 100,000-row CSV against pandas.read_csv.

Each measurement runs in its own subprocess, so peak memory (ru_maxrss) is that task's alone;
"extra" is the peak minus the process's memory after its imports. Run:
    .venv/bin/python benchmarks/data_figures.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
what, csv_path, ws_path = sys.argv[1:4]
if what == "pandas":
    import pandas as pd
    base = rss_mb(); t = time.perf_counter()
    df = pd.read_csv(csv_path)
    out = {"read_s": time.perf_counter() - t, "rows": len(df)}
else:
    from sftgui.store.db import open_workspace
    from sftgui.core import projects
    from sftgui.core.data import importers, quality
    import pyarrow, openpyxl  # imported by the readers anyway; kept out of the "extra" figure
    ws = open_workspace(ws_path)
    p = projects.create_project(ws, "bench")
    base = rss_mb(); t = time.perf_counter()
    r = importers.import_file(ws, p, csv_path)
    t_import = time.perf_counter() - t; import_extra = rss_mb() - base; t = time.perf_counter()
    report = quality.check_draft(ws, p)
    out = {"import_s": t_import, "import_extra_mb": import_extra, "check_s": time.perf_counter() - t, "rows": r.rows,
           "findings": {f.kind: f.count for f in report.findings}}
    ws.close()
out.update(peak_rss_mb=rss_mb(), extra_mb=rss_mb() - base)
print(json.dumps(out))
"""

WORDS = ("refund charge card invoice payment app crash error login password parcel delivery late "
         "tracking account email order screen slow broken please help thanks my the a is not").split()


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    labels = ["billing", "technical", "shipping", "account"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("text,label\n")
        for i in range(rows):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
            f.write(f'"{text}, ticket {i}",{labels[i % 4]}\n')


def child(what: str, csv_path: Path, ws: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, what, str(csv_path), str(ws)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(rows: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "big.csv"
        write_csv(csv_path, rows)
        size_mb = csv_path.stat().st_size / 1e6
        ours = child("sftgui", csv_path, tmp / "ws")
        pandas = child("pandas", csv_path, tmp / "unused")
    ours_s = ours["import_s"] + ours["check_s"]
    return {
        "name": f"Data: import + quality check of a {rows:,}-row CSV ({size_mb:.0f} MB)",
        "goal": "report time and peak memory against pandas.read_csv",
        "baseline": f"pandas.read_csv {pandas['read_s']:.2f} s, +{pandas['extra_mb']:.0f} MB (peak RSS {pandas['peak_rss_mb']:.0f} MB)",
        "value": f"import {ours['import_s']:.2f} s + check {ours['check_s']:.2f} s, +{ours['extra_mb']:.0f} MB (peak RSS {ours['peak_rss_mb']:.0f} MB)",
        "ratio": ours_s / pandas["read_s"],
        "met": None,
        "note": "sftgui writes every row into SQLite in one transaction (crash-safe, undoable) and runs "
                "every quality check; pandas only parses into memory.",
        "details": {"rows": rows, "csv_mb": round(size_mb, 1), "sftgui": ours, "pandas": pandas},
    }


def main() -> None:
    from benchmarks.report import emit

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    emit(measure(ap.parse_args().rows))


if __name__ == "__main__":
    main()
