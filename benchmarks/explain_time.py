"""Time to explain one text with the bundled model (all-MiniLM-L6-v2 with a 4-label head), as the
Try it page and `sftgui explain` do: 50 integrated-gradients steps per label.

Prints the CPU's capability and a baseline measured in the same run (one plain prediction of the
same text), so the figure reads as a ratio on any machine. Run: `nice python benchmarks/explain_time.py`."""

from __future__ import annotations

import time


def main() -> None:
    import torch

    from sftgui.core.catalog import resolve_model
    from sftgui.core.tasks import get_task
    from sftgui.core.training.hardware import pick_hardware

    task = get_task("text-classification")
    folder = resolve_model(None, "bundled").folder
    labels = ["account", "billing", "shipping", "technical"]
    torch.manual_seed(0)
    model = task.load_model(folder, labels).eval()
    tok = task.load_processor(folder)
    text = "I was charged twice for my order last month and the refund still has not arrived on my card."
    hw = pick_hardware("cpu", "auto")
    print(f"CPU: {hw.name}; threads {torch.get_num_threads()}")
    t0 = time.perf_counter()
    import captum.attr  # noqa: F401 - the first explanation pays this import once

    print(f"import captum: {time.perf_counter() - t0:.2f} s")
    task.predict(model, tok, [text])
    t0 = time.perf_counter()
    for _ in range(5):
        task.predict(model, tok, [text])
    predict_s = (time.perf_counter() - t0) / 5
    # 16 interpolated copies per pass (the setting before), then the shipped one (as many as fit in
    # TOKENS_PER_PASS word pieces: all 50 steps of this short text in one pass per label), then
    # fewer steps; each with its completeness error (|delta| / |logit change|). Taken in turn, not
    # interleaved.
    from sftgui.core.tasks.text_classification import explain as text_explain

    shipped = text_explain.TOKENS_PER_PASS
    for steps, per_pass, name in ((50, 0, "16 at a time"), (50, shipped, "shipped"), (25, shipped, "shipped")):
        text_explain.TOKENS_PER_PASS = per_pass
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            out = task.explain(model, tok, text, labels=labels, steps=steps, internal_batch_size=16)
            times.append(time.perf_counter() - t0)
        best = min(times)
        rel = max(abs(out["delta"][k]) / max(1e-9, abs(out["logit"][k] - out["baseline_logit"][k])) for k in labels)
        print(f"steps {steps}, {name}: one explanation (4 labels) {best:.2f} s (best of 3; "
              f"{best / predict_s:.0f}x a prediction); max completeness error "
              f"{max(abs(d) for d in out['delta'].values()):.4f} ({rel:.2%} of the logit change)")
    text_explain.TOKENS_PER_PASS = shipped

if __name__ == "__main__":
    main()
