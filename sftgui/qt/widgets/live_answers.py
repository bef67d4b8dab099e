"""The Train page's "watch the model learn" panel for a language model: after every validation pass,
the validation loss and perplexity, and what the model being trained answers to three fixed
validation prompts (the engine's `Answered` events), next to the answer the data wants.

Hidden until the first answers arrive, so a classifier's Train page is unchanged."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

MAX_CHARS = 400  # a long answer is cut on screen; the tooltip has it whole


def _cut(text) -> str:
    text = str(text or "")
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


class LiveAnswers(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("liveAnswers")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.first: dict | None = None  # the first validation pass's figures ("was ...")
        self.step: int | None = None
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("liveHeading")
        self.heading.setWordWrap(True)
        self.scores = QLabel()
        self.scores.setObjectName("liveScores")
        self.scores.setWordWrap(True)
        self.scores.setToolTip("Perplexity: how surprised the model is by the validation answers, on average "
                               "(exp of the loss). 1 is a perfect guess; lower is better.")
        layout.addWidget(self.heading)
        layout.addWidget(self.scores)
        self.grid_box = QWidget()
        self.grid = QGridLayout(self.grid_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.grid_box)
        self.answer_labels: list[QLabel] = []
        self.clear()

    def clear(self) -> None:
        self.first = self.step = None
        self.scores.setText("")
        self.heading.setText("")
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.answer_labels = []
        self.hide()

    def show_scores(self, loss, metrics: dict) -> None:
        """Called with each validation pass (Evaluated): loss and perplexity, with the first ones."""
        ppl = metrics.get("perplexity")
        if loss is None and ppl is None:
            return
        now = {"loss": loss, "perplexity": ppl}
        if self.first is None:
            self.first = now
        text = f"Validation loss {_num(loss)}, perplexity {_num(ppl)}"
        if self.first is not now:
            text += f" (at the first check: {_num(self.first['loss'])} and {_num(self.first['perplexity'])})"
        self.scores.setText(text + ".")

    def show_answers(self, event) -> None:
        """An `Answered` event: the current answers replace the previous ones."""
        self.step = event.step
        self.heading.setText(f"<b>What the model answers now</b> (step {event.step}, pass {event.epoch:.1f}), "
                             "to three examples it does not learn from:")
        if len(self.answer_labels) != len(event.answers):
            self._build(len(event.answers))
        for i, a in enumerate(event.answers):
            prompt, answer, wanted = self.answer_labels[i * 3 : i * 3 + 3]
            prompt.setText(f"<b>{_html(_cut(a.get('prompt')))}</b>")
            prompt.setToolTip(str(a.get("prompt") or ""))
            answer.setText(_html(_cut(a.get("answer"))) or "<i>(nothing yet)</i>")
            answer.setToolTip(str(a.get("answer") or "") + ("" if a.get("stopped") else
                                                             "\n\n(cut off: the model did not stop by itself yet)"))
            wanted.setText(f"<span style='color:gray'>Wanted: {_html(_cut(a.get('reference')))}</span>")
        self.show()

    def answers(self) -> list[str]:
        """The answers on screen, in order (for tests and screenshots)."""
        return [self.answer_labels[i].toolTip().split("\n\n(cut off")[0] for i in range(1, len(self.answer_labels), 3)]

    def _build(self, n: int) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.answer_labels = []
        for i in range(n):
            for col in range(3):
                label = QLabel()
                label.setWordWrap(True)
                label.setTextFormat(Qt.TextFormat.RichText)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                label.setObjectName(("livePrompt", "liveAnswer", "liveWanted")[col])
                self.grid.addWidget(label, i, col)
                label.show()  # children added to a shown widget stay hidden until shown
                self.answer_labels.append(label)
        for col in range(3):
            self.grid.setColumnStretch(col, 1)


def _num(x) -> str:
    return "–" if x is None else f"{x:.3g}"


def _html(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>"))
