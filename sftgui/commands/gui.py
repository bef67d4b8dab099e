"""`sftgui gui`: open the desktop app."""

import argparse


def register(sub) -> None:
    p = sub.add_parser("gui", help="open the desktop app (the default)")
    # For checking a build or a bundle (packaging/): open the window, print "window painted" once
    # it has painted, and quit. Hidden from --help: people have no use for it.
    p.add_argument("--exit-after-paint", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=_gui)


def _gui(args, ctx) -> int:
    from sftgui.platform_check import display_problem

    problem = display_problem()  # before Qt starts: without a display or its libraries Qt aborts the process
    if problem:
        _log(ctx, problem)
        from sftgui.errors import UserError

        raise UserError(problem)
    from sftgui.qt.app import main as gui_main

    return gui_main(workspace=ctx.workspace_path, exit_after_paint=getattr(args, "exit_after_paint", False))


def _log(ctx, problem: str) -> None:
    """Also into the error log (the workspace's logs/ when the workspace exists, else the temp folder),
    where someone helping can find it."""
    import os
    import tempfile

    from sftgui.errorlog import write_error_log

    folders = [ctx.workspace_path / "logs"] if (ctx.workspace_path / "sftgui.db").exists() else []
    env = {k: os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM",
                                           "QT_QPA_PLATFORM_PLUGIN_PATH", "XDG_SESSION_TYPE")}
    write_error_log([*folders, tempfile.gettempdir()], f"{problem}\n\nenvironment: {env}\n", origin="start-up check")
