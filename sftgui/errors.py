"""Errors that carry a plain sentence for the person using sftgui.

`UserError` is bad input or a refused action: the CLI prints its message and exits 2, the GUI
shows it in a dialog. Anything else is unexpected: exit 1 and the details go to the log file.
"""


class UserError(Exception):
    """Bad input or a refused action; the message is one plain sentence, shown as is."""


INT64_MAX = 2**63 - 1  # the largest id SQLite stores


def parse_id(value, what: str = "id") -> int | None:
    """An id typed as ASCII digits (str.isdigit() is true for '²', int() takes '٣'), within SQLite's
    64 bits; None when `value` is not written as one."""
    import re

    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip(), re.ASCII):
        n = int(value.strip())
    else:
        return None
    if not 0 <= n <= INT64_MAX:
        raise UserError(f"{what} {str(value)[:24]} is out of range (ids go up to {INT64_MAX:,}).")
    return n


class WorkspaceLocked(UserError):
    """Another sftgui process holds the workspace's writer lock."""


class WorkspaceError(UserError):
    """The workspace cannot be opened (newer schema, corrupt database, ...)."""


class DamagedBlob(UserError):
    """A stored blob is missing or its bytes no longer match its hash."""

    def __init__(self, message: str, digest: str):
        super().__init__(message)
        self.digest = digest


class DiskFull(UserError):
    """The disk (or the user's quota) ran out while sftgui was writing."""


_FULL_WORDS = ("No space left on device", "StorageFull", "Disk quota exceeded", "QuotaExceeded")


def is_disk_full(exc: BaseException) -> bool:
    """True for ENOSPC/EDQUOT from the OS, SQLite's "database or disk is full", and libraries that
    wrap the OS error in their own type (safetensors' SafetensorError says "StorageFull"), also when
    it is the cause or context of `exc`."""
    import errno

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return True
        text = str(exc)
        if type(exc).__name__ in ("OperationalError", "DatabaseError") and "disk is full" in text:
            return True
        if any(w in text for w in _FULL_WORDS):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def nearly_full(path, margin: int = 1 << 20) -> bool:
    """True when the disk holding `path` has less than `margin` bytes left. Some writers report a
    full disk as their own error (torch's zip writer: "unexpected pos ..."), so a failed write on a
    disk with no room left is a full disk whatever the message says."""
    import shutil

    try:
        return shutil.disk_usage(path).free < margin
    except OSError:
        return False


def disk_full(what: str, where) -> DiskFull:
    return DiskFull(f"The disk is full: sftgui could not write {what} in {where}. Free some space and try again; "
                    "nothing was half-saved.")


class disk_full_as_user_error:
    """`with disk_full_as_user_error("the model version", folder):` turns a full disk into DiskFull.

    Used at the few places that write (blob store, export, import, checkpoints), so a full disk
    is one plain sentence everywhere instead of a traceback.
    """

    def __init__(self, what: str, where):
        self.what, self.where = what, where

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and not isinstance(exc, DiskFull) and is_disk_full(exc):
            raise disk_full(self.what, self.where) from exc
        return False
