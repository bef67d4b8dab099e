"""The Try it step (a playground)."""

from __future__ import annotations

from sftgui.qt.pages.base import Page


class TryPage(Page):
    key = "try"
    title = "Try it"
    blurb = "Type a text and see what a version predicts."
