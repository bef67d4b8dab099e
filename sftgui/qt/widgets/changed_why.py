"""Compare's "Why they changed": the predictions that changed between two versions, and on demand
("Why?") the words behind each version's answer, highlighted as on the Try it page.

Each explanation runs in the background (job slot "compare-why", one at a time: a new click
replaces the one in progress) and explains only the label that version gave (one integrated-
gradients pass per version, not one per label). Memory stays bounded: at most `KEEP` explanations
are remembered, and the models come from the playground's small cache (`predict.loaded_version`).
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from sftgui.qt import dialogs
from sftgui.qt.widgets.highlights import highlight_html, top_words_sentence

SLOT = "compare-why"
KEEP = 32  # explanations remembered (a few KB each)
KINDS = {"fixed": "fixed", "broken": "broken", "still_wrong": "still wrong"}


class ChangedWhy(QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.setObjectName("compareWhy")
        self.ctx = ctx
        self.cache: OrderedDict = OrderedDict()
        self.shown: tuple | None = None  # the (before, after) explanations on screen
        self.list = QListWidget()
        self.list.setObjectName("compareWhyList")
        self.list.setWordWrap(True)
        self.list.currentItemChanged.connect(lambda *_: self._selected())
        self.button = QPushButton("Why?")
        self.button.setObjectName("compareWhyButton")
        self.button.setToolTip("Show which words pushed each version to its answer for the selected example "
                               "(green toward it, red away). Takes a few seconds per version.")
        self.button.setEnabled(False)
        self.button.clicked.connect(self.explain)
        self.text = QLabel("Pick an example that changed, then press Why?")
        self.text.setObjectName("compareWhyText")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        right = QVBoxLayout()
        right.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        right.addWidget(self.text, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(right, 1)

    def set_result(self, result: dict) -> None:
        """The changed examples of a comparison (first version against each other one)."""
        self.ctx.jobs.cancel(SLOT)
        self.list.clear()
        self.shown = None
        self.text.setText("Pick an example that changed, then press Why?")
        refs = result["versions"]
        for ref, diff in result["prediction_diffs"].items():
            for kind in ("fixed", "broken", "still_wrong"):
                for ex in diff["examples"].get(kind, []):
                    item = QListWidgetItem(f"{KINDS[kind]} ({refs[0]} \u2192 {ref}): \u201c{ex['text'][:90]}\u201d\n"
                                           f"right: {ex['label']}, was {ex['before']}, now {ex['after']}")
                    item.setData(Qt.ItemDataRole.UserRole, (refs[0], ref, ex))
                    self.list.addItem(item)
        self._selected()

    def _selected(self) -> None:
        self.button.setEnabled(self.list.currentItem() is not None)

    def explain(self) -> None:
        from sftgui.core import explain, versions

        item = self.list.currentItem()
        if item is None:
            return
        before_ref, after_ref, ex = item.data(Qt.ItemDataRole.UserRole)
        ws, text = self.ctx.ws, ex["text"]
        wanted = ((before_ref, ex["before"]), (after_ref, ex["after"]))
        known = {key: self.cache[key] for key in ((r, text, lab) for r, lab in wanted) if key in self.cache}

        def task(state):
            out = []
            for ref, label in wanted:
                key = (ref, text, label)
                if key not in known:
                    if state.is_cancelled:
                        return None
                    known[key] = explain.explain_input(ws, versions.resolve_version(ws, ref), text, label=label)
                out.append((key, known[key]))
            return out

        self.button.setEnabled(False)
        self.text.setText("Weighing each word for both versions…")
        self.ctx.jobs.start(SLOT, task, on_done=self._show, on_failed=self._failed)

    def _show(self, out) -> None:
        self._selected()
        if out is None:
            return
        lines = []
        for key, expl in out:
            ref, _text, label = key
            self.cache[key] = expl
            self.cache.move_to_end(key)
            lines.append(f"<b>{ref}</b> said <b>{label}</b>:<br>{highlight_html(expl, label)}<br>"
                         f"<small>{top_words_sentence(expl, label)}</small>")
        while len(self.cache) > KEEP:
            self.cache.popitem(last=False)
        self.shown = tuple(expl for _key, expl in out)
        self.text.setText("<br><br>".join(lines) + "<br><br><small>Green words pushed the version toward its "
                          "answer, red ones away from it (hover a word for its number).</small>")

    def _failed(self, exc, details: str) -> None:
        self._selected()
        self.text.setText("")
        dialogs.show_exception(self, exc, doing="explaining the change", log_dir=self.ctx.log_dir)
