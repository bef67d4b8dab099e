"""Issue 19: start-up of the desktop bundle to its first painted window, against the same sftgui
installed with pip into a virtual environment, both measured the same way: from starting the
process to the line "window painted" that `sftgui gui --exit-after-paint` prints once the window
has painted and the workspace is open (offscreen).

Cold: before each cold start, every file of the app is dropped from the OS page cache (the bundle's
folder; for the installed app its environment and Python's standard library), one file at a time
with posix_fadvise(DONTNEED), so nothing else on the machine is evicted. System libraries (libc,
fonts) stay cached for both. Warm: median of repeated starts right after.

    python -m benchmarks.bundle_startup [BUNDLE_EXE] [INSTALLED_SFTGUI]
defaults: build/bundle/dist/sftgui/sftgui and build/bundle/venv/bin/sftgui (what `make bundle` makes).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def evict(folders: list[Path]) -> int:
    """Drop every regular file under `folders` from the page cache; returns how many files."""
    count = 0
    for folder in folders:
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                try:
                    fd = os.open(os.path.join(dirpath, name), os.O_RDONLY | os.O_NOFOLLOW)
                except OSError:
                    continue
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    count += 1
                finally:
                    os.close(fd)
    return count


def time_to_paint(exe: Path, workspace: str) -> float:
    env = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": os.environ.get("PATH", ""), "QT_QPA_PLATFORM": "offscreen"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(exe), "--workspace", workspace, "gui", "--exit-after-paint"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    for line in proc.stdout:
        if line.startswith("window painted"):
            took = time.perf_counter() - t0
            break
    else:
        raise RuntimeError(f"{exe} never painted its window")
    proc.wait(timeout=60)
    return took


def run(bundle: Path, installed: Path, cold_runs: int = 3, warm_runs: int = 5) -> list[dict]:
    apps = {
        "bundle": (bundle, [bundle.parent]),
        "installed": (installed, [installed.parent.parent, Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["stdlib"])]),
    }
    cold = {name: [] for name in apps}
    warm = {name: [] for name in apps}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(cold_runs):  # taken in turns, so both see the same machine load
            for name, (exe, folders) in apps.items():
                evict(folders)
                cold[name].append(time_to_paint(exe, f"{tmp}/{name}-{i}"))
        for name, (exe, _folders) in apps.items():
            time_to_paint(exe, f"{tmp}/{name}-warm")
        for _ in range(warm_runs):
            for name, (exe, _folders) in apps.items():
                warm[name].append(time_to_paint(exe, f"{tmp}/{name}-warm"))
    rows = []
    for kind, series in (("cold", cold), ("warm", warm)):
        b, i = statistics.median(series["bundle"]), statistics.median(series["installed"])
        rows.append({
            "name": f"Bundle start-up ({kind}): first painted window",
            "goal": "the bundle starts about as fast as the installed app",
            "baseline": f"installed app {i * 1000:.0f} ms",
            "value": f"bundle {b * 1000:.0f} ms",
            "ratio": b / i,
            "met": None,
            "details": {"bundle_s": series["bundle"], "installed_s": series["installed"]},
        })
    return rows


if __name__ == "__main__":
    from benchmarks.machine import describe
    from benchmarks.report import emit

    bundle = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build/bundle/dist/sftgui/sftgui"
    installed = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "build/bundle/venv/bin/sftgui"
    print(describe(), file=sys.stderr)
    emit(run(bundle, installed))
