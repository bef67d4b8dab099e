"""The app's shared state: the open workspace, the current project, the job runner.

Pages never talk to each other: they read this object and subscribe to its signals (napari's
"models emit events, views subscribe"), so a page can be built and tested on its own.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from sftgui.qt.workers import JobRunner


class AppContext(QObject):
    workspaceChanged = Signal()
    projectChanged = Signal(object)  # Project | None
    dataChanged = Signal()  # draft rows, labels or snapshots changed
    versionsChanged = Signal()  # a version was registered, moved, trashed, annotated
    modelChanged = Signal()  # the project's chosen base model changed
    showStep = Signal(str)  # ask the window to open a step ("train", "compare", ...)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.ws = None
        self.workspace_path: Path | None = None
        self.project = None
        self.jobs = JobRunner(self)
        # Set by pages for the next page: e.g. Versions -> Compare preselects these versions.
        self.compare_selection: list[int] = []
        self.chosen_model: str | None = None  # picked on the Model page (a folder, "bundled", a hub id)
        self.continue_from: str | None = None  # a version ref (P@vN) the next training starts from

    # -- workspace -----------------------------------------------------------------------------
    def open_workspace(self, path: Path) -> None:
        """Open `path` (raises UserError with the plain sentence when locked or damaged)."""
        from sftgui.store.db import open_workspace

        self.close_workspace()
        self.workspace_path = Path(path)
        self.ws = open_workspace(path)
        self.workspaceChanged.emit()
        projects = self.projects()
        self.set_project(projects[0] if projects else None)

    def close_workspace(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None
            self.set_project(None)

    @property
    def log_dir(self) -> Path | None:
        if self.ws is not None:
            return self.ws.logs
        return self.workspace_path / "logs" if self.workspace_path else None

    # -- projects ------------------------------------------------------------------------------
    def projects(self) -> list:
        if self.ws is None:
            return []
        from sftgui.core import projects

        return projects.list_projects(self.ws)

    def set_project(self, project) -> None:
        self.project = project
        self.chosen_model = self.continue_from = None
        self.compare_selection = []
        self.projectChanged.emit(project)

    def model_ref(self) -> str:
        """What the next training starts from: a version to continue, else the project's model."""
        if self.continue_from:
            return self.continue_from
        if self.chosen_model:
            return self.chosen_model
        return (self.project.base_model if self.project is not None else None) or "bundled"

    def reload_project(self) -> None:
        """Re-read the current project (its base model or settings changed)."""
        if self.project is not None and self.ws is not None:
            from sftgui.core import projects

            self.project = projects.get_project(self.ws, self.project.id)
