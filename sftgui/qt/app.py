"""Start the desktop app: show the window first, load the heavy libraries afterwards.

Nothing in `sftgui.qt` imports torch or transformers at module level; after the first paint a
background job imports them (the training page shows "Preparing" if the user is faster).
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from sftgui.qt import dialogs
from sftgui.qt.heavy import load_heavy
from sftgui.qt.icons import app_icon

def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("sftgui")
    app.setOrganizationName("sftgui")
    app.setApplicationDisplayName("sftgui")
    app.setDesktopFileName("sftgui")  # matches resources/sftgui.desktop (Wayland finds the icon by it)
    app.setWindowIcon(app_icon())
    from sftgui.qt.style import apply_style

    apply_style(app)
    return app


def install_excepthook(window) -> None:
    """An uncaught exception becomes a dialog with a plain sentence and a log file, not a crash."""

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        if exc is not None and exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        try:
            dialogs.show_exception(window, exc, log_dir=window.ctx.log_dir)
        except Exception:  # noqa: BLE001 - never let the hook itself crash the app
            traceback.print_exception(exc_type, exc, tb)

    sys.excepthook = hook


def warm_up(state) -> list[str]:
    """After the first paint: load the heavy libraries so the first training starts without a wait."""
    return load_heavy(lambda: state.is_cancelled)


def launch(workspace: Path):
    """Show the main window; the workspace opens (a dialog if locked/damaged) right after the
    first paint, then the heavy libraries warm up in a worker."""
    from sftgui.qt.main_window import MainWindow

    window = MainWindow()
    install_excepthook(window)
    window.show()
    window.after_first_paint(lambda: window.open_workspace_at(Path(workspace)))
    window.after_first_paint(lambda: QTimer.singleShot(300, lambda: window.ctx.jobs.start("warmup", warm_up)))
    return window


def main(workspace: Path, argv: list[str] | None = None, *, exit_after_paint: bool = False) -> int:
    """Run the app. `exit_after_paint` (for checking a build): once the window has painted and the
    workspace is open, print "window painted" and quit."""
    from sftgui.platform_check import display_problem

    problem = display_problem()  # also here for callers that skip `sftgui gui`: Qt would abort
    if problem:
        print(f"sftgui: {problem}", file=sys.stderr)
        return 2
    app = create_app(argv)
    window = launch(workspace)
    if exit_after_paint:
        def painted():
            print("window painted", flush=True)
            app.quit()

        window.after_first_paint(painted)
    try:
        return int(app.exec())
    finally:
        window.shutdown()  # also when the app quits without closing the window
        sys.excepthook = sys.__excepthook__
