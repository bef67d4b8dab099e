"""The Label page's editor of one instruction example: its turns (a system note, the prompt, the
answer, or a longer conversation) in plain fields instead of the raw JSON of the draft cell.

Save is one edit of the draft's text through the draft edit path (`labelling.edit`), so the page's
Undo / Redo (and Ctrl+Z / Ctrl+Y) take it back and forth like a label; nothing is changed until
Save. The task reads and writes the cell (`Task.turns_of` / `text_of_turns`)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sftgui.errors import UserError
from sftgui.qt import dialogs

ROLES = (("user", "Prompt"), ("assistant", "Answer"), ("system", "Instructions"))
ROLE_HELP = ("Prompt: what the person asks. Answer: what the model should reply. Instructions: a system note "
             "before the conversation (optional).")


class ExampleEditor(QFrame):
    def __init__(self, ctx, *, on_saved=lambda: None, undo=lambda: None, redo=lambda: None, parent=None):
        super().__init__(parent)
        self.setObjectName("exampleEditor")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.ctx = ctx
        self.on_saved = on_saved
        self.row = None  # the DraftRow shown
        self.task = None
        self.turn_widgets: list[tuple[QComboBox, QPlainTextEdit]] = []
        self.heading = QLabel()
        self.heading.setObjectName("exampleHeading")
        self.turns_box = QWidget()
        self.grid = QGridLayout(self.turns_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(1, 1)
        self.add_button = QPushButton("Add a turn")
        self.add_button.setObjectName("exampleAddTurn")
        self.add_button.setToolTip("Continue the conversation: another prompt or answer after the last one.")
        self.remove_button = QPushButton("Remove the last turn")
        self.remove_button.setObjectName("exampleRemoveTurn")
        self.save_button = QPushButton("Save changes")
        self.save_button.setObjectName("exampleSave")
        self.save_button.setToolTip("Keep these turns as the example (Undo takes it back).")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setObjectName("exampleUndo")
        self.redo_button = QPushButton("Redo")
        self.redo_button.setObjectName("exampleRedo")
        buttons = QHBoxLayout()
        for b in (self.save_button, self.add_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.redo_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.turns_box)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.add_turn)
        self.remove_button.clicked.connect(self.remove_turn)
        self.save_button.clicked.connect(self.save)
        self.undo_button.clicked.connect(undo)
        self.redo_button.clicked.connect(redo)
        self.load(None, None)

    def load(self, row, task) -> None:
        """Show a draft row's turns (None: nothing selected)."""
        self.row, self.task = row, task
        turns = task.turns_of(row.text) if row is not None and task is not None else []
        self._build(turns)
        self.heading.setText(f"<b>Example {row.position + 1}</b>" if row is not None else "Select an example to edit it.")
        for w in (self.add_button, self.remove_button, self.save_button):
            w.setEnabled(row is not None)

    def turns(self) -> list[dict]:
        return [{"role": combo.currentData(), "content": edit.toPlainText()} for combo, edit in self.turn_widgets]

    def add_turn(self) -> None:
        turns = self.turns()
        last = turns[-1]["role"] if turns else "assistant"
        self._build(turns + [{"role": "assistant" if last == "user" else "user", "content": ""}])
        self.turn_widgets[-1][1].setFocus()

    def remove_turn(self) -> None:
        self._build(self.turns()[:-1])

    def save(self) -> None:
        from sftgui.core.data import labelling

        if self.row is None:
            return
        turns = self.turns()
        try:
            if not any(t["role"] == "assistant" and t["content"].strip() for t in turns):
                raise UserError("An example needs an answer: write what the model should reply.")
            new = self.task.text_of_turns(turns)
            changed = labelling.edit(self.ctx.project, f"Edit example {self.row.position + 1}",
                                     [[self.row.id, "text", self.row.text, new]])
        except UserError as exc:
            dialogs.show_error(self, str(exc))
            return
        if changed:
            self.on_saved()

    def _build(self, turns: list[dict]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.turn_widgets = []
        for i, turn in enumerate(turns):
            combo = QComboBox()
            combo.setObjectName(f"exampleRole{i}")
            for value, title in ROLES:
                combo.addItem(title, value)
            combo.setCurrentIndex(max(0, combo.findData(turn.get("role"))))
            combo.setToolTip(ROLE_HELP)
            edit = QPlainTextEdit(str(turn.get("content") or ""))
            edit.setObjectName(f"exampleTurn{i}")
            edit.setMaximumHeight(90)
            edit.setMinimumWidth(160)
            self.grid.addWidget(combo, i, 0)
            self.grid.addWidget(edit, i, 1)
            combo.show()  # children added to a shown widget stay hidden until shown
            edit.show()
            self.turn_widgets.append((combo, edit))
        self.remove_button.setEnabled(self.row is not None and len(turns) > 2)
