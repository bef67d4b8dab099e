"""Which words pushed a text classifier's answer toward each label: Captum's layer integrated
gradients over the word-embedding layer, word pieces summed into the words a person reads.

The baseline is the same text with every word piece replaced by the padding token (the special
tokens, positions and segment ids stay), so the attributions of a label add up to the change of
its logit from that empty text to the real one (integrated gradients' completeness; Captum's
convergence delta is the error). Memory stays that of a small batch however many steps: the
interpolated copies of the text go through the model `interpolation_batch` at a time, at least
`internal_batch_size` and otherwise as many as fit in TOKENS_PER_PASS word pieces (a short text
takes all its steps in one pass per label, about 2x faster than 16 at a time on a 2-core CPU;
a long one stays at `internal_batch_size`).
"""

from __future__ import annotations

from typing import Sequence

METHOD = "layer integrated gradients over the word embeddings (Captum), baseline: padding tokens"
TOKENS_PER_PASS = 2048  # word pieces of interpolated copies per forward/backward pass


def interpolation_batch(steps: int, tokens: int, floor: int) -> int:
    """How many interpolated copies go through the model at once: all `steps` when they fit in
    TOKENS_PER_PASS word pieces, never fewer than `floor`."""
    return max(1, floor, min(steps, TOKENS_PER_PASS // max(1, tokens)))


def explain_text(model, tokenizer, text: str, *, labels: Sequence[str], target: str | None = None,
                 max_length: int | None = None, steps: int = 50, internal_batch_size: int = 16) -> dict:
    import copy

    import torch
    from captum.attr import LayerIntegratedGradients

    from sftgui.errors import UserError

    labels = list(labels)
    if target is not None and target not in labels:
        raise UserError(f"{target!r} is not one of this version's labels ({', '.join(labels)}).")
    text = str(text or "")
    if not text.strip():
        raise UserError("Type a text to explain; an empty text has no words to weigh.")
    if next(model.parameters()).dtype != torch.float32:  # gradients in bf16 would break completeness
        model = copy.deepcopy(model).float()
    model.eval()
    enc = tokenizer([text], truncation=True, max_length=max_length, return_tensors="pt",
                    return_offsets_mapping=True, return_special_tokens_mask=True)
    offsets = enc.pop("offset_mapping")[0].tolist()
    special = enc.pop("special_tokens_mask")[0].bool()
    word_ids = enc.word_ids(0)
    inputs = {k: v.to(model.device) for k, v in enc.items()}
    ids = inputs.pop("input_ids")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    baseline = torch.where(special.to(ids.device), ids, torch.full_like(ids, pad))

    def logits(input_ids, *extra):
        return model(input_ids=input_ids, **dict(zip(inputs, extra))).logits.float()

    with torch.no_grad():
        out = logits(ids, *inputs.values())[0]
        base_out = logits(baseline, *inputs.values())[0]
    probs = torch.softmax(out, dim=-1)
    lig = LayerIntegratedGradients(logits, model.get_input_embeddings())
    words = _words(text, offsets, word_ids, special.tolist())
    explained = [target] if target is not None else labels
    batch = interpolation_batch(steps, int(ids.shape[1]), internal_batch_size)
    attributions, delta = {}, {}
    for name in explained:
        attr, err = lig.attribute(ids, baselines=baseline, additional_forward_args=tuple(inputs.values()),
                                  target=labels.index(name), n_steps=steps, internal_batch_size=batch,
                                  return_convergence_delta=True)
        per_token = attr.sum(dim=-1)[0].detach().cpu().tolist()
        attributions[name] = [sum(per_token[i] for i in w["tokens"]) for w in words]
        delta[name] = float(err.reshape(-1)[0])
    predicted = labels[int(out.argmax())]
    return {
        "input": text,
        "predicted": predicted,
        "scores": {name: float(p) for name, p in zip(labels, probs.tolist())},
        "parts": [{"text": w["text"], "start": w["start"], "end": w["end"]} for w in words],
        "attributions": attributions,
        "delta": delta,
        "logit": {name: float(out[labels.index(name)]) for name in explained},
        "baseline_logit": {name: float(base_out[labels.index(name)]) for name in explained},
        "method": METHOD,
        "steps": steps,
        "truncated": bool(offsets and max(e for _, e in offsets) < len(text.rstrip())),
    }


def _words(text: str, offsets, word_ids, special) -> list[dict]:
    """Word pieces grouped into words (the tokenizer's word ids), each with its span in `text`."""
    words: list[dict] = []
    index: dict[int, dict] = {}
    for i, (wid, (start, end), is_special) in enumerate(zip(word_ids, offsets, special)):
        if is_special or wid is None:
            continue
        w = index.get(wid)
        if w is None:
            w = index[wid] = {"start": start, "end": end, "tokens": []}
            words.append(w)
        w["start"], w["end"] = min(w["start"], start), max(w["end"], end)
        w["tokens"].append(i)
    for w in words:
        w["text"] = text[w["start"]:w["end"]]
    return words
