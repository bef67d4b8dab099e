"""First run: cards to try a sample project (one per task that ships one), start a new project,
or open another workspace; each card says where it leads."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from sftgui.qt.pages.base import Page, StepState
from sftgui.qt.icons import icon
from sftgui.qt.widgets.card import Card

COLUMNS = 3
# The path a project takes, as the sidebar's steps: (icon, words).
HOW_IT_WORKS = (
    ("steps/model", "Choose a model that already knows the language (the built-in one is fine)."),
    ("steps/data", "Bring your examples: a spreadsheet or file, with the right answer where you know it."),
    ("steps/train", "Train: the model learns your answers; a first version in minutes."),
    ("steps/versions", "Compare the versions, keep the best, export it or try it on new texts."),
)


class WelcomePage(Page):
    key = "welcome"
    title = "Welcome to sftgui"
    blurb = (
        "Teach a ready-made model to sort your texts or pictures into your own categories, or to answer "
        "your way, on this computer. Every training is kept as a version you can compare, roll back to "
        "and export."
    )

    sampleRequested = Signal()  # the text sample (kept for callers that knew only that one)
    sampleTaskRequested = Signal(str)  # any sample, by task name
    newProjectRequested = Signal()
    openWorkspaceRequested = Signal()

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from sftgui.qt.sample import TEXT_TASK, samples

        self.sample_cards: dict[str, Card] = {}
        self.body.addWidget(_heading("Try a sample"))
        grid = QGridLayout()
        grid.setSpacing(12)
        for i, sample in enumerate(samples()):
            card = Card(sample.title, sample.description, sample.icon)
            card.setObjectName("sampleButton" if sample.task == TEXT_TASK else f"sample_{sample.task}")
            card.clicked.connect(lambda _=False, task=sample.task: self._sample_clicked(task))
            self.sample_cards[sample.task] = card
            grid.addWidget(card, i // COLUMNS, i % COLUMNS)
        for c in range(COLUMNS):
            grid.setColumnStretch(c, 1)
        self.body.addLayout(grid)
        self.sample_button = self.sample_cards[TEXT_TASK]

        self.body.addWidget(_heading("Your own work"))
        own = QGridLayout()
        own.setSpacing(12)
        self.new_button = Card("New project", "Start from your own data: give it a name and say what the "
                               "model should do. Leads to choosing a model, then your data.", "actions/new-project")
        self.open_button = Card("Open workspace", "Use a folder where sftgui keeps projects already, e.g. one "
                                "a colleague shared. Its projects appear in the Project list.",
                                "actions/open-workspace")
        own.addWidget(self.new_button, 0, 0)
        own.addWidget(self.open_button, 0, 1)
        for c in range(COLUMNS):
            own.setColumnStretch(c, 1)
        self.body.addLayout(own)

        self.body.addWidget(_heading("How it works"))
        steps = QHBoxLayout()
        steps.setSpacing(12)
        for icon_name, words in HOW_IT_WORKS:
            steps.addWidget(_step(icon_name, words), 1)
        self.body.addLayout(steps)
        self.body.addStretch(1)
        self.new_button.clicked.connect(self.newProjectRequested)
        self.open_button.clicked.connect(self.openWorkspaceRequested)
        self.set_next_label("Model")

    def _sample_clicked(self, task: str) -> None:
        from sftgui.qt.sample import TEXT_TASK

        if task == TEXT_TASK:
            self.sampleRequested.emit()
        else:
            self.sampleTaskRequested.emit(task)

    def state(self) -> StepState:
        return StepState(done=self.ctx.project is not None)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionHeading")
    return label


def _step(icon_name: str, words: str) -> QWidget:
    box = QWidget()
    box.setObjectName("howStep")
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 4, 4)
    picture = QLabel()
    picture.setPixmap(icon(icon_name, 24).pixmap(QSize(24, 24)))
    text = QLabel(words)
    text.setWordWrap(True)
    text.setTextFormat(Qt.TextFormat.PlainText)
    layout.addWidget(picture)
    layout.addWidget(text)
    layout.addStretch(1)
    return box
