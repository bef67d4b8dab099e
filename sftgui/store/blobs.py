"""Content-addressed blob store: `blobs/sha256/ab/cdef...`.

Writes go to a temp file in `blobs/tmp/` while hashing, are fsynced, renamed into place and made
read-only; the algorithm is part of the path. Reads re-hash and raise `DamagedBlob` naming the
blob when the bytes no longer match.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import sys
import stat
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import BinaryIO, Iterator

from sftgui.errors import DamagedBlob, disk_full_as_user_error
from sftgui.store.nofollow import O_NOFOLLOW, link_refused, own_dir

ALGO = "sha256"
_CHUNK = 1 << 20
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
# Threads that hash while another writes (hashlib releases the GIL on buffers over 2 KiB)
_HASH_WORKERS = max(1, min(4, os.cpu_count() or 1))


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        own_dir(self.root, "blobs/")
        own_dir(self.root / ALGO, f"blobs/{ALGO}/")
        own_dir(self.tmp, "blobs/tmp/")  # a linked tmp would make sweep_tmp empty the link's target
        # Held by a register (from its first blob to its row's commit) and by gc, so gc in this
        # process never deletes a blob another thread is about to name. Other processes cannot
        # write at all: the workspace's writer lock keeps them out.
        self.lock = threading.RLock()
        self._pending: dict[str, Path] | None = None  # digest -> temp file, inside batch()

    # -- paths -----------------------------------------------------------------------------
    def path(self, digest: str) -> Path:
        return self.root / ALGO / digest[:2] / digest[2:]

    def has(self, digest: str) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self.path(digest)).st_mode) and not self._linked_folder(digest)
        except OSError:
            return False

    def _linked_folder(self, digest: str) -> bool:
        return os.path.islink(self.path(digest).parent)

    def open_fd(self, digest: str) -> int:
        """A read-only descriptor of the blob, never through a link (a link, or a linked
        `ab/` folder, is reported as damaged); FileNotFoundError when it is missing."""
        path = self.path(digest)
        if self._linked_folder(digest):
            raise DamagedBlob(f"Stored file {digest[:12]}: its folder {path.parent} is a link; sftgui does not "
                              "follow links in a workspace (run 'sftgui verify').", digest)
        try:
            fd = os.open(path, os.O_RDONLY | O_NOFOLLOW)
        except OSError as exc:
            if os.path.islink(path):
                raise DamagedBlob(f"Stored file {digest[:12]} is a link, not a stored file; sftgui does not follow "
                                  "links in a workspace (run 'sftgui verify').", digest) from None
            raise exc
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise DamagedBlob(f"Stored file {digest[:12]} is not a regular file.", digest)
        return fd

    # -- writing ---------------------------------------------------------------------------
    def put_bytes(self, data: bytes | memoryview) -> str:
        return self.add_bytes(data)[0]

    def add_bytes(self, data: bytes | memoryview) -> tuple[str, bool]:
        """Store the bytes; returns (digest, True when they were new to the store)."""
        return self._add_hashed(sha256_hex(data), data)

    def add_many(self, buffers) -> list[tuple[str, bool]]:
        """`add_bytes` for each buffer; the results come in the buffers' order.

        Worker threads hash the buffers, largest first (hashlib releases the GIL), while this thread
        writes each buffer as soon as its hash is known, so hashing and writing overlap and the
        biggest tensor's hash does not hold up all the others. Same guarantees as `add_bytes`.
        """
        buffers = list(buffers)
        if _HASH_WORKERS < 2 or len(buffers) < 2:
            return [self.add_bytes(b) for b in buffers]
        results: list[tuple[str, bool] | None] = [None] * len(buffers)
        order = sorted(range(len(buffers)), key=lambda i: -memoryview(buffers[i]).nbytes)
        with ThreadPoolExecutor(max_workers=_HASH_WORKERS, thread_name_prefix="sftgui-hash") as pool:
            futures = {pool.submit(sha256_hex, buffers[i]): i for i in order}
            try:
                for done in as_completed(futures):
                    i = futures[done]
                    results[i] = self._add_hashed(done.result(), buffers[i])
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        # as one add_bytes after another: of equal buffers, the first in order is the new one
        written = {digest for digest, added in results if added}  # type: ignore[misc]
        seen: set[str] = set()
        for i, (digest, _) in enumerate(results):  # type: ignore[misc]
            results[i] = (digest, digest in written and digest not in seen)
            seen.add(digest)
        return results  # type: ignore[return-value]

    def _add_hashed(self, digest: str, data) -> tuple[str, bool]:
        if self._pending is not None and digest in self._pending or self._reuse(digest):
            return digest, False
        return self._write(digest, lambda f: f.write(data)), True

    def _reuse(self, digest: str) -> bool:
        """True when the blob is already stored. Refreshes its mtime, because `gc` spares blobs
        younger than its grace period: a blob a register is about to name must not look old."""
        if not self.has(digest):  # missing, or a link planted there: (re)written in place of it
            return False
        try:
            os.utime(self.path(digest), follow_symlinks=False)
            return True
        except FileNotFoundError:
            return False
        except PermissionError:  # a store shared read-only: the blob is there all the same
            return self.has(digest)

    def put_stream(self, stream: BinaryIO) -> str:
        """Store what a file object yields, hashing while writing the temp file."""
        with self._writing():
            return self._put_stream(stream)

    def _writing(self):
        """A full disk while writing a blob becomes one sentence (the temp file is already gone)."""
        return disk_full_as_user_error("a stored file", self.root)

    def _put_stream(self, stream: BinaryIO) -> str:
        h = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="put-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as f:
                while chunk := stream.read(_CHUNK):
                    h.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            digest = h.hexdigest()
            if self._reuse(digest):
                tmp.unlink()
                return digest
            self._place(tmp, digest)
            return digest
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_file(self, path: Path) -> str:
        with open(path, "rb") as f:
            return self.put_stream(f)

    def _write(self, digest: str, writer) -> str:
        with self._writing():
            return self._write_tmp(digest, writer)

    def _write_tmp(self, digest: str, writer) -> str:
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="put-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as f:
                writer(f)
                read_only = _make_read_only(f.fileno())  # already (writes still go through the fd)
                if self._pending is not None:  # batch(): made durable all at once at the end
                    if not read_only:
                        os.chmod(tmp, _READ_ONLY)
                    self._pending[digest] = tmp
                    f.flush()
                    _start_writeback(f.fileno())  # the disk works while the next blobs are hashed
                    return digest
                f.flush()
                os.fsync(f.fileno())
            self._place(tmp, digest, read_only=read_only)
            return digest
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _place(self, tmp: Path, digest: str, *, sync_dir: bool = True, read_only: bool = False) -> None:
        final = self.path(digest)
        try:
            os.mkdir(final.parent)
        except FileExistsError:
            if os.path.islink(final.parent):  # the rename would land in the link's target
                raise link_refused(final.parent, f"blobs/{ALGO}/{final.parent.name}/") from None
        except FileNotFoundError:
            own_dir(self.root / ALGO, f"blobs/{ALGO}/")
            os.mkdir(final.parent)
        if not read_only:
            os.chmod(tmp, _READ_ONLY)
        os.replace(tmp, final)
        if sync_dir:
            _fsync_dir(final.parent)

    @contextlib.contextmanager
    def batch(self):
        """Write many blobs with two flushes instead of two fsyncs per blob (a model has ~100
        tensors). Same guarantee as one by one: every byte is on disk before any blob gets its
        final name, and every name is on disk before the batch returns. On an error the temp
        files are removed and no name appears."""
        with self.lock:
            if self._pending is not None:  # nested: the outer batch does the flushing
                yield
                return
            self._pending = pending = {}
            try:
                yield
                self._pending = None  # blobs written from here on are not part of the batch
                if pending:
                    with self._writing():
                        _flush_files(self.tmp, pending.values())
                        for digest, tmp in pending.items():
                            self._place(tmp, digest, sync_dir=False, read_only=True)
                        _flush_dirs(self.root, {self.path(d).parent for d in pending})
            finally:
                self._pending = None
                for tmp in pending.values():  # placed ones were renamed away already
                    tmp.unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------------------------
    def get_bytes(self, digest: str) -> bytes:
        path = self.path(digest)
        try:
            fd = self.open_fd(digest)
        except FileNotFoundError:
            raise DamagedBlob(f"Stored file {digest[:12]} is missing from {path.parent}.", digest) from None
        with os.fdopen(fd, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != digest:
            raise DamagedBlob(f"Stored file {digest[:12]} is damaged (its bytes no longer match its hash).", digest)
        return data

    def check(self, digest: str) -> str | None:
        """None when the blob is present and intact, else "missing", "corrupt" or "link"."""
        try:
            fd = self.open_fd(digest)
        except FileNotFoundError:
            return "missing"
        except DamagedBlob:
            return "link" if os.path.lexists(self.path(digest)) else "missing"
        h = hashlib.sha256()
        with os.fdopen(fd, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        return None if h.hexdigest() == digest else "corrupt"

    def iter_digests(self) -> Iterator[str]:
        """The stored blobs: regular files in real folders (links are `links()`, never blobs)."""
        base = self.root / ALGO
        for sub in sorted(os.scandir(base), key=lambda e: e.name) if base.is_dir() else ():
            if sub.is_dir(follow_symlinks=False) and len(sub.name) == 2:
                for f in sorted(os.scandir(sub.path), key=lambda e: e.name):
                    if f.is_file(follow_symlinks=False):
                        yield sub.name + f.name

    def links(self) -> list[str]:
        """Links found in the blob store (paths relative to it): sftgui never makes any, so each
        one was planted; `verify` reports them and nothing in sftgui follows them."""
        found = []
        for here, dirs, files in os.walk(self.root):  # os.walk does not descend into linked folders
            for name in dirs + files:
                p = Path(here) / name
                if p.is_symlink():
                    found.append(p.relative_to(self.root).as_posix())
        return sorted(found)

    def mtime(self, digest: str) -> float:
        return self.path(digest).lstat().st_mtime

    def size(self, digest: str) -> int:
        return self.path(digest).lstat().st_size

    def delete(self, digest: str) -> None:
        path = self.path(digest)
        try:
            if not self.has(digest):  # a link (or a linked folder): never chmod what it points to
                return
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
            path.unlink()
        except FileNotFoundError:
            pass

    def sweep_tmp(self) -> int:
        """Remove temp files left by a crash; only safe while holding the writer lock."""
        n = 0
        own_dir(self.tmp, "blobs/tmp/")  # checked again: unlink in a linked folder deletes elsewhere
        for f in self.tmp.iterdir():
            try:
                f.unlink()  # a link itself is removed, never what it points to
                n += 1
            except OSError:
                pass
        return n


def _make_read_only(fd: int) -> bool:
    """chmod through the open file (one path lookup less per blob); False where unsupported."""
    if not hasattr(os, "fchmod"):  # Windows before Python 3.13
        return False
    os.fchmod(fd, _READ_ONLY)
    return True


def sha256_hex(data) -> str:
    """The blob id of a buffer (bytes, memoryview, mmap)."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks (exports' manifests, weights written by torch)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except (OSError, AttributeError):
        return None


_LIBC = _libc() if sys.platform.startswith("linux") else None
_sync_file_range = getattr(_LIBC, "sync_file_range", None)
if _sync_file_range is not None:
    _sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    _sync_file_range.restype = ctypes.c_int
_SYNC_FILE_RANGE_WRITE = 2


def _start_writeback(fd: int) -> None:
    """Ask Linux to start writing the file's dirty pages to disk now, without waiting for them.
    Only a head start for the flush that follows: durability still comes from syncfs/fsync."""
    if _sync_file_range is not None:
        _sync_file_range(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)


def _syncfs(path: Path) -> bool:
    """Flush the whole file system holding `path` (Linux syncfs); False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    if _LIBC is None or not hasattr(_LIBC, "syncfs"):
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        return _LIBC.syncfs(fd) == 0
    finally:
        os.close(fd)


def _flush_files(folder: Path, files) -> None:
    if not _syncfs(folder):
        for path in files:
            with open(path, "rb") as f:
                os.fsync(f.fileno())


def _flush_dirs(root: Path, dirs) -> None:
    if not _syncfs(root):
        for d in dirs:
            _fsync_dir(d)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
