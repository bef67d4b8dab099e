"""Long tasks off the GUI thread: a QObject worker moved to a QThread, signals carry a job id.

A task is a plain function `fn(state) -> result` (the Orange3 pattern): it reports through
`state.progress(fraction, message)` and `state.emit(event)` and checks `state.is_cancelled`, so
it can be tested with no Qt at all. `JobRunner` runs one job per *slot* ("train", "import", ...):
starting a new job in a slot cancels the previous one, and anything the replaced or cancelled
job still sends is dropped by its job id.
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QObject, QThread, Signal, Slot

from sftgui.core.training.control import CancelToken

_ids = itertools.count(1)
_live_threads: set[QThread] = set()  # every QThread we started and have not reaped yet


def live_threads() -> list[QThread]:
    """QThreads started by the app that are still running (the test fixture checks this)."""
    return [t for t in list(_live_threads) if t.isRunning()]


class TaskState:
    """What a task sees: progress, events, the cancel flag. Safe to call from the worker thread."""

    def __init__(self, job_id: int, worker: "_Worker", cancel):
        self.job_id = job_id
        self.cancel = cancel
        self._worker = worker

    def progress(self, fraction: float, message: str = "") -> None:
        self._worker.progress.emit(self.job_id, float(fraction), str(message))

    def emit(self, event: Any) -> None:
        self._worker.event.emit(self.job_id, event)

    @property
    def is_cancelled(self) -> bool:
        return bool(self.cancel.is_stopped)


class _Worker(QObject):
    progress = Signal(int, float, str)
    event = Signal(int, object)
    done = Signal(int, object)
    failed = Signal(int, object, str)
    finished = Signal()

    def __init__(self, job_id: int, fn: Callable, cancel):
        super().__init__()
        self.job_id = job_id
        self._fn = fn
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(TaskState(self.job_id, self, self._cancel))
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI thread as a dialog
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.failed.emit(self.job_id, exc, text)
        else:
            self.done.emit(self.job_id, result)
        finally:
            self.finished.emit()


@dataclass
class Job:
    id: int
    slot: str
    cancel: Any
    thread: QThread
    worker: _Worker
    on_progress: Callable | None = None
    on_event: Callable | None = None
    on_done: Callable | None = None
    on_failed: Callable | None = None
    dropped: bool = field(default=False)  # replaced or cancelled: its results are ignored

    def stop(self) -> None:
        self.cancel.stop()


class JobRunner(QObject):
    """Runs tasks in QThreads and forwards their signals (in the GUI thread) to callbacks."""

    busyChanged = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._current: dict[str, Job] = {}
        self._jobs: dict[int, Job] = {}

    def start(self, slot: str, fn: Callable, *, cancel=None, on_progress=None, on_event=None,
              on_done=None, on_failed=None) -> Job:
        previous = self._current.get(slot)
        if previous is not None:
            self.cancel(slot)
        thread = QThread()
        thread.setObjectName(f"sftgui-{slot}")
        job_id = next(_ids)
        worker = _Worker(job_id, fn, cancel if cancel is not None else CancelToken())
        worker.moveToThread(thread)
        job = Job(job_id, slot, worker._cancel, thread, worker, on_progress, on_event, on_done, on_failed)
        # The worker lives in the thread; `self` lives in the GUI thread: these are queued.
        worker.progress.connect(self._on_progress)
        worker.event.connect(self._on_event)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(thread.quit)
        thread.started.connect(worker.run)
        thread.finished.connect(self._reap_finished)
        self._current[slot] = job
        self._jobs[job_id] = job
        _live_threads.add(thread)
        thread.start()
        self.busyChanged.emit()
        return job

    def cancel(self, slot: str) -> None:
        """Stop the slot's job and drop whatever it still sends."""
        job = self._current.pop(slot, None)
        if job is not None:
            job.dropped = True
            job.stop()
            self.busyChanged.emit()

    def current(self, slot: str) -> Job | None:
        return self._current.get(slot)

    def is_running(self, slot: str | None = None) -> bool:
        if slot is not None:
            return slot in self._current
        return bool(self._current)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop every job and wait for its thread; True when all threads ended in time."""
        for slot in list(self._current):
            self.cancel(slot)
        deadline = QDeadlineTimer(timeout_ms)
        for job in list(self._jobs.values()):
            while job.thread.isRunning() and not deadline.hasExpired():
                QCoreApplication.processEvents()
                job.thread.wait(20)
        QCoreApplication.processEvents()
        return not any(j.thread.isRunning() for j in self._jobs.values())

    # -- signal forwarding, in the GUI thread ----------------------------------------------
    def _live(self, job_id: int) -> Job | None:
        job = self._jobs.get(job_id)
        return None if job is None or job.dropped else job

    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        job = self._live(job_id)
        if job and job.on_progress:
            job.on_progress(fraction, message)

    @Slot(int, object)
    def _on_event(self, job_id: int, event: object) -> None:
        job = self._live(job_id)
        if job and job.on_event:
            job.on_event(event)

    @Slot(int, object)
    def _on_done(self, job_id: int, result: object) -> None:
        job = self._finish(job_id)
        if job and job.on_done:
            job.on_done(result)

    @Slot(int, object, str)
    def _on_failed(self, job_id: int, exc: object, details: str) -> None:
        job = self._finish(job_id)
        if job and job.on_failed:
            job.on_failed(exc, details)

    def _finish(self, job_id: int) -> Job | None:
        job = self._live(job_id)
        if job is not None:
            job.dropped = True  # nothing more from it
            if self._current.get(job.slot) is job:
                del self._current[job.slot]
            self.busyChanged.emit()
        return job

    @Slot()
    def _reap_finished(self) -> None:
        for job in [j for j in self._jobs.values() if j.thread.isFinished()]:
            self._jobs.pop(job.id, None)
            _live_threads.discard(job.thread)
            job.worker.deleteLater()
            job.thread.deleteLater()
