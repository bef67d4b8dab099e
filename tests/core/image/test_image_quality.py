"""The quality report of an image project: what the generic report finds by digest, and the
checks only pictures have (near duplicates by perceptual hash, tiny, extreme aspect, mixed modes)."""

from __future__ import annotations

from sftgui.core.data import quality
from sftgui.core.data.importers import import_file
from tests.core.image.conftest import encoded, picture


def _photo(seed: int, size=(64, 64)):
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    im = Image.new("RGB", size, tuple(rng.randint(0, 255) for _ in range(3)))
    d = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        d.ellipse([x - 12, y - 12, x + 12, y + 12], fill=tuple(rng.randint(0, 255) for _ in range(3)))
    return im


def test_duplicates_conflicts_tiny_aspect_modes_and_imbalance(ws, pics, tmp_path):
    root = tmp_path / "photos"
    files = {f"cats/c{i}.png": encoded(_photo(i), "PNG") for i in range(14)}
    files["cats/copy.png"] = files["cats/c0.png"]  # exact duplicate
    files["cats/resized.jpg"] = encoded(_photo(1).resize((128, 128)), "JPEG", quality=90)  # near duplicate of c1
    files["dogs/c2-again.png"] = files["cats/c2.png"]  # the same photo under two labels
    files["dogs/tiny.png"] = encoded(picture(size=(12, 12)), "PNG")
    files["dogs/banner.png"] = encoded(picture(size=(300, 40)), "PNG")
    files["dogs/grey.png"] = encoded(_photo(20).convert("L"), "PNG")
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    import_file(ws, pics, root)
    report = quality.check_draft(ws, pics, check_length=False)
    kinds = {f.kind: f for f in report.findings}
    assert kinds["exact_duplicates"].count == 2  # the copy, and the photo repeated under dogs
    assert kinds["label_conflicts"].count == 1
    assert kinds["near_duplicate_images"].count >= 1
    assert any(set(g["rows"]) and len(g["rows"]) >= 2 for g in kinds["near_duplicate_images"].examples)
    assert kinds["tiny_images"].count == 1 and kinds["extreme_aspect"].count == 1
    assert "grey" in kinds["mixed_colour_modes"].message
    assert kinds["class_imbalance"].examples[0] == {"cats": 16, "dogs": 4}


def test_a_clean_set_has_no_image_findings(ws, pics, tmp_path):
    root = tmp_path / "clean"
    for i in range(6):
        (root / ("a" if i % 2 else "b")).mkdir(parents=True, exist_ok=True)
        (root / ("a" if i % 2 else "b") / f"{i}.png").write_bytes(encoded(_photo(100 + i), "PNG"))
    import_file(ws, pics, root)
    kinds = quality.check_draft(ws, pics, check_length=False).kinds()
    assert not kinds & {"near_duplicate_images", "tiny_images", "extreme_aspect", "mixed_colour_modes",
                        "unreadable_images", "exact_duplicates"}


def test_leakage_by_hash_is_found_and_a_reimported_photo_keeps_its_split(ws, pics, tmp_path):
    from sftgui.core.data.snapshots import freeze_snapshot, load_snapshot_table

    root = tmp_path / "p"
    for i in range(30):
        label = "a" if i % 2 else "b"
        (root / label).mkdir(parents=True, exist_ok=True)
        (root / label / f"{i}.png").write_bytes(encoded(_photo(200 + i), "PNG"))
    import_file(ws, pics, root)
    first = load_snapshot_table(ws, freeze_snapshot(ws, pics).id).to_pydict()
    split_of = dict(zip(first["image"], first["split"]))
    import_file(ws, pics, root)  # the same photos again, as new rows
    second = load_snapshot_table(ws, freeze_snapshot(ws, pics).id).to_pydict()
    assert all(split_of[d] == s for d, s in zip(second["image"], second["split"]))  # no test photo reaches train
