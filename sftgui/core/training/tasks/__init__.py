"""Training tasks: the parts of training that depend on what is learned (data, model head, metrics).

A task is an object with the methods of `TextClassification`; `get_task(name)` picks one.
Image classification and instruction tuning plug in here later.
"""

from __future__ import annotations

from sftgui.errors import UserError


def get_task(name: str):
    if name == "text-classification":
        from sftgui.core.training.tasks.text_classification import TextClassification

        return TextClassification()
    raise UserError(f"The task {name!r} is not supported yet; use text-classification.")
