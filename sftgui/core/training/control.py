"""The CancelToken: how a caller (GUI button, Ctrl+C, `runs cancel`) steers a running training.

Thread-safe; the training callback polls it once per step. `pause()` holds training at the next
step until `resume()` (same process); `stop()` saves a checkpoint and ends the run as cancelled.
"""

from __future__ import annotations

import threading


class CancelToken:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused run so it can stop

    def pause(self) -> None:
        if not self._stop.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def is_stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def is_paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        """Block while paused; True once running again (or stopped)."""
        return self._running.wait(timeout)
