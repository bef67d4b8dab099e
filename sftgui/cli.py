"""The `sftgui` command line (contract: shared/CLI.md).

This module stays light: no torch, transformers or datasets at import time, so `sftgui --help`
answers instantly. Each command group lives in `sftgui/commands/<group>.py` and exposes
`register(subparsers)`; a handler is `handler(args, ctx) -> int | None`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sftgui import __version__
from sftgui.commands import validate
from sftgui.errors import UserError

COMMAND_MODULES = ("gui", "project", "data", "train", "versions", "evaluate", "publish", "chat", "tune",
                   "explain", "monitor")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one plain sentence on stderr, exit 2
        self.exit(2, f"sftgui: {validate.escape(message)} (see '{validate.escape(self.prog)} --help')\n")


class Context:
    """What a command handler needs: the workspace (opened on first use) and output helpers."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self._workspace = None

    @property
    def workspace_path(self) -> Path:
        from sftgui.paths import resolve_workspace

        return resolve_workspace(getattr(self.args, "workspace", None))

    def workspace(self, readonly: bool = False):
        """Open the workspace once per command; writers take the lock, readers do not."""
        if self._workspace is None:
            from sftgui.store.db import open_workspace

            self._workspace = open_workspace(self.workspace_path, readonly=readonly)
        return self._workspace

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def emit_json(self, obj) -> None:
        """The one JSON document a `--json` command prints on stdout."""
        json.dump(obj, sys.stdout, indent=2, default=str, ensure_ascii=False)
        sys.stdout.write("\n")

    def say(self, text: str = "") -> None:
        """A line for the person: names and texts from the data have their control characters escaped."""
        print(validate.escape(text))


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = _Parser(
        prog="sftgui",
        description="Fine-tune a pre-trained model on your own labelled data and keep every result "
        "as a version you can compare, roll back to and export. With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"sftgui {__version__}")
    parser.add_argument(
        "--workspace",
        metavar="DIR",
        type=validate.workspace_dir,
        help="workspace folder (default: $SFTGUI_HOME, else your user data folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"sftgui.commands.{name}").register(sub)
    return validate.harden(parser)


def _log_unexpected(ctx: Context, exc: BaseException) -> Path | None:
    """Write the traceback to the workspace's logs/ (or a temp folder) and return the file."""
    import tempfile
    import traceback

    from sftgui.errorlog import write_error_log

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return write_error_log([ctx.workspace_path / "logs", tempfile.gettempdir()], f"argv: {sys.argv}\n\n{text}",
                           origin="command line")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            if args.command:  # a group without its sub-command, e.g. `sftgui versions`
                parser.parse_args([args.command, "--help"])
            args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "gui"])
    except SystemExit as exc:  # --help, --version, or a bad value (already said in one sentence)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    ctx = Context(args)
    try:
        return int(args.func(args, ctx) or 0)
    except UserError as exc:
        print(f"sftgui: {validate.escape(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sftgui: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - last line of defence: one sentence + a log file
        from sftgui.errors import is_disk_full

        if is_disk_full(exc):  # a writer that did not say it itself: still a full disk, not a crash
            print(f"sftgui: The disk is full ({validate.escape(exc)}); free some space and try again.",
                  file=sys.stderr)
            return 2
        log = _log_unexpected(ctx, exc)
        where = f"; details are in {log}" if log else ""
        print(validate.escape(f"sftgui: something went wrong ({type(exc).__name__}: {exc}){where}."), file=sys.stderr)
        return 1
    finally:
        ctx.close()


if __name__ == "__main__":
    raise SystemExit(main())
