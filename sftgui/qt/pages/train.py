"""The Train step."""

from __future__ import annotations

from sftgui.qt.pages.base import Page


class TrainPage(Page):
    key = "train"
    title = "Train"
    blurb = "Teach the model your labels. Pick how thorough it should be, then press Start."
