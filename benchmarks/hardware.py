"""Goal 3: training FLOP/s of the bundled model as a fraction of a bf16 matmul on the same machine."""

from __future__ import annotations

import time


def matmul_flops(dtype_name: str = "bfloat16", n: int = 1536, seconds: float = 3.0) -> float:
    import torch

    dtype = getattr(torch, dtype_name)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    a = torch.randn(n, n, dtype=dtype, device=device)
    b = torch.randn(n, n, dtype=dtype, device=device)
    for _ in range(3):
        a @ b
    _sync(device)
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        reps += 1
    _sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - t0)


def _sync(device):
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def training_flops(model_dir: str, batch: int = 16, seq: int = 128, steps: int = 8, *, sftgui: bool = True) -> dict:
    """FLOPs of one fwd+bwd counted by torch's FlopCounterMode, times measured steps/s under bf16
    autocast, fused AdamW (the Trainer's default). `sftgui=True` trains the way the engine does (its
    CPU dropout); False keeps the stock dropout, so the two differ by that alone."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import AutoModelForSequenceClassification

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=3).to(device)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=True)  # the Trainer's default, both sides
    ids = torch.randint(1000, 20000, (batch, seq), device=device)
    labels = torch.randint(0, 3, (batch,), device=device)

    def step():
        with torch.autocast(device_type=device, dtype=torch.bfloat16):
            loss = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    counter = FlopCounterMode(display=False)
    with counter:
        with torch.autocast(device_type=device, dtype=torch.bfloat16):
            loss = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels).loss
        loss.backward()
    opt.zero_grad(set_to_none=True)
    flops_per_step = counter.get_total_flops()  # counted on the stock model: the same arithmetic
    if sftgui and device == "cpu":
        from sftgui.core.training.fast_dropout import use_fast_dropout

        use_fast_dropout(model)
    step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    per_step = (time.perf_counter() - t0) / steps
    return {"flops_per_step": flops_per_step, "step_s": per_step, "flops_per_s": flops_per_step / per_step,
            "batch": batch, "seq": seq}


def run(model_dir: str) -> dict:
    peak = matmul_flops()
    plain = training_flops(model_dir, sftgui=False)
    train = training_flops(model_dir)
    return {
        "name": "Hardware use: training FLOP/s vs bf16 matmul",
        "goal": ">= 0.40 (aim)",
        "baseline": f"bf16 matmul {peak / 1e9:.1f} GFLOP/s",
        "value": f"sftgui's training step {train['flops_per_s'] / 1e9:.1f} GFLOP/s (batch {train['batch']} x "
                 f"{train['seq']} tokens; a plain PyTorch step {plain['flops_per_s'] / 1e9:.1f})",
        "ratio": train["flops_per_s"] / peak,
        "met": train["flops_per_s"] / peak >= 0.40,
        "details": {"matmul_flops_per_s": peak, **train, "plain_step": plain},
    }


if __name__ == "__main__":
    from benchmarks.report import emit
    from sftgui.paths import bundled_model_dir

    emit(run(str(bundled_model_dir())))
