"""Thousands of signal emits must not crash the interpreter (PySide6 6.12 refcount bug, compat.py)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
{prelude}
from PySide6.QtCore import QObject, Signal
class A(QObject):
    sig = Signal(object)
a = A(); a.sig.connect(lambda x: None)
for i in range(50_000):  # far more than True has references without the fix
    a.sig.emit(i)
print("survived")
"""


def _run(prelude: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CODE.format(prelude=prelude)], capture_output=True, text=True)


def test_many_emits_survive_with_the_fix():
    out = _run("import sftgui.qt")
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() == "survived"


def test_the_bug_is_still_there_without_the_fix():
    # When this starts passing with exit code 0, PySide6 fixed the bug and compat.py can go.
    out = _run("")
    if sys.version_info >= (3, 12):
        assert out.returncode == 0
    else:
        assert out.returncode != 0 and "dealloc" in out.stderr
