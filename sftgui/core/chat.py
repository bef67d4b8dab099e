"""Talk to a version: one answer (`sftgui generate`), a conversation (`sftgui chat`, the GUI's chat
playground). The words come from the task's one generation path (`Task.stream`), so a version says
here exactly what its evaluation and its export say (greedy decoding unless a temperature is set)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sftgui.errors import UserError

MAX_NEW_TOKENS = 1024


@dataclass
class Options:
    max_new_tokens: int | None = None  # None: what the version was evaluated with
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0

    def check(self) -> "Options":
        if self.max_new_tokens is not None and not 1 <= self.max_new_tokens <= MAX_NEW_TOKENS:
            raise UserError(f"The answer length must be between 1 and {MAX_NEW_TOKENS} tokens.")
        if not 0 <= self.temperature <= 5:
            raise UserError("The temperature must be between 0 (always the likeliest word) and 5.")
        if not 0 < self.top_p <= 1:
            raise UserError("top-p must be above 0 and at most 1.")
        return self


@dataclass
class Conversation:
    """The turns so far; `ask` adds the user's turn and the answer."""

    system: str | None = None
    turns: list[dict] = field(default_factory=list)

    def messages(self) -> list[dict]:
        head = [{"role": "system", "content": self.system}] if self.system else []
        return head + self.turns


def answer(ws, version, conversation: Conversation, text: str, *, options: Options | None = None,
           on_text=lambda piece: None, should_stop=lambda: False) -> str:
    """Add `text` as the user's turn, generate the answer (streamed to `on_text`), keep both."""
    from sftgui.core.predict import loaded_version
    from sftgui.core.tasks import task_of

    if not (text or "").strip():
        raise UserError("Type something for the model to answer.")
    options = (options or Options()).check()
    task = task_of(version)
    if task.playground != "chat":
        raise UserError(f"{version.ref} sorts texts into labels and does not write answers; "
                        "use 'sftgui predict' for it.")
    model, processor = loaded_version(ws, version)
    turns = conversation.messages() + [{"role": "user", "content": text}]
    new_tokens = options.max_new_tokens or task.max_length(processor, version.config)
    reply = task.stream(model, processor, turns, on_text=on_text, should_stop=should_stop,
                        max_new_tokens=new_tokens, temperature=options.temperature, top_p=options.top_p)
    conversation.turns += [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]
    return reply
