"""The shapes instruction data comes in, turned into one conversation per row.

A conversation is a list of `{"role": "system" | "user" | "assistant", "content": str}`. The draft
keeps it as JSON in its text column (`to_text`), so snapshots, duplicates and splits work on it as
on any text. Shapes, detected from the column names:
- prompt / response (or completion, answer, output), with an optional system column;
- Alpaca: instruction, input (optional), output;
- chat: `messages`, a list of {role, content};
- ShareGPT: `conversations`, a list of {from, value} (human / gpt / system).
A CSV or Excel cell may hold the list as JSON text.
"""

from __future__ import annotations

import json

from sftgui.errors import UserError

ROLES = ("system", "user", "assistant")
_SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                   "bot": "assistant", "model": "assistant", "system": "system"}
RESPONSE_NAMES = ("response", "completion", "answer", "output", "chosen")
SHAPES = {
    "messages": "chat messages (a 'messages' list of role and content)",
    "sharegpt": "ShareGPT ('conversations' with from and value)",
    "alpaca": "Alpaca (instruction, input, output)",
    "prompt-response": "prompt and response",
}


def _col(columns, *names):
    folded = {c.lower(): c for c in columns}
    for name in names:
        if name in folded:
            return folded[name]
    return None


def detect_shape(columns, file: str = "the file") -> dict:
    """`{shape, columns: {part: column}}` from the column names, or a sentence naming what is expected."""
    if c := _col(columns, "messages"):
        return {"shape": "messages", "columns": {"messages": c}}
    if c := _col(columns, "conversations", "conversation"):
        return {"shape": "sharegpt", "columns": {"conversations": c}}
    system = _col(columns, "system", "system_prompt")
    if (ins := _col(columns, "instruction")) and (out := _col(columns, "output", "response")):
        cols = {"instruction": ins, "output": out, "input": _col(columns, "input", "context")}
        return {"shape": "alpaca", "columns": {**cols, "system": system}}
    prompt = _col(columns, "prompt", "question", "query", "input")
    # every response-like column, in order: JSON Lines rows may say "response" in one row and
    # "completion" in the next
    responses = [c for name in RESPONSE_NAMES if (c := _col(columns, name)) and c != prompt]
    if prompt and responses:
        return {"shape": "prompt-response", "columns": {"prompt": prompt, "response": responses, "system": system}}
    raise UserError(
        f"{file} is not in a shape sftgui reads for instruction tuning (its columns: {', '.join(map(repr, columns))}); "
        "use prompt and response (or completion), Alpaca's instruction/input/output, a 'messages' list of "
        "role and content, or ShareGPT 'conversations'.")


def _listish(value, where: str):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise UserError(f"{where}: the conversation is neither a list nor JSON text of one.") from None
    if not isinstance(value, list):
        raise UserError(f"{where}: the conversation should be a list of turns, not {type(value).__name__}.")
    return value


def _text(value):
    """Cell text as it is (None for an empty cell); other values stay as they are for the non-text check."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


def conversation(record: dict, found: dict, where: str) -> list[dict]:
    """The record's conversation; refuses (UserError naming the row) only what has no turns at all.
    Empty, non-text or out-of-order turns are kept as they are for the quality report to name."""
    shape, cols = found["shape"], found["columns"]
    if shape == "messages":
        turns = []
        for t in _listish(record.get(cols["messages"]), where):
            if not isinstance(t, dict) or "role" not in t:
                raise UserError(f"{where}: every message needs a role and a content, e.g. "
                                '{"role": "user", "content": "..."}.')
            turns.append({"role": str(t["role"]).strip().lower(), "content": _text(t.get("content"))})
        return turns
    if shape == "sharegpt":
        turns = []
        for t in _listish(record.get(cols["conversations"]), where):
            if not isinstance(t, dict) or "from" not in t:
                raise UserError(f"{where}: every ShareGPT turn needs 'from' and 'value'.")
            who = str(t["from"]).strip().lower()
            turns.append({"role": _SHAREGPT_ROLES.get(who, who), "content": _text(t.get("value"))})
        return turns
    system = _text(record.get(cols["system"])) if cols.get("system") else None
    if shape == "alpaca":
        prompt = _text(record.get(cols["instruction"]))
        extra = _text(record.get(cols["input"])) if cols.get("input") else None
        if isinstance(prompt, str) and isinstance(extra, str) and extra.strip():
            prompt = f"{prompt}\n\n{extra}"
        response = _text(record.get(cols["output"]))
    else:
        prompt = _text(record.get(cols["prompt"]))
        response = next((v for c in cols["response"] if (v := _text(record.get(c))) is not None), None)
    turns = [{"role": "system", "content": system}] if isinstance(system, str) and system.strip() else []
    return turns + [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]


def to_text(turns: list[dict]) -> str:
    return json.dumps(turns, ensure_ascii=False)


def from_text(text) -> list[dict]:
    """The conversation a draft/snapshot cell holds; a plain string is one user turn (a prompt)."""
    if isinstance(text, list):
        return text
    if not isinstance(text, str):
        return []
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
            if isinstance(value, list) and all(isinstance(t, dict) and "role" in t for t in value):
                return value
        except json.JSONDecodeError:
            pass
    return [{"role": "user", "content": text}]


def problems(turns: list[dict]) -> list[str]:
    """What is wrong with a conversation, as kinds: non_text, empty_turn, role_order, same_prompt_response,
    no_response."""
    out = []
    if any(not isinstance(t.get("content"), str) for t in turns if t.get("content") is not None):
        out.append("non_text")
    if any(t.get("content") is None or (isinstance(t.get("content"), str) and not t["content"].strip())
           for t in turns):
        out.append("empty_turn")
    roles = [t.get("role") for t in turns]
    body = roles[1:] if roles[:1] == ["system"] else roles
    expected = ["user" if i % 2 == 0 else "assistant" for i in range(len(body))]
    if body != expected or len(body) < 2 or body[-1] != "assistant":
        out.append("role_order")
    prompt, response = split(turns)
    if isinstance(prompt, str) and isinstance(response, str) and prompt.strip() and \
            prompt.strip().casefold() == response.strip().casefold():
        out.append("same_prompt_response")
    return out


def split(turns: list[dict]) -> tuple:
    """(the last user turn, the last assistant turn after it) of a conversation; None when absent."""
    prompt = response = None
    for t in turns:
        if t.get("role") == "user":
            prompt, response = t.get("content"), None
        elif t.get("role") == "assistant":
            response = t.get("content")
    return prompt, response


def prompt_turns(turns: list[dict]) -> list[dict]:
    """The turns a model answers: the conversation up to (without) its last assistant turn."""
    if turns and turns[-1].get("role") == "assistant":
        return turns[:-1]
    return list(turns)
