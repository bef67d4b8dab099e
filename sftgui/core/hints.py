"""Where a person's labelling time helps most, according to a trained version.

- Label-error hints: labelled draft rows whose label the version confidently disagrees with
  (often a slip of the hand), ranked most suspicious first, for review in the labelling view.
- Label next: unlabelled draft rows ordered by the version's uncertainty (smallest margin between
  its two best labels, or highest entropy), so the next labels teach the model the most.

A large draft is sampled (seeded, so the same rows come back each time) to keep this interactive.
"""

from __future__ import annotations

import random

import numpy as np

from sftgui.errors import UserError

SCAN_LIMIT = 2000
MIN_CONFIDENCE = 0.7
METHODS = ("margin", "entropy")


def _draft(project_id: int, *, labelled: bool, scan_limit: int) -> tuple[list[tuple], int]:
    """(id, text, label) of live draft rows with (or without) a label: a seeded sample and the total."""
    from sftgui.store.draft_repo import iter_live

    rows = [
        (rid, text, label)
        for rid, text, label, _split, _flagged in iter_live(project_id)
        if (label is not None) == labelled and (text or "").strip()
    ]
    total = len(rows)
    if total > scan_limit:
        rows = sorted(random.Random(0).sample(rows, scan_limit))
    return rows, total


def _probs(ws, version, texts: list[str], progress=None) -> np.ndarray:
    """Class probabilities of the texts, through the task's one prediction path."""
    from sftgui.core.predict import loaded_version
    from sftgui.core.tasks import task_of

    task = task_of(version)
    if not version.labels:
        raise UserError(f"Labelling hints need a model that picks labels; {version.ref} ({task.title}) does not.")
    if progress:
        progress(0.0, f"Loading {version.ref}")
    model, processor = loaded_version(ws, version)
    if progress:
        progress(0.1, f"Reading {len(texts)} rows")
    return task.predict(model, processor, texts, max_length=task.max_length(processor, version.config))


def uncertainty(probs: np.ndarray, method: str = "margin") -> np.ndarray:
    """Higher = less sure. margin: 1 - (p1 - p2); entropy: normalised to [0, 1]."""
    if method not in METHODS:
        raise UserError(f"Unknown uncertainty '{method}'; use one of {', '.join(METHODS)}.")
    if probs.shape[1] < 2:
        return np.zeros(len(probs))
    if method == "margin":
        top = np.sort(probs, axis=1)
        return 1.0 - (top[:, -1] - top[:, -2])
    p = np.clip(probs, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1) / np.log(probs.shape[1])


def label_error_hints(
    ws,
    version,
    *,
    min_confidence: float = MIN_CONFIDENCE,
    limit: int = 50,
    scan_limit: int = SCAN_LIMIT,
    progress=None,
) -> dict:
    """`{rows: [{row_id, text, label, suggested, confidence, label_probability}], scanned, total}`."""
    rows, total = _draft(version.project_id, labelled=True, scan_limit=scan_limit)
    known = {name: i for i, name in enumerate(version.labels)}
    rows = [r for r in rows if r[2] in known]  # the version cannot judge a label it never saw
    probs = _probs(ws, version, [r[1] for r in rows], progress) if rows else np.zeros((0, len(known)))
    hints = []
    for (rid, text, label), p in zip(rows, probs):
        best = int(p.argmax())
        if version.labels[best] != label and p[best] >= min_confidence:
            hints.append(
                {
                    "row_id": rid,
                    "text": text,
                    "label": label,
                    "suggested": version.labels[best],
                    "confidence": float(p[best]),
                    "label_probability": float(p[known[label]]),
                }
            )
    hints.sort(key=lambda h: (h["label_probability"], -h["confidence"], h["row_id"]))
    return {"rows": hints[:limit], "found": len(hints), "scanned": len(rows), "total": total}


def label_next(
    ws,
    version,
    *,
    method: str = "margin",
    limit: int = 50,
    scan_limit: int = SCAN_LIMIT,
    progress=None,
) -> dict:
    """`{rows: [{row_id, text, predicted, confidence, uncertainty}], method, scanned, total}`."""
    uncertainty(np.zeros((0, 2)), method)  # refuse an unknown method before any work
    rows, total = _draft(version.project_id, labelled=False, scan_limit=scan_limit)
    probs = _probs(ws, version, [r[1] for r in rows], progress) if rows else np.zeros((0, len(version.labels)))
    scores = uncertainty(probs, method)
    order = sorted(range(len(rows)), key=lambda i: (-scores[i], rows[i][0]))
    picked = [
        {
            "row_id": rows[i][0],
            "text": rows[i][1],
            "predicted": version.labels[int(probs[i].argmax())],
            "confidence": float(probs[i].max()),
            "uncertainty": float(scores[i]),
        }
        for i in order[:limit]
    ]
    return {"rows": picked, "method": method, "scanned": len(rows), "total": total}


def hints_for(ws, version, **kw) -> dict:
    """Both lists, as `sftgui hints` prints them."""
    method = kw.pop("method", "margin")
    return {
        "version": version.ref,
        "label_errors": label_error_hints(ws, version, **kw),
        "label_next": label_next(ws, version, method=method, **kw),
    }
