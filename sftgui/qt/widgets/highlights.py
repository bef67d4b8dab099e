"""An explanation as highlighted text: each word tinted green when it pushed the answer toward the
label, red when it pushed away, stronger for a bigger push (the largest word is full strength)."""

from __future__ import annotations

import html

GREEN = (84, 162, 75)
RED = (228, 87, 86)


def highlight_html(explanation: dict, label: str | None = None) -> str:
    """Rich text of the explained input with its parts tinted for `label` (default: the answer)."""
    label = label or explanation["predicted"]
    values = explanation["attributions"][label]
    text = explanation["input"]
    top = max((abs(v) for v in values), default=0.0) or 1.0
    out, pos = [], 0
    for part, value in zip(explanation["parts"], values):
        out.append(html.escape(text[pos:part["start"]]))
        r, g, b = GREEN if value >= 0 else RED
        alpha = min(1.0, abs(value) / top) * 0.85
        word = html.escape(text[part["start"]:part["end"]])
        out.append(f'<span style="background-color: rgba({r},{g},{b},{alpha:.2f})" '
                   f'title="{value:+.3f}">{word}</span>')
        pos = part["end"]
    out.append(html.escape(text[pos:]))
    return "".join(out)


def top_words_sentence(explanation: dict, label: str | None = None, k: int = 3) -> str:
    """"Words that pushed toward 'billing' the most: refund, card." (plain words for the page)"""
    label = label or explanation["predicted"]
    ranked = sorted(zip((p["text"] for p in explanation["parts"]), explanation["attributions"][label]),
                    key=lambda t: -t[1])
    words = [w for w, v in ranked[:k] if v > 0]
    if not words:
        return f"No word pushed clearly toward '{label}'."
    return f"Words that pushed toward '{label}' the most: {', '.join(words)}."
