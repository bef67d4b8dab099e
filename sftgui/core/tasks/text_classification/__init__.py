"""Single-label text classification (a BERT-style encoder with a classification head)."""

from sftgui.core.tasks.text_classification.task import TextClassification

__all__ = ["TextClassification"]
