"""The History page: what changed in the workspace, who did it, when and why (the audit log)."""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
)
from PySide6.QtCore import Qt

from sftgui.qt.pages.base import Page, StepState

COLUMNS = ("When", "Who", "What happened", "Why")


class HistoryPage(Page):
    key = "history"
    title = "History"
    blurb = ("Everything that changed: versions registered, trashed, restored or removed for good, "
             "production moves, with who did it and the reason given. Nothing here can be edited.")
    scrollable = False

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.events: list[dict] = []
        self.only_project = QCheckBox("Only the open project")
        self.only_project.setObjectName("historyOnlyProject")
        self.only_project.setChecked(True)
        self.only_project.toggled.connect(self._filter_toggled)
        self.body.addWidget(self.only_project)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._show_detail)
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("historyDetail")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select a line to see everything recorded about it.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        self.body.addWidget(split, 1)
        ctx.versionsChanged.connect(self._changed_elsewhere)

    def state(self) -> StepState:
        return StepState(done=bool(self.events), summary=f"{len(self.events)} event(s)." if self.events else "")

    def _filter_toggled(self, _on: bool) -> None:
        self.refresh()

    def _changed_elsewhere(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        from sftgui.core.audit import history

        if self.ctx.ws is None:
            return
        project = self.ctx.project if self.only_project.isChecked() else None
        self.events = history(self.ctx.ws, project)
        self.table.setRowCount(len(self.events))
        for r, e in enumerate(self.events):
            cells = (e["at"][:19].replace("T", " "), e["user"] or "—", e["what"], e["why"] or "—")
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.detail.clear()
        self.stateChanged.emit()

    def _show_detail(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedItems()})
        if rows and rows[0] < len(self.events):
            e = self.events[rows[0]]
            self.detail.setPlainText(json.dumps({k: e[k] for k in ("at", "user", "action", "target", "why", "detail")},
                                                indent=2, ensure_ascii=False))
