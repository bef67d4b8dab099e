"""A virtualized table model over a project's draft rows: fetched from the core in pages.

Only the pages the view actually paints are read (200 rows each, kept in a small cache), so a
100,000-row draft opens and scrolls as fast as a 100-row one.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

PAGE = 200
CACHE_PAGES = 20
COLUMNS = ("Text", "Label", "Flag")


def text_colour_on(background: str) -> QColor:
    """Black or white, whichever reads better on the label's colour."""
    c = QColor(background)
    return QColor("#000000") if (0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()) > 150 else QColor("#ffffff")


class DraftModel(QAbstractTableModel):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.filter = None
        self.colours: dict[str, str] = {}
        self._count = 0
        self._pages: dict[int, list] = {}

    def reload(self, flt=None, colours: dict | None = None) -> None:
        from sftgui.core.data import labelling

        self.beginResetModel()
        if flt is not None:
            self.filter = flt
        if colours is not None:
            self.colours = colours
        self._pages.clear()
        project = self.ctx.project
        self._count = labelling.count_rows(self.ctx.ws, project, self.filter) if project else 0
        self.endResetModel()

    def row_at(self, row: int):
        """The DraftRow shown at `row` (fetching its page when needed)."""
        if not 0 <= row < self._count:
            return None
        number = row // PAGE
        page = self._pages.get(number)
        if page is None:
            from sftgui.core.data import labelling

            page = labelling.fetch_rows(self.ctx.ws, self.ctx.project, self.filter, number * PAGE, PAGE)
            if len(self._pages) >= CACHE_PAGES:
                self._pages.pop(next(iter(self._pages)))
            self._pages[number] = page
        i = row - number * PAGE
        return page[i] if i < len(page) else None

    # -- Qt's model interface ----------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return str(section + 1)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        r = self.row_at(index.row())
        if r is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return (r.text or "").replace("\n", " ")
            if col == 1:
                return r.label or ""
            return "\u2691" if r.flagged else ""
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return r.text
        if col == 1 and r.label:
            colour = self.colours.get(r.label, "#888888")
            if role == Qt.ItemDataRole.BackgroundRole:
                return QColor(colour)
            if role == Qt.ItemDataRole.ForegroundRole:
                return text_colour_on(colour)
        return None
