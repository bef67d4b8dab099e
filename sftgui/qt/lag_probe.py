"""Measure the event loop's lag: a short QTimer in the GUI thread; late ticks are lag."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer


class LagProbe:
    def __init__(self, interval_ms: int = 10):
        self.interval = interval_ms / 1000
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(max(0.0, now - self._last - self.interval))
        self._last = now

    @property
    def worst(self) -> float:
        return max(self.gaps, default=0.0)

    def stop(self) -> None:
        self.timer.stop()
