"""The content-addressed blob store on a real folder."""

from __future__ import annotations

import hashlib
import io
import os
import stat

import pytest

from sftgui.errors import DamagedBlob
from sftgui.store.blobs import BlobStore


def test_blobs_are_named_by_hash_read_only_and_verified(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    data = b"some tensor bytes" * 100
    digest = store.put_bytes(data)
    assert digest == hashlib.sha256(data).hexdigest()
    path = store.path(digest)
    assert path == tmp_path / "blobs" / "sha256" / digest[:2] / digest[2:]
    assert not (path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    assert store.get_bytes(digest) == data
    assert store.put_stream(io.BytesIO(data)) == digest  # same bytes, same blob
    assert list(store.iter_digests()) == [digest]
    assert list(store.tmp.iterdir()) == []  # no temp file left behind


def test_damaged_and_missing_blobs_name_what_is_wrong(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    digest = store.put_bytes(b"hello")
    path = store.path(digest)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    path.write_bytes(b"hellO")
    assert store.check(digest) == "corrupt"
    with pytest.raises(DamagedBlob, match=f"{digest[:12]} is damaged") as err:
        store.get_bytes(digest)
    assert err.value.digest == digest
    store.delete(digest)
    assert store.check(digest) == "missing"
    with pytest.raises(DamagedBlob, match="missing"):
        store.get_bytes(digest)


def test_a_failed_write_leaves_no_blob_and_no_temp_file(tmp_path):
    store = BlobStore(tmp_path / "blobs")

    class Broken(io.BytesIO):
        def read(self, n=-1):
            if self.tell() > 0:
                raise OSError("disk went away")
            return super().read(4)

    with pytest.raises(OSError):
        store.put_stream(Broken(b"0123456789"))
    assert list(store.iter_digests()) == [] and list(store.tmp.iterdir()) == []


def test_temp_files_from_a_crash_are_swept(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    (store.tmp / "put-crashed").write_bytes(b"half a tensor")
    assert store.sweep_tmp() == 1
    assert list(store.tmp.iterdir()) == []


def test_a_failed_batch_leaves_no_blob_and_no_temp_file(tmp_path):
    from sftgui.store.blobs import BlobStore

    store = BlobStore(tmp_path / "blobs")
    with pytest.raises(RuntimeError):
        with store.batch():
            digest = store.put_bytes(b"written inside the batch")
            assert store.put_bytes(b"written inside the batch") == digest  # deduplicated while pending
            assert not store.has(digest)  # no final name before the batch is flushed
            raise RuntimeError("crash before the end of the batch")
    assert not store.has(digest)
    assert list(store.tmp.iterdir()) == []
    with store.batch():
        digest = store.put_bytes(b"written inside the batch")
    assert store.get_bytes(digest) == b"written inside the batch"


def test_a_failed_flush_at_the_end_of_a_batch_leaves_no_temp_file(tmp_path, monkeypatch):
    import errno

    from sftgui.errors import UserError
    from sftgui.store import blobs as blobs_module

    store = BlobStore(tmp_path / "blobs")

    def disk_full(folder, files):  # the flush is where a full disk shows up for buffered writes
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(blobs_module, "_flush_files", disk_full)
    with pytest.raises(UserError, match="disk is full"):
        with store.batch():
            digest = store.put_bytes(b"never flushed")
    assert not store.has(digest)
    assert list(store.tmp.iterdir()) == []


def test_add_many_matches_add_bytes_in_order_and_stores_each_blob_once(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    old = store.put_bytes(b"already stored" * 300)
    buffers = [b"a" * 5000, memoryview(b"already stored" * 300), b"b" * 10, b"a" * 5000, bytearray(b"c" * 70_000)]
    with store.batch():
        got = store.add_many(buffers)
    assert [d for d, _ in got] == [hashlib.sha256(b).hexdigest() for b in buffers]
    assert [new for _, new in got] == [True, False, True, False, True]  # repeats and stored ones are not new
    assert got[1][0] == old
    assert sorted(store.iter_digests()) == sorted({d for d, _ in got})
    for (digest, _), data in zip(got, buffers):
        assert store.get_bytes(digest) == bytes(data)
        assert not (store.path(digest).stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    assert list(store.tmp.iterdir()) == []


def test_add_many_on_one_core_and_outside_a_batch(tmp_path, monkeypatch):
    import sftgui.store.blobs as blobs_module

    monkeypatch.setattr(blobs_module, "_HASH_WORKERS", 1)
    store = BlobStore(tmp_path / "blobs")
    got = store.add_many([b"x" * 3000, b"y" * 3000])
    assert [store.get_bytes(d) for d, _ in got] == [b"x" * 3000, b"y" * 3000]
    assert list(store.tmp.iterdir()) == []


def test_a_failed_write_in_add_many_leaves_no_blob_and_no_temp_file(tmp_path, monkeypatch):
    store = BlobStore(tmp_path / "blobs")
    real, calls = store._write_tmp, []

    def fail_third(digest, writer):
        calls.append(digest)
        if len(calls) == 3:
            raise OSError("disk went away")
        return real(digest, writer)

    monkeypatch.setattr(store, "_write_tmp", fail_third)
    with pytest.raises(OSError, match="went away"):
        with store.batch():
            store.add_many([bytes([i]) * 4000 for i in range(6)])
    assert list(store.iter_digests()) == [] and list(store.tmp.iterdir()) == []


def test_writeback_hint_is_optional(tmp_path, monkeypatch):
    """Where sync_file_range is missing (not Linux), batches work the same."""
    import sftgui.store.blobs as blobs_module

    monkeypatch.setattr(blobs_module, "_sync_file_range", None)
    store = BlobStore(tmp_path / "blobs")
    with store.batch():
        (digest, new), = store.add_many([b"z" * 5000])
    assert new and store.get_bytes(digest) == b"z" * 5000


def test_blobs_are_read_only_where_fchmod_is_missing(tmp_path, monkeypatch):
    """Windows before Python 3.13 has no os.fchmod: the path is chmodded instead."""
    import sftgui.store.blobs as blobs_module

    monkeypatch.setattr(blobs_module, "_make_read_only", lambda fd: False)
    store = BlobStore(tmp_path / "blobs")
    single = store.put_bytes(b"one" * 1000)
    with store.batch():
        (batched, _), = store.add_many([b"two" * 1000])
    for digest in (single, batched):
        assert not (store.path(digest).stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
