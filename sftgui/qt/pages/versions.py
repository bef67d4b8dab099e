"""The Versions step."""

from __future__ import annotations

from sftgui.qt.pages.base import Page


class VersionsPage(Page):
    key = "versions"
    title = "Versions"
    blurb = "Every finished training is kept as a version. Choose which one is live, compare or export them."
