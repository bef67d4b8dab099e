"""Open a workspace folder: `sftgui.db` (SQLite), `blobs/`, `cache/`, `logs/`, one writer at a time."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from sftgui.errors import WorkspaceError, WorkspaceLocked
from sftgui.store.blobs import BlobStore
from sftgui.store.migrations import MIGRATIONS, SCHEMA_VERSION
from sftgui.store.models import db
from sftgui.store.nofollow import O_NOFOLLOW, check_not_link, own_dir

DB_NAME = "sftgui.db"
LOCK_NAME = "sftgui.lock"
PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
}
READ_PRAGMAS = {"foreign_keys": 1, "busy_timeout": 10_000}  # journal_mode is the writer's to set


@dataclass
class Workspace:
    path: Path
    blobs: BlobStore
    readonly: bool = False
    _lock_fd: int | None = field(default=None, repr=False)

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    @property
    def cache(self) -> Path:
        return self.path / "cache"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    def close(self) -> None:
        if not db.is_closed():
            db.close()
        db.init(None)
        _release_lock(self._lock_fd)
        self._lock_fd = None
        _current[:] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_current: list[Workspace] = []


def current_workspace() -> Workspace:
    """The workspace this process has open (core functions that are handed none use it)."""
    if not _current:
        raise WorkspaceError("No workspace is open.")
    return _current[0]


def open_workspace(path: str | os.PathLike, *, readonly: bool = False) -> Workspace:
    """Create or open a workspace. Writers take the lock and apply pending migrations.

    Readers take no lock and connect to SQLite read-only, so they can never change anything; a
    reader that finds a new or outdated database upgrades it first under the writer lock.
    """
    path = Path(path).expanduser().resolve()
    if _current:
        _current[0].close()
    try:
        path.mkdir(parents=True, exist_ok=True)
        for sub in ("blobs", "cache", "logs"):
            own_dir(path / sub, f"{sub}/")
        for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", LOCK_NAME):
            check_not_link(path / name)
    except OSError as exc:
        raise _environment_error(path, exc) or WorkspaceError(
            f"Cannot use {path} as a workspace: {exc.strerror}.") from None
    # A reader of a workspace on a full or read-only disk cannot create SQLite's -shm file; with no
    # pending WAL it reads the database as an immutable file instead (same content, nothing written).
    immutable = readonly and _environment_problem(path) is not None and _wal_is_empty(path)
    if readonly and _needs_upgrade(path, immutable=immutable):
        open_workspace(path).close()
    try:
        lock_fd = None if readonly else _take_lock(path / LOCK_NAME)
    except OSError as exc:
        raise _environment_error(path, exc) or exc
    try:
        version = _check_sqlite_file(path, immutable=immutable)
        file = path / DB_NAME
        if immutable:
            db.init(f"file:{file}?mode=ro&immutable=1", uri=True, pragmas=READ_PRAGMAS, check_same_thread=False)
        elif readonly:
            db.init(f"file:{file}?mode=ro", uri=True, pragmas=READ_PRAGMAS, check_same_thread=False)
        else:
            db.init(str(file), pragmas=PRAGMAS, check_same_thread=False)
        db.connect(reuse_if_open=True)
        if version < SCHEMA_VERSION:
            _migrate(path, version)
        ws = Workspace(path=path, blobs=BlobStore(path / "blobs"), readonly=readonly, _lock_fd=lock_fd)
        if not readonly:
            ws.blobs.sweep_tmp()
            from sftgui.store.runs_repo import mark_interrupted_runs

            mark_interrupted_runs()  # runs left `running` by a process that died become `interrupted`
    except BaseException as exc:
        if not db.is_closed():
            db.close()
        db.init(None)
        _release_lock(lock_fd)
        told = None if isinstance(exc, WorkspaceError) else _environment_error(path, exc)
        if told is not None:
            raise told from None
        raise
    _current[:] = [ws]
    return ws


def _needs_upgrade(path: Path, *, immutable: bool = False) -> bool:
    file = path / DB_NAME
    if not file.exists():
        return True
    return 0 <= _check_sqlite_file(path, immutable=immutable) < SCHEMA_VERSION


def _backups(path: Path) -> list[Path]:
    return sorted(path.glob(f"{DB_NAME}.backup-*"), key=lambda p: p.stat().st_mtime)


def _damaged(path: Path, what: str) -> WorkspaceError:
    file = path / DB_NAME
    backups = _backups(path)
    hint = (
        f" The newest backup is {backups[-1]}; copy it over {file.name} to go back to it."
        if backups
        else " Restore it from your own backup, or move it away to start an empty workspace."
    )
    return WorkspaceError(f"The workspace database {file} {what}; it was left untouched.{hint}")


# -- a full or read-only disk is said as what it is, not as a damaged database -----------------------
def _environment_problem(path: Path) -> str | None:
    """ "full" or "read-only" when the workspace's disk cannot take a write now, else None. Probed with
    a real write (root ignores permission bits, and a read-only mount says so only when written)."""
    import errno
    import shutil

    try:
        if shutil.disk_usage(path).free == 0:
            return "full"
    except OSError:
        pass
    probe = path / f".sftgui-write-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW, 0o600)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return "full"
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return "read-only"
    return None


def _environment_error(path: Path, exc: BaseException) -> WorkspaceError | None:
    """The sentence for a failure caused by the disk rather than by the workspace, else None."""
    import errno

    from sftgui.errors import is_disk_full

    full = is_disk_full(exc)
    problem = "full" if full else _environment_problem(path)
    if problem is None and isinstance(exc, OSError) and exc.errno == errno.EROFS:
        problem = "read-only"
    if problem == "full":
        return WorkspaceError(f"The disk holding the workspace {path} is full, so sftgui cannot open it to make "
                              "changes (SQLite needs a little room even to start). Free some space on that disk and "
                              "try again; nothing was changed and the workspace is not damaged.")
    if problem == "read-only":
        return WorkspaceError(f"The workspace {path} is on a read-only disk or folder, so sftgui cannot save changes "
                              "there. Make it writable (or copy the folder to a writable disk) and try again; "
                              "commands that only read, like 'project list' or 'versions show', still work. "
                              "Nothing was changed.")
    return None


def _wal_is_empty(path: Path) -> bool:
    try:
        return (path / f"{DB_NAME}-wal").stat().st_size == 0
    except FileNotFoundError:
        return True


def _check_sqlite_file(path: Path, *, immutable: bool = False) -> int:
    """The schema version of the database (0 when new). Refuses, never touching it, a file
    that is not an SQLite database, is damaged, or was written by a newer sftgui. "Damaged" is
    said only of the file itself: a full or read-only disk is said as what it is."""
    file = path / DB_NAME
    if not file.exists():
        return 0
    if file.stat().st_size == 0:
        # sqlite leaves an empty file when it never wrote; an empty file next to data is a truncation
        if _backups(path) or any((path / "blobs" / "sha256").glob("*/*")):
            raise _damaged(path, "is empty (truncated)")
        return 0
    with open(file, "rb") as f:
        head = f.read(16)
    if head != b"SQLite format 3\x00":
        raise _damaged(path, "is not an SQLite database (damaged or replaced)")
    try:
        con = sqlite3.connect(f"file:{file}?mode=ro{'&immutable=1' if immutable else ''}", uri=True)
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            ok = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError as exc:  # could not open or lock it: first ask whether the disk is why
        told = _environment_error(path, exc)
        if told is not None:
            raise told from None
        raise _damaged(path, f"cannot be read ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, f"is damaged ({exc})") from None
    if ok != "ok":
        raise _damaged(path, f"is damaged ({ok})")
    if version > SCHEMA_VERSION:
        raise WorkspaceError(
            f"This workspace was written by a newer sftgui (schema {version}; this sftgui knows up to "
            f"{SCHEMA_VERSION}); update sftgui to open it. Nothing was changed."
        )
    return version


def _migrate(path: Path, version: int) -> Path | None:
    """Apply migrations version+1.. in one transaction, after a backup made with SQLite's backup API."""
    backup = None
    if version > 0:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = path / f"{DB_NAME}.backup-v{version}-{stamp}"
        dst = sqlite3.connect(str(backup))
        try:
            db.connection().backup(dst)
        finally:
            dst.close()
    with db.atomic():
        for i in range(version, SCHEMA_VERSION):
            MIGRATIONS[i](db)
        db.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return backup


# -- the writer lock --------------------------------------------------------------------------
def _take_lock(lock_path: Path) -> int:
    """flock the lock file (released by the OS when the process dies, so stale locks are free).
    Never through a link (it would truncate the link's target), never a folder."""
    import stat

    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | O_NOFOLLOW, 0o644)
    except IsADirectoryError:
        raise WorkspaceError(f"{lock_path.name} in the workspace {lock_path.parent} is a folder, where sftgui keeps "
                             "its lock file; move it away and try again.") from None
    except OSError as exc:
        check_not_link(lock_path)
        raise _environment_error(lock_path.parent, exc) or WorkspaceError(
            f"Cannot take the workspace lock {lock_path}: {exc.strerror}.") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise WorkspaceError(f"{lock_path.name} in the workspace {lock_path.parent} is not a regular file; move it "
                             "away and try again.")
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # Windows: no flock; fall back to the pid recorded in the file
        if _lock_holder_alive(fd):
            os.close(fd)
            raise WorkspaceLocked(_locked_message(lock_path)) from None
    except OSError:
        os.close(fd)
        raise WorkspaceLocked(_locked_message(lock_path)) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _locked_message(lock_path: Path) -> str:
    try:
        pid = lock_path.read_text().strip() or "unknown"
    except OSError:
        pid = "unknown"
    return f"This workspace is open in another sftgui (pid {pid}); close it first or use another workspace."


def _lock_holder_alive(fd: int) -> bool:
    try:
        pid = int(os.pread(fd, 32, 0).decode().strip() or 0)
    except ValueError:
        return False
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        import psutil

        return psutil.pid_exists(pid)
    except ImportError:
        return True


def _release_lock(fd: int | None) -> None:
    if fd is None:
        return
    try:
        os.close(fd)  # closing drops the flock
    except OSError:
        pass
