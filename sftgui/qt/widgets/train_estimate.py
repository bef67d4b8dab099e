"""The line above Start that says how long the training will take here ("About 40 s here")."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from sftgui.errors import UserError

NO_ESTIMATE = "How long it takes: measured during the first training on this computer."


class TrainEstimate(QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("trainEstimate")
        self.setWordWrap(True)
        self.setAccessibleName("Time estimate")
        self.seconds: float | None = None

    def show_for(self, ws, project, config) -> None:
        """Recompute from this workspace's runs (a database read; no model is loaded)."""
        from sftgui.core.training.estimate import estimate

        self.seconds = None
        if ws is None or project is None or config is None:
            self.setText("")
            return
        try:
            found = estimate(ws, project, config)
        except UserError:
            found = None
        if found is None:
            self.setText(NO_ESTIMATE)
            self.setToolTip("")
            return
        self.seconds = found.seconds
        self.setText(found.sentence())
        self.setToolTip("From the speed of your last training with the same model and settings on this computer.")
