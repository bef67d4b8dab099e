"""Text classification metrics: during training (the Trainer's compute_metrics), on a version's
predictions (evaluation results), between two versions (fixed / broken per example)."""

from __future__ import annotations

from typing import Sequence

RESULT_FORMAT = 1  # bump when the result's shape changes: older cached results are recomputed
MISTAKES_KEPT = 20
DIFF_KINDS = ("fixed", "broken", "still_wrong", "both_right")


def training_metrics(eval_pred, labels: list[str]) -> tuple[dict, dict]:
    import numpy as np

    from sftgui.core.metrics import classification_metrics

    logits = eval_pred.predictions[0] if isinstance(eval_pred.predictions, tuple) else eval_pred.predictions
    y, _row_ids = eval_pred.label_ids
    y = np.asarray(y).reshape(-1)
    m = classification_metrics(y, logits.argmax(axis=-1), labels)
    # Ties in accuracy/F1 are common on small validation sets: break them by the loss, so the
    # best checkpoint is the most confident of the equally accurate ones, not the earliest.
    loss = min(cross_entropy(logits, y), 100.0)
    return ({"accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
             "select_accuracy": m["accuracy"] - 1e-6 * loss, "select_macro_f1": m["macro_f1"] - 1e-6 * loss},
            {"per_class": m["per_class"]})


def cross_entropy(logits, labels) -> float:
    import numpy as np

    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean()) if len(labels) else 0.0


def score_predictions(rows: Sequence[dict], labels: Sequence[str], probs) -> dict:
    """Metrics, per-example predictions and the most confident mistakes.

    `rows` are dicts with `row_id`, `text`, `label`; `probs[i]` belongs to `rows[i]`. A row whose
    label the model does not know counts as a mistake (the label is added to the metrics' classes).
    """
    import numpy as np

    from sftgui.core.metrics import classification_metrics

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


def stored_rows(result_rows: Sequence[dict]) -> list[dict]:
    """The per-example test predictions a version keeps (contracts.md: predictions blob)."""
    return [{k: r[k] for k in ("row_id", "text", "label", "predicted", "probs")} for r in result_rows]


def prediction_diff(before: Sequence[dict], after: Sequence[dict], *, examples: int) -> dict:
    """Counts (and examples) of rows fixed, broken, still wrong and right in both.

    `before` / `after` are per-example rows `{row_id, text, label, predicted}`; they are matched
    by `row_id` (never by position) and only rows present in both count.
    """
    after_by_id = {r["row_id"]: r for r in after}
    out = {kind: 0 for kind in DIFF_KINDS}
    shown: dict[str, list] = {kind: [] for kind in DIFF_KINDS[:3]}
    for b in before:
        a = after_by_id.get(b["row_id"])
        if a is None:
            continue
        was, now = b["predicted"] == b["label"], a["predicted"] == b["label"]
        kind = ("both_right" if now else "broken") if was else ("fixed" if now else "still_wrong")
        out[kind] += 1
        if kind in shown and len(shown[kind]) < examples:
            shown[kind].append({"row_id": b["row_id"], "text": b["text"], "label": b["label"],
                                "before": b["predicted"], "after": a["predicted"]})
    out["compared"] = sum(out[k] for k in DIFF_KINDS)
    out["examples"] = shown
    return out


def rank_labels(labels: Sequence[str], probs, top_k: int | None) -> dict[str, float]:
    """`{label: probability}` of the k most likely labels, most likely first."""
    order = sorted(range(len(labels)), key=lambda i: -float(probs[i]))
    return {labels[i]: float(probs[i]) for i in order[: top_k or len(labels)]}
