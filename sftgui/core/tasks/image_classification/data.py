"""Image classification data: the checks, the label set and the model-ready rows.

`prepare` keeps only digests, labels and row ids (tiny, cached by nothing: it is instant); the
pixels are made on the fly as the Trainer reads a batch: the image is read from the blob store,
augmented (training split only, seeded) and turned into `pixel_values` by the model's own image
processor, so training, evaluation and an exported `pipeline()` see the same resize and normalise.
"""

from __future__ import annotations

from sftgui.core.tasks.text_classification.data import SPLITS, check_rows, label_set  # same rules for images

__all__ = ["SPLITS", "check_rows", "label_set", "prepare", "augmenting", "collator", "image_size"]


def image_size(processor) -> int:
    """The side the processor resizes to (recorded where a text task records its length)."""
    size = getattr(processor, "size", None)
    if isinstance(size, (int, float)):
        return int(size)
    get = size.get if isinstance(size, dict) else (lambda k: getattr(size, k, None))
    return int(get("height") or get("shortest_edge") or get("width") or 224)


def prepare(rows: dict, labels: list[str], processor):
    """({split: datasets.Dataset with image, labels, row_id}, cache_hit=False) of the non-empty splits."""
    import datasets

    datasets.disable_progress_bars()
    label2id = {lab: i for i, lab in enumerate(labels)}
    out = {}
    for split in SPLITS:
        idx = [i for i, s in enumerate(rows["split"]) if s == split and rows["label"][i] not in (None, "")]
        if idx:
            out[split] = datasets.Dataset.from_dict({
                "image": [rows["image"][i] for i in idx],
                "labels": [label2id[str(rows["label"][i])] for i in idx],
                "row_id": [int(rows["row_id"][i]) for i in idx],
            })
    for ds in out.values():
        ds.set_transform(_Pixels(processor, None))
    return out, False


class _Pixels:
    """The on-the-fly transform: digests -> pixel_values (augmented when an Augmenter is given).
    Column reads that do not include the image (e.g. the labels for class weights) pass through."""

    def __init__(self, processor, augmenter):
        self.processor, self.augmenter = processor, augmenter

    def __call__(self, batch: dict) -> dict:
        if "image" not in batch or self.processor is None:
            return batch
        from sftgui.core.tasks.image_classification import images
        from sftgui.store.db import current_workspace

        ws = current_workspace()
        pics = [images.load(ws, d) for d in batch["image"]]
        if self.augmenter is not None:
            pics = [self.augmenter(p) for p in pics]
        pixels = self.processor(images=pics, return_tensors="pt")["pixel_values"]
        out = {k: v for k, v in batch.items() if k != "image"}
        out["pixel_values"] = list(pixels)
        return out


def augmenting(data: dict, processor, augmentation: dict | None, seed: int) -> dict:
    """The splits as training reads them: pixels from the processor; the training split augmented."""
    from sftgui.core.tasks.image_classification.augment import Augmenter, active

    for split, ds in data.items():
        aug = Augmenter(augmentation, seed) if split == "train" and active(augmentation) else None
        ds.set_transform(_Pixels(processor, aug))
    return data


def collator():
    from transformers import default_data_collator

    return default_data_collator  # stacks pixel_values; labels and row_id ride along as tensors
