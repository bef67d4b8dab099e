"""Tasks: what is learned (see base.py for the interface, registry.py for the list of tasks)."""

from sftgui.core.tasks.registry import get_task, names, presets, register, task_of, titles

__all__ = ["get_task", "names", "presets", "register", "task_of", "titles"]
