"""Errors that carry a plain sentence for the person using sftgui.

`UserError` is bad input or a refused action: the CLI prints its message and exits 2, the GUI
shows it in a dialog. Anything else is unexpected: exit 1 and the details go to the log file.
"""


class UserError(Exception):
    """Bad input or a refused action; the message is one plain sentence, shown as is."""


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


def is_disk_full(exc: BaseException) -> bool:
    """True for ENOSPC/EDQUOT from the OS and SQLite's "database or disk is full"."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return True
    return type(exc).__name__ in ("OperationalError", "DatabaseError") and "disk is full" in str(exc)


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
