"""The thumbnail grid of an image project's draft: a QListView in icon mode over the same paged
draft model the text table uses (so the keys, filters, undo and review lists are the Label
page's), with each picture's thumbnail made on first paint and kept in a small cache.

It stays fast at 10,000 pictures because nothing is read for rows that are not on screen: the
draft model fetches 200-row pages on demand, the view lays out in batches with uniform item
sizes (no per-item size query), and thumbnails are read only for painted cells.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QIdentityProxyModel, QModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView

ICON = 96
CACHE = 600  # pixmaps kept: a few screens' worth


class ThumbnailModel(QIdentityProxyModel):
    """Column 0 of the draft model as a picture with its label under it (in a review list, with
    the version's guess after it: "circle -> square?")."""

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()

    def _pixmap(self, digest: str) -> QPixmap | None:
        if digest in self._pixmaps:
            self._pixmaps.move_to_end(digest)
            return self._pixmaps[digest]
        from sftgui.core.tasks import task_of

        try:
            path = task_of(self.ctx.project).thumbnail(self.ctx.ws, digest)
        except Exception:  # noqa: BLE001 - an unreadable picture shows as an empty cell (the report lists it)
            path = None
        pix = QPixmap(str(path)) if path else QPixmap()
        self._pixmaps[digest] = pix
        while len(self._pixmaps) > CACHE:
            self._pixmaps.popitem(last=False)
        return pix

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        source = self.sourceModel()
        r = source.row_at(index.row()) if source is not None and hasattr(source, "row_at") else None
        if r is None:
            return None
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(r.text)
        hint = source.hint_at(index.row()) if hasattr(source, "hint_at") else None  # a review list's row
        if role == Qt.ItemDataRole.DisplayRole:
            flag = "\u2691 " if r.flagged else ""
            if hint:  # short enough for the cell; the tooltip and the line under the grid say it in full
                return flag + (f"{r.label} \u2192 {hint['guess']}?" if r.label else f"thinks {hint['guess']}")
            return flag + (r.label or "(no label)")
        if role == Qt.ItemDataRole.ToolTipRole:
            from sftgui.qt.widgets.hint_model import hint_sentence

            where = r.source or r.text
            return f"{where}\n{hint_sentence(hint, r.label)}" if hint else where
        if role == Qt.ItemDataRole.ForegroundRole and not r.label:
            return QColor("#888888")
        return None


class ThumbnailGrid(QListView):
    """Shows a draft model as thumbnails. `model()` answers the draft model (as the Label page
    expects of its view); the proxy that paints pictures sits between them."""

    def __init__(self, ctx, keys=None, parent=None):
        super().__init__(parent)
        self.keys = keys  # the Label page's key handler (labels, clear, flag, undo/redo)
        self.proxy = ThumbnailModel(ctx, self)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(ICON, ICON))
        self.setGridSize(QSize(ICON + 16, ICON + 30))
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWrapping(True)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def setModel(self, model) -> None:  # noqa: N802
        self.proxy.setSourceModel(model)
        self.proxy._pixmaps.clear() if model is None else None
        super().setModel(self.proxy)

    def model(self):
        return self.proxy.sourceModel()

    def selectRow(self, row: int) -> None:  # noqa: N802 - the table's name, so the Label page drives both alike
        index = self.proxy.index(row, 0, QModelIndex())
        if index.isValid():
            self.setCurrentIndex(index)
            self.scrollTo(index)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if self.keys is not None and self.keys(event):
            return
        super().keyPressEvent(event)
