"""Append-only numpy series that double their capacity when full (no per-point reallocation)."""

from __future__ import annotations

import numpy as np


class SeriesBuffer:
    def __init__(self, capacity: int = 1024):
        self._x = np.empty(max(1, capacity), dtype=np.float64)
        self._y = np.empty_like(self._x)
        self.n = 0

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

    @property
    def capacity(self) -> int:
        return len(self._x)

    @property
    def x(self) -> np.ndarray:
        return self._x[:self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self.n]

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
