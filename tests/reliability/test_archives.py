"""Hostile zip archives: refused with a sentence, nothing written outside the target, and the same
through `sftgui data import FILE.zip` (the one-subfolder-per-label text layout, zipped)."""

from __future__ import annotations

import os
import stat
import zipfile

import pytest

from sftgui.core.archive import extract_zip
from sftgui.errors import UserError
from tests.reliability.checks import file_hash


def _entry(zf, name, data=b"x", mode=stat.S_IFREG | 0o644):
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _good(zf):
    _entry(zf, "tickets/billing/1.txt", b"my card was charged twice")
    _entry(zf, "tickets/billing/2.txt", b"refund my money please")
    _entry(zf, "tickets/account/1.txt", b"reset my password")
    _entry(zf, "tickets/account/2.txt", b"my account is locked")


HOSTILE = {
    "parent_path": (lambda zf: (_good(zf), _entry(zf, "../escaped.txt")), "points outside its folder"),
    "nested_parent_path": (lambda zf: _entry(zf, "tickets/billing/../../../escaped.txt"), "points outside"),
    "backslash_parent": (lambda zf: _entry(zf, "..\\escaped.txt"), "points outside"),
    "absolute_path": (lambda zf: _entry(zf, "/tmp/escaped.txt"), "absolute path"),
    "drive_path": (lambda zf: _entry(zf, "C:/escaped.txt"), "absolute path"),
    "symlink": (lambda zf: (_good(zf), _entry(zf, "tickets/billing/link.txt", b"../../../escaped.txt",
                                              stat.S_IFLNK | 0o777)), "symbolic link"),
    "fifo": (lambda zf: _entry(zf, "tickets/pipe", b"", stat.S_IFIFO | 0o644), "special file"),
    "ratio_bomb": (lambda zf: _entry(zf, "tickets/billing/zeros.txt", b"\0" * (8 << 20)), "zip bomb"),
    "duplicate_names": (lambda zf: (_entry(zf, "tickets/a/1.txt"), _entry(zf, "tickets/A/1.TXT")), "twice"),
    "file_then_folder": (lambda zf: (_entry(zf, "tickets/x"), _entry(zf, "tickets/x/1.txt")), "collides"),
}


def _zip(path, build):
    with zipfile.ZipFile(path, "w") as zf:
        build(zf)
    return path


def _listing(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archives_are_refused_and_write_nothing(tmp_path, kind, figures):
    build, words = HOSTILE[kind]
    archive = _zip(tmp_path / "in.zip", build)
    box = tmp_path / "box"  # the extractor gets box/target; anything else appearing in box escaped
    (box / "target").mkdir(parents=True)
    with pytest.raises(UserError, match=words):
        extract_zip(archive, box / "target")
    assert _listing(box) == ["target"]
    assert not (tmp_path / "escaped.txt").exists() and not os.path.exists("/tmp/escaped.txt")
    figures["hostile_archives_refused"] += 1


def test_a_bomb_by_total_size_is_refused_before_writing(tmp_path, figures):
    archive = _zip(tmp_path / "in.zip", lambda zf: [_entry(zf, f"t/a/{i}.txt", os.urandom(4096)) for i in range(8)])
    with pytest.raises(UserError, match="would unpack to more than"):
        extract_zip(archive, tmp_path / "target", max_total_bytes=20_000)
    assert not (tmp_path / "target").exists() or _listing(tmp_path / "target") == []
    figures["hostile_archives_refused"] += 1


def test_a_damaged_archive_is_refused_and_cleaned_up(tmp_path, figures):
    archive = _zip(tmp_path / "in.zip", lambda zf: (_good(zf), _entry(zf, "tickets/z/big.txt", os.urandom(50_000))))
    data = bytearray(archive.read_bytes())
    at = data.find(b"tickets/z/big.txt") + 40  # inside that entry's compressed bytes
    data[at : at + 64] = bytes(64)
    archive.write_bytes(bytes(data))
    with pytest.raises(UserError, match="damaged"):
        extract_zip(archive, tmp_path / "target")
    assert _listing(tmp_path / "target") == []  # the entries written before the damage are gone
    figures["hostile_archives_refused"] += 1


def test_a_plain_archive_unpacks(tmp_path):
    archive = _zip(tmp_path / "in.zip", _good)
    out = extract_zip(archive, tmp_path / "target")
    assert (out / "tickets" / "account" / "2.txt").read_bytes() == b"my account is locked"
    assert len(_listing(out)) == 7  # 1 + 2 folders + 4 files


def test_a_zip_of_label_folders_imports_through_the_cli(cli, tmp_path):
    import json

    cli("project", "create", "tickets")
    code, out, err = cli("data", "import", _zip(tmp_path / "tickets.zip", _good), "--project", "tickets", "--json")
    assert code == 0, err
    assert json.loads(out)["labels"] == {"account": 2, "billing": 2}
    assert not any((cli.ws / "cache").glob("sftgui-zip-*"))  # the unpacked copy is removed again


@pytest.mark.parametrize("kind", ["parent_path", "symlink", "ratio_bomb"])
def test_a_hostile_zip_import_exits_2_and_changes_nothing(cli, tmp_path, kind):
    cli("project", "create", "tickets")
    before = file_hash(cli.db)
    box = tmp_path / "box"
    box.mkdir()
    archive = _zip(box / "data.zip", HOSTILE[kind][0])
    code, out, err = cli("data", "import", archive, "--project", "tickets")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and HOSTILE[kind][1] in err
    assert file_hash(cli.db) == before
    assert _listing(box) == ["data.zip"] and not (tmp_path / "escaped.txt").exists()
    assert not any((cli.ws / "cache").glob("sftgui-zip-*"))
