"""The architecture rules of shared/DESIGN.md section 1, checked on the real source."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "sftgui"
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6", "sftgui.qt")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted((PKG / layer).rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(PKG.parent)} imports {name}")
    return bad


def test_core_and_store_never_import_qt():
    assert _violations("core", QT_MODULES) == []
    assert _violations("store", QT_MODULES) == []


def test_store_never_imports_core_or_cli():
    assert _violations("store", ("sftgui.core", "sftgui.cli", "sftgui.commands")) == []


def test_checker_catches_a_violation(tmp_path, monkeypatch):
    # The rule above must be able to fail: plant a bad module in a copy of the layout.
    fake = tmp_path / "sftgui" / "core"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("def f():\n    from PySide6 import QtCore\n")
    monkeypatch.setattr(sys.modules[__name__], "PKG", tmp_path / "sftgui")
    assert _violations("core", QT_MODULES) == ["sftgui/core/bad.py imports PySide6"]


def _loaded_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` a fresh interpreter has loaded after running `statement`."""
    code = f"import sys; {statement}; print(','.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_cli_import_stays_light():
    heavy = ("torch", "transformers", "datasets", "PySide6", "pyqtgraph")
    assert _loaded_after("import sftgui.cli as c; c.build_parser()", heavy) == []


def test_help_answers_without_torch():
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sftgui", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "usage: sftgui" in out.stdout
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert "torch" not in imported and "transformers" not in imported


def test_window_start_up_imports_stay_light():
    # The window must paint before torch/transformers (and pyqtgraph/numpy) load.
    heavy = ("torch", "transformers", "datasets", "pyqtgraph", "numpy")
    assert _loaded_after("import sftgui.qt.app, sftgui.qt.main_window", heavy) == []
