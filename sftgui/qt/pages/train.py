"""The Train step: settings, Start/Pause/Stop/Resume, live curves, progress, the log.

Training runs in a worker thread (`ctx.jobs`, slot "train"); the engine's events arrive here as
signals in the GUI thread, and only here are the plots and labels touched.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from sftgui.core import events as ev
from sftgui.errors import UserError
from sftgui.qt import dialogs
from sftgui.qt.heavy import load_heavy
from sftgui.qt.pages.base import Page, StepState
from sftgui.qt.plain import model_name
from sftgui.qt.widgets.details import Details
from sftgui.qt.widgets.live_answers import LiveAnswers
from sftgui.qt.widgets.loss_plot import LossPlot
from sftgui.qt.widgets.train_estimate import TrainEstimate
from sftgui.qt.widgets.train_settings import TrainSettings

SLOT = "train"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def training_task(ws, config, resume_run: int | None = None):
    """The worker's function: import the heavy libraries (saying so), then run or resume the engine."""

    def task(state):
        state.emit(ev.Preparing(run_id=resume_run or 0, message="Loading the training libraries"))
        load_heavy()  # and gc.freeze(): keeps the window responsive when the Trainer starts
        from sftgui.core.training import engine

        if resume_run is not None:
            return engine.resume(resume_run, state.emit, state.cancel, ws=ws)
        return engine.run(config, state.emit, state.cancel, ws=ws)

    return task


class TrainPage(Page):
    key = "train"
    title = "Train"
    blurb = "Teach the model your labels. Pick how thorough it should be, then press Start."
    scrollable = False

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.job = None
        self.last_run: int | None = None  # a stopped run that Resume continues
        self.last_version: str | None = None
        self.total_steps = 0

        settings_scroll = QScrollArea()
        settings_scroll.setWidgetResizable(True)
        # The settings wrap to the column's width: never a sideways scroll bar (1280x800, 200%).
        settings_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        settings_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.settings = TrainSettings()
        settings_scroll.setWidget(self.settings)
        settings_scroll.setMinimumWidth(340)
        settings_scroll.setMaximumWidth(420)
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.model_label)
        left_layout.addWidget(settings_scroll, 1)

        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startButton")
        self.start_button.setDefault(True)
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume")
        self.start_button.setToolTip("Start training with these settings on the current data.")
        self.pause_button.setToolTip("Hold training after the current step; Resume continues.")
        self.stop_button.setToolTip("Stop after the current step and keep a checkpoint; Resume continues later.")
        self.resume_button.setToolTip("Continue a paused or stopped training from where it was.")
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.stop_button, self.resume_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.search_button = QPushButton("Find the best settings…")  # opens widgets/search_panel.py
        self.search_button.setObjectName("searchButton")
        self.search_button.setToolTip("Try several settings, judged on held-out examples, and keep the best as a version.")
        self.search_button.clicked.connect(self.open_search)
        self.search_panel = None
        buttons.addWidget(self.search_button)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.pause)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)

        self.estimate = TrainEstimate()
        self.settings.preset.currentIndexChanged.connect(lambda _=None: self._update_estimate())
        self.progress = QProgressBar()
        self.progress.setObjectName("trainProgress")
        self.progress.setFormat("%p%")
        self.status = QLabel("Ready.")
        self.status.setObjectName("trainStatus")
        self.status.setWordWrap(True)
        info = QGridLayout()
        self.eta_label, self.speed_label, self.memory_label, self.device_label = (QLabel() for _ in range(4))
        self.fast_label = QLabel()
        self.fast_label.setObjectName("fastPaths")
        self.fast_label.setWordWrap(True)
        info.addWidget(self.eta_label, 0, 0)
        info.addWidget(self.speed_label, 0, 1)
        # The technical side (device, precision, memory, the fast paths, steps) folds away.
        self.details = Details("Details")
        self.details.setObjectName("trainDetails")
        self.details.label.setToolTip("How this training runs: the device and number precision, the memory it "
                                      "uses, the speed-ups that are on, and how many learning steps it takes.")
        for label in (self.device_label, self.memory_label, self.fast_label):
            label.setWordWrap(True)
            self.details.add_widget(label)
        info.addWidget(self.details, 1, 0, 1, 2)

        self.plot = LossPlot()
        self.log = QPlainTextEdit()
        self.log.setObjectName("trainLog")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        self.log.setPlaceholderText("What the training does appears here.")

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.estimate)
        top_layout.addWidget(self.progress)
        top_layout.addWidget(self.status)
        top_layout.addLayout(info)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(top)
        right.addWidget(self.plot)
        self.live = LiveAnswers()  # a language model's answers after each validation pass
        right.addWidget(self.live)
        right.addWidget(self.log)
        right.setStretchFactor(1, 3)
        right.setStretchFactor(2, 1)
        right.setStretchFactor(3, 1)
        right.setChildrenCollapsible(False)
        row = QHBoxLayout()
        row.addWidget(left)
        row.addWidget(right, 1)
        self.body.addLayout(row)
        self.ctx.jobs.busyChanged.connect(self._update_buttons)
        self._update_buttons()

    # -- state ---------------------------------------------------------------------------------
    def state(self) -> StepState:
        if self.ctx.jobs.is_running(SLOT):
            return StepState(summary=self.status.text())
        if self.last_version:
            return StepState(done=True, summary=f"Trained {self.last_version}.")
        return StepState(summary=self.status.text() if self.last_run else "")

    def refresh(self) -> None:
        self.settings.refresh_devices()
        if self.ctx.project is None:
            self.model_label.setText("Open or create a project first.")
        else:
            self.settings.set_task(self.ctx.project.task, ws=self.ctx.ws, project=self.ctx.project)
            what = "Continues training" if self.ctx.continue_from else "Learns from"
            ref = self.ctx.model_ref()
            self.model_label.setText(f"<b>{what}:</b> {model_name(ref)}")
            self.model_label.setToolTip(f"Model: {ref}")
        self._update_buttons()
        self._update_estimate()

    def _update_estimate(self) -> None:
        config = None
        if self.ctx.project is not None:
            try:
                config = self.settings.config(project=self.ctx.project.name, model=self.ctx.model_ref())
            except UserError:
                config = None
        self.estimate.show_for(self.ctx.ws, self.ctx.project, config)

    def _update_buttons(self) -> None:
        running = self.ctx.jobs.is_running(SLOT)
        paused = bool(self.job and self.job.cancel.is_paused)
        self.start_button.setEnabled(not running and self.ctx.project is not None
                                     and not self.ctx.jobs.is_running("search"))
        self.pause_button.setEnabled(running and not paused)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled((running and paused) or (not running and self.last_run is not None))
        self.settings.setEnabled(not running)

    # -- actions -------------------------------------------------------------------------------
    def start(self) -> None:
        if self.needs_project():
            return
        try:
            config = self.settings.config(project=self.ctx.project.name, model=self.ctx.model_ref())
        except UserError as exc:
            dialogs.show_error(self, str(exc))
            return
        self.plot.clear()
        self.live.clear()
        self.log.clear()
        self.last_run = self.last_version = None
        for label in (self.speed_label, self.device_label, self.memory_label, self.fast_label):
            label.clear()  # nothing of the last run's figures stays on screen
        self.details.set_lines([])
        self._launch(training_task(self.ctx.ws, config))

    def open_search(self) -> None:
        from sftgui.qt.widgets.search_panel import SearchPanel

        if self.needs_project():
            return
        if self.search_panel is None or self.search_panel.project is not self.ctx.project:
            self.search_panel = SearchPanel(self.ctx, lambda: self.settings.config(
                project=self.ctx.project.name, model=self.ctx.model_ref()), self)
        self.search_panel.show()
        self.search_panel.raise_()

    def resume(self) -> None:
        if self.job is not None and self.job.cancel.is_paused:
            self.job.cancel.resume()
            self._say("Resuming…")
        elif self.last_run is not None:
            self._launch(training_task(self.ctx.ws, None, resume_run=self.last_run))
        self._update_buttons()

    def pause(self) -> None:
        if self.job is not None:
            self.job.cancel.pause()
            self._say("Pausing after this step…")
            self._update_buttons()

    def stop(self) -> None:
        if self.job is not None:
            self.job.stop()  # graceful: the engine saves a checkpoint and reports Cancelled
            self._say("Stopping after this step…")

    def _launch(self, task) -> None:
        # a new job starts from nothing: no "Time left: 0 s" or speed left over from the last one
        for label in (self.eta_label, self.speed_label, self.memory_label, self.device_label, self.fast_label):
            label.clear()
        self.progress.setRange(0, 0)
        self._say("Preparing…")
        self.job = self.ctx.jobs.start(SLOT, task, on_event=self.on_event, on_done=self._done,
                                       on_failed=self._failed)
        self._update_buttons()
        self.stateChanged.emit()

    # -- engine events (GUI thread) --------------------------------------------------------------
    def on_event(self, e) -> None:
        if isinstance(e, ev.Preparing):
            self._say(f"Preparing: {e.message}…")
        elif isinstance(e, ev.Started):
            self.total_steps = e.total_steps
            self.progress.setRange(0, max(1, e.total_steps))
            self.progress.setValue(e.resumed_from_step)
            self.device_label.setText(f"Device: {e.device} ({e.precision}). {e.total_steps} learning steps, "
                                      f"{e.batch_size} examples each.")
            self.fast_label.setText("<br>".join(e.fast_paths))
            self._say("The model is learning from your examples.")
            self._log(f"Learning from {e.train_rows:,} examples; {e.validation_rows:,} others are kept aside "
                      f"to check how well it does.")
        elif isinstance(e, ev.StepLogged):
            self.progress.setValue(e.step)
            self.plot.append("train_loss", e.step, e.loss)
            self.plot.append("learning_rate", e.step, e.learning_rate)
            self.eta_label.setText(f"Time left: {duration(e.eta_s)}")
            if e.samples_per_second:
                rate = e.samples_per_second
                self.speed_label.setText(f"Speed: {rate:.1f} examples a second" if rate < 10 else
                                         f"Speed: {rate:.0f} examples a second")
        elif isinstance(e, ev.Evaluated):
            m = e.metrics
            self.plot.append("eval_loss", e.step, e.loss)
            if "accuracy" in m and "macro_f1" in m:  # a classifier's two curves
                self.plot.append("eval_accuracy", e.step, m["accuracy"])
                self.plot.append("eval_f1", e.step, m["macro_f1"])
                said = f"{m['accuracy']:.0%} right on the examples kept aside"
            else:
                said = ", ".join(f"{k} {v:.4g}" for k, v in m.items())
            self._log(f"After {e.epoch:.1f} passes over the examples: {said}.")
            if "perplexity" in m:
                self.live.show_scores(e.loss, m)
        elif isinstance(e, ev.Answered):
            self.live.show_answers(e)
        elif isinstance(e, ev.ResourceUse):
            used = e.device_memory_used_bytes if e.device_memory_used_bytes is not None else e.process_ram_bytes
            total = f" of {e.device_memory_total_bytes / 2**30:.1f} GB" if e.device_memory_total_bytes else ""
            self.memory_label.setText(f"Memory: {used / 2**30:.2f} GB{total}")
        elif isinstance(e, ev.Paused):
            self._say("Paused. Press Resume to continue.")
            self._update_buttons()
        elif isinstance(e, ev.Resumed):
            self._say("The model is learning from your examples.")
            self._update_buttons()
        elif isinstance(e, ev.Retrying):
            self._log(f"{e.reason} Trying again with batches of {e.batch_size}.")
        elif isinstance(e, ev.CheckpointSaved):
            self._log("Progress saved: if training stops now, Resume continues from here.")
        elif isinstance(e, ev.Finished):
            self.progress.setValue(self.progress.maximum())
            self.last_version = e.version
            acc = e.metrics.get("accuracy")
            score = f" It sorts {acc:.0%} of the test examples it never saw correctly." if acc is not None else ""
            self._say(f"Done: {e.version} is ready.{score}")
            self._log(f"Finished in {duration(e.wall_s)}: {e.version}.")
            forgetting = e.metrics.get("forgetting") or {}
            for line in (forgetting.get("sentence"), forgetting.get("warning")):
                if line:
                    self._log(line[:1].upper() + line[1:] + ("" if line.endswith(".") else "."))
            self.ctx.continue_from = None
            self.ctx.versionsChanged.emit()
        elif isinstance(e, ev.Cancelled):
            self.last_run = e.run_id
            self._say(f"Stopped at step {e.step}. Resume continues from there.")
            self._log(e.message or f"Stopped at step {e.step}.")
        elif isinstance(e, ev.Failed):
            self.last_run = e.run_id
            self._say("Training failed.")
            dialogs.show_error(self, e.message, details=f"Log file: {e.log_path}" if e.log_path else None)

    def _done(self, result) -> None:
        self.job = None
        self._update_estimate()  # the run just finished is the newest measurement
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
        self._update_buttons()
        self.stateChanged.emit()

    def _failed(self, exc, details: str) -> None:
        self.job = None
        self.progress.setRange(0, 1)
        self._say("Training did not start.")
        self._update_buttons()
        dialogs.show_exception(self, exc, doing="training", log_dir=self.ctx.log_dir)
        self.stateChanged.emit()

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.stateChanged.emit()

    def _log(self, text: str) -> None:
        self.log.appendPlainText(text)
