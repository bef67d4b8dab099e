"""The Data step."""

from __future__ import annotations

from sftgui.qt.pages.base import Page


class DataPage(Page):
    key = "data"
    title = "Data"
    blurb = "Bring in your examples: a CSV, Excel, JSON Lines or Parquet file with a text column and a label column."
