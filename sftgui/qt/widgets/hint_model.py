"""A table model over the review suggestions of a version (`core.hints`): "label next" rows or
possible label errors, in the order the core returns them.

Each row keeps the version's guess; its current label and flag are re-read from the draft
after every edit (`refresh_rows`), so relabelling with 1-9 shows at once and the list stays put.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

from sftgui.qt.widgets.draft_model import text_colour_on

COLUMNS = ("Text", "Label", "The model thinks", "Flag")


def guess_text(hint: dict) -> str:
    return f"{hint['guess']} ({hint['confidence']:.0%} sure)"


def hint_sentence(hint: dict, label: str | None) -> str:
    """The plain sentence shown for a selected suggestion."""
    said = f"The model thinks this is '{hint['guess']}' ({hint['confidence']:.0%} sure)"
    if label is None:
        return f"{said}; it has no label yet."
    if label == hint["guess"]:
        return f"{said}, and it is labelled '{label}'."
    return f"{said}, but it is labelled '{label}'."


class HintModel(QAbstractTableModel):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.hints: list[dict] = []  # {row_id, text, guess, confidence}
        self.rows: dict = {}  # row_id -> DraftRow as it is now
        self.colours: dict[str, str] = {}
        self.key = None  # which suggestions are shown (set by the page)

    def set_hints(self, hints: list[dict], colours: dict | None = None) -> None:
        self.beginResetModel()
        self.hints = [
            {"row_id": h["row_id"], "text": h["text"], "guess": h.get("suggested", h.get("predicted")),
             "confidence": h["confidence"]}
            for h in hints
        ]
        if colours is not None:
            self.colours = colours
        self.rows = self._read()
        self.endResetModel()

    def refresh_rows(self, colours: dict | None = None) -> None:
        """Re-read labels and flags (after an edit, undo or redo)."""
        if colours is not None:
            self.colours = colours
        self.rows = self._read()
        if self.hints:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.hints) - 1, len(COLUMNS) - 1))

    def _read(self) -> dict:
        if not self.hints or self.ctx.project is None:
            return {}
        from sftgui.core.data import labelling

        return labelling.rows_by_id(self.ctx.ws, self.ctx.project, [h["row_id"] for h in self.hints])

    def row_at(self, row: int):
        """The DraftRow shown at `row` (as the page's editing code expects)."""
        if not 0 <= row < len(self.hints):
            return None
        return self.rows.get(self.hints[row]["row_id"])

    def hint_at(self, row: int) -> dict | None:
        return self.hints[row] if 0 <= row < len(self.hints) else None

    # -- Qt's model interface ----------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.hints)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return COLUMNS[section] if orientation == Qt.Orientation.Horizontal else str(section + 1)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        hint = self.hint_at(index.row())
        if hint is None:
            return None
        r = self.rows.get(hint["row_id"])
        label = r.label if r is not None else None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return (hint["text"] or "").replace("\n", " ")
            if col == 1:
                return label or ""
            if col == 2:
                return guess_text(hint)
            return "\u2691" if r is not None and r.flagged else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return hint["text"] if col == 0 else hint_sentence(hint, label)
        name = label if col == 1 else hint["guess"] if col == 2 else None
        if name:
            colour = self.colours.get(name, "#888888")
            if role == Qt.ItemDataRole.BackgroundRole:
                return QColor(colour)
            if role == Qt.ItemDataRole.ForegroundRole:
                return text_colour_on(colour)
        return None
