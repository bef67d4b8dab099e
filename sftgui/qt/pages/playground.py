"""The Try step: type a text, see what a version predicts, with a bar per label."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from sftgui.qt import dialogs
from sftgui.qt.pages.base import Page, StepState
from sftgui.qt.pages.versions import fill_version_combo
from sftgui.qt.widgets.chat_panel import ChatPanel


class TryPage(Page):
    key = "try"
    title = "Try it"
    blurb = "Type or paste a text and see what a version predicts. Nothing you type here is saved."
    picture_blurb = ("Open, drop or paste (Ctrl+V) a picture and see what a version predicts. Nothing you try "
                     "here is saved.")
    chat_blurb = ("Talk to a version: it answers as it was trained to, word by word. Nothing you write here "
                  "is saved.")
    PICTURES = "Pictures (*.jpg *.jpeg *.png *.webp *.bmp *.gif *.tif *.tiff)"

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
        # the picture playground (image projects): open, drop or paste a picture
        self.picture_row = QWidget()
        row = QHBoxLayout(self.picture_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.pick_button = QPushButton("Open a picture…")
        self.pick_button.setObjectName("tryPickButton")
        self.picture = QLabel("Drop a picture here")
        self.picture.setObjectName("tryPicture")
        self.picture.setMinimumSize(160, 160)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("QLabel#tryPicture { border: 1px dashed #888; }")
        row.addWidget(self.pick_button)
        row.addWidget(self.picture, 1)
        form.addRow("&Picture:", self.picture_row)
        self.form = form
        self.body.addLayout(form)
        self.pick_button.clicked.connect(lambda: self.open_picture_dialog())
        self.setAcceptDrops(True)
        paste = QShortcut(QKeySequence.StandardKey.Paste, self)
        paste.activated.connect(self.paste_picture)
        self.picture_path: Path | None = None
        self.answer = QLabel()
        self.answer.setObjectName("tryAnswer")
        self.body.addWidget(self.answer)
        self.runs_on = QLabel()  # "Runs on: GPU (NVIDIA ...)", filled with the first answer
        self.runs_on.setObjectName("tryRunsOn")
        self.runs_on.setToolTip("Where this page's predictions are computed. Set SFTGUI_INFERENCE_DEVICE=cpu "
                                "before starting sftgui to keep them on the processor.")
        self.body.addWidget(self.runs_on)
        self.bars_box = QWidget()
        self.bars = QFormLayout(self.bars_box)
        self.body.addWidget(self.bars_box)
        # "Why?": the words that pushed the answer, highlighted (the task's explanation)
        self.why = QPushButton("Why this answer?")
        self.why.setObjectName("tryWhy")
        self.why.setToolTip("Show which words pushed the model toward its answer (green) or away from it (red). "
                            "Method: integrated gradients over the word embeddings; takes a few seconds.")
        self.why.setEnabled(False)
        self.why.clicked.connect(lambda: self.explain())
        self.body.addWidget(self.why)
        self.why_text = QLabel()
        self.why_text.setObjectName("tryWhyText")
        self.why_text.setTextFormat(Qt.TextFormat.RichText)
        self.why_text.setWordWrap(True)
        self.body.addWidget(self.why_text)
        self.explanation = None
        # a language model's playground: a conversation with the chosen version (widgets/chat_panel.py)
        self.chat = ChatPanel(ctx, version_id=lambda: self.version.currentData())
        self.chat.setObjectName("tryChat")
        self.chat.hide()
        self.body.addWidget(self.chat, 1)
        self.version.activated.connect(lambda _i: self.chat.new_conversation())
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
        pictures = self._pictures()
        self.form.setRowVisible(self.text, not pictures)
        self.form.setRowVisible(self.picture_row, pictures)
        self.blurb_label.setText(self.picture_blurb if pictures else self.blurb)
        chats = self._chats()
        self.chat.setVisible(chats)
        for w in (self.answer, self.bars_box, self.why, self.why_text):
            w.setVisible(not chats)
        self.form.setRowVisible(self.text, not pictures and not chats)
        if chats:
            self.blurb_label.setText(self.chat_blurb)

    def _chats(self) -> bool:
        from sftgui.core.tasks import task_of

        return self.ctx.project is not None and getattr(task_of(self.ctx.project), "playground", None) == "chat"

    def _pictures(self) -> bool:
        from sftgui.core.tasks import task_of

        return self.ctx.project is not None and task_of(self.ctx.project).thumbnails

    # -- the picture playground ------------------------------------------------------------------------
    def open_picture_dialog(self) -> QFileDialog:
        dialog = QFileDialog(self, "Open a picture", str(Path.home()), self.PICTURES)
        dialog.setObjectName("tryPictureDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.fileSelected.connect(self.try_picture)
        dialog.open()
        return dialog

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if self._pictures() and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.try_picture(files[0])

    def paste_picture(self) -> None:
        if not self._pictures():
            return
        image = QApplication.clipboard().image()
        if image.isNull():
            self.answer.setText("The clipboard holds no picture.")
            return
        folder = Path(self.ctx.ws.cache) / "playground"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "pasted.png"
        image.save(str(path), "PNG")
        self.try_picture(str(path))

    def try_picture(self, path: str) -> None:
        from sftgui.core import predict, versions

        vid, ws = self.version.currentData(), self.ctx.ws
        pix = QPixmap(path)
        self.picture_path = Path(path)
        self.picture.setPixmap(pix.scaled(160, 160, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation) if not pix.isNull() else pix)
        if vid is None:
            self.answer.setText("Train a version first; then it can look at pictures here.")
            return
        self.answer.setText("Looking…")
        self.ctx.jobs.start("predict", lambda state: predict.predict_texts(ws, versions.get_version(ws, vid), [path])[0],
                            on_done=self.show_result, on_failed=self._failed)

    def predict(self) -> None:
        from sftgui.core import predict, versions

        if self._pictures():
            if self.picture_path is not None:
                self.try_picture(str(self.picture_path))
            return

        text, vid, ws = self.text.toPlainText().strip(), self.version.currentData(), self.ctx.ws
        if not text or vid is None:
            return
        self.answer.setText("Thinking…")
        self.ctx.jobs.start("predict", lambda state: predict.predict_texts(ws, versions.get_version(ws, vid), [text])[0],
                            on_done=self.show_result, on_failed=self._failed)

    def explain(self) -> None:
        from sftgui.core import explain, versions

        text, vid, ws = self.text.toPlainText().strip(), self.version.currentData(), self.ctx.ws
        if self._pictures():  # the picture's saliency map (widgets/saliency.py draws it)
            text = str(self.picture_path) if self.picture_path is not None else ""
        if not text or vid is None:
            return
        self.why.setEnabled(False)
        self.why_text.setText("Weighing each part of the picture…" if self._pictures() else "Weighing each word…")
        self.ctx.jobs.start("explain", lambda state: explain.explain_input(ws, versions.get_version(ws, vid), text),
                            on_done=self.show_explanation, on_failed=self._explain_failed)

    def show_explanation(self, result: dict) -> None:
        from sftgui.qt.widgets.highlights import highlight_html, top_words_sentence

        self.explanation = result
        self.why.setEnabled(True)
        if result.get("saliency") is not None:
            from pathlib import Path

            from sftgui.qt.widgets.saliency import saliency_html

            self.why_text.setText(saliency_html(Path(self.ctx.ws.cache) / "playground", result))
            return
        self.why_text.setText(f"{highlight_html(result)}<br><small>{top_words_sentence(result)} Green pushed toward "
                              f"'{result['predicted']}', red away from it.</small>")

    def _explain_failed(self, exc, details) -> None:
        self.why.setEnabled(True)
        self.why_text.setText("")
        dialogs.show_exception(self, exc, doing="explaining the answer", log_dir=self.ctx.log_dir)

    def _failed(self, exc, details) -> None:
        self.answer.setText("")
        dialogs.show_exception(self, exc, doing="predicting", log_dir=self.ctx.log_dir)

    def show_result(self, result: dict) -> None:
        from sftgui.core import versions
        from sftgui.core.tasks import task_of

        self.last = result
        vid = self.version.currentData()
        self.why.setEnabled(vid is not None and task_of(versions.get_version(self.ctx.ws, vid)).explanation is not None)
        self.why_text.setText("")
        self.answer.setText(f"<b>{result['label']}</b> ({result['scores'][result['label']]:.0%} sure)")
        from sftgui.core.predict import runs_on

        where = runs_on()
        self.runs_on.setText(f"<small>{where[:1].upper()}{where[1:]}</small>")
        while self.bars.rowCount():
            self.bars.removeRow(0)
        for label, p in sorted(result["scores"].items(), key=lambda kv: -kv[1]):
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int(p * 1000))
            bar.setFormat(f"{p:.1%}")
            self.bars.addRow(label, bar)
        self.stateChanged.emit()
