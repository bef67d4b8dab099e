"""Single-label image classification (an image backbone with a classification head)."""

from sftgui.core.tasks.image_classification.task import ImageClassification

__all__ = ["ImageClassification"]
