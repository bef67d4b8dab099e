"""No signal's arguments reach a slot parameter that means something else.

`QPushButton.clicked` sends `checked` (False), `QComboBox.activated` an index, and so on: a slot
`make_production(self, reason=None)` connected straight to `clicked` once stored the reason
`False`. This walks every `.connect(...)` in sftgui/qt: a method connected directly must take no
optional parameters, and a lambda with optional parameters must name the signal's first argument
`_` (or take `*_`). The behaviour itself is tested by clicking the buttons (test_whole_path.py,
test_versions_page.py)."""

from __future__ import annotations

import ast
from pathlib import Path

QT = Path(__file__).resolve().parents[2] / "sftgui" / "qt"


def _methods(tree) -> dict[str, dict[str, ast.FunctionDef]]:
    """class name -> {method name: def}, with methods of base classes defined in the same module."""
    classes = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    out = {}
    for name, node in classes.items():
        methods = {}
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in classes:
                methods.update({f.name: f for f in classes[base.id].body if isinstance(f, ast.FunctionDef)})
        methods.update({f.name: f for f in node.body if isinstance(f, ast.FunctionDef)})
        out[name] = methods
    return out


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    methods = _methods(tree)
    found = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for call in (n for n in ast.walk(cls) if isinstance(n, ast.Call)):
            if not (isinstance(call.func, ast.Attribute) and call.func.attr == "connect" and call.args):
                continue
            target, where = call.args[0], f"{path.name}:{call.lineno}"
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                slot = methods[cls.name].get(target.attr)
                if slot is not None and (slot.args.defaults or slot.args.kw_defaults and any(slot.args.kw_defaults)):
                    found.append(f"{where}: {target.attr}() has optional parameters a signal could fill")
            elif isinstance(target, ast.Lambda):
                args = target.args
                if args.defaults and args.args and not args.args[0].arg.startswith("_"):
                    found.append(f"{where}: a lambda's first parameter {args.args[0].arg!r} would receive the "
                                 "signal's argument; name it _")
    return found


def test_no_slot_can_receive_an_argument_meant_for_something_else():
    problems = [p for path in sorted(QT.rglob("*.py")) for p in _problems(path)]
    assert problems == []


def test_the_check_finds_the_bug_it_is_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "class Page:\n"
        "    def __init__(self):\n"
        "        self.button.clicked.connect(self.make_production)\n"
        "        self.other.clicked.connect(lambda row=3: self.go(row))\n"
        "        self.fine.clicked.connect(lambda _=False, f=1: self.go(f))\n"
        "    def make_production(self, reason=None):\n"
        "        pass\n",
        encoding="utf-8",
    )
    problems = _problems(bad)
    assert len(problems) == 2 and "make_production() has optional parameters" in problems[0]
    assert "'row' would receive" in problems[1]
