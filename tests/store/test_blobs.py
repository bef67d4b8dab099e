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
