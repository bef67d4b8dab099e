"""The Try step: type a text, see what a version predicts, with a bar per label."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPlainTextEdit, QProgressBar, QWidget

from sftgui.qt import dialogs
from sftgui.qt.pages.base import Page, StepState
from sftgui.qt.pages.versions import fill_version_combo


class TryPage(Page):
    key = "try"
    title = "Try it"
    blurb = "Type or paste a text and see what a version predicts. Nothing you type here is saved."

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.last = None
        form = QFormLayout()
        self.version = QComboBox()
        self.version.setObjectName("tryVersion")
        form.addRow("&Version:", self.version)
        self.text = QPlainTextEdit()
        self.text.setObjectName("tryText")
        self.text.setPlaceholderText("e.g. I was charged twice for my order")
        self.text.setMaximumHeight(120)
        form.addRow("&Text:", self.text)
        self.body.addLayout(form)
        self.answer = QLabel()
        self.answer.setObjectName("tryAnswer")
        self.body.addWidget(self.answer)
        self.bars_box = QWidget()
        self.bars = QFormLayout(self.bars_box)
        self.body.addWidget(self.bars_box)
        self.body.addStretch(1)
        # Predict shortly after typing stops, not on every key.
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(300)
        self.debounce.timeout.connect(self.predict)
        self.text.textChanged.connect(self.debounce.start)
        self.version.activated.connect(self.predict)

    def state(self) -> StepState:
        return StepState(done=self.last is not None)

    def refresh(self) -> None:
        fill_version_combo(self.version, self.ctx)

    def predict(self) -> None:
        from sftgui.core import predict, versions

        text, vid, ws = self.text.toPlainText().strip(), self.version.currentData(), self.ctx.ws
        if not text or vid is None:
            return
        self.answer.setText("Thinking…")
        self.ctx.jobs.start("predict", lambda state: predict.predict_texts(ws, versions.get_version(ws, vid), [text])[0],
                            on_done=self.show_result, on_failed=self._failed)

    def _failed(self, exc, details) -> None:
        self.answer.setText("")
        dialogs.show_exception(self, exc, doing="predicting", log_dir=self.ctx.log_dir)

    def show_result(self, result: dict) -> None:
        self.last = result
        self.answer.setText(f"<b>{result['label']}</b> ({result['scores'][result['label']]:.0%} sure)")
        while self.bars.rowCount():
            self.bars.removeRow(0)
        for label, p in sorted(result["scores"].items(), key=lambda kv: -kv[1]):
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int(p * 1000))
            bar.setFormat(f"{p:.1%}")
            self.bars.addRow(label, bar)
        self.stateChanged.emit()
