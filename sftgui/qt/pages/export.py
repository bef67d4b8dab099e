"""The Export step."""

from __future__ import annotations

from sftgui.qt.pages.base import Page


class ExportPage(Page):
    key = "export"
    title = "Export"
    blurb = "Save a version as a model folder, a zip or an ONNX file to use elsewhere."
