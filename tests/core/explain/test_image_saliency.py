"""Saliency for an image classifier (integrated gradients on the pixels): on a tiny ResNet that
learned to spot a planted bright patch, the map points at the patch wherever it is, and the
regions' numbers add up to the change of the logit from the grey baseline (completeness)."""

from __future__ import annotations

import pytest

LABELS = ["plain", "patch"]
SIDE = 32


def picture(rng, *, patch_at=None):
    import numpy as np
    from PIL import Image

    level = rng.uniform(0.15, 0.4)
    px = np.clip(level + rng.normal(0, 0.05, (SIDE, SIDE, 3)), 0, 1)
    if patch_at is not None:
        y, x = patch_at
        px[y:y + 8, x:x + 8] = 1.0
    return Image.fromarray((px * 255).astype("uint8"))


@pytest.fixture(scope="module")
def patch_model(tmp_path_factory):
    """A tiny ResNet trained for a few seconds to say "patch" when a bright 8x8 square is in the picture."""
    import numpy as np
    import torch
    from transformers import AutoImageProcessor, ResNetForImageClassification

    from tests.tiny_image import make_tiny_image_model_dir

    folder = make_tiny_image_model_dir(tmp_path_factory.mktemp("patch-model"), num_labels=2, side=SIDE)
    model = ResNetForImageClassification.from_pretrained(folder)
    processor = AutoImageProcessor.from_pretrained(folder)
    rng = np.random.default_rng(0)
    pics, ys = [], []
    for i in range(160):
        has = i % 2 == 1
        pics.append(picture(rng, patch_at=tuple(rng.integers(0, SIDE - 8, 2)) if has else None))
        ys.append(int(has))
    x = processor(images=pics, return_tensors="pt")["pixel_values"]
    y = torch.tensor(ys)
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for step in range(120):
        idx = torch.randint(0, len(ys), (32,))
        loss = torch.nn.functional.cross_entropy(model(pixel_values=x[idx]).logits, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        accuracy = float((model(pixel_values=x).logits.argmax(-1) == y).float().mean())
    assert accuracy >= 0.9, f"the planted-patch model did not learn ({accuracy:.0%}); the test would mean nothing"
    return model, processor


def _explain(patch_model, at, steps=50):
    import numpy as np

    from sftgui.core.tasks import get_task

    model, processor = patch_model
    img = picture(np.random.default_rng(7), patch_at=at)
    return get_task("image-classification").explain(model, processor, img, labels=LABELS, target="patch",
                                                    steps=steps, internal_batch_size=8)


def _patch_regions(at, grid=8, side=SIDE):
    cell = side // grid
    y, x = at
    return {r * grid + c for r in range(y // cell, (y + 8 - 1) // cell + 1) for c in range(x // cell, (x + 8 - 1) // cell + 1)}


@pytest.mark.parametrize("at", [(0, 0), (20, 22)])
def test_the_map_points_at_the_planted_patch_wherever_it_is(patch_model, at):
    out = _explain(patch_model, at)
    assert out["predicted"] == "patch"
    values = out["attributions"]["patch"]
    inside = _patch_regions(at)
    top = max(range(len(values)), key=values.__getitem__)
    assert top in inside, (top, sorted(inside))
    mean_in = sum(abs(values[i]) for i in inside) / len(inside)
    mean_out = sum(abs(v) for i, v in enumerate(values) if i not in inside) / (len(values) - len(inside))
    assert mean_in > 3 * mean_out, (mean_in, mean_out)
    # the per-pixel map the GUI draws is the model's input size, its sum the regions' sum
    assert out["size"] == [SIDE, SIDE] and len(out["saliency"]["patch"]) == SIDE
    assert sum(map(sum, out["saliency"]["patch"])) == pytest.approx(sum(values), rel=1e-4, abs=1e-4)


def test_completeness_the_regions_add_up_to_the_change_of_the_logit(patch_model):
    out = _explain(patch_model, (4, 12))
    change = out["logit"]["patch"] - out["baseline_logit"]["patch"]
    total = sum(out["attributions"]["patch"])
    assert abs(total - change) <= max(0.05, 0.05 * abs(change)), (total, change)
    assert abs(out["delta"]["patch"]) <= max(0.05, 0.05 * abs(change))
    assert len(out["parts"]) == 64 and "row 1, column 1" in out["parts"][0]["text"]


def test_a_model_with_shuffled_weights_points_elsewhere(patch_model):
    """Adebayo et al.'s sanity check: the map depends on what the model learned."""
    import copy

    import torch

    model, processor = patch_model
    scrambled = copy.deepcopy(model)
    torch.manual_seed(1)
    with torch.no_grad():
        for p in scrambled.parameters():
            p.copy_(p.flatten()[torch.randperm(p.numel())].view_as(p))
    at = (0, 0)
    learned = _explain(patch_model, at)["attributions"]["patch"]
    shuffled = _explain((scrambled, processor), at)["attributions"]["patch"]
    inside = _patch_regions(at)
    share = lambda v: sum(abs(v[i]) for i in inside) / max(1e-12, sum(abs(x) for x in v))  # noqa: E731
    assert share(learned) > share(shuffled) + 0.2, (share(learned), share(shuffled))
