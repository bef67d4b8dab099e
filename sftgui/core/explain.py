"""Why did a version answer that? The task explains one input (`Task.explain`): for a text
classifier, how much each word pushed the answer toward each label.

Used by `sftgui explain`, the Try it page and Compare (beside each changed prediction). The
loaded model is the playground's (`predict.loaded_version`), so explaining right after trying a
text does not load the version again.
"""

from __future__ import annotations

import time

from sftgui.errors import UserError

STEPS = 50  # integrated-gradients steps: completeness error well under 1% of the logit change here
INTERNAL_BATCH = 16  # interpolated inputs per pass at least (a task may take more when they are small)


def explain_input(ws, version, value, *, label: str | None = None, steps: int = STEPS,
                  internal_batch_size: int = INTERNAL_BATCH, audit: bool = True) -> dict:
    """The task's explanation of `value` (see `Task.explain`) plus `version` and `seconds`."""
    from sftgui.core.predict import loaded_version
    from sftgui.core.tasks import task_of

    task = task_of(version)
    if task.explanation is None:
        raise UserError(f"Explanations of {task.title} models are not built yet.")
    if steps < 2 or internal_batch_size < 1:
        raise UserError("Explanations need at least 2 steps and an internal batch of 1 or more.")
    model, processor = loaded_version(ws, version)
    t0 = time.perf_counter()
    out = task.explain(model, processor, value, labels=version.labels, target=label,
                       max_length=task.max_length(processor, version.config), steps=steps,
                       internal_batch_size=internal_batch_size)
    out.update(version=version.ref, kind=task.explanation, seconds=time.perf_counter() - t0)
    if audit and not getattr(ws, "readonly", False):
        from sftgui.store import audit_repo

        audit_repo.record("explain", version.ref, predicted=out["predicted"], label=label,
                          parts=len(out["parts"]), max_delta=max((abs(d) for d in out["delta"].values()), default=0.0))
    return out


def top_parts(explanation: dict, label: str | None = None, k: int = 5) -> list[tuple[str, float]]:
    """The k parts (words) that pushed hardest toward `label` (default: the predicted one), strongest first."""
    label = label or explanation["predicted"]
    values = explanation["attributions"].get(label)
    if values is None:
        raise UserError(f"This explanation does not cover the label {label!r}.")
    ranked = sorted(zip((p["text"] for p in explanation["parts"]), values), key=lambda t: -t[1])
    return [(text, float(v)) for text, v in ranked[:k] if v > 0]
