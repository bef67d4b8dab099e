"""Try a version on any input (a text): the task's answer, e.g. top-k labels with probabilities.

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
    """(model, processor) of `version` in eval mode, loaded once per process."""
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


def predict_texts(ws, version, texts: Sequence[str], *, top_k: int | None = None) -> list[dict]:
    """`[{text, label, scores: {label: probability}}]`, one per text, in order (the task's answer)."""
    from sftgui.core.tasks import task_of

    texts = list(texts)
    if not texts or any(not (t or "").strip() for t in texts):
        raise UserError("Give at least one text to predict, and no empty texts.")
    if top_k is not None and top_k < 1:
        raise UserError("--top-k must be 1 or more.")
    task = task_of(version)
    model, processor = loaded_version(ws, version)
    outputs = task.predict(model, processor, texts, max_length=task.max_length(processor, version.config))
    return [{"text": text, **task.answer(version.labels, out, top_k)} for text, out in zip(texts, outputs)]
