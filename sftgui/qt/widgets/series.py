"""Append-only numpy series that double their capacity when full (no per-point reallocation), with
a cached min/max envelope for drawing 100,000 points as a few hundred without losing a peak."""

from __future__ import annotations

import numpy as np


class SeriesBuffer:
    def __init__(self, capacity: int = 1024):
        self._x = np.empty(max(1, capacity), dtype=np.float64)
        self._y = np.empty_like(self._x)
        self.n = 0
        self._env_block = 0  # block size of the cached envelope (0: none)
        self._env: tuple[np.ndarray, ...] = ()  # first x, min y, max y of each whole block

    def append(self, x: float, y: float) -> None:
        if self.n == len(self._x):
            self._grow(self.n + 1)
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1

    def extend(self, xs, ys) -> None:
        xs = np.asarray(xs, dtype=np.float64)
        ys = np.asarray(ys, dtype=np.float64)
        if self.n + len(xs) > len(self._x):
            self._grow(self.n + len(xs))
        self._x[self.n:self.n + len(xs)] = xs
        self._y[self.n:self.n + len(ys)] = ys
        self.n += len(xs)

    def clear(self) -> None:
        self.n = 0
        self._env_block, self._env = 0, ()

    @property
    def capacity(self) -> int:
        return len(self._x)

    @property
    def x(self) -> np.ndarray:
        return self._x[:self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self.n]

    def envelope(self, block: int, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Points start..stop reduced for drawing, keeping every peak: each whole block of `block`
        points (blocks counted from point 0) becomes two points at its first x, its maximum and its
        minimum, so it draws as a vertical stroke over its full range. The order alternates (max then
        min, then min then max) so that consecutive blocks join along the top and bottom edges rather
        than by diagonals across the band. The points after the last whole block make one more stroke
        (or stay as they are, if 3 or fewer), and the last point is always kept, so the newest point
        is drawn and the x extent is exact. The blocks' min/max are cached; new points only add the
        blocks they complete."""
        stop = self.n if stop is None else min(stop, self.n)
        start = max(0, start)
        if block < 2 or stop - start < 2:
            return self.x[start:stop], self.y[start:stop]
        whole = self.n // block
        if block != self._env_block:
            self._env_block, self._env = block, tuple(np.empty(0) for _ in range(3))
        done = len(self._env[0])
        if done < whole:  # reduce only the blocks completed since the last call
            ys = self._y[done * block:whole * block].reshape(-1, block)
            xs = self._x[done * block:whole * block:block]
            new = (xs, np.fmin.reduce(ys, axis=1), np.fmax.reduce(ys, axis=1))  # NaN-tolerant
            self._env = tuple(np.concatenate([old, part]) for old, part in zip(self._env, new))
        first_x, lo, hi = self._env
        j0 = start // block
        j1 = min(whole, -(-stop // block))  # whole blocks that overlap start..stop
        k = max(0, j1 - j0)
        out_x = np.empty(2 * k)
        out_y = np.empty(2 * k)
        out_x[0::2] = out_x[1::2] = first_x[j0:j1]
        even = (np.arange(j0, j0 + k) % 2) == 0
        out_y[0::2] = np.where(even, hi[j0:j1], lo[j0:j1])
        out_y[1::2] = np.where(even, lo[j0:j1], hi[j0:j1])
        tail = min(max(start, j1 * block) if j1 == whole else stop, stop - 1)  # the rest, or the last point
        tail_x, tail_y = self._x[tail:stop], self._y[tail:stop]
        if len(tail_x) > 3:  # the incomplete block: its stroke, then its last point
            lo_hi = (np.fmin.reduce(tail_y), np.fmax.reduce(tail_y))
            tail_x = np.array([tail_x[0], tail_x[0], tail_x[-1]])
            tail_y = np.array([*(lo_hi[::-1] if j1 % 2 == 0 else lo_hi), tail_y[-1]])
        return np.concatenate([out_x, tail_x]), np.concatenate([out_y, tail_y])

    def _grow(self, needed: int) -> None:
        size = len(self._x)
        while size < needed:
            size *= 2
        for name in ("_x", "_y"):
            old = getattr(self, name)
            new = np.empty(size, dtype=np.float64)
            new[:self.n] = old[:self.n]
            setattr(self, name, new)


def ema(values: np.ndarray, weight: float = 0.9) -> np.ndarray:
    """Exponential moving average, debiased like TensorBoard's smoothing (first points not pulled to 0)."""
    out = np.empty_like(values, dtype=np.float64)
    acc = 0.0
    for i, v in enumerate(values):
        acc = weight * acc + (1 - weight) * v
        out[i] = acc / (1 - weight ** (i + 1))
    return out
