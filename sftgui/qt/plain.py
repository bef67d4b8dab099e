"""Plain words for what the app shows: which model, which version, when, how good.

One place for the wording, so the Train, Versions, Compare and Export pages say the same thing;
the exact technical names stay available for a "Details" expander or a tooltip."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Export formats as a person would choose them; the technical name follows in brackets.
FORMAT_WORDS = {
    "hf": "A folder for other programs (Hugging Face format)",
    "zip": "A zip to share",
    "onnx": "One file for apps and phones (ONNX)",
    "gguf": "One file for local chat apps (GGUF)",
}
FORMAT_HELP = {
    "hf": "A folder with the model, its settings and a model card; Python programs using the "
          "transformers library load it directly.",
    "zip": "The same folder packed into one .zip file, easy to send to a colleague.",
    "onnx": "A single .onnx file that runs without Python (ONNX Runtime: apps, phones, servers).",
    "gguf": "A single .gguf file for llama.cpp-based chat apps.",
}


def model_name(ref: str | None) -> str:
    """'bundled' / 'bundled:all-MiniLM-L6-v2' -> 'the built-in model (all-MiniLM-L6-v2)';
    a hub id or folder -> its last part; a version ref stays as it is (e.g. 'v2')."""
    if not ref:
        return "the built-in model"
    ref = str(ref)
    if ref == "bundled":
        return "the built-in model"
    if ref.startswith("bundled:"):
        return f"the built-in model ({ref.split(':', 1)[1]})"
    return Path(ref.rstrip("/\\")).name or ref


def when(iso: str | None) -> str:
    """'2026-12-01T14:05:33+00:00' -> '1 Dec 14:05' in local time (the year only when it is not
    this year). The store writes UTC with its offset."""
    if not iso:
        return ""
    try:
        t = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)[:16]
    if t.tzinfo is not None:
        t = t.astimezone()
    year = "" if t.year == datetime.now().year else f" {t.year}"
    return f"{t.day} {MONTHS[t.month - 1]}{year} {t.hour:02d}:{t.minute:02d}"


def percent(value) -> str:
    """0.9123 -> '91%' (a person compares whole percents; the exact value is in Details)."""
    return f"{value:.0%}" if isinstance(value, (int, float)) else "—"


def score_words(metrics: dict | None) -> str:
    """'91% correct' from a version's test accuracy, or '' when it has none (e.g. a language model)."""
    acc = (metrics or {}).get("accuracy")
    return f"{percent(acc)} correct" if isinstance(acc, (int, float)) else ""


def version_title(version, examples: int | None = None) -> str:
    """'v2 · 1 Dec 14:05 · 640 examples · 91% correct': what a person recognises a version by."""
    parts = [f"v{version.number}", when(version.created_at)]
    if examples:
        parts.append(f"{examples:,} examples")
    parts.append(score_words(version.metrics))
    return " · ".join(p for p in parts if p)


def snapshot_rows(ws, project) -> dict[int, int]:
    """{snapshot id: rows} for a project, to say how many examples a version learned from."""
    from sftgui.core.data import snapshots

    return {s.id: s.rows for s in snapshots.list_snapshots(ws, project)}
