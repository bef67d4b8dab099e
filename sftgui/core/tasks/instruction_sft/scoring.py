"""Language-model metrics: validation loss and perplexity during training (from per-row token
losses, never the whole vocabulary's logits), and on generated answers: the exact-match rate
(meaningful where answers are short), loss and perplexity of the reference answers."""

from __future__ import annotations

import math
import re
from typing import Sequence

from sftgui.core.tasks.instruction_sft import shapes

RESULT_FORMAT = 1
SHORT_ANSWER_WORDS = 5  # references this short (median) make exact match a fair score
MAX_PERPLEXITY = 1e6


def reduce_logits(logits, labels):
    """`preprocess_logits_for_metrics`: per row [summed loss, answer tokens, tokens predicted right],
    so evaluation never keeps (rows x length x vocabulary) logits in memory."""
    import torch

    if isinstance(logits, tuple):
        logits = logits[0]
    if isinstance(labels, (tuple, list)):
        labels = labels[0]
    shift_logits, shift_labels = logits[:, :-1].float(), labels[:, 1:]
    keep = shift_labels != -100
    safe = shift_labels.clamp(min=0)
    nll = torch.nn.functional.cross_entropy(shift_logits.transpose(1, 2), safe, reduction="none") * keep
    right = (shift_logits.argmax(-1) == safe) & keep
    return torch.stack([nll.sum(1), keep.sum(1).float(), right.sum(1).float()], dim=1)


def perplexity(loss):
    return None if loss is None else float(min(math.exp(min(loss, 50.0)), MAX_PERPLEXITY))


def training_metrics(eval_pred) -> tuple[dict, dict]:
    import numpy as np

    sums = np.asarray(eval_pred.predictions, dtype=np.float64).reshape(-1, 3).sum(axis=0)
    loss = float(sums[0] / sums[1]) if sums[1] else None
    acc = float(sums[2] / sums[1]) if sums[1] else None
    return {"perplexity": perplexity(loss), "token_accuracy": acc, "answer_loss": loss,
            "select_perplexity": -(perplexity(loss) or MAX_PERPLEXITY), "select_token_accuracy": acc or 0.0}, {}


def normalise(text) -> str:
    """Exact match ignores case, surrounding space and trailing punctuation."""
    return re.sub(r"[\s.!?,;:]+$", "", " ".join(str(text or "").split())).casefold()


def score(rows: Sequence[dict], outputs: Sequence[dict]) -> dict:
    out_rows = []
    for r, o in zip(rows, outputs):
        if "messages" in r:
            prompt, reference = shapes.split(shapes.from_text(r["messages"]))
        else:  # a stored row: its prompt and reference kept as they were
            prompt, reference = r.get("prompt"), r.get("reference")
        out_rows.append({"row_id": int(r["row_id"]), "messages": r.get("messages"), "prompt": prompt,
                         "reference": reference, "predicted": o["text"], "stopped": o.get("stopped"),
                         "exact": normalise(o["text"]) == normalise(reference), "nll": o.get("nll"),
                         "tokens": o.get("tokens")})
    scored = [r for r in out_rows if r["tokens"]]
    tokens = sum(r["tokens"] for r in scored)
    loss = sum(r["nll"] for r in scored) / tokens if tokens else None
    words = sorted(len(str(r["reference"] or "").split()) for r in out_rows)
    metrics = {"examples": len(out_rows),
               "exact_match": sum(r["exact"] for r in out_rows) / len(out_rows) if out_rows else None,
               "loss": loss, "perplexity": perplexity(loss),
               "stopped": sum(bool(r["stopped"]) for r in out_rows) / len(out_rows) if out_rows else None,
               "short_answers": bool(words) and words[len(words) // 2] <= SHORT_ANSWER_WORDS}
    return {"format": RESULT_FORMAT, "labels": [], "classes": [], "metrics": metrics, "rows": out_rows,
            "mistakes": [r for r in out_rows if not r["exact"]][:20]}


def stored_rows(result_rows):
    keys = ("row_id", "messages", "prompt", "reference", "predicted", "exact", "nll", "tokens", "stopped")
    return [{k: r.get(k) for k in keys} for r in result_rows]


def stored_outputs(rows):
    """The generated answers (and reference losses) stored in result rows, as `generate` gave them."""
    if not rows or any("predicted" not in r for r in rows):
        return None
    return [{"text": r["predicted"], "stopped": r.get("stopped"), "nll": r.get("nll"), "tokens": r.get("tokens")}
            for r in rows]


def answer_diff(before: Sequence[dict], after: Sequence[dict], *, examples: int) -> dict:
    """The answers of two versions side by side on the same prompts (matched by row_id), with the
    exact-match changes counted like a classifier's fixed / broken."""
    after_by_id = {r["row_id"]: r for r in after}
    counts = {"fixed": 0, "broken": 0, "still_wrong": 0, "both_right": 0, "changed": 0}
    pairs = []
    for b in before:
        a = after_by_id.get(b["row_id"])
        if a is None:
            continue
        kind = ("both_right" if a["exact"] else "broken") if b["exact"] else ("fixed" if a["exact"] else "still_wrong")
        counts[kind] += 1
        counts["changed"] += a["predicted"] != b["predicted"]
        if len(pairs) < examples:
            pairs.append({"row_id": b["row_id"], "prompt": b["prompt"], "reference": b["reference"],
                          "before": b["predicted"], "after": a["predicted"]})
    counts["compared"] = sum(counts[k] for k in ("fixed", "broken", "still_wrong", "both_right"))
    return {**counts, "answers": pairs, "examples": {"side_by_side": pairs}}
