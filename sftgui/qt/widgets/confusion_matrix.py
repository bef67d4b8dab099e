"""A confusion matrix as a small heat-map table: rows are the true label, columns the prediction."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

RIGHT = (84, 162, 75)  # green: the diagonal, correct answers
WRONG = (228, 87, 86)  # red: mistakes


class ConfusionMatrix(QWidget):
    def __init__(self, title: str = "", parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(title)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Rows: the right label. Columns: what the model said. The diagonal is correct.")
        layout.addWidget(self.title)
        layout.addWidget(self.table)

    def set_matrix(self, labels: list[str], matrix: list[list[int]]) -> None:
        n = len(labels)
        self.table.setRowCount(n)
        self.table.setColumnCount(n)
        self.table.setHorizontalHeaderLabels([f"said {lab}" for lab in labels])
        self.table.setVerticalHeaderLabels(list(labels))
        peak = max((max(row) for row in matrix), default=0) or 1
        for i in range(n):
            for j in range(n):
                count = matrix[i][j]
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if count:
                    r, g, b = RIGHT if i == j else WRONG
                    item.setBackground(QColor(r, g, b, 40 + int(200 * count / peak)))
                self.table.setItem(i, j, item)
