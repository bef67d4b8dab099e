"""Work around a reference-count bug in PySide6 6.12 on Python 3.11.

`SignalInstance.emit()` returns `True` without taking a reference (and some slot calls drop a
reference to `None` the same way), so every signal emitted from Python decrements `True`'s count.
After a few thousand emits (a live plot emits dozens per redraw) CPython frees `True` and aborts:
"Fatal Python error: bool_dealloc: deallocating True or False". Python 3.12+ makes these
singletons immortal, which is exactly the fix: here we give them a count they cannot run out of.
"""

from __future__ import annotations

import ctypes
import sys

_PIN = 1 << 40  # ~10^12 leaked references: centuries of emits at 1 MHz


def pin_singletons() -> bool:
    """Make True, False and None effectively immortal on CPython < 3.12; True if it did."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    for obj in (True, False, None):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the object's first field
        if refcnt.value < _PIN:
            refcnt.value += _PIN
    return True
