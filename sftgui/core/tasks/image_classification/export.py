"""Exporting an image classifier to ONNX: `pixel_values` (any batch) in, `logits` out."""

from __future__ import annotations

import warnings
from pathlib import Path

from sftgui.core.tasks.text_classification.export import ONNX_FILE, ONNX_OPSET


def export_onnx(model_dir: Path, onnx_path: Path) -> None:
    """TorchScript exporter (`dynamo=False`, DESIGN section 7) with a dynamic batch axis; the
    picture size is the processor's, fixed in the graph."""
    import torch
    from transformers import AutoModelForImageClassification

    from sftgui.core.tasks.image_classification.data import image_size
    from sftgui.core.tasks.image_classification.model import load_processor

    model = AutoModelForImageClassification.from_pretrained(str(model_dir)).eval()
    side = image_size(load_processor(model_dir))
    sample = torch.zeros(2, model.config.num_channels if hasattr(model.config, "num_channels") else 3, side, side)

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, pixel_values):
            return self.inner(pixel_values=pixel_values).logits

    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on frozen shape checks are expected
        torch.onnx.export(Logits(model), (sample,), str(onnx_path), input_names=["pixel_values"],
                          output_names=["logits"], dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}},
                          opset_version=ONNX_OPSET, dynamo=False)


def to_onnx(folder: Path) -> None:
    """Replace the PyTorch weights of an HF folder by `model.onnx` (the processor's files stay)."""
    folder = Path(folder)
    export_onnx(folder, folder / ONNX_FILE)
    for p in folder.glob("*.safetensors"):
        p.unlink()
