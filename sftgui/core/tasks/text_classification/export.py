"""Exporting a text classifier: the tokenizer files that read what sftgui's predictions read, and
the ONNX graph (tokenizer outputs in, logits out, dynamic batch and length)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

ONNX_FILE = "model.onnx"
ONNX_OPSET = 17


def write_reading_length(folder: Path, max_length: int) -> None:
    """Make the exported tokenizer read what sftgui's predictions read.

    `model_max_length` in tokenizer_config.json is what `truncation=True` cuts at (transformers'
    default would be the base model's 512 or more); the truncation entry of tokenizer.json makes
    the `tokenizers` library (e.g. with the ONNX graph) cut there without being asked. A plain
    `pipeline()` never truncates unless told, which is why predictions read the model's whole
    reading length: up to it, the two agree with default arguments.
    """
    cfg_path = folder / "tokenizer_config.json"
    if cfg_path.is_file():
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        cfg["model_max_length"] = int(max_length)
        cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tok_path = folder / "tokenizer.json"
    if tok_path.is_file():
        tok = json.loads(tok_path.read_text(encoding="utf-8"))
        tok["truncation"] = {"direction": "Right", "max_length": int(max_length), "strategy": "LongestFirst",
                             "stride": 0}
        tok_path.write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")


def onnx_input_names(model, tokenizer) -> list[str]:
    """The tokenizer's outputs that the model takes, in the model's argument order."""
    import inspect

    params = list(inspect.signature(model.forward).parameters)
    made = set(tokenizer.model_input_names)
    return [p for p in params if p in made]


def export_onnx(model_dir: Path, onnx_path: Path) -> list[str]:
    """Convert the HF classifier in `model_dir` to ONNX with dynamic batch and sequence axes.

    Uses the TorchScript exporter (`dynamo=False`, DESIGN section 7) on the eager attention path,
    which traces to plain ops that onnxruntime runs everywhere.
    """
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, attn_implementation="eager")
    model.eval()
    names = onnx_input_names(model, tokenizer)
    sample = tokenizer(["an example text", "a second, longer example text"], padding=True, return_tensors="pt")

    class Logits(torch.nn.Module):  # positional inputs in `names` order; returns the logits only
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            return self.inner(**dict(zip(names, args))).logits

    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        # the tracer's notes on shape checks it freezes are expected: the tests check other shapes
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Logits(model),
            tuple(sample[n] for n in names),
            str(onnx_path),
            input_names=names,
            output_names=["logits"],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    return names


def to_onnx(folder: Path) -> None:
    """Replace the PyTorch weights of an HF folder by `model.onnx`."""
    folder = Path(folder)
    export_onnx(folder, folder / ONNX_FILE)
    for p in folder.glob("*.safetensors"):  # the graph replaces the PyTorch weights
        p.unlink()


def publish_pipeline(folder: Path, config: dict):
    """The pipeline MLflow's transformers flavour logs. sftgui reads each text up to the recorded
    length: so does the published pipeline, when asked to truncate (model_config asks on every predict)."""
    import transformers

    from sftgui.core.tasks.text_classification.predict import max_length_for

    pipe = transformers.pipeline("text-classification", model=str(folder), tokenizer=str(folder), device="cpu")
    max_length = max_length_for(pipe.tokenizer, config)
    pipe.tokenizer.model_max_length = max_length
    return pipe, "text-classification", {"truncation": True, "max_length": max_length}
