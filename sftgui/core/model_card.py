"""The model card (`README.md`) written next to every export: what the model is and how it was made.

`render_model_card(facts, sections)` takes plain facts (gathered by `export.card_facts`) and the
task's own parts (what the model does, how to use it, its metrics, its limits: the task's
`card_sections`), so it can be tested and reused without a workspace. Hugging Face reads the YAML header; people read the rest.
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


def table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def pct(x) -> str:
    return f"{100 * float(x):.1f}%" if x is not None else "n/a"


def render_model_card(facts: dict, sections: dict) -> str:
    """Markdown text of the card. Missing facts are said to be missing, never invented.

    `sections` are the task's parts (its `card_sections(facts)`): `pipeline_tag`, `summary` (one
    paragraph), `usage`, `inference` (optional), `evaluation` and `limitations` (lists of lines).
    """
    snap = facts.get("snapshot") or {}
    config = facts.get("config") or {}
    lines = [
        "---",
        "library_name: transformers",
        f"pipeline_tag: {sections['pipeline_tag']}",
        f"base_model: {json.dumps(str(facts.get('base_model', 'unknown')))}",
        f"tags: [sftgui, {sections['pipeline_tag']}]",
        "---",
        "",
        f"# {facts.get('name', 'model')}",
        "",
        sections["summary"],
        "",
        f"- Version: {facts.get('name', '?')} (created {facts.get('created_at', '?')}, exported "
        f"{facts.get('exported_at', '?')})",
        f"- Export format: {facts.get('format', 'hf')}",
        f"- Lineage: {' -> '.join(facts.get('lineage') or []) or 'trained from the base model'}",
        "",
        "## How to use",
        "",
        *sections["usage"],
    ]
    lines += ["", *sections.get("inference", []), "## Training data", ""]
    if snap:
        lines += [
            f"Dataset snapshot {snap.get('id', '?')}: {snap.get('rows', '?')} rows, content hash "
            f"`{snap.get('hash', '?')}`." + (f" {snap['left_out']}" if snap.get("left_out") else ""),
            "",
            *table(["Label", "Rows"], [[k, v] for k, v in (snap.get("label_counts") or {}).items()]),
            "",
        ]
        if snap.get("split_counts"):
            lines += ["Splits: " + ", ".join(f"{k} {v}" for k, v in snap["split_counts"].items()), ""]
    else:
        lines += ["No dataset snapshot is recorded for this version.", ""]
    lines += ["## Hyperparameters", ""]
    shown = [[k, config[k]] for k in HYPERPARAMETERS if k in config]
    shown += [[k, v] for k, v in sorted(config.items()) if k not in HYPERPARAMETERS and k != "schema_version"]
    lines += (table(["Setting", "Value"], shown) if shown else ["No training settings are recorded."]) + [""]
    lines += ["## Evaluation", "", *sections["evaluation"]]
    lines += ["## Intended use and limitations", "", *sections["limitations"], "",
              f"Files and their sha256 are listed in `{facts.get('manifest_name', 'sftgui-manifest.json')}`.", ""]
    return "\n".join(lines)
