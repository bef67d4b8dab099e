"""First run: try the sample project, start a new one, or open another workspace."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCommandLinkButton

from sftgui.qt.pages.base import Page, StepState


class WelcomePage(Page):
    key = "welcome"
    title = "Welcome to sftgui"
    blurb = (
        "Teach a ready-made model to sort your texts into your own categories, on this computer. "
        "Every training is kept as a version you can compare, roll back to and export."
    )

    sampleRequested = Signal()
    newProjectRequested = Signal()
    openWorkspaceRequested = Signal()

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from sftgui.qt.sample import describe_sample

        self.sample_button = QCommandLinkButton("Try the sample project", describe_sample())
        self.sample_button.setObjectName("sampleButton")
        self.new_button = QCommandLinkButton("New project", "Start from your own data: give it a name and a task.")
        self.open_button = QCommandLinkButton("Open workspace", "Use a folder where sftgui keeps projects already.")
        for button in (self.sample_button, self.new_button, self.open_button):
            self.body.addWidget(button)
        self.body.addStretch(1)
        self.sample_button.clicked.connect(self.sampleRequested)
        self.new_button.clicked.connect(self.newProjectRequested)
        self.open_button.clicked.connect(self.openWorkspaceRequested)
        self.set_next_label("Model")

    def state(self) -> StepState:
        return StepState(done=self.ctx.project is not None)
