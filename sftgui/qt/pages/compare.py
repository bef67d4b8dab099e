"""The Compare step."""

from __future__ import annotations

from sftgui.qt.pages.base import Page


class ComparePage(Page):
    key = "compare"
    title = "Compare"
    blurb = "See what changed between versions: scores, mistakes fixed and mistakes made."
