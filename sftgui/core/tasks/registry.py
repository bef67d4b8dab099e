"""The one list of tasks: names, titles for the GUI and presets per task.

Config, the CLI and the GUI read it; nothing else lists tasks. Built-in tasks register when this
module is imported; `register(task)` adds another (a plug-in, or a test) without editing any file.
Importing the registry stays light: task modules import their heavy libraries inside methods.
"""

from __future__ import annotations

from sftgui.core.tasks.base import Preset, Task
from sftgui.errors import UserError

DEFAULT_TASK = "text-classification"
_TASKS: dict[str, Task] = {}


def register(task: Task, *, replace: bool = False) -> Task:
    """Add a task instance under `task.name`; refuses a second task of the same name unless `replace`."""
    if not isinstance(task, Task):
        raise TypeError(f"{task!r} is not a sftgui.core.tasks.base.Task")
    if task.name in _TASKS and not replace and type(_TASKS[task.name]) is not type(task):
        raise ValueError(f"A task named {task.name!r} is already registered.")
    _TASKS[task.name] = task
    return task


def unregister(name: str) -> None:
    _TASKS.pop(name, None)


def names() -> tuple[str, ...]:
    return tuple(_TASKS)


def titles() -> dict[str, str]:
    """{task name: what the GUI's task menu says}, in registration order."""
    return {name: task.title for name, task in _TASKS.items()}


def get_task(name: str | None) -> Task:
    task = _TASKS.get(name or DEFAULT_TASK)
    if task is None:
        raise UserError(f"Unknown task {name!r}; sftgui supports: {', '.join(_TASKS)}.")
    return task


def task_of(project_or_version) -> Task:
    """The task of a Project, or of a ModelVersion's project."""
    task = getattr(project_or_version, "task", None)
    if task is None:
        from sftgui.store import projects_repo

        task = projects_repo.by_id(project_or_version.project_id).task
    return get_task(task)


def presets(name: str | None = None) -> dict[str, Preset]:
    """{preset name: Preset} of a task (the default task's when no name is given)."""
    return {p.name: p for p in get_task(name).presets}


def export_formats() -> tuple[str, ...]:
    """Every export format some task offers (each task lists its own in `Task.exports`)."""
    out: list[str] = []
    for task in _TASKS.values():
        out += [f for f in task.exports if f not in out]
    return tuple(out)


def _register_builtins() -> None:
    from sftgui.core.tasks.image_classification import ImageClassification
    from sftgui.core.tasks.instruction_sft import InstructionSFT
    from sftgui.core.tasks.text_classification import TextClassification

    register(TextClassification())
    register(ImageClassification())
    register(InstructionSFT())


_register_builtins()
