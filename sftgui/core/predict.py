"""Try a version on any text: top-k labels with probabilities.

Loading a version rebuilds it from its blobs, which takes a while, so the loaded model is kept
in-process per version (a small LRU: a person flips between two or three versions at most).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Sequence

from sftgui.errors import UserError

CACHE_SIZE = 3
_cache: "OrderedDict[tuple[str, int], tuple]" = OrderedDict()
_lock = threading.Lock()  # the GUI's playground and evaluation workers may load concurrently


def loaded_version(ws, version):
    """(model, tokenizer) of `version` in eval mode, loaded once per process."""
    key = (str(ws.path), version.id)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        from sftgui.core.versions import load_version

        pair = load_version(ws, version)
        _cache[key] = pair
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return pair


def forget_loaded(version_id: int | None = None) -> None:
    """Drop cached models (all, or one version's)."""
    with _lock:
        for key in [k for k in _cache if version_id is None or k[1] == version_id]:
            del _cache[key]


def rank_labels(labels: Sequence[str], probs, top_k: int | None) -> dict[str, float]:
    """`{label: probability}` of the k most likely labels, most likely first."""
    order = sorted(range(len(labels)), key=lambda i: -float(probs[i]))
    return {labels[i]: float(probs[i]) for i in order[: top_k or len(labels)]}


def predict_texts(ws, version, texts: Sequence[str], *, top_k: int | None = None) -> list[dict]:
    """`[{text, label, scores: {label: probability}}]`, one per text, in order."""
    from sftgui.core.evaluation import max_length_for, predict_proba

    texts = list(texts)
    if not texts or any(not (t or "").strip() for t in texts):
        raise UserError("Give at least one text to predict, and no empty texts.")
    if top_k is not None and top_k < 1:
        raise UserError("--top-k must be 1 or more.")
    model, tokenizer = loaded_version(ws, version)
    probs = predict_proba(model, tokenizer, texts, max_length=max_length_for(tokenizer, version.config))
    out = []
    for text, p in zip(texts, probs):
        scores = rank_labels(version.labels, p, top_k)
        out.append({"text": text, "label": next(iter(scores)), "scores": scores})
    return out
