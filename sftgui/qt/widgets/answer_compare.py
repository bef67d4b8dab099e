"""Compare for language-model versions: the answers of two or more versions side by side on the
same held-out prompts (one column per version, the wanted answer beside them), and a blind A/B
vote ("which answer is better?") whose verdicts are stored per prompt (`core/votes.py`) and
summarised as a win rate with its 95% Wilson interval.

The Compare page hosts it for a task that writes answers; it reads compare_versions' result
(`prediction_diffs[ref]["answers"]`: each other version's answers against the first's)."""

from __future__ import annotations

import random

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sftgui.qt import dialogs

MAX_ROW_HEIGHT = 110  # pixels: about six lines


def answer_table(result: dict) -> tuple[list[str], list[dict]]:
    """(version refs, rows `{row_id, prompt, reference, answers: {ref: text}}`) from a compare result,
    one row per prompt every version answered."""
    refs = result["versions"]
    rows: dict[int, dict] = {}
    for ref in refs[1:]:
        for pair in result["prediction_diffs"][ref].get("answers") or []:
            row = rows.setdefault(pair["row_id"], {"row_id": pair["row_id"], "prompt": pair["prompt"],
                                                   "reference": pair["reference"], "answers": {refs[0]: pair["before"]}})
            row["answers"][ref] = pair["after"]
    return refs, [r for r in rows.values() if len(r["answers"]) == len(refs)]


class AnswerCompare(QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.result: dict | None = None
        self.rows: list[dict] = []
        self.note = QLabel()
        self.note.setObjectName("answersNote")
        self.note.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setObjectName("compareAnswers")
        self.table.setWordWrap(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.other = QComboBox()
        self.other.setObjectName("voteAgainst")
        self.vote_button = QPushButton("Blind vote…")
        self.vote_button.setObjectName("voteButton")
        self.vote_button.setToolTip("See each prompt with two versions' answers in a hidden, shuffled order and "
                                    "pick the better one; the votes add up to a win rate.")
        self.vote_button.clicked.connect(lambda: self.open_vote())
        self.win_rate = QLabel()
        self.win_rate.setObjectName("voteWinRate")
        self.win_rate.setWordWrap(True)
        self.first_label = QLabel()
        vote_row = QHBoxLayout()
        vote_row.addWidget(self.first_label)
        vote_row.addWidget(self.other)
        vote_row.addWidget(self.vote_button)
        vote_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addLayout(vote_row)
        layout.addWidget(self.win_rate)

    def show_result(self, result: dict) -> None:
        self.result = result
        refs, self.rows = answer_table(result)
        self.table.clear()
        self.table.setColumnCount(2 + len(refs))
        self.table.setHorizontalHeaderLabels(["Prompt", "Wanted answer", *refs])
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            cells = [row["prompt"], row["reference"], *(row["answers"][ref] for ref in refs)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(str(text or ""))
                item.setToolTip(str(text or ""))
                self.table.setItem(r, c, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        for r in range(self.table.rowCount()):  # a rambling answer stays a few lines tall (tooltip: all of it)
            self.table.setRowHeight(r, min(self.table.rowHeight(r), MAX_ROW_HEIGHT))
        short = all((m.get("short_answers") for m in result["metrics"].values()))
        self.note.setText(f"{len(self.rows)} held-out prompts, answered by each version." + (
            "" if short else " The wanted answers are long, so the exact-answer rate says little here; "
            "read the answers or vote."))
        self.note.setText(self.note.text() + " " + self._validation_sentence(refs))
        self.first_label.setText(f"Vote between {refs[0]} and")
        self.other.clear()
        for ref in refs[1:]:
            self.other.addItem(ref)
        self.show_win_rate()

    def _validation_sentence(self, refs) -> str:
        """Each version's loss and perplexity on its own validation examples, as its training ended."""
        from sftgui.core import versions

        parts = []
        for ref in refs:
            val = (versions.resolve_version(self.ctx.ws, ref).metrics or {}).get("validation") or {}
            if val.get("loss") is not None:
                ppl = val.get("perplexity")
                parts.append(f"{ref} {val['loss']:.3g}" + (f" (perplexity {ppl:.3g})" if ppl is not None else ""))
        return f"Validation loss when training ended: {', '.join(parts)}." if parts else ""

    def _pair(self):
        from sftgui.core import versions

        refs = self.result["versions"]
        return (versions.resolve_version(self.ctx.ws, refs[0]),
                versions.resolve_version(self.ctx.ws, self.other.currentText()))

    def show_win_rate(self) -> None:
        from sftgui.core import votes

        if not self.result or not self.other.count():
            return
        self.win_rate.setText(votes.summary(self.ctx.ws, *self._pair())["sentence"])

    def open_vote(self) -> "VoteDialog | None":
        if not self.rows:
            dialogs.show_error(self, "Compare two or more versions first; then vote on their answers.")
            return None
        v1, v2 = self._pair()
        first = self.result["versions"][0]
        pairs = [{"row_id": r["row_id"], "prompt": r["prompt"], "before": r["answers"][first],
                  "after": r["answers"][v2.ref]} for r in self.rows]
        dialog = VoteDialog(self.ctx.ws, v1, v2, pairs, parent=self)
        dialog.finished.connect(lambda _code: self.show_win_rate())
        dialog.open()
        return dialog


class VoteDialog(QDialog):
    """One prompt at a time, two answers in a shuffled order the voter does not see."""

    def __init__(self, ws, v1, v2, pairs: list[dict], *, seed: int | None = None, parent=None):
        from sftgui.core import votes

        super().__init__(parent)
        self.setObjectName("voteDialog")
        self.setWindowTitle("Which answer is better?")
        self.ws, self.v1, self.v2 = ws, v1, v2
        self.ballot = votes.blind_pairs(pairs, v1, v2, seed=random.randrange(2**31) if seed is None else seed)
        self.at = 0
        self.counted = 0
        self.where = QLabel()
        self.where.setObjectName("votePosition")
        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("votePrompt")
        self.prompt.setReadOnly(True)
        self.prompt.setMaximumHeight(100)
        answers = QHBoxLayout()
        self.texts, self.picks = [], []
        for n in (1, 2):
            box = QVBoxLayout()
            text = QPlainTextEdit()
            text.setReadOnly(True)
            text.setObjectName(f"voteAnswer{n}")
            pick = QPushButton(f"Answer {n} is better")
            pick.setObjectName(f"votePick{n}")
            pick.clicked.connect(lambda _checked=False, i=n - 1: self.vote(i))
            box.addWidget(text, 1)
            box.addWidget(pick)
            answers.addLayout(box)
            self.texts.append(text)
            self.picks.append(pick)
        self.tie = QPushButton("About the same")
        self.tie.setObjectName("voteTie")
        self.tie.clicked.connect(lambda: self.vote(None))
        self.skip = QPushButton("Skip")
        self.skip.setObjectName("voteSkip")
        self.skip.clicked.connect(self.next)
        self.done_button = QPushButton("Done")
        self.done_button.setObjectName("voteDone")
        self.done_button.clicked.connect(self.accept)
        self.summary = QLabel()
        self.summary.setObjectName("voteSummary")
        self.summary.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.tie)
        row.addWidget(self.skip)
        row.addStretch(1)
        row.addWidget(self.done_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("The two answers are shown in a random order; which version wrote which "
                                "stays hidden until you are done."))
        layout.addWidget(self.where)
        layout.addWidget(QLabel("Prompt:"))
        layout.addWidget(self.prompt)
        layout.addLayout(answers, 1)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        self.resize(760, 480)
        self._show()

    def current(self) -> dict | None:
        return self.ballot[self.at] if self.at < len(self.ballot) else None

    def vote(self, index: int | None) -> None:
        from sftgui.core import votes

        item = self.current()
        if item is None:
            return
        winner = None if index is None else item["versions"][index]
        votes.record_vote(self.ws, self.v1, self.v2, row_id=item["row_id"], prompt=item["prompt"], winner=winner)
        self.counted += 1
        self.next()

    def next(self) -> None:
        self.at += 1
        self._show()

    def _show(self) -> None:
        from sftgui.core import votes

        item = self.current()
        for w in (*self.picks, self.tie, self.skip):
            w.setEnabled(item is not None)
        if item is None:
            self.where.setText(f"That was the last prompt ({self.counted} votes given).")
            self.prompt.setPlainText("")
            for t in self.texts:
                t.setPlainText("")
        else:
            self.where.setText(f"Prompt {self.at + 1} of {len(self.ballot)}")
            self.prompt.setPlainText(str(item["prompt"] or ""))
            for t, answer in zip(self.texts, item["answers"]):
                t.setPlainText(str(answer or ""))
        self.summary.setText(votes.summary(self.ws, self.v1, self.v2)["sentence"])
