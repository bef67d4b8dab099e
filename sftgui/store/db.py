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
        raise WorkspaceError(f"Cannot use {path} as a workspace: {exc.strerror}.") from None
    if readonly and _needs_upgrade(path):
        open_workspace(path).close()
    lock_fd = None if readonly else _take_lock(path / LOCK_NAME)
    try:
        version = _check_sqlite_file(path)
        file = path / DB_NAME
        if readonly:
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
    except BaseException:
        if not db.is_closed():
            db.close()
        db.init(None)
        _release_lock(lock_fd)
        raise
    _current[:] = [ws]
    return ws


def _needs_upgrade(path: Path) -> bool:
    file = path / DB_NAME
    if not file.exists():
        return True
    return 0 <= _check_sqlite_file(path) < SCHEMA_VERSION


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


def _check_sqlite_file(path: Path) -> int:
    """The schema version of the database (0 when new). Refuses, never touching it, a file
    that is not an SQLite database, is damaged, or was written by a newer sftgui."""
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
        con = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            ok = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
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
        raise WorkspaceError(f"Cannot take the workspace lock {lock_path}: {exc.strerror}.") from None
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
