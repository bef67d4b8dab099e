"""The Label step."""

from __future__ import annotations

from sftgui.qt.pages.base import Page


class LabelPage(Page):
    key = "label"
    title = "Label"
    blurb = "Check and correct the labels. Keys 1-9 assign a label, arrows move, Ctrl+Z undoes."
