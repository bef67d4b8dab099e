"""The image task's augmentation offer (what the Train page's panel shows), its preview of the
project's own pictures (seeded), and the words training uses about picture data."""

from __future__ import annotations

import io

from sftgui.core.tasks import get_task
from tests.core.image.conftest import shapes_dir  # noqa: F401 - fixture


def test_every_offered_setting_is_one_the_augmenter_accepts_at_both_ends():
    from sftgui.core.tasks.image_classification import augment

    choices = get_task("image-classification").augmentation_choices()
    assert [c[0] for c in choices] == list(augment.SETTINGS)
    for name, title, meaning, low, high, default in choices:
        assert title and meaning
        if low is None:
            assert augment.check({name: True}) == {name: True}
        else:
            assert augment.check({name: low}) and augment.check({name: high}) and low <= default <= high
    assert get_task("text-classification").augmentation_choices() == ()


def test_the_preview_is_the_same_for_the_same_seed_and_changes_with_settings(ws, pics, shapes_dir):  # noqa: F811
    from PIL import Image

    from sftgui.core.data import labelling
    from sftgui.core.data.importers import import_file

    import_file(ws, pics, shapes_dir)
    digests = [r.text for r in labelling.fetch_rows(ws, pics, limit=4)]
    task = get_task("image-classification")
    settings = {"flip": True, "rotation": 30.0, "noise": 0.1}
    first = task.augmentation_preview(ws, digests, settings, seed=3)
    assert len(first) == 4 and all(Image.open(io.BytesIO(png)).format == "PNG" for png in first)
    assert task.augmentation_preview(ws, digests, settings, seed=3) == first
    assert task.augmentation_preview(ws, digests, settings, seed=4) != first
    plain = task.augmentation_preview(ws, digests, {}, seed=3)
    assert plain != first
    with Image.open(task.thumbnail(ws, digests[0])) as thumb:  # no settings: the thumbnail as it is
        assert Image.open(io.BytesIO(plain[0])).convert("RGB").tobytes() == thumb.convert("RGB").tobytes()


def test_training_words_for_pictures_name_no_text_fast_paths():
    from sftgui.config import TrainConfig
    from sftgui.core.training.hardware import Hardware, fast_path_sentences

    hw = Hardware(device="cpu", precision="bf16", name="CPU")
    image = get_task("image-classification")
    quick = TrainConfig.from_preset("quick", task="image-classification")
    balanced = TrainConfig.from_preset("balanced", task="image-classification")
    said = " ".join(fast_path_sentences(hw, group_by_length=False, cache_hit=False, task=image, config=quick))
    assert "bf16: on" in said and "augmentation: off" in said and "picture" in said
    assert not any(word in said for word in ("token", "padding", "texts", "length"))
    said = " ".join(fast_path_sentences(hw, group_by_length=False, cache_hit=False, task=image, config=balanced))
    assert "augmentation: on — mirrored, turned up to 10 degrees" in said
    text = fast_path_sentences(hw, group_by_length=True, cache_hit=True, fast_dropout=True)
    assert text[0].startswith("processor: ")  # on a CPU, what it can do comes first
    assert any(s.startswith("length-grouped batches: on") for s in text) and text[-1] == "tokenized data: reused from the cache"
    assert any(s.startswith("dropout: cheaper") for s in text)
