"""The one prediction path of a text classifier: texts -> class probabilities.

Training's test predictions, evaluation, compare, hints, `sftgui predict` and the playground all
call `predict_proba`, so a version predicts the same numbers wherever it is asked.
"""

from __future__ import annotations

from typing import Sequence

from sftgui.core.tasks.text_classification.data import MAX_TOKENS

DEFAULT_BATCH = 32


def recorded_length(config: dict | None) -> int | None:
    """Tokens a version's predictions read, as its config records it: the length recorded for
    predicting (versions trained since issue 14: what the model reads, as pipeline() on the export
    does), else the length it was trained with (older versions); None when neither is recorded."""
    config = config or {}
    recorded = (config.get("extra") or {}).get("predict_max_length") or config.get("max_length")
    return int(recorded) if recorded else None


def max_length_for(tokenizer, config: dict | None = None) -> int:
    """The recorded length (`recorded_length`), else what the tokenizer allows (capped)."""
    recorded = recorded_length(config)
    if recorded:
        return recorded
    limit = getattr(tokenizer, "model_max_length", None) or MAX_TOKENS
    return int(min(limit, MAX_TOKENS))


def predict_proba(model, tokenizer, texts: Sequence[str], *, batch_size: int = DEFAULT_BATCH,
                  max_length: int | None = None, precision: str | None = None):
    """Class probabilities (float64 numpy), one row per text, in the order of `texts`.

    Texts are batched by length (less padding) and put back in place by index, never by position
    in the batch stream. The model runs where it is (`core/inference.place`), under fp16 autocast
    on a CUDA GPU; `precision` forces one (the benchmark's comparison).
    """
    import numpy as np
    import torch

    from sftgui.core import inference

    n_classes = model.config.num_labels
    out = np.zeros((len(texts), n_classes), dtype=np.float64)
    if not len(texts):
        return out
    max_length = max_length or max_length_for(tokenizer)
    was_training = model.training
    model.eval()
    with torch.inference_mode(), inference.autocast(model, precision):
        for idx in inference.length_batches(texts, batch_size):
            enc = tokenizer([texts[i] or "" for i in idx], padding=True, truncation=True,
                            max_length=max_length, return_tensors="pt")
            enc = {k: v.to(model.device) for k, v in enc.items()}
            logits = model(**enc).logits.float()
            out[idx] = torch.softmax(logits, dim=-1).cpu().numpy()
    model.train(was_training)
    return out
