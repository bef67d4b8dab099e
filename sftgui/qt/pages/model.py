"""The Model step."""

from __future__ import annotations

from sftgui.qt.pages.base import Page


class ModelPage(Page):
    key = "model"
    title = "Model"
    blurb = "Choose the pre-trained model to start from."
