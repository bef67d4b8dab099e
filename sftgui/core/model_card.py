"""The model card (`README.md`) written next to every export: what the model is and how it was made.

`render_model_card(facts)` takes plain facts (gathered by `export.card_facts`) so it can be tested
and reused without a workspace. Hugging Face reads the YAML header; people read the rest.
"""

from __future__ import annotations

import json

HYPERPARAMETERS = (
    "preset",
    "epochs",
    "learning_rate",
    "batch_size",
    "max_length",
    "weight_decay",
    "warmup",
    "freeze",
    "lora",
    "seed",
    "precision",
)


def _cell(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _pct(x) -> str:
    return f"{100 * float(x):.1f}%" if x is not None else "n/a"


def _metrics_section(metrics: dict | None) -> list[str]:
    if not metrics or "per_class" not in metrics:
        return ["No test metrics were recorded for this version.", ""]
    out = [
        f"On {metrics.get('examples', '?')} test examples the model has not seen in training:",
        "",
        *_table(
            ["Metric", "Value"],
            [
                ["Accuracy", _pct(metrics["accuracy"])],
                ["Macro F1", _pct(metrics["macro_f1"])],
                ["Weighted F1", _pct(metrics["weighted_f1"])],
            ],
        ),
        "",
        "Per label:",
        "",
        *_table(
            ["Label", "Precision", "Recall", "F1", "Examples"],
            [
                [name, _pct(m["precision"]), _pct(m["recall"]), _pct(m["f1"]), m["support"]]
                for name, m in metrics["per_class"].items()
            ],
        ),
        "",
    ]
    cm = metrics.get("confusion_matrix")
    if cm:
        names = list(metrics["per_class"])
        out += [
            "Confusion matrix (rows: true label, columns: predicted label):",
            "",
            *_table(["true \\ predicted", *names], [[names[i], *row] for i, row in enumerate(cm)]),
            "",
        ]
    return out


def _inference_section(facts: dict, labels) -> list[str]:
    """What a program needs to predict exactly as sftgui did: length, truncation, labels, processing."""
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


def render_model_card(facts: dict) -> str:
    """Markdown text of the card. Missing facts are said to be missing, never invented."""
    labels = facts.get("labels") or []
    snap = facts.get("snapshot") or {}
    config = facts.get("config") or {}
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: text-classification",
        f"base_model: {json.dumps(str(facts.get('base_model', 'unknown')))}",
        "tags: [sftgui, text-classification]",
        "---",
        "",
        f"# {facts.get('name', 'model')}",
        "",
        f"A text classifier fine-tuned with sftgui {facts.get('sftgui_version', '')} from "
        f"`{facts.get('base_model', 'unknown')}`. It sorts a text into one of {len(labels)} labels: "
        + ", ".join(f"`{label}`" for label in labels)
        + ".",
        "",
        f"- Version: {facts.get('name', '?')} (created {facts.get('created_at', '?')}, exported "
        f"{facts.get('exported_at', '?')})",
        f"- Export format: {facts.get('format', 'hf')}",
        f"- Lineage: {' -> '.join(facts.get('lineage') or []) or 'trained from the base model'}",
        "",
        "## How to use",
        "",
    ]
    if facts.get("format") == "onnx":
        lines += [
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
        lines += [
            "```python",
            "from transformers import pipeline",
            "classify = pipeline('text-classification', model='PATH/TO/THIS/FOLDER')",
            "classify('my text')",
            "```",
        ]
    lines += ["", *_inference_section(facts, labels), "## Training data", ""]
    if snap:
        lines += [
            f"Dataset snapshot {snap.get('id', '?')}: {snap.get('rows', '?')} rows, content hash "
            f"`{snap.get('hash', '?')}`." + (f" {snap['left_out']}" if snap.get("left_out") else ""),
            "",
            *_table(["Label", "Rows"], [[k, v] for k, v in (snap.get("label_counts") or {}).items()]),
            "",
        ]
        if snap.get("split_counts"):
            lines += ["Splits: " + ", ".join(f"{k} {v}" for k, v in snap["split_counts"].items()), ""]
    else:
        lines += ["No dataset snapshot is recorded for this version.", ""]
    lines += ["## Hyperparameters", ""]
    shown = [[k, config[k]] for k in HYPERPARAMETERS if k in config]
    shown += [[k, v] for k, v in sorted(config.items()) if k not in HYPERPARAMETERS and k != "schema_version"]
    lines += (_table(["Setting", "Value"], shown) if shown else ["No training settings are recorded."]) + [""]
    lines += ["## Evaluation", "", *_metrics_section(facts.get("metrics"))]
    lines += [
        "## Intended use and limitations",
        "",
        "- Intended for texts like the ones it was trained on, sorted into the labels above. It always "
        "answers with one of these labels, even for a text that fits none of them.",
        "- The figures above come from a held-out part of the same data; texts from another source, "
        "period or language can score lower. Check it on fresh examples before relying on it.",
        "- It learns the patterns, and the mistakes and biases, of its training labels. Keep a person "
        "in the loop for decisions that matter.",
        "",
        f"Files and their sha256 are listed in `{facts.get('manifest_name', 'sftgui-manifest.json')}`.",
        "",
    ]
    return "\n".join(lines)
