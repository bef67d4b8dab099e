"""Loading torch / transformers / datasets off the GUI thread without stalling it afterwards.

Two things hold the GIL long enough to freeze the window (DESIGN section 7): importing the
libraries, and the full garbage collection the Trainer runs when training starts
(accelerate's `free_memory` calls `gc.collect()`: about 0.3-0.5 s with torch loaded, measured).
`gc.freeze()` after the imports moves everything alive into the permanent generation, so that
collection only walks objects made since; the GUI thread then saw no gap above 80 ms.
"""

from __future__ import annotations

import gc
import importlib

# The top-level packages load their submodules lazily: the Trainer, accelerate and our engine
# would otherwise be imported (holding the GIL in C-extension set-up) when training starts.
HEAVY_MODULES = ("torch", "transformers", "datasets", "transformers.trainer", "sftgui.core.training.session")


def load_heavy(is_cancelled=lambda: False) -> list[str]:
    """Import the heavy libraries (in a worker) and freeze the heap they built; returns what loaded."""
    done = []
    for name in HEAVY_MODULES:
        if is_cancelled():
            break
        importlib.import_module(name)
        done.append(name)
    gc.freeze()
    return done
