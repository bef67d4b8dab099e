"""The one prediction path of an image classifier: pictures -> class probabilities.

Training's test predictions, evaluation, compare, hints, `sftgui predict` and the playground all
call `predict_proba`, with the model's own image processor (the resize and normalise a plain
`pipeline("image-classification")` on the exported folder applies).
"""

from __future__ import annotations

from typing import Sequence

DEFAULT_BATCH = 32


def predict_proba(model, processor, inputs: Sequence, *, batch_size: int = DEFAULT_BATCH):
    """float64 numpy, one row per input (a blob digest, an image file path or a PIL image), in order."""
    import numpy as np
    import torch

    from sftgui.core import inference
    from sftgui.core.tasks.image_classification import images
    from sftgui.store.db import current_workspace

    try:
        ws = current_workspace()
    except Exception:  # noqa: BLE001 - no workspace open: only paths and pictures can be read
        ws = None
    out = np.zeros((len(inputs), model.config.num_labels), dtype=np.float64)
    was_training = model.training
    model.eval()
    dtype = next(model.parameters()).dtype
    with torch.inference_mode(), inference.autocast(model):  # fp16 on a CUDA GPU
        for start in range(0, len(inputs), batch_size):
            chunk = inputs[start : start + batch_size]
            pics = [images.open_input(ws, x) for x in chunk]
            pixels = processor(images=pics, return_tensors="pt")["pixel_values"].to(model.device, dtype)
            logits = model(pixel_values=pixels).logits.float()
            out[start : start + len(chunk)] = torch.softmax(logits, dim=-1).cpu().numpy()
    model.train(was_training)
    return out
