"""`sftgui gui`: open the desktop app."""


def register(sub) -> None:
    p = sub.add_parser("gui", help="open the desktop app (the default)")
    p.set_defaults(func=_gui)


def _gui(args, ctx) -> int:
    from sftgui.qt.app import main as gui_main

    return gui_main(workspace=ctx.workspace_path)
