"""The main window: a step sidebar (with each step's state), the page stack, a project switcher."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from sftgui.errors import UserError
from sftgui.qt import dialogs
from sftgui.qt.accessibility import name_controls
from sftgui.qt.context import AppContext
from sftgui.qt.icons import icon, step_icon

# (key, module in sftgui.qt.pages, class, title). A page's module is imported when the page is
# first needed: the window paints before pyqtgraph and numpy load, and the other pages are built
# one per event-loop turn right after the first paint.
STEPS = (
    ("welcome", "welcome", "WelcomePage", "Start"),
    ("model", "model", "ModelPage", "Model"),
    ("data", "data", "DataPage", "Data"),
    ("label", "label", "LabelPage", "Label"),
    ("train", "train", "TrainPage", "Train"),
    ("versions", "versions", "VersionsPage", "Versions"),
    ("compare", "compare", "ComparePage", "Compare"),
    ("export", "export", "ExportPage", "Export"),
    ("try", "playground", "TryPage", "Try it"),
    ("history", "history", "HistoryPage", "History"),
)
KEYS = [step[0] for step in STEPS]
_BADGE_ROLE = Qt.ItemDataRole.UserRole + 1  # which badge a sidebar item's icon has now


class _AfterFirstPaint(QObject):
    """Holds work (opening the workspace, building pages) until the window's first paint, so the
    person sees the window as early as a bare one would appear."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.painted = False
        self.callbacks: list = []
        window.installEventFilter(self)

    def add(self, callback) -> None:
        if self.painted:
            QTimer.singleShot(0, self, callback)  # dropped if the window is gone
        else:
            self.callbacks.append(callback)

    def eventFilter(self, obj, event) -> bool:
        if not self.painted and event.type() == QEvent.Type.Paint:
            self.painted = True
            obj.removeEventFilter(self)
            for callback in self.callbacks:
                QTimer.singleShot(0, self, callback)
            self.callbacks.clear()
        return False


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext | None = None, settings: QSettings | None = None):
        super().__init__()
        self.ctx = ctx or AppContext(self)
        self.settings = settings or QSettings()
        self.setWindowTitle("sftgui")
        self.setMinimumSize(QSize(760, 520))

        self.pages: list = [None] * len(STEPS)  # built on first use (see STEPS)
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("stepSidebar")
        self.sidebar.setAccessibleName("Steps")
        self.sidebar.setIconSize(QSize(22, 22))
        self.stack = QStackedWidget()
        for i, (key, _module, _cls, title) in enumerate(STEPS):
            item = QListWidgetItem(step_icon(key), ("" if i == 0 else f"{i}. ") + title)
            item.setSizeHint(QSize(160, 34))
            self.sidebar.addItem(item)
            self.stack.addWidget(QWidget())  # placeholder until the page is built
        self.sidebar.setFixedWidth(self.sidebar.sizeHintForColumn(0) + 40)
        self.sidebar.currentRowChanged.connect(self._show_row)

        splitter = QSplitter()
        splitter.addWidget(self.sidebar)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([self.sidebar.width(), 10_000])  # the pages get all the room the sidebar does not need
        self.setCentralWidget(splitter)

        self._build_toolbar()
        self._build_menus()
        name_controls(self.findChild(QToolBar, "projectToolbar"))
        self.workspace_label = QLabel()
        self.statusBar().addPermanentWidget(self.workspace_label)

        self._build_page(0)
        self.ctx.workspaceChanged.connect(self._workspace_changed)
        self.ctx.projectChanged.connect(self._project_changed)
        for signal in (self.ctx.dataChanged, self.ctx.versionsChanged, self.ctx.modelChanged):
            signal.connect(self.update_states)
        self.ctx.showStep.connect(self.show_step)

        self._restore_geometry()
        self.sidebar.setCurrentRow(0)
        self.update_states()
        self._first_paint = _AfterFirstPaint(self)
        self.after_first_paint(self._build_next_page)

    def after_first_paint(self, callback) -> None:
        """Run `callback` once the window has painted (at once if it already has)."""
        self._first_paint.add(callback)

    def _build_page(self, index: int):
        """Import and build one page (once), putting it in its placeholder's place."""
        if self.pages[index] is not None:
            return self.pages[index]
        import importlib

        key, module, cls_name, _title = STEPS[index]
        page = getattr(importlib.import_module(f"sftgui.qt.pages.{module}"), cls_name)(self.ctx)
        self.pages[index] = page
        placeholder = self.stack.widget(index)
        current = self.stack.currentIndex()
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        self.stack.setCurrentIndex(current)
        if index:
            page.set_next_label(STEPS[index + 1][3] if index + 1 < len(STEPS) else None)
        page.nextRequested.connect(self.next_step)
        page.stateChanged.connect(self.update_states)
        if key == "welcome":
            page.sampleRequested.connect(self.create_text_sample)
            page.sampleTaskRequested.connect(self.create_sample_project)
            page.newProjectRequested.connect(self.new_project)
            page.openWorkspaceRequested.connect(self.choose_workspace)
        if self.ctx.ws is not None and index == current:
            self._refresh(page)
        name_controls(page)
        return page

    def _build_next_page(self) -> None:
        """Build the pages not built yet, one per event-loop turn, so the window stays live."""
        missing = [i for i, p in enumerate(self.pages) if p is None]
        if not missing:
            return
        self._build_page(missing[0])
        self.update_states()
        if len(missing) > 1:
            QTimer.singleShot(0, self, self._build_next_page)  # not after the window is deleted

    # -- building ------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("Project")
        bar.setObjectName("projectToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        label = QLabel(" Project: ")
        bar.addWidget(label)
        self.project_combo = QComboBox()
        self.project_combo.setObjectName("projectCombo")
        self.project_combo.setAccessibleName("Project")
        self.project_combo.setMinimumContentsLength(24)
        self.project_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        label.setBuddy(self.project_combo)
        self.project_combo.activated.connect(self._project_chosen)
        bar.addWidget(self.project_combo)
        self.new_project_action = QAction(icon("actions/new-project"), "New project…", self)
        self.new_project_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_project_action.triggered.connect(self.new_project)
        bar.addAction(self.new_project_action)
        self.addToolBar(bar)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = file_menu.addAction(icon("actions/open-workspace"), "&Open workspace…", self.choose_workspace)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        file_menu.addAction(self.new_project_action)
        file_menu.addSeparator()
        quit_action = file_menu.addAction(icon("actions/quit"), "&Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        go = self.menuBar().addMenu("&Go")
        nxt = go.addAction(icon("actions/next"), "&Next step", self.next_step)
        nxt.setShortcut(QKeySequence("Ctrl+PgDown"))
        prev = go.addAction(icon("actions/previous"), "&Previous step", self.previous_step)
        prev.setShortcut(QKeySequence("Ctrl+PgUp"))
        go.addSeparator()
        for i, step in enumerate(STEPS[1:], start=1):
            action = go.addAction(step[3], lambda row=i: self.sidebar.setCurrentRow(row))
            action.setShortcut(QKeySequence(f"Ctrl+{i}"))

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(icon("actions/about"), "&About sftgui", self.show_about)

    # -- navigation ----------------------------------------------------------------------------
    def page(self, key: str):
        return self._build_page(KEYS.index(key))

    def show_step(self, key: str) -> None:
        self.sidebar.setCurrentRow(KEYS.index(key))

    def next_step(self) -> None:
        self.sidebar.setCurrentRow(min(self.sidebar.currentRow() + 1, len(self.pages) - 1))

    def previous_step(self) -> None:
        self.sidebar.setCurrentRow(max(self.sidebar.currentRow() - 1, 0))

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        page = self._build_page(row)
        self.stack.setCurrentIndex(row)
        self._refresh(page)

    def _refresh(self, page) -> None:
        try:
            page.refresh()
        except UserError as exc:
            dialogs.show_error(self, str(exc))
        page.stateChanged.emit()
        name_controls(page)  # what the refresh added (a row of buttons, a list) is named too

    def update_states(self) -> None:
        """The sidebar's tick / warning per step (a badge on the step's icon), with the reason in the tooltip."""
        for i, page in enumerate(self.pages):
            if page is None:
                continue
            item = self.sidebar.item(i)
            try:
                st = page.state()
            except UserError:
                continue
            badge = "attention" if st.attention else "done" if st.done else None
            if item.data(_BADGE_ROLE) != badge:  # redraw the icon only when the state changed
                item.setIcon(step_icon(KEYS[i], badge))
                item.setData(_BADGE_ROLE, badge)
            if st.attention:
                item.setToolTip(st.attention)
            else:
                item.setToolTip((st.summary or "Done") if st.done else st.summary)

    # -- workspace and projects ----------------------------------------------------------------
    def open_workspace_at(self, path: Path) -> bool:
        """Open a workspace; a locked or damaged one is a dialog with the plain sentence."""
        try:
            self.ctx.open_workspace(Path(path))
        except UserError as exc:
            self.workspace_label.setText("No workspace open")
            dialogs.show_error(self, f"{exc} Use File > Open workspace to choose another folder.")
            self.update_states()
            return False
        return True

    def choose_workspace(self) -> None:
        if self.ctx.jobs.is_running():
            dialogs.show_error(self, "Wait for the running task to finish (or stop it) before opening another workspace.")
            return
        folder = dialogs.pick_folder(self, "Open workspace", self.ctx.workspace_path or Path.home())
        if folder:
            self.open_workspace_at(Path(folder))

    def _workspace_changed(self) -> None:
        self.workspace_label.setText(f"Workspace: {self.ctx.workspace_path}")
        self._fill_projects()

    def _fill_projects(self) -> None:
        self.project_combo.blockSignals(True)
        self.project_combo.clear()
        for project in self.ctx.projects():
            self.project_combo.addItem(project.name, project.id)
        if self.ctx.project is not None:
            self.project_combo.setCurrentIndex(self.project_combo.findData(self.ctx.project.id))
        self.project_combo.blockSignals(False)

    def _project_chosen(self, index: int) -> None:
        pid = self.project_combo.itemData(index)
        if self.ctx.project is not None and self.ctx.project.id == pid:
            return
        if self.ctx.jobs.is_running("train"):
            dialogs.show_error(self, "Training is running; stop it before switching projects.")
            self._fill_projects()
            return
        self.ctx.set_project(next(p for p in self.ctx.projects() if p.id == pid))

    def _project_changed(self, project) -> None:
        self._fill_projects()
        self.setWindowTitle(f"{project.name} — sftgui" if project else "sftgui")
        self._refresh(self._build_page(self.stack.currentIndex()))
        self.update_states()

    def new_project(self) -> None:
        from sftgui.qt.new_project import NewProjectDialog

        if self.ctx.ws is None:
            dialogs.show_error(self, "Open a workspace first (File > Open workspace).")
            return
        dialog = NewProjectDialog(self.ctx, self)
        dialog.created.connect(self._project_created)
        dialog.open()

    def _project_created(self, project) -> None:
        self.ctx.set_project(project)
        self.show_step("model")

    def create_text_sample(self) -> None:
        from sftgui.qt.sample import TEXT_TASK

        self.create_sample_project(TEXT_TASK)

    def create_sample_project(self, task: str) -> None:
        from sftgui.qt.sample import start_sample_project

        start_sample_project(self.ctx, self, task)

    # -- about, geometry, closing ---------------------------------------------------------------
    def show_about(self) -> None:
        from sftgui.qt.about import show_about

        show_about(self, self.ctx.workspace_path)

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1200, 760)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.ctx.jobs.is_running("train") and not dialogs.ask(
            self, "Training is running", "The model is still learning. Stop training and close sftgui?",
            yes="Stop and close", no="Keep training",
        ):
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop every worker cleanly (no 'QThread destroyed while running') and close the workspace."""
        self.ctx.jobs.shutdown()
        self.ctx.close_workspace()
