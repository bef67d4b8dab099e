"""The chat playground of a language-model version (the Try it page of a generating task): a
conversation with the version, its words shown as they are generated, Stop, temperature and
top-p, a new conversation.

The answer comes from `core/chat.py` (the task's one generation path) on a worker thread
(`ctx.jobs`, slot "chat"); each piece of text arrives as an event in the GUI thread and is
appended to the view there. Stop sets the job's cancel flag, which generation checks after every
token; what was said so far stays in the conversation."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from sftgui.qt import dialogs

SLOT = "chat"


class ChatPanel(QWidget):
    def __init__(self, ctx, version_id=lambda: None, parent=None):
        super().__init__(parent)
        from sftgui.core import chat

        self.ctx = ctx
        self.version_id = version_id  # the page's version choice
        self.conversation = chat.Conversation()
        self.job = None
        self.streamed = ""  # the answer being generated
        self.last_reply: str | None = None
        self.stopped = False

        self.view = QTextBrowser()
        self.view.setObjectName("chatView")
        self.view.setPlaceholderText("The conversation appears here.")
        self.input = QPlainTextEdit()
        self.input.setObjectName("chatInput")
        self.input.setPlaceholderText("Write a message, then press Send (Ctrl+Enter).")
        self.input.setMaximumHeight(90)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("chatSend")
        self.send_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("chatStop")
        self.stop_button.setToolTip("Stop the answer here; what it said so far stays in the conversation.")
        self.new_button = QPushButton("New conversation")
        self.new_button.setObjectName("chatNew")
        self.new_button.setToolTip("Forget the conversation so far and start again.")

        self.temperature = QDoubleSpinBox()
        self.temperature.setObjectName("chatTemperature")
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setToolTip("0: always the likeliest word, the same answer every time (as the version "
                                    "was evaluated). Higher: more varied, less predictable answers.")
        self.top_p = QDoubleSpinBox()
        self.top_p.setObjectName("chatTopP")
        self.top_p.setRange(0.05, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setDecimals(2)
        self.top_p.setValue(1.0)
        self.top_p.setToolTip("With a temperature above 0: pick only among the likeliest words that together "
                              "make up this share of the probability (top-p). 1 leaves every word possible.")
        self.length = QSpinBox()
        self.length.setObjectName("chatLength")
        self.length.setRange(0, 1024)
        self.length.setSpecialValueText("as evaluated")
        self.length.setToolTip("The most words-pieces (tokens) an answer may take; 'as evaluated' uses the "
                               "version's own setting.")
        knobs = QFormLayout()
        knobs.addRow("&Temperature:", self.temperature)
        knobs.addRow("Top-&p:", self.top_p)
        knobs.addRow("Answer &length:", self.length)
        self.status = QLabel()
        self.status.setObjectName("chatStatus")
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        side = QVBoxLayout()
        side.addLayout(knobs)
        side.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.view, 1)
        top.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top, 1)
        layout.addWidget(self.input)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        self.new_button.clicked.connect(self.new_conversation)
        self._update_buttons()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Ctrl+Enter sends
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.send()
            return
        super().keyPressEvent(event)

    # -- actions -------------------------------------------------------------------------------
    def options(self):
        from sftgui.core import chat

        return chat.Options(max_new_tokens=self.length.value() or None, temperature=self.temperature.value(),
                            top_p=self.top_p.value())

    def send(self) -> None:
        from sftgui.core import chat, versions

        text, vid, ws = self.input.toPlainText().strip(), self.version_id(), self.ctx.ws
        if self.job is not None:
            return
        if vid is None:
            dialogs.show_error(self, "Train a version first; then you can talk to it here.")
            return
        if not text:
            dialogs.show_error(self, "Type something for the model to answer.")
            return
        options, conversation = self.options(), self.conversation
        self.input.clear()
        self._append("You", text)
        self._append("Model", "")
        self.streamed, self.stopped = "", False
        self.status.setText("Writing…")

        def task(state):
            return chat.answer(ws, versions.get_version(ws, vid), conversation, text, options=options,
                               on_text=state.emit, should_stop=lambda: state.is_cancelled)

        self.job = self.ctx.jobs.start(SLOT, task, on_event=self._piece, on_done=self._done, on_failed=self._failed)
        self._update_buttons()

    def stop(self) -> None:
        if self.job is not None:
            self.stopped = True
            self.job.stop()  # generation checks the flag after each token; the answer so far is kept
            self.status.setText("Stopping…")

    def new_conversation(self) -> None:
        from sftgui.core import chat

        if self.job is not None:
            self.ctx.jobs.cancel(SLOT)
            self.job = None
        self.conversation = chat.Conversation()
        self.view.clear()
        self.last_reply = None
        self.status.setText("")
        self._update_buttons()

    # -- the worker's events (GUI thread) ------------------------------------------------------
    def _piece(self, piece: str) -> None:
        self.streamed += piece
        cursor = self.view.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece, QTextCharFormat())  # the model's words in the plain weight
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()

    def _done(self, reply: str) -> None:
        self.job = None
        self.last_reply = reply
        self.status.setText("Stopped; the answer so far is kept." if self.stopped else "")
        self._update_buttons()

    def _failed(self, exc, details: str) -> None:
        self.job = None
        self.status.setText("")
        self._update_buttons()
        dialogs.show_exception(self, exc, doing="writing an answer", log_dir=self.ctx.log_dir)

    def _append(self, who: str, text: str) -> None:
        cursor = self.view.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if not self.view.document().isEmpty():
            cursor.insertBlock()
            cursor.insertBlock()
        bold = QTextCharFormat()
        bold.setFontWeight(QFont.Weight.Bold)
        cursor.insertText(f"{who}: ", bold)
        cursor.insertText(text, QTextCharFormat())
        self.view.setTextCursor(cursor)

    def _update_buttons(self) -> None:
        busy = self.job is not None
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
