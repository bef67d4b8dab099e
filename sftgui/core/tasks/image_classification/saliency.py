"""Which parts of a picture pushed an image classifier's answer toward each label: Captum's
integrated gradients on the pixel input (after the model's own resize and normalisation).

The baseline is the all-zero input, which after normalisation is the processor's mean colour: a
flat grey picture with nothing in it. The attributions of a label (summed over the colour
channels) add up to the change of its logit from that grey picture to the real one (completeness;
Captum's convergence delta is the error). `internal_batch_size` bounds how many interpolated
pictures go through the model at once. For a person the pixels are summed into a GRID x GRID set
of regions (`parts`, each with its box in the model's input pixels); `saliency[label]` is the
per-pixel map (rows of floats, the model's input size) the GUI draws over the picture.
"""

from __future__ import annotations

from typing import Sequence

METHOD = "integrated gradients on the pixels (Captum), baseline: a flat picture of the mean colour"
GRID = 8


def explain_image(model, processor, value, *, labels: Sequence[str], target: str | None = None, steps: int = 50,
                  internal_batch_size: int = 16, grid: int = GRID) -> dict:
    import copy

    import torch
    from captum.attr import IntegratedGradients

    from sftgui.core.tasks.image_classification import images
    from sftgui.errors import UserError

    labels = list(labels)
    if target is not None and target not in labels:
        raise UserError(f"{target!r} is not one of this version's labels ({', '.join(labels)}).")
    try:
        from sftgui.store.db import current_workspace

        ws = current_workspace()
    except Exception:  # noqa: BLE001 - no workspace open: only paths and pictures can be read
        ws = None
    picture = images.open_input(ws, value)
    if next(model.parameters()).dtype != torch.float32:  # gradients in bf16 would break completeness
        model = copy.deepcopy(model).float()
    model.eval()
    pixels = processor(images=[picture], return_tensors="pt")["pixel_values"].to(model.device, torch.float32)
    baseline = torch.zeros_like(pixels)

    def logits(x):
        return model(pixel_values=x).logits.float()

    with torch.no_grad():
        out = logits(pixels)[0]
        base_out = logits(baseline)[0]
    probs = torch.softmax(out, dim=-1)
    ig = IntegratedGradients(logits)
    height, width = pixels.shape[-2:]
    boxes = _boxes(height, width, grid)
    explained = [target] if target is not None else labels
    attributions, delta, saliency = {}, {}, {}
    for name in explained:
        attr, err = ig.attribute(pixels, baselines=baseline, target=labels.index(name), n_steps=steps,
                                 internal_batch_size=internal_batch_size, return_convergence_delta=True)
        per_pixel = attr.sum(dim=1)[0].detach().cpu()  # (H, W): the colour channels summed
        attributions[name] = [float(per_pixel[y0:y1, x0:x1].sum()) for x0, y0, x1, y1 in boxes]
        saliency[name] = per_pixel.tolist()
        delta[name] = float(err.reshape(-1)[0])
    return {
        "input": str(value),
        "predicted": labels[int(out.argmax())],
        "scores": {name: float(p) for name, p in zip(labels, probs.tolist())},
        "parts": [{"text": _region_name(i, grid), "box": list(b)} for i, b in enumerate(boxes)],
        "attributions": attributions,
        "saliency": saliency,
        "size": [int(width), int(height)],
        "delta": delta,
        "logit": {name: float(out[labels.index(name)]) for name in explained},
        "baseline_logit": {name: float(base_out[labels.index(name)]) for name in explained},
        "method": METHOD,
        "steps": steps,
    }


def _boxes(height: int, width: int, grid: int) -> list[tuple[int, int, int, int]]:
    """GRID x GRID boxes (x0, y0, x1, y1) covering every pixel once, row by row."""
    ys = [round(i * height / grid) for i in range(grid + 1)]
    xs = [round(i * width / grid) for i in range(grid + 1)]
    return [(xs[c], ys[r], xs[c + 1], ys[r + 1]) for r in range(grid) for c in range(grid)]


def _region_name(i: int, grid: int) -> str:
    return f"region row {i // grid + 1}, column {i % grid + 1}"
