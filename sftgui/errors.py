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
