"""Importing instruction data into the draft and what the quality report says about it."""

from __future__ import annotations

from collections import defaultdict

from sftgui.core.tasks.instruction_sft import shapes

EXAMPLES = 5
_MESSAGES = {
    "empty_turn": "{n} example(s) have an empty prompt or answer.",
    "same_prompt_response": "{n} example(s) answer with the very words of the prompt.",
    "role_order": "{n} conversation(s) break the order of turns (an optional system turn, then user and "
                  "assistant taking turns, ending with the assistant).",
    "non_text": "{n} example(s) hold something other than text (a number, a list...) in a turn.",
}


def draft_rows(name: str, columns: list[str], records):
    """(text, label, split, where) per record for the draft: the conversation as JSON text, no label,
    and the split a `split` column names (else a seeded shuffle decides at the first snapshot).
    The shape is detected from the columns (the first sentence of `shapes.detect_shape` refuses)."""
    from sftgui.core.data import mapping

    found = shapes.detect_shape(columns, name)
    split_col = next((c for c in columns if c.lower() in mapping.SPLIT_NAMES), None)
    for where, rec in records:
        split = mapping.split_value(rec.get(split_col), name, where, split_col) if split_col else None
        yield shapes.to_text(shapes.conversation(rec, found, f"{name} {where}")), None, split, where


def findings(rows) -> list[dict]:
    """Findings on draft rows `(row_id, text, label, split, ...)`: the problems of each conversation
    (`shapes.problems`) and repeated prompts answered differently."""
    by_kind: dict[str, list] = defaultdict(list)
    by_prompt: dict[str, list] = defaultdict(list)
    for r in rows:
        turns = shapes.from_text(r[1])
        for kind in shapes.problems(turns):
            by_kind[kind].append(r)
        prompt, response = shapes.split(turns)
        if isinstance(prompt, str) and prompt.strip():
            by_prompt[" ".join(prompt.split()).casefold()].append((r, response))
    out = []
    for kind, message in _MESSAGES.items():
        hit = by_kind.get(kind)
        if hit:
            out.append({"kind": kind, "count": len(hit), "message": message.format(n=len(hit)),
                        "examples": [_example(r) for r in hit[:EXAMPLES]], "fix": "drop-empty" if kind == "empty_turn" else None})
    differing = [g for g in by_prompt.values() if len({str(resp) for _, resp in g}) > 1]
    if differing:
        out.append({"kind": "different_answers", "count": len(differing),
                    "message": f"{len(differing)} prompt(s) appear more than once with different answers.",
                    "examples": [{"prompt": str(shapes.split(shapes.from_text(g[0][0][1]))[0])[:200],
                                  "rows": [r[0] for r, _ in g]} for g in differing[:EXAMPLES]], "fix": None})
    return out


def _example(r) -> dict:
    prompt, response = shapes.split(shapes.from_text(r[1]))
    return {"row": r[0], "prompt": str(prompt)[:200], "response": str(response)[:200]}
