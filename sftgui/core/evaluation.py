"""Evaluate a model on labelled rows: metrics, confusion matrix, per-example predictions, mistakes.

`evaluate_version` is the entry point the CLI, the GUI and compare use; it caches one result per
(version, snapshot) in the `Evaluation` table (result JSON as a blob). The lower functions work on
a plain (model, tokenizer) pair so export and tests can use them without a workspace.
"""

from __future__ import annotations

import json
from typing import Sequence

import numpy as np

from sftgui.core.metrics import classification_metrics
from sftgui.errors import UserError

RESULT_FORMAT = 1  # bump when the result's shape changes: older cached results are recomputed
MISTAKES_KEPT = 20
DEFAULT_BATCH = 32
MAX_TOKENS = 512


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


def predict_proba(
    model,
    tokenizer,
    texts: Sequence[str],
    *,
    batch_size: int = DEFAULT_BATCH,
    max_length: int | None = None,
) -> np.ndarray:
    """Class probabilities, one row per text, in the order of `texts`.

    Texts are batched by length (less padding) and put back in place by index, never by position
    in the batch stream.
    """
    import torch

    n_classes = model.config.num_labels
    out = np.zeros((len(texts), n_classes), dtype=np.float64)
    if not len(texts):
        return out
    max_length = max_length or max_length_for(tokenizer)
    order = np.argsort([len(t or "") for t in texts], kind="stable")
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = tokenizer(
                [texts[i] or "" for i in idx],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            enc = {k: v.to(model.device) for k, v in enc.items()}
            logits = model(**enc).logits.float()
            out[idx] = torch.softmax(logits, dim=-1).cpu().numpy()
    return out


def score_predictions(rows: Sequence[dict], labels: Sequence[str], probs: np.ndarray) -> dict:
    """Metrics, per-example predictions and the most confident mistakes.

    `rows` are dicts with `row_id`, `text`, `label`; `probs[i]` belongs to `rows[i]`. A row whose
    label the model does not know counts as a mistake (the label is added to the metrics' classes).
    """
    labels = list(labels)
    known = {name: i for i, name in enumerate(labels)}
    extra = sorted({r["label"] for r in rows} - known.keys())
    classes = labels + extra
    index = {name: i for i, name in enumerate(classes)}
    predicted = probs.argmax(axis=1) if len(rows) else np.zeros(0, dtype=int)
    y_true = [index[r["label"]] for r in rows]
    metrics = classification_metrics(y_true, predicted.tolist(), classes)
    out_rows = [
        {
            "row_id": int(r["row_id"]),
            "text": r["text"],
            "label": r["label"],
            "predicted": labels[int(p)],
            "confidence": float(probs[i, p]),
            "probs": [round(float(x), 6) for x in probs[i]],
        }
        for i, (r, p) in enumerate(zip(rows, predicted))
    ]
    mistakes = sorted((r for r in out_rows if r["predicted"] != r["label"]), key=lambda r: -r["confidence"])
    return {
        "format": RESULT_FORMAT,
        "labels": labels,
        "classes": classes,
        "metrics": metrics,
        "mistakes": mistakes[:MISTAKES_KEPT],
        "rows": out_rows,
    }


def evaluate_model(model, tokenizer, rows: Sequence[dict], labels: Sequence[str], **kw) -> dict:
    probs = predict_proba(model, tokenizer, [r["text"] for r in rows], **kw)
    return score_predictions(rows, labels, probs)


def split_rows(ws, snapshot_id: int, split: str = "test") -> list[dict]:
    """The rows of one split of a frozen snapshot as `{row_id, text, label}` dicts."""
    from sftgui.core.data.snapshots import load_snapshot_table

    table = load_snapshot_table(ws, snapshot_id).to_pydict()
    rows = [
        {"row_id": rid, "text": text, "label": label}
        for rid, text, label, sp in zip(table["row_id"], table["text"], table["label"], table["split"])
        if sp == split and label is not None
    ]
    if not rows:
        raise UserError(
            f"Dataset snapshot {snapshot_id} has no labelled {split} rows, so there is nothing to "
            "evaluate on; freeze a snapshot with a test split."
        )
    return rows


def _from_stored_predictions(ws, version, snapshot_id: int) -> dict | None:
    """Reuse the test predictions training stored, when they are for this snapshot's test split."""
    from sftgui.core.versions import read_predictions

    stored = read_predictions(ws, version)
    if not stored or stored.get("snapshot_id") != snapshot_id or stored.get("split", "test") != "test":
        return None
    if list(stored.get("labels") or version.labels) != list(version.labels):
        return None
    rows = stored.get("rows") or []
    if not rows or any(len(r.get("probs") or ()) != len(version.labels) for r in rows):
        return None
    probs = np.asarray([r["probs"] for r in rows], dtype=np.float64)
    return score_predictions(rows, version.labels, probs)


def evaluate_version(ws, version, snapshot_id: int | None = None, *, progress=None) -> dict:
    """Evaluation of `version` on the test split of `snapshot_id` (default: the one it was trained on).

    Computed once per (version, snapshot) and cached; `progress(fraction, message)` is told when
    the model has to run.
    """
    from sftgui.store import evaluations_repo

    snapshot_id = snapshot_id if snapshot_id is not None else version.snapshot_id
    if snapshot_id is None:
        raise UserError(
            f"{version.ref} was not trained on a dataset snapshot; name one to evaluate on with --snapshot."
        )
    cached = evaluations_repo.get_evaluation_blob(version.id, snapshot_id)
    if cached and ws.blobs.has(cached):
        result = json.loads(ws.blobs.get_bytes(cached))
        if result.get("format") == RESULT_FORMAT:
            return result
    result = _from_stored_predictions(ws, version, snapshot_id)
    if result is None:
        rows = split_rows(ws, snapshot_id)
        if progress:
            progress(0.0, f"Loading {version.ref}")
        from sftgui.core.predict import loaded_version

        model, tokenizer = loaded_version(ws, version)
        if progress:
            progress(0.2, f"Predicting {len(rows)} test rows")
        result = evaluate_model(
            model, tokenizer, rows, version.labels, max_length=max_length_for(tokenizer, version.config)
        )
    result.update(version=version.ref, version_id=version.id, snapshot_id=snapshot_id, split="test")
    if not ws.readonly:  # a reader (e.g. while training holds the lock) computes without caching
        digest = ws.blobs.put_bytes(json.dumps(result, ensure_ascii=False).encode("utf-8"))
        evaluations_repo.save_evaluation_blob(version.id, snapshot_id, digest)
    if progress:
        progress(1.0, "Evaluated")
    return result


def summary(result: dict) -> dict:
    """The headline numbers of an evaluation result (for lists and JSON output)."""
    m = result["metrics"]
    return {k: m[k] for k in ("accuracy", "macro_f1", "weighted_f1", "examples")}


def by_row_id(result: dict) -> dict[int, dict]:
    return {r["row_id"]: r for r in result["rows"]}

