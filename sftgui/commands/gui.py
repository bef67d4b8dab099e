"""`sftgui gui`: open the desktop app."""

import argparse


def register(sub) -> None:
    p = sub.add_parser("gui", help="open the desktop app (the default)")
    # For checking a build or a bundle (packaging/): open the window, print "window painted" once
    # it has painted, and quit. Hidden from --help: people have no use for it.
    p.add_argument("--exit-after-paint", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=_gui)


def _gui(args, ctx) -> int:
    from sftgui.qt.app import main as gui_main

    return gui_main(workspace=ctx.workspace_path, exit_after_paint=getattr(args, "exit_after_paint", False))
