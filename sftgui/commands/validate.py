"""Validators for every command-line argument: a bad value is exit 2 with one sentence, never a
traceback further in (an id of 2**63 overflows SQLite, `--epochs inf` reaches the Trainer, a lone
surrogate from undecodable argv bytes breaks the database's UTF-8).

Commands name the validator of each option (`type=validate.identifier`, ...). `harden(parser)`,
called once by cli.py, wraps every other option and argument too: plain `int`/`float` get the
64-bit and finite bounds, and every value must be text that can be stored and shown.
"""

from __future__ import annotations

import argparse
import math
import re

INT64_MAX = 2**63 - 1
SEED_MAX = 2**32 - 1  # numpy's and the Trainer's seeds
# ASCII digits only: int() also takes other scripts' digits ('٣'), and str.isdigit() is true for '²'
_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)


def text(value: str) -> str:
    """Any string argument: no NUL, no lone surrogates (undecodable bytes in argv)."""
    if "\x00" in value:
        raise argparse.ArgumentTypeError("the value contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError(
            f"{escape(value)} is not valid text (it holds bytes that are not UTF-8); retype it") from None
    return value


def bounded_int(lo: int, hi: int, what: str = "a whole number"):
    def parse(value: str) -> int:
        value = text(value).strip().replace("_", "")
        if not _INT.fullmatch(value):
            raise argparse.ArgumentTypeError(f"{escape(value)!s} is not {what} (write it with the digits 0-9)")
        n = int(value)
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"{n if len(value) < 40 else value[:20] + '...'} is out of range: "
                                             f"{what} from {lo:,} to {hi:,}")
        return n

    parse.__name__ = "whole number"  # argparse names the type in its own messages
    return parse


def bounded_float(lo: float, hi: float, what: str = "a number", *, low_open: bool = False):
    def parse(value: str) -> float:
        value = text(value).strip()
        try:
            x = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{escape(value)} is not a number (e.g. 3 or 5e-5)") from None
        if not math.isfinite(x):
            raise argparse.ArgumentTypeError(f"{value} is not a finite number")
        if x < lo or x > hi or (low_open and x == lo):
            raise argparse.ArgumentTypeError(f"{value} is out of range: {what} {'above' if low_open else 'from'} "
                                             f"{lo:g} {'and at most' if low_open else 'to'} {hi:g}")
        return x

    parse.__name__ = "number"
    return parse


def workspace_dir(value: str) -> str:
    value = text(value)
    if not value.strip():
        raise argparse.ArgumentTypeError("--workspace needs a folder (it was empty)")
    return value


identifier = bounded_int(1, INT64_MAX, "an id")  # row, run and snapshot ids
count = bounded_int(1, 1_000_000, "a count")  # --limit, --rows, --top-k
offset = bounded_int(0, INT64_MAX, "an offset")
seed = bounded_int(0, SEED_MAX, "a seed")


def snapshot_ref(value: str) -> int:
    """A snapshot id, also written '#3'."""
    return identifier(text(value).strip().removeprefix("#"))


steps = bounded_int(1, 1_000_000, "a number")  # batch size, accumulation
processes = bounded_int(1, 1024, "a number of processes")  # train --processes (torchrun)
tokens = bounded_int(0, 8192, "a number of tokens")
shortcut_key = bounded_int(0, 9, "a key")
epochs = bounded_float(0, 1000, "epochs", low_open=True)
learning_rate = bounded_float(0, 1, "a learning rate", low_open=True)


# -- every argument, once -------------------------------------------------------------------
_DEFAULTS = {int: bounded_int(-INT64_MAX - 1, INT64_MAX), float: bounded_float(-1e300, 1e300)}


def harden(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give every argument of `parser` and its sub-commands a validator (see the module doc)."""
    for action in parser._actions:  # argparse has no public walk over its actions
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                harden(sub)
            continue
        if action.nargs == 0:  # flags
            continue
        if action.type in _DEFAULTS:
            action.type = _DEFAULTS[action.type]
        elif action.type is None:
            action.type = text
    return parser


# -- showing what the person typed ----------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def escape(value) -> str:
    """Control characters (terminal escapes, carriage returns, bidi overrides, lone surrogates)
    shown as \\uXXXX, so a name cannot rewrite the terminal; newlines and tabs stay."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))
