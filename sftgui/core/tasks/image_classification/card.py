"""What an image classifier's model card says (the generic parts are `sftgui.core.model_card`)."""

from __future__ import annotations


def card_sections(facts: dict) -> dict:
    from sftgui.core.model_card import pct, table
    from sftgui.core.tasks.text_classification.card import _metrics_section

    labels = facts.get("labels") or []
    summary = (f"An image classifier fine-tuned with sftgui {facts.get('sftgui_version', '')} from "
               f"`{facts.get('base_model', 'unknown')}`. It sorts a picture into one of {len(labels)} labels: "
               + ", ".join(f"`{label}`" for label in labels) + ".")
    if facts.get("format") == "onnx":
        usage = [
            "`model.onnx` takes `pixel_values` (float32, batch x 3 x height x width, made by the image",
            "processor in `preprocessor_config.json`) and returns `logits`; softmax gives the probabilities.",
            "",
            "```python",
            "import onnxruntime as ort",
            "from PIL import Image",
            "from transformers import AutoImageProcessor",
            "processor = AutoImageProcessor.from_pretrained('.')",
            "session = ort.InferenceSession('model.onnx')",
            "pixels = processor(images=[Image.open('photo.jpg').convert('RGB')], return_tensors='np')['pixel_values']",
            "logits = session.run(None, {'pixel_values': pixels})[0]",
            "```",
        ]
    else:
        usage = [
            "```python",
            "from transformers import pipeline",
            "classify = pipeline('image-classification', model='PATH/TO/THIS/FOLDER')",
            "classify('photo.jpg')",
            "```",
        ]
    aug = (facts.get("config") or {}).get("augmentation") or {}
    inference = [
        "## What inference needs",
        "",
        "- Pre-processing: the image processor in `preprocessor_config.json` (resize and normalise); the picture "
        "is turned upright by its EXIF orientation and converted to RGB first (transparent parts become white "
        "in sftgui; `pipeline()` drops the transparency instead).",
        "- Labels, in class-id order (`id2label` in `config.json`): "
        + ", ".join(f"{i}: `{name}`" for i, name in enumerate(labels)) + ".",
        "- Post-processing: softmax over the logits; the label is the most probable class.",
        f"- Augmentation during training: {', '.join(f'{k} {v}' for k, v in aug.items()) if aug else 'none'} "
        "(training only; predictions see the picture as it is).",
        "",
    ]
    return {
        "pipeline_tag": "image-classification",
        "summary": summary,
        "usage": usage,
        "inference": inference,
        "evaluation": _metrics_section(facts.get("metrics"), pct, table),
        "limitations": [
            "- Intended for pictures like the ones it was trained on. It always answers with one of the labels "
            "above, even for a picture that shows none of them.",
            "- The figures come from a held-out part of the same photos; other cameras, lighting or places can "
            "score lower. Check it on fresh pictures before relying on it.",
            "- It learns the patterns, and the mistakes and biases, of its training labels.",
        ],
    }
