"""Fault injection at the file-write layer: a disk that fills up after a byte budget."""

from __future__ import annotations

import errno
import os


def enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class FillingDisk:
    """Writes go through until `budget` bytes are written; then this write and every later one
    raises ENOSPC, as a real disk that fills up in the middle of a save does."""

    def __init__(self, budget: int):
        self.left = budget
        self.faults = 0

    def take(self, n: int) -> None:
        if n > self.left:
            self.faults += 1
            self.left = 0
            raise enospc()
        self.left -= n

    def wrap(self, f):
        return _Counting(f, self)


class _Counting:
    """A file object whose writes spend the disk's budget (the first bytes that fit are written)."""

    def __init__(self, f, disk: FillingDisk):
        self._f, self._disk = f, disk

    def write(self, data) -> int:
        n = memoryview(data).nbytes
        fits = min(n, self._disk.left)
        if fits < n:
            self._f.write(memoryview(data).cast("B")[:fits])  # what fits reaches the disk
        self._disk.take(n)
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)
