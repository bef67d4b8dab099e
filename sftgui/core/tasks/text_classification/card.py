"""What a text classifier's model card says (the generic parts are `sftgui.core.model_card`)."""

from __future__ import annotations


def card_sections(facts: dict) -> dict:
    from sftgui.core.model_card import pct, table

    labels = facts.get("labels") or []
    summary = (f"A text classifier fine-tuned with sftgui {facts.get('sftgui_version', '')} from "
               f"`{facts.get('base_model', 'unknown')}`. It sorts a text into one of {len(labels)} labels: "
               + ", ".join(f"`{label}`" for label in labels) + ".")
    if facts.get("format") == "onnx":
        usage = [
            "`model.onnx` takes the tokenizer's outputs (`input_ids`, `attention_mask` and, when the",
            "tokenizer makes them, `token_type_ids`) with any batch size and length, and returns",
            "`logits`; softmax gives the probabilities, `config.json`'s `id2label` the label names.",
            "",
            "```python",
            "import numpy as np, onnxruntime as ort",
            "from transformers import AutoTokenizer",
            "tok = AutoTokenizer.from_pretrained('.')",
            "session = ort.InferenceSession('model.onnx')",
            "names = [i.name for i in session.get_inputs()]",
            "enc = tok(['my text'], return_tensors='np', padding=True, truncation=True)",
            "logits = session.run(None, {n: enc[n].astype(np.int64) for n in names})[0]",
            "```",
        ]
    else:
        usage = [
            "```python",
            "from transformers import pipeline",
            "classify = pipeline('text-classification', model='PATH/TO/THIS/FOLDER')",
            "classify('my text')",
            "```",
        ]
    return {
        "pipeline_tag": "text-classification",
        "summary": summary,
        "usage": usage,
        "inference": inference_section(facts),
        "evaluation": _metrics_section(facts.get("metrics"), pct, table),
        "limitations": [
            "- Intended for texts like the ones it was trained on, sorted into the labels above. It always "
            "answers with one of these labels, even for a text that fits none of them.",
            "- The figures above come from a held-out part of the same data; texts from another source, "
            "period or language can score lower. Check it on fresh examples before relying on it.",
            "- It learns the patterns, and the mistakes and biases, of its training labels. Keep a person "
            "in the loop for decisions that matter.",
        ],
    }


def _metrics_section(metrics: dict | None, pct, table) -> list[str]:
    if not metrics or "per_class" not in metrics:
        return ["No test metrics were recorded for this version.", ""]
    out = [
        f"On {metrics.get('examples', '?')} test examples the model has not seen in training:",
        "",
        *table(["Metric", "Value"], [["Accuracy", pct(metrics["accuracy"])], ["Macro F1", pct(metrics["macro_f1"])],
                                     ["Weighted F1", pct(metrics["weighted_f1"])]]),
        "",
        "Per label:",
        "",
        *table(["Label", "Precision", "Recall", "F1", "Examples"],
               [[name, pct(m["precision"]), pct(m["recall"]), pct(m["f1"]), m["support"]]
                for name, m in metrics["per_class"].items()]),
        "",
    ]
    cm = metrics.get("confusion_matrix")
    if cm:
        names = list(metrics["per_class"])
        out += [
            "Confusion matrix (rows: true label, columns: predicted label):",
            "",
            *table(["true \\ predicted", *names], [[names[i], *row] for i, row in enumerate(cm)]),
            "",
        ]
    return out


def inference_section(facts: dict) -> list[str]:
    """What a program needs to predict exactly as sftgui did: length, truncation, labels, processing."""
    labels = facts.get("labels") or []
    inf = facts.get("inference") or {}
    reads, trained = inf.get("max_length"), inf.get("trained_max_length")
    out = ["## What inference needs", ""]
    if reads:
        out.append(f"- Reads up to **{reads} tokens** per text (`model_max_length` in `tokenizer_config.json`). "
                   f"A plain `pipeline()` gives sftgui's probabilities for texts up to {reads} tokens; for longer "
                   "texts pass `truncation=True`, which cuts at the same length sftgui cuts at.")
    else:
        out.append("- No reading length is recorded for this version; pass `truncation=True` for long texts.")
    if trained and trained != reads:
        out.append(f"- Trained on texts cut to {trained} tokens (to train faster); its test figures were "
                   f"measured reading up to {reads} tokens, like the line above.")
    out += [
        "- Labels, in class-id order (`id2label` in `config.json`): " + ", ".join(f"{i}: `{name}`" for i, name in enumerate(labels)) + ".",
        "- Pre-processing: none; the text goes to the tokenizer as it is. Post-processing: softmax over the "
        "logits; the label is the most probable class.",
        "",
    ]
    return out
