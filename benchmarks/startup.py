"""Goal 5: start-up. Time to the first painted main window against a bare QMainWindow started the
same way, and `sftgui --help` against `python -c pass` (median of repeated runs, fresh processes)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print("painted", flush=True)
            QTimer.singleShot(0, QApplication.quit)
        return False

app = QApplication(sys.argv[:1])
if sys.argv[1] == "bare":
    win = QMainWindow()
    win.resize(1280, 800)
    win.show()
else:  # exactly what `sftgui gui` does (sftgui.qt.app.main), up to the event loop
    from pathlib import Path
    from sftgui.qt.app import create_app, launch
    create_app()
    win = launch(Path(sys.argv[2]))
f = FirstPaint()
win.installEventFilter(f)
app.exec()
if sys.argv[1] != "bare":
    win.shutdown()
"""


def _time_child(kind: str, workspace: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, kind, workspace], stdout=subprocess.PIPE, text=True, env=env)
    for line in proc.stdout:
        if line.startswith("painted"):
            took = time.perf_counter() - t0
            break
    else:
        raise RuntimeError(f"{kind} window never painted")
    proc.wait(timeout=60)
    return took


def _time_cmd(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def _median(fn, n: int) -> float:
    fn()  # warm the OS file cache
    return statistics.median(fn() for _ in range(n))


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as ws:
        bare = _median(lambda: _time_child("bare", ws), 5)
        ours = _median(lambda: _time_child("sftgui", ws), 5)
    py = _median(lambda: _time_cmd([sys.executable, "-c", "pass"]), 10)
    helps = _median(lambda: _time_cmd([sys.executable, "-m", "sftgui", "--help"]), 10)
    return [
        {
            "name": "Start-up: first painted window",
            "goal": "<= 1.5x a bare QMainWindow",
            "baseline": f"bare QMainWindow {bare * 1000:.0f} ms",
            "value": f"sftgui main window {ours * 1000:.0f} ms",
            "ratio": ours / bare,
            "met": ours / bare <= 1.5,
        },
        {
            "name": "Start-up: sftgui --help",
            "goal": "<= 3x python -c pass",
            "baseline": f"python -c pass {py * 1000:.0f} ms",
            "value": f"sftgui --help {helps * 1000:.0f} ms",
            "ratio": helps / py,
            "met": helps / py <= 3.0,
        },
    ]


if __name__ == "__main__":
    from benchmarks.report import emit

    emit(run())
