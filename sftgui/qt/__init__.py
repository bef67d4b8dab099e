"""The desktop app: the only package that imports PySide6 or pyqtgraph.

Nothing here imports torch, transformers or datasets at module level, so the window appears
before they finish loading (they are imported inside workers).
"""

from sftgui.qt.compat import pin_singletons

pin_singletons()  # before any signal is emitted: see compat.py
