"""A "Details" expander: plain words stay on screen, the technical lines (precision, batching,
checkpoints, snapshot ids) sit folded underneath for the person who wants them.

One widget for every page, so the arrow, the wording and the keyboard behaviour are the same
everywhere: a flat tool button ("Details ▸") that toggles a body below it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget


class Details(QWidget):
    toggled = Signal(bool)

    def __init__(self, title: str = "Details", parent: QWidget | None = None, *, expanded: bool = False):
        super().__init__(parent)
        self.setObjectName("details")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.button = QToolButton()
        self.button.setObjectName("detailsToggle")
        self.button.setText(title)
        self.button.setCheckable(True)
        self.button.setAutoRaise(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setAccessibleName(title)
        self.button.setToolTip("Show or hide the technical details.")
        self.button.toggled.connect(self.set_expanded)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        self.body = QWidget()
        self.body.setObjectName("detailsBody")
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(16, 0, 0, 0)
        self.body_layout.setSpacing(2)
        layout.addWidget(self.body)
        self.label = QLabel()  # the common case: a few lines of text
        self.label.setObjectName("detailsText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # wraps, never widens
        self.body_layout.addWidget(self.label)
        self.set_expanded(expanded)

    def add_widget(self, widget: QWidget) -> None:
        self.body_layout.addWidget(widget)

    def set_lines(self, lines) -> None:
        """The technical lines, one per row (plain text, never a mnemonic)."""
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setText("\n".join(line for line in lines if line))

    def lines(self) -> list[str]:
        return [line for line in self.label.text().split("\n") if line]

    def is_expanded(self) -> bool:
        return self.button.isChecked()

    def set_expanded(self, on: bool) -> None:
        if self.button.isChecked() != on:
            self.button.setChecked(on)  # comes back here through `toggled`
            return
        self.button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.body.setVisible(on)
        self.toggled.emit(on)
