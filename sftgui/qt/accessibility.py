"""Every control gets an accessible name, so a screen reader says what it is.

Pages name their main controls themselves; this pass names the rest from what a sighted person
reads next to them: a button's text, the label that is its buddy, a check box's text, a field's
placeholder, the first sentence of its tooltip. Run on each page when it is built and shown (pages
add widgets later, e.g. a version list)."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

CONTROLS = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QAbstractSlider, QAbstractItemView,
            QPlainTextEdit, QTextEdit, QTabBar)
# Parts of a compound control (a combo's list, a spin box's text field, a tab bar's arrows): the
# control they belong to carries the name.
_COMPOUND = (QComboBox, QAbstractSpinBox, QTabBar, QLineEdit)  # QLineEdit: its clear button
AUTO = "sftguiAutoName"  # set on the widgets this pass named


def plain_text(text: str) -> str:
    """A label's words as read aloud: no mnemonic "&", no markup, no trailing colon."""
    text = re.sub(r"<[^>]+>", " ", text or "")
    text = re.sub(r"&(?!&)", "", text).replace("&&", "&")
    return " ".join(text.split()).rstrip(":").strip()


def controls(root: QWidget) -> list[QWidget]:
    """The interactive widgets under `root` a person can reach (parts of compound controls left out)."""
    out = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, CONTROLS) or isinstance(w, QScrollBar):
            continue
        parent, inner = w.parentWidget(), False
        while parent is not None and parent is not root:
            if isinstance(parent, _COMPOUND) or (isinstance(parent, QAbstractItemView) and w is not parent):
                inner = True
                break
            parent = parent.parentWidget()
        if not inner:
            out.append(w)
    return out


def name_of(w: QWidget, buddies: dict[int, QLabel]) -> str:
    label = buddies.get(id(w))
    candidates = [
        plain_text(w.text()) if isinstance(w, QAbstractButton) else "",
        plain_text(label.text()) if label is not None else "",
        w.placeholderText() if isinstance(w, (QLineEdit, QPlainTextEdit, QTextEdit)) else "",
        plain_text(w.toolTip()).split(". ")[0],
        w.windowTitle(),
    ]
    for text in candidates:
        if text and text.strip():
            return text.strip()
    return re.sub(r"(?<!^)(?=[A-Z])", " ", w.objectName().replace("_", " ")).strip().capitalize()


def name_controls(root: QWidget) -> None:
    """Give every control under `root` without an accessible name the one a person would use."""
    buddies = {id(label.buddy()): label for label in root.findChildren(QLabel) if label.buddy() is not None}
    for w in controls(root):
        # a name this pass gave is given again: a button's text may have changed ("Restore")
        if not w.accessibleName() or w.property(AUTO):
            name = name_of(w, buddies)
            if name and name != w.accessibleName():
                w.setAccessibleName(name)
                w.setProperty(AUTO, True)
