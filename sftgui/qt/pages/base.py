"""What every step page shares: a title, a one-line explanation, a body, a state and a Next button."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class StepState:
    """Shown in the sidebar: done (a tick) or needs attention (a warning, with the reason)."""

    done: bool = False
    attention: str = ""  # plain sentence; empty when nothing needs attention
    summary: str = ""  # short status shown under the page, e.g. "412 of 600 labelled"


class Page(QWidget):
    key = ""  # "model", "data", ... (used by the sidebar and ctx.showStep)
    title = ""
    blurb = ""
    scrollable = True  # pages with their own big view (tables) say False

    stateChanged = Signal()
    nextRequested = Signal()

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"page_{self.key}")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        heading = QLabel(self.title)
        heading.setObjectName("pageTitle")  # size and weight: resources/style/app.qss
        heading.setAccessibleName(self.title)
        self.heading = heading
        outer.addWidget(heading)
        if self.blurb:
            blurb = QLabel(self.blurb)
            self.blurb_label = blurb  # a page whose words depend on the project's task changes it
            blurb.setObjectName("pageBlurb")
            blurb.setWordWrap(True)
            outer.addWidget(blurb)
        content = QWidget()
        self.body = QVBoxLayout(content)
        self.body.setContentsMargins(0, 8, 0, 8)
        if self.scrollable:
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(content)
            outer.addWidget(scroll, 1)
        else:
            outer.addWidget(content, 1)
        footer = QHBoxLayout()
        self.status_label = QLabel("")
        self.status_label.setObjectName("pageStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        footer.addWidget(self.status_label, 1)
        self.next_button = QPushButton("Next")
        self.next_button.setObjectName("nextButton")
        self.next_button.clicked.connect(self.nextRequested)
        footer.addWidget(self.next_button, 0, Qt.AlignmentFlag.AlignRight)
        outer.addLayout(footer)
        self.stateChanged.connect(self._show_summary)

    def state(self) -> StepState:
        """Cheap: called whenever anything changes, to refresh the sidebar."""
        return StepState()

    def refresh(self) -> None:
        """Re-read what the page shows (called when the page is opened or the project changes)."""

    def set_next_label(self, title: str | None) -> None:
        self.next_button.setVisible(title is not None)
        if title:
            self.next_button.setText(f"Next: {title} \u2192")

    def _show_summary(self) -> None:
        st = self.state()
        self.status_label.setText(st.attention or st.summary)

    def needs_project(self) -> bool:
        """True (and says so) when no project is open, so the page shows nothing else."""
        if self.ctx.project is None:
            self.status_label.setText("Open or create a project first (File > New project).")
            return True
        return False
