"""Importing pictures: every format, EXIF orientation, zips, path tables, every bad file kind,
and each image stored once by its hash."""

from __future__ import annotations

import zipfile

import pytest

from sftgui.core.data.importers import import_file
from sftgui.errors import UserError
from tests.core.image.conftest import encoded, picture


def _draft(pics):
    from sftgui.store import draft_repo

    return list(draft_repo.iter_live(pics.id))


def _folder(root, files: dict):
    for name, data in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def test_every_format_is_read_upright_and_in_colour(ws, pics, tmp_path):
    from PIL import Image

    from sftgui.core.tasks.image_classification import images

    frames = [picture((255, 0, 0)), picture((0, 0, 255))]
    gif = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to show"
    files = {
        "a/one.jpg": encoded(picture(), "JPEG"), "a/two.png": encoded(picture(mode="RGBA"), "PNG"),
        "a/three.webp": encoded(picture(), "WEBP"), "b/four.bmp": encoded(picture(mode="L"), "BMP"),
        "b/five.gif": gif, "b/six.tiff": encoded(picture(), "TIFF"),
        "b/seven.jpeg": encoded(picture(size=(40, 20)), "JPEG", exif=exif),
    }
    r = import_file(ws, pics, _folder(tmp_path / "photos", files))
    assert r.rows == 7 and r.labels == {"a": 3, "b": 4}
    rows = {row[0]: row for row in _draft(pics)}
    decoded = [images.load(ws, row[1]) for row in rows.values()]
    assert all(im.mode == "RGB" for im in decoded)
    by_size = sorted(im.size for im in decoded)
    assert (20, 40) in by_size  # the EXIF orientation turned the 40x20 photo upright
    first = images.decode(gif)
    assert first.getpixel((12, 9))[0] > 200 and first.getpixel((12, 9))[2] < 50  # the GIF's first (red) frame


@pytest.mark.parametrize("kind", ["empty", "truncated", "not_an_image", "bomb"])
def test_a_bad_file_is_a_sentence_naming_it_and_nothing_is_imported(ws, pics, tmp_path, kind, monkeypatch):
    from PIL import Image

    good = encoded(picture(), "PNG")
    bad = {"empty": b"", "truncated": encoded(picture(size=(200, 200)), "JPEG")[:400],
           "not_an_image": b"hello, I am a text file\n", "bomb": encoded(picture(size=(300, 300)), "PNG")}[kind]
    if kind == "bomb":
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)  # 300x300 is over 2x the limit: refused
    folder = _folder(tmp_path / "photos", {"cats/ok.png": good, "dogs/bad.jpg": bad, "dogs/ok2.png": good})
    with pytest.raises(UserError) as err:
        import_file(ws, pics, folder)
    assert "dogs/bad.jpg" in str(err.value) and "Nothing was imported" in str(err.value)
    assert _draft(pics) == []
    r = import_file(ws, pics, folder, skip_bad=True)
    assert r.rows == 2 and r.info["skipped"] == 1 and "dogs/bad.jpg" in r.info["skipped_files"][0]


def test_zip_and_path_table_and_one_blob_per_picture(ws, pics, tmp_path):
    from sftgui.core.projects import create_project

    files = {"cats/a.png": encoded(picture((10, 200, 10)), "PNG"), "dogs/b.png": encoded(picture((10, 10, 200)), "PNG")}
    folder = _folder(tmp_path / "pets", files)
    archive = tmp_path / "pets.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in files:
            zf.write(folder / name, f"pets/{name}")
    assert import_file(ws, pics, archive).labels == {"cats": 1, "dogs": 1}
    blobs_before = sum(1 for _ in ws.blobs.iter_digests())
    table = tmp_path / "pets" / "list.csv"
    table.write_text("file,kind\ncats/a.png,cat\ndogs/b.png,dog\n", encoding="utf-8")
    other = create_project(ws, "other", "image-classification")
    r = import_file(ws, other, table)
    assert r.mapping["text_col"] == "file" and r.labels == {"cat": 1, "dog": 1}
    assert sum(1 for _ in ws.blobs.iter_digests()) == blobs_before  # two projects, one copy of each photo
    assert {row[1] for row in _draft(pics)} == {row[1] for row in _draft(other)}
    table.write_text("file,kind\n../../etc/passwd.png,cat\n", encoding="utf-8")
    with pytest.raises(UserError, match="outside the table's folder"):
        import_file(ws, other, table)
    assert folder.is_dir()


def test_a_folder_without_label_subfolders_is_refused(ws, pics, tmp_path):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "x.png").write_bytes(encoded(picture(), "PNG"))
    with pytest.raises(UserError, match="no subfolders"):
        import_file(ws, pics, tmp_path / "flat")


def test_thumbnails_are_cached_in_the_workspace(ws, pics, tmp_path):
    from PIL import Image

    from sftgui.core.tasks.image_classification import images

    import_file(ws, pics, _folder(tmp_path / "p", {"a/big.png": encoded(picture(size=(400, 300)), "PNG"),
                                                    "b/x.png": encoded(picture(), "PNG")}))
    digest = _draft(pics)[0][1]
    thumb = images.thumbnail_path(ws, digest)
    assert thumb.is_relative_to(ws.cache) and max(Image.open(thumb).size) == images.THUMB
    assert images.thumbnail_path(ws, digest) == thumb
