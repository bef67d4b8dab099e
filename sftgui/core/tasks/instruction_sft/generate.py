"""Generation: the ONE prediction path of a language model (training's test answers, evaluation,
compare, `sftgui generate`, chat and the playground). Greedy by default, so a version answers
the same text every time, and the same text as its merged export in plain transformers."""

from __future__ import annotations

from typing import Callable, Sequence

from sftgui.core.tasks.instruction_sft import shapes

DEFAULT_NEW_TOKENS = 128
BATCH = 8


def prompt_ids(tokenizer, turns: list[dict]):
    """Token ids of the conversation so far, ending where the assistant's answer starts."""
    from sftgui.core.tasks.instruction_sft.data import chat_ids

    return chat_ids(tokenizer, shapes.prompt_turns(turns), add_generation_prompt=True)


def _sampling(temperature: float, top_p: float) -> dict:
    if not temperature or temperature <= 0:
        return {"do_sample": False}
    return {"do_sample": True, "temperature": float(temperature), "top_p": float(top_p)}


def generate(model, tokenizer, inputs: Sequence, *, max_new_tokens: int = DEFAULT_NEW_TOKENS,
             temperature: float = 0.0, top_p: float = 1.0, score_reference: bool = True) -> list[dict]:
    """One `{text, stopped, new_tokens, nll, tokens}` per input (a prompt string or a conversation,
    as a list or its JSON), in order. `nll`/`tokens`: the summed loss and count of the reference
    answer's tokens when the conversation ends with one (for loss and perplexity), else None."""
    import torch

    convs = [shapes.from_text(x) for x in inputs]
    out: list[dict] = [None] * len(convs)  # type: ignore[list-item]
    was_training = model.training
    model.eval()
    eos = tokenizer.eos_token_id
    order = sorted(range(len(convs)), key=lambda i: len(prompt_ids(tokenizer, convs[i])))
    with torch.inference_mode():
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            prompts = [prompt_ids(tokenizer, convs[i]) for i in idx]
            width = max(len(p) for p in prompts)
            pad = tokenizer.pad_token_id
            ids = torch.tensor([[pad] * (width - len(p)) + list(p) for p in prompts], device=model.device)
            mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=model.device)
            gen = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=int(max_new_tokens),
                                 eos_token_id=eos, pad_token_id=pad, **_sampling(temperature, top_p))
            for row, i in enumerate(idx):
                new = gen[row, width:].tolist()
                stopped = eos in new
                if stopped:
                    new = new[: new.index(eos)]
                new = [t for t in new if t != pad]
                out[i] = {"text": tokenizer.decode(new, skip_special_tokens=True).strip(), "stopped": stopped,
                          "new_tokens": len(new), "nll": None, "tokens": None}
        if score_reference:
            for i, turns in enumerate(convs):
                if turns and turns[-1].get("role") == "assistant" and isinstance(turns[-1].get("content"), str):
                    out[i].update(reference_loss(model, tokenizer, turns))
    model.train(was_training)
    return out


LIVE_PROMPTS = 3  # validation prompts answered after every validation pass (the Train page shows them)
LIVE_NEW_TOKENS = 32  # short: the answers cost seconds of a training, not minutes


def live_prompts(rows: dict[str, list], n: int = LIVE_PROMPTS) -> list[tuple[int, list[dict]]]:
    """The first `n` validation conversations of a snapshot, `(row_id, turns)`: the same ones at
    every validation pass, so their answers show what changed."""
    picked = [(int(r), shapes.from_text(m)) for r, m, s in zip(rows["row_id"], rows["messages"], rows["split"])
              if s == "validation"]
    return picked[:n]


def live_answers(model, tokenizer, rows: dict[str, list]) -> list[dict]:
    """`[{row_id, prompt, answer, reference, stopped}]`: the model's greedy answers right now."""
    picked = live_prompts(rows)
    if not picked:
        return []
    outputs = generate(model, tokenizer, [turns for _r, turns in picked], max_new_tokens=LIVE_NEW_TOKENS,
                       score_reference=False)
    answers = []
    for (row_id, turns), out in zip(picked, outputs):
        prompt, reference = shapes.split(turns)
        answers.append({"row_id": row_id, "prompt": prompt, "answer": out["text"], "reference": reference,
                        "stopped": out["stopped"]})
    return answers


def reference_loss(model, tokenizer, turns: list[dict]) -> dict:
    """`{nll, tokens}`: the summed cross-entropy of the last answer's tokens given the conversation."""
    import torch

    from sftgui.core.tasks.instruction_sft.data import IGNORE, encode

    enc = encode(tokenizer, turns)
    start = len(prompt_ids(tokenizer, turns))
    labels = [IGNORE] * start + enc["labels"][start:]
    ids = torch.tensor([enc["input_ids"]], device=model.device)
    lab = torch.tensor([labels], device=model.device)
    logits = model(input_ids=ids).logits.float()
    shift_logits, shift_labels = logits[0, :-1], lab[0, 1:]
    keep = shift_labels != IGNORE
    if not bool(keep.any()):
        return {"nll": None, "tokens": None}
    nll = torch.nn.functional.cross_entropy(shift_logits[keep], shift_labels[keep], reduction="sum")
    return {"nll": float(nll), "tokens": int(keep.sum())}


def stream(model, tokenizer, turns: list[dict], *, on_text: Callable[[str], None], should_stop=lambda: False,
           max_new_tokens: int = DEFAULT_NEW_TOKENS, temperature: float = 0.0, top_p: float = 1.0) -> str:
    """Generate one answer, calling `on_text(piece)` as tokens come; `should_stop()` ends it early.
    Returns the whole answer. (The GUI runs this on a worker thread; `sftgui chat` on the terminal.)"""
    import threading

    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

    class _Stop(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            return bool(should_stop())

    ids = torch.tensor([prompt_ids(tokenizer, turns)], device=model.device)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    kwargs = dict(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=int(max_new_tokens),
                  eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, streamer=streamer,
                  stopping_criteria=StoppingCriteriaList([_Stop()]), **_sampling(temperature, top_p))
    error: list[BaseException] = []

    def run():
        try:
            with torch.inference_mode():
                model.generate(**kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(exc)
            streamer.end()

    worker = threading.Thread(target=run, name="sftgui-generate", daemon=True)
    worker.start()
    pieces = []
    for piece in streamer:
        pieces.append(piece)
        on_text(piece)
    worker.join()
    if error:
        raise error[0]
    return "".join(pieces).strip()
