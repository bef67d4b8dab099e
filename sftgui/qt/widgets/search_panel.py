""""Find the best settings": a hyperparameter search (core/search.py) run from the Train page.

A window of its own: how many trials and how long, Start / Stop / Resume, and a live view of the
trials as they finish (a table, the validation score against the trial and against the learning
rate, the best so far, the time left). The search runs in the job runner's "search" slot; its
events arrive here in the GUI thread. The table is re-read from the run history after each trial
(`search.trial_rows`), so a search reopened after a restart shows the same rows. The search's own
storage (Optuna's study) lives in the workspace, so Resume works across restarts of the app.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from sftgui.core import events as ev
from sftgui.errors import UserError
from sftgui.qt import dialogs

SLOT = "search"
# the words a person reads for a trial run's state, and its colour in the plots
STATES = {"completed": ("finished", "#4c78a8"), "pruned": ("stopped early: behind the others", "#bbbbbb"),
          "cancelled": ("paused: Resume continues it", "#f58518"), "interrupted": ("paused: Resume continues it",
                                                                                  "#f58518"),
          "failed": ("failed", "#e45756"), "running": ("running", "#f58518")}
NAMES = {"learning_rate": "Learning rate", "epochs": "Epochs", "batch_size": "Batch size", "warmup": "Warm-up",
         "weight_decay": "Weight decay", "freeze": "Frozen layers", "lora_r": "LoRA rank"}
METRIC_NAMES = {"macro_f1": "F1", "accuracy": "accuracy", "eval_loss": "loss"}


def search_task(ws, config, *, search_id: int | None, trials: int, budget_min: float | None, fixed: tuple):
    """The worker's function: start a new search (or take `search_id`) and run it to its end."""

    def task(state):
        from sftgui.core import search
        from sftgui.qt.heavy import load_heavy

        state.emit(ev.Preparing(run_id=0, message="Loading the training libraries"))
        load_heavy()
        sid = search_id
        if sid is None:
            sid = search.start_search(ws, config, trials=trials, time_budget_min=budget_min, fixed=fixed).id
            state.emit(SearchOpened(sid))
        return search.run_search(ws, sid, state.emit, state.cancel, trials=trials)

    return task


class SearchOpened:
    """The worker created search `search_id` (so Stop/Resume know which one)."""

    def __init__(self, search_id: int):
        self.search_id = search_id


def _short(v) -> str:
    return f"{v:.2g}" if isinstance(v, float) and v and abs(v) < 0.01 else f"{v:.3g}" if isinstance(v, float) else str(v)


class SearchPanel(QDialog):
    def __init__(self, ctx, config_factory, parent=None):
        """`config_factory()` gives the Train page's settings as a TrainConfig (what a trial does
        not vary); it may raise UserError with a sentence."""
        super().__init__(parent)
        self.setObjectName("searchPanel")
        self.setWindowTitle("Find the best settings")
        self.ctx, self.config_factory = ctx, config_factory
        self.project = ctx.project  # the panel belongs to this project's searches
        self.job = None
        self.search_id: int | None = None
        self.search_status: str | None = None
        self.result = None  # SearchResult of the last search that ended
        self.metric_key = "macro_f1"

        intro = QLabel("Train several times with different settings and keep the best. Each try is judged on "
                       "the held-out validation examples only; the test examples are scored once, for the "
                       "winner, which becomes a new version.")
        intro.setWordWrap(True)
        form = QFormLayout()
        self.trials = QSpinBox()
        self.trials.setObjectName("searchTrials")
        self.trials.setRange(1, 200)
        self.trials.setValue(6)
        self.trials.setToolTip("How many trainings to try. Each takes about as long as one training.")
        self.budget = QSpinBox()
        self.budget.setObjectName("searchBudget")
        self.budget.setRange(0, 24 * 60)
        self.budget.setSuffix(" min")
        self.budget.setSpecialValueText("No limit")
        self.budget.setToolTip("Start no new try after this many minutes; the one running finishes.")
        self.vary_epochs = QCheckBox("Also try different numbers of epochs (slower)")
        self.vary_epochs.setObjectName("searchVaryEpochs")
        self.vary_epochs.setToolTip("Off: every try reads the data as many times as the Train page says, and "
                                    "the search varies learning rate, batch size, warm-up, weight decay and "
                                    "frozen layers. The text length always stays as set there.")
        for w in (self.trials, self.budget):
            w.setMaximumWidth(140)
        form.addRow("&Tries:", self.trials)
        form.addRow("Time &budget:", self.budget)
        form.addRow("", self.vary_epochs)

        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("searchStart")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("searchStop")
        self.stop_button.setToolTip("Stop after the current step; the try in progress keeps a checkpoint.")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("searchResume")
        self.resume_button.setToolTip("Continue the stopped search: its paused try, then the remaining ones.")
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.resume_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)

        self.progress = QProgressBar()
        self.progress.setObjectName("searchProgress")
        self.status = QLabel("Ready.")
        self.status.setObjectName("searchStatus")
        self.status.setWordWrap(True)
        self.best = QLabel("")
        self.best.setObjectName("searchBest")
        self.best.setWordWrap(True)
        self.time_left = QLabel("")
        self.time_left.setObjectName("searchTimeLeft")
        self.outcome = QLabel("")
        self.outcome.setObjectName("searchOutcome")
        self.outcome.setWordWrap(True)
        self.outcome.setStyleSheet("font-weight: bold;")

        self.table = QTableWidget(0, 0)
        self.table.setObjectName("searchTrialsTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)

        pg.setConfigOptions(antialias=True)
        self.by_trial = pg.PlotWidget()
        self.by_trial.setObjectName("searchPlotTrial")
        self.by_lr = pg.PlotWidget()
        self.by_lr.setObjectName("searchPlotLr")
        for plot, x in ((self.by_trial, "Try"), (self.by_lr, "Learning rate")):
            plot.setBackground(None)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("bottom", x)
            plot.setLabel("left", "Validation F1")
            plot.setMinimumHeight(180)
            for side in ("left", "bottom"):  # plain numbers, no "x0.001" on the axis
                plot.getAxis(side).enableAutoSIPrefix(False)
        self.by_lr.setLogMode(x=True, y=False)
        plots = QHBoxLayout()
        plots.addWidget(self.by_trial)
        plots.addWidget(self.by_lr)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        info = QHBoxLayout()
        info.addWidget(self.best, 1)
        info.addWidget(self.time_left)
        layout.addLayout(info)
        layout.addWidget(self.outcome)
        layout.addWidget(self.table, 1)
        layout.addLayout(plots, 1)
        self.resize(1000, 720)
        self.ctx.jobs.busyChanged.connect(self._update_buttons)
        self._open_stopped_search()
        self._update_buttons()

    # -- which search ------------------------------------------------------------------------------
    def _open_stopped_search(self) -> None:
        """A search of this project left stopped (even by an earlier session) is the one Resume continues."""
        from sftgui.core import search

        if self.ctx.project is None:
            return
        stopped = [s for s in search.list_searches(self.ctx.ws, self.ctx.project.name)
                   if s["status"] in ("stopped", "running")]
        if stopped:
            s = stopped[-1]
            self.search_id, self.search_status = s["id"], "stopped"
            self.metric_key = s["metric"] or self.metric_key
            self.trials.setValue(int(s["trials_wanted"] or self.trials.value()))
            self.status.setText(f"Search {s['id']} was stopped after {len(s['trials'])} tries; Resume continues it.")
            self.refresh_trials()

    def _update_buttons(self) -> None:
        running = self.ctx.jobs.is_running(SLOT)
        training = self.ctx.jobs.is_running("train")
        self.start_button.setEnabled(not running and not training and self.ctx.project is not None)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(not running and not training and self.search_id is not None
                                      and self.search_status == "stopped")
        for w in (self.trials, self.budget, self.vary_epochs):
            w.setEnabled(not running)

    # -- actions -----------------------------------------------------------------------------------
    def start(self) -> None:
        if self.ctx.project is None:
            return
        try:
            config = self.config_factory()
        except UserError as exc:
            dialogs.show_error(self, str(exc))
            return
        fixed = ("max_length",) if self.vary_epochs.isChecked() else ("epochs", "max_length")
        self.search_id = self.search_status = self.result = None
        self.outcome.setText("")
        self.best.setText("")
        self.table.setRowCount(0)
        self._launch(search_task(self.ctx.ws, config, search_id=None, trials=self.trials.value(),
                                 budget_min=self.budget.value() or None, fixed=fixed))

    def stop(self) -> None:
        if self.job is not None:
            self.job.stop()
            self._say("Stopping after this step; the try in progress keeps a checkpoint…")

    def resume(self) -> None:
        if self.search_id is None:
            return
        self.outcome.setText("")
        self._launch(search_task(self.ctx.ws, None, search_id=self.search_id, trials=self.trials.value(),
                                 budget_min=None, fixed=()))

    def _launch(self, task) -> None:
        self.progress.setRange(0, 0)
        self._say("Preparing…")
        self.job = self.ctx.jobs.start(SLOT, task, on_event=self.on_event, on_done=self._done,
                                       on_failed=self._failed)
        self.search_status = "running"
        self._update_buttons()

    # -- events (GUI thread) -----------------------------------------------------------------------
    def on_event(self, e) -> None:
        if isinstance(e, SearchOpened):
            self.search_id = e.search_id
        elif isinstance(e, ev.Preparing):
            self._say(f"Preparing: {e.message}…")
        elif isinstance(e, ev.Started):
            self.progress.setRange(0, max(1, e.total_steps))
            self.progress.setValue(e.resumed_from_step)
            self._say(f"Try {self.table.rowCount() + 1} is training.")
        elif isinstance(e, ev.StepLogged):
            self.progress.setValue(e.step)
        elif isinstance(e, ev.TrialFinished):
            self.metric_key = e.metric
            self.refresh_trials()
            if e.best_value is not None:
                self.best.setText(f"Best so far: try {_try_no(e.best_trial)}, validation {self._metric()} "
                                  f"{e.best_value:.3f}.")
            self.time_left.setText(f"Time left: about {_duration(e.eta_s)}" if e.eta_s else "")
            self._say(f"{e.finished} of {e.total} tries done.")
        elif isinstance(e, ev.SearchFinished):
            self.search_status = e.status
            self.refresh_trials()
            self.time_left.setText("")
            if e.status == "completed":
                self.outcome.setText(f"The best settings became version {e.version}: validation {self._metric()} "
                                     f"{e.best_value:.3f}. It is on the Versions page, scored once on the test "
                                     "examples.")
                self.ctx.versionsChanged.emit()
            elif e.status == "stopped":
                self.outcome.setText("Stopped. Resume continues the paused try, then the remaining ones.")
            else:
                self.outcome.setText("No try finished, so there is no best setting to keep.")
            self._say(f"The search ended after {e.trials} tr{'ies' if e.trials != 1 else 'y'}.")

    def _done(self, result) -> None:
        self.job = None
        self.result = result
        self.search_status = result.status
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if result.status == "completed" else 0)
        self._update_buttons()

    def _failed(self, exc, details: str) -> None:
        self.job = None
        self.search_status = "stopped" if self.search_id is not None else None
        self.progress.setRange(0, 1)
        self._say("The search did not finish.")
        self._update_buttons()
        if isinstance(exc, UserError):
            dialogs.show_error(self, str(exc))
        else:
            dialogs.show_exception(self, exc, doing="searching for the best settings", log_dir=self.ctx.log_dir)

    # -- the table and the plots ---------------------------------------------------------------------
    def refresh_trials(self) -> None:
        from sftgui.core import search

        if self.search_id is None:
            return
        rows = sorted(search.trial_rows(self.ctx.ws, self.search_id), key=lambda r: (r["trial"] is None, r["trial"]))
        names = list(dict.fromkeys(k for r in rows for k in r["params"]))
        headers = ["Try", *(NAMES.get(n, n) for n in names), f"Validation {self._metric()}", "State"]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = [_try_no(r["trial"]), *(_short(r["params"].get(n)) for n in names),
                     "-" if r["value"] is None else f"{r['value']:.3f}",
                     STATES.get(r["status"], (r["status"], None))[0] + (" (best)" if r["best"] else "")]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if r["best"]:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(i, c, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self._plot(rows)

    def _plot(self, rows) -> None:
        for plot, x_of in ((self.by_trial, lambda r: None if r["trial"] is None else r["trial"] + 1), (self.by_lr, lambda r: r["params"].get("learning_rate"))):
            plot.clear()
            plot.setLabel("left", f"Validation {self._metric()}")
            if self.metric_key in ("macro_f1", "accuracy"):  # scores between 0 and 1
                plot.setYRange(0, 1, padding=0.05)
            else:
                plot.enableAutoRange(axis="y")
            if plot is self.by_trial:
                plot.getAxis("bottom").setTicks([[(r["trial"] + 1, _try_no(r["trial"])) for r in rows
                                                  if r["trial"] is not None]])
            for status, (_words, colour) in STATES.items():
                pts = [(x_of(r), r["value"]) for r in rows if r["status"] == status
                       and r["value"] is not None and x_of(r) is not None]
                if pts:
                    plot.plot([p[0] for p in pts], [p[1] for p in pts], pen=None, symbol="o", symbolSize=10,
                              symbolBrush=colour, symbolPen=None)
            best = [(x_of(r), r["value"]) for r in rows if r["best"] and r["value"] is not None and x_of(r) is not None]
            if best:
                plot.plot([best[0][0]], [best[0][1]], pen=None, symbol="star", symbolSize=18, symbolBrush="#54a24b",
                          symbolPen=None)

    def _metric(self) -> str:
        return METRIC_NAMES.get(self.metric_key, self.metric_key)

    def _say(self, text: str) -> None:
        self.status.setText(text)


def _try_no(number: int | None) -> str:
    """Tries are counted from 1 on screen (Optuna counts its trials from 0)."""
    return "-" if number is None else str(number + 1)


def _duration(seconds: float | None) -> str:
    from sftgui.qt.pages.train import duration

    return duration(seconds)
