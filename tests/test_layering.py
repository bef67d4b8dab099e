"""The architecture rules of shared/DESIGN.md section 1, checked on the real source."""

from __future__ import annotations

import ast
import re
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


# -- the task seam (DESIGN section 8): what is learned stays inside sftgui/core/tasks/ ----------------
TASKS_DIR = ("core", "tasks")
TASK_MODULES = ("tokenizers", "PIL", "torchvision", "timm", "trl", "transformers.models",
                "transformers.tokenization_utils", "transformers.image_processing_utils")
# model classes, processors and collators of one kind of model, by the shape of their names
# (AutoConfig reads any model's config.json: it is not one kind of model's)
TASK_CLASS = re.compile(r"^(Auto(?!Config$)\w+|\w+Tokenizer(Fast)?|\w+(Image|Video)?Processor|\w+FeatureExtractor"
                        r"|\w+For(SequenceClassification|ImageClassification|CausalLM|TokenClassification|"
                        r"QuestionAnswering|MaskedLM|Seq2SeqLM)|DataCollator\w*|pipeline)$")
# what one kind of model's inputs and heads are called, as names or as strings ("input_ids")
TASK_NAMES = {"input_ids", "token_type_ids", "pixel_values", "SEQ_CLS", "CAUSAL_LM", "TaskType"}
TASK_API = ("sftgui.core.tasks", "sftgui.core.tasks.base", "sftgui.core.tasks.registry")


def _task_violations() -> list[str]:
    """Every use of a task's libraries or names in a module outside core/tasks/."""
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[: len(TASKS_DIR)] == TASKS_DIR:
            continue
        where = path.relative_to(PKG.parent)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods, names = [a.name for a in node.names], []
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                mods, names = [node.module], [a.name for a in node.names]
            else:
                mods = names = []
            for mod in mods:
                if any(mod == m or mod.startswith(m + ".") for m in TASK_MODULES):
                    bad.append(f"{where} imports {mod}")
                if mod.startswith("sftgui.core.tasks.") and mod not in TASK_API:
                    bad.append(f"{where} imports the task module {mod} (ask the registry instead)")
            for mod in mods:
                if mod == "sftgui.core.tasks" or mod in TASK_API:
                    continue
                bad += [f"{where} imports {mod}.{n}" for n in names if TASK_CLASS.match(n) or n in TASK_NAMES]
            word = (node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute)
                    else node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None)
            if word in TASK_NAMES or (isinstance(node, ast.Attribute) and TASK_CLASS.match(node.attr)
                                      and isinstance(node.value, ast.Name) and node.value.id == "transformers"):
                bad.append(f"{where}:{node.lineno} uses {word}")
    return sorted(set(bad))


def test_task_libraries_and_names_stay_inside_core_tasks():
    assert _task_violations() == []


def test_the_task_seam_checker_catches_violations(tmp_path, monkeypatch):
    # Plant modules that break the rule in a copy of the layout: each kind of leak is caught,
    # and the same code inside core/tasks/ is allowed.
    core = tmp_path / "sftgui" / "core"
    (core / "tasks" / "text_classification").mkdir(parents=True)
    bad = ("from transformers import AutoTokenizer, Trainer\n"
           "import tokenizers\n"
           "from sftgui.core.tasks.text_classification.predict import predict_proba\n"
           "def f(ds, transformers):\n"
           "    transformers.AutoModelForSequenceClassification\n"
           "    return [len(x) for x in ds['input_ids']]\n")
    (core / "evaluation.py").write_text(bad)
    (core / "tasks" / "text_classification" / "fine.py").write_text(bad)
    (core / "tasks" / "use.py").write_text("from sftgui.core.tasks import registry\n")
    (core / "ok.py").write_text("from transformers import Trainer, TrainingArguments\n"
                                "from sftgui.core.tasks import get_task\n")
    monkeypatch.setattr(sys.modules[__name__], "PKG", tmp_path / "sftgui")
    assert _task_violations() == [
        "sftgui/core/evaluation.py imports the task module sftgui.core.tasks.text_classification.predict "
        "(ask the registry instead)",
        "sftgui/core/evaluation.py imports tokenizers",
        "sftgui/core/evaluation.py imports transformers.AutoTokenizer",
        "sftgui/core/evaluation.py:5 uses AutoModelForSequenceClassification",
        "sftgui/core/evaluation.py:6 uses input_ids",
    ]
