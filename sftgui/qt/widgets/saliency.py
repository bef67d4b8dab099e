"""An image explanation drawn over the picture: green where the pixels pushed the answer toward
the label, red where they pushed away, stronger for a bigger push (the largest is full strength).

The picture is drawn square, as the model sees it after its resize; the map (the model's input
size) is scaled up smoothly over it. The result is a PNG file the Try it page shows in rich text
next to its sentence.
"""

from __future__ import annotations

import html
from pathlib import Path

from sftgui.qt.widgets.highlights import GREEN, RED

SIDE = 240  # pixels on screen


def overlay_image(picture_path: str, explanation: dict, label: str | None = None, side: int = SIDE):
    """A QImage: the picture with the label's saliency map over it."""
    import numpy as np
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter

    label = label or explanation["predicted"]
    values = np.asarray(explanation["saliency"][label], dtype=np.float32)
    top = float(np.abs(values).max()) or 1.0
    strength = np.clip(np.abs(values) / top, 0, 1)
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    positive = values >= 0
    for channel in range(3):
        rgba[..., channel] = np.where(positive, GREEN[channel], RED[channel])
    rgba[..., 3] = (np.sqrt(strength) * 0.8 * 255).astype(np.uint8)  # sqrt: faint pushes stay visible
    rgba = np.ascontiguousarray(rgba)
    heat = QImage(rgba.data, rgba.shape[1], rgba.shape[0], rgba.shape[1] * 4, QImage.Format.Format_RGBA8888).copy()
    picture = QImage(str(picture_path))
    out = QImage(side, side, QImage.Format.Format_ARGB32)
    out.fill(Qt.GlobalColor.white)
    painter = QPainter(out)
    if not picture.isNull():
        painter.drawImage(out.rect(), picture.scaled(side, side, Qt.AspectRatioMode.IgnoreAspectRatio,
                                                     Qt.TransformationMode.SmoothTransformation))
    painter.drawImage(out.rect(), heat.scaled(side, side, Qt.AspectRatioMode.IgnoreAspectRatio,
                                              Qt.TransformationMode.SmoothTransformation))
    painter.end()
    return out


def saliency_html(folder: Path, explanation: dict, label: str | None = None) -> str:
    """Rich text: the overlay (written to `folder`/why.png) and a sentence naming the strongest region."""
    label = label or explanation["predicted"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "why.png"
    overlay_image(explanation["input"], explanation, label).save(str(path), "PNG")
    values = explanation["attributions"][label]
    best = max(range(len(values)), key=values.__getitem__) if values else None
    where = (f" The strongest push toward '{html.escape(label)}' came from the {_where(explanation, best)}."
             if best is not None and values[best] > 0 else "")
    return (f'<img src="{html.escape(str(path))}" width="{SIDE}" height="{SIDE}"><br><small>Green parts of the '
            f"picture pushed the model toward '{html.escape(label)}', red ones away from it.{where}</small>")


def _where(explanation: dict, index: int) -> str:
    """"top left", "middle", ... of a region's box in the model's input."""
    x0, y0, x1, y1 = explanation["parts"][index]["box"]
    width, height = explanation["size"]
    cx, cy = (x0 + x1) / 2 / width, (y0 + y1) / 2 / height
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
    return "centre" if (row, col) == ("middle", "centre") else f"{row} {col}" if row != "middle" else f"middle {col}"
