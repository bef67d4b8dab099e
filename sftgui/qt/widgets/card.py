"""A card on the welcome page: an icon, a heading and a sentence saying where it leads.

The whole card is one push button (so a click anywhere, Tab and Space all work, and screen readers
read its heading and sentence); the labels inside pass their clicks on to it."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from sftgui.qt.icons import icon


class Card(QPushButton):
    def __init__(self, title: str, description: str, icon_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.setProperty("card", True)  # the stylesheet's selector, whatever objectName a page gives it
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName(title)
        self.setAccessibleDescription(description)
        self.setToolTip(description)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 14, 16, 14)
        row.setSpacing(14)
        self.icon_label = QLabel()
        self.icon_label.setObjectName("cardIcon")
        self.icon_label.setPixmap(icon(icon_name, 32).pixmap(QSize(32, 32)))
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        words = QVBoxLayout()
        words.setSpacing(4)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("cardTitle")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.text_label = QLabel(description)
        self.text_label.setObjectName("cardText")
        self.text_label.setTextFormat(Qt.TextFormat.PlainText)
        self.text_label.setWordWrap(True)  # wraps to the card's width instead of widening the page
        words.addWidget(self.title_label)
        words.addWidget(self.text_label)
        words.addStretch(1)
        row.addLayout(words, 1)
        for label in (self.icon_label, self.title_label, self.text_label):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def title(self) -> str:
        return self.title_label.text()

    def description(self) -> str:
        return self.text_label.text()
