"""A real full disk (a small tmpfs filled to the last byte) and a real read-only workspace (a
read-only bind mount): told as what they are, with what to do, never as a damaged database; readers
still read; a real ENOSPC while training is exit 2 with the disk-full sentence. Needs mount
privileges (root in a container, as here); skipped elsewhere, where tests/reliability/test_disk_full.py
injects the same faults in-process."""

from __future__ import annotations

import csv
import os
import subprocess

import pytest

from sftgui.resources import SAMPLE_CSV, resource_path
from tests.reliability.checks import file_hash
from tests.sample_facts import SAMPLE_ROWS

SAMPLE = resource_path(SAMPLE_CSV)


def _mount(*args) -> bool:
    return subprocess.run(["mount", *map(str, args)], capture_output=True).returncode == 0


class _Disk(type(__import__("pathlib").Path())):
    """The mount point, with fill() and free_again()."""


@pytest.fixture
def small_disk(tmp_path):
    """A mount point with a 16 MiB tmpfs; `fill(leave)` fills it up to `leave` bytes free."""
    point = _Disk(tmp_path / "disk")
    point.mkdir()
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", "size=16M", "tmpfs", point):
        pytest.skip("needs permission to mount a tmpfs")
    try:
        yield _with_fill(point)
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def _with_fill(point):

    def fill(leave: int = 0) -> None:
        st = os.statvfs(point)
        free = st.f_bavail * st.f_frsize
        try:
            with open(point / "filler", "ab", buffering=0) as f:
                f.write(b"\0" * max(0, free - leave - 65536))
                while leave == 0 or os.statvfs(point).f_bavail * st.f_frsize > leave:
                    f.write(b"\0" * 4096)
        except OSError:  # the disk is full: that was the point
            pass

    def free_again() -> None:
        (point / "filler").unlink(missing_ok=True)

    point.fill, point.free_again = fill, free_again
    return point


def _writers_refused_readers_read(cli, ws, db, writers, *words, figures):
    """Each writing command is exit 2 with the sentence; reading ones still answer; the database is unchanged."""
    before = file_hash(db)
    for argv in writers:
        code, out, err = cli(*argv, workspace=ws)
        assert code == 2, (argv, code, err)
        _one_sentence(err, *words)
        figures["real_disk_faults"] += 1
    code, out, err = cli("project", "list", workspace=ws)
    assert code == 0 and "tickets" in out, err
    code, out, err = cli("data", "rows", "--project", "tickets", "--limit", "1", workspace=ws)
    assert code == 0 and str(SAMPLE_ROWS) in out, err
    assert file_hash(db) == before


def _one_sentence(err, *words):
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, err
    assert "damaged" not in err.replace("not damaged", ""), err


def test_a_full_disk_is_told_as_full_and_readers_still_read(cli, small_disk, figures):
    ws = small_disk / "ws"
    assert cli("project", "create", "tickets", workspace=ws)[0] == 0
    assert cli("data", "import", SAMPLE, "--project", "tickets", workspace=ws)[0] == 0
    small_disk.fill()
    writers = (("project", "create", "x"), ("data", "snapshot", "--project", "tickets"), ("verify",), ("gc",),
               ("data", "label", "--project", "tickets", "--row", "1", "--label", "billing"))
    _writers_refused_readers_read(cli, ws, ws / "sftgui.db", writers, "is full", "Free some space", figures=figures)
    small_disk.free_again()
    code, out, err = cli("data", "snapshot", "--project", "tickets", workspace=ws)
    assert code == 0, err


def test_a_read_only_workspace_is_told_as_read_only(cli, tmp_path, figures):
    src = tmp_path / "ws"
    assert cli("project", "create", "tickets", workspace=src)[0] == 0
    assert cli("data", "import", SAMPLE, "--project", "tickets", workspace=src)[0] == 0
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0 or not _mount("--bind", src, ro):
        pytest.skip("needs permission to bind-mount")
    try:
        if not _mount("-o", "remount,bind,ro", ro):
            pytest.skip("needs permission to remount read-only")
        writers = (("project", "create", "x"), ("data", "snapshot", "--project", "tickets"), ("gc",))
        _writers_refused_readers_read(cli, ro, src / "sftgui.db", writers, "read-only", "Make it writable",
                                      figures=figures)
    finally:
        subprocess.run(["umount", "-l", str(ro)], capture_output=True)


# room for the snapshot and the run, not for a checkpoint: torch's zip writer then fails with its own
# "unexpected pos" error (with less room the OSError reaches us: test_disk_full.py injects that one)
@pytest.mark.parametrize("leave_kb", [250])
def test_a_real_enospc_while_training_is_exit_2_and_the_next_run_completes(cli, small_disk, tmp_path,
                                                                            tiny_model_dir, leave_kb, figures):
    from tests.core.training.conftest import keyword_rows

    ws = small_disk / "ws"
    data = tmp_path / "rows.csv"
    with data.open("w", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, ["text", "label"]).writeheader()
        csv.DictWriter(f, ["text", "label"]).writerows(keyword_rows())
    assert cli("project", "create", "tickets", workspace=ws)[0] == 0
    assert cli("data", "import", data, "--project", "tickets", workspace=ws)[0] == 0
    small_disk.fill(leave_kb * 1024)
    train = ("train", "--project", "tickets", "--model", tiny_model_dir, "--epochs", "1", "--max-length", "16")
    code, out, err = cli(*train, workspace=ws)
    assert code == 2, (code, err)
    _one_sentence(err, "The disk is full", "Free some space")
    assert "SafetensorError" not in err and "unexpected" not in err
    assert not any((ws / "cache" / "runs").glob("*/checkpoint-*/optimizer.pt"))  # no torn checkpoint kept
    figures["real_disk_faults"] += 1
    small_disk.free_again()
    code, out, err = cli(*train, workspace=ws)
    assert code == 0 and "Done: tickets@v1" in out, err
