"""Issue 22, on an NVIDIA GPU (benchmarks/gpu.sh runs it): training throughput of the bundled model
on the public drug-review data, sftgui's defaults against a plain Trainer script (its defaults:
fp32, batch 8; and sftgui's own settings), one epoch each, one after the other in this process.

Figures: samples/s ratio; model FLOP utilisation (MFU) against the GPU's dense bf16 peak, counting
6 x parameters x real tokens per sample (forward and backward; attention's own FLOPs left out, so
MFU is a slight under-estimate); peak GPU memory of each side (torch's allocator peak).
Without a GPU it prints nothing but a sentence and returns no rows.
"""

from __future__ import annotations

import sys

# Dense bf16 tensor-core peaks (TFLOP/s, no sparsity) from the vendors' data sheets, by the words
# in torch.cuda.get_device_name(). A GPU not listed gets no MFU figure (said in the row).
BF16_PEAK_TFLOPS = {
    "H200": 989.0, "H100 PCIe": 756.0, "H100": 989.0, "GH200": 989.0, "B200": 2250.0,
    "A100": 312.0, "A800": 312.0, "A10G": 70.0, "A10": 125.0, "L40S": 362.0, "L40": 181.0, "L4": 121.0,
    "RTX 4090": 165.0, "RTX 3090": 71.0, "RTX A6000": 155.0, "V100": 125.0, "T4": 65.0,
}


def bf16_peak(name: str) -> float | None:
    for key in sorted(BF16_PEAK_TFLOPS, key=len, reverse=True):  # "H100 PCIe" before "H100"
        if key in name:
            return BF16_PEAK_TFLOPS[key] * 1e12
    return None


def _tokens_per_sample(rows, max_length: int) -> float:
    from transformers import AutoTokenizer

    from sftgui.paths import bundled_model_dir

    tok = AutoTokenizer.from_pretrained(bundled_model_dir())
    texts = [r["text"] for r in rows if r["split"] == "train"]
    lengths = [len(ids) for ids in tok(texts, truncation=True, max_length=max_length)["input_ids"]]
    return sum(lengths) / len(lengths)


def _params() -> int:
    """Parameters that do matmul work per token (the embeddings are a lookup)."""
    from transformers import AutoModel

    from sftgui.paths import bundled_model_dir

    model = AutoModel.from_pretrained(bundled_model_dir())
    return sum(p.numel() for n, p in model.named_parameters() if "embeddings" not in n)


def _peak(fn):
    import torch

    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    out = fn()
    return out, torch.cuda.max_memory_allocated()


def run() -> list[dict]:
    import torch

    if not torch.cuda.is_available():
        print("No NVIDIA GPU here (torch sees no CUDA device), so there is no GPU training figure to measure.")
        return []
    from benchmarks.machine import describe
    from benchmarks.plain_trainer import train_plain
    from benchmarks.public_data import drug_reviews
    from benchmarks.training_speed import run_sftgui
    from sftgui.config import TrainConfig
    from sftgui.paths import bundled_model_dir

    rows = drug_reviews()
    model = str(bundled_model_dir())
    quick = TrainConfig.from_preset("quick")
    ours, ours_mem = _peak(lambda: run_sftgui(rows, epochs=1, device="cuda"))
    plain, plain_mem = _peak(lambda: train_plain(rows, model, epochs=1, device="cuda"))
    same, same_mem = _peak(lambda: train_plain(
        rows, model, epochs=1, device="cuda", batch_size=quick.batch_size, lr=quick.learning_rate,
        max_length=ours["config"]["max_length"], bf16=ours["precision"] == "bf16",
        group_by_length=ours["config"]["group_by_length"], warmup=quick.warmup, weight_decay=quick.weight_decay,
        scheduler=quick.scheduler))
    name = torch.cuda.get_device_name(0)
    peak = bf16_peak(name)
    flops_per_sample = 6 * _params() * _tokens_per_sample(rows, ours["config"]["max_length"])

    def mfu(sps: float) -> str:
        return f"MFU {sps * flops_per_sample / peak:.1%} of the {peak / 1e12:.0f} TFLOP/s bf16 peak" if peak else \
            f"MFU not computed ({name}'s bf16 peak is not in benchmarks/gpu_training.py)"

    gib = 2**30
    o, p, s = ours["train_samples_per_second"], plain["train_samples_per_second"], same["train_samples_per_second"]
    details = {"gpu": name, "flops_per_sample": flops_per_sample, "sftgui": ours, "plain_defaults": plain,
               "plain_same_settings": same, "peak_gpu_bytes": {"sftgui": ours_mem, "plain_defaults": plain_mem,
                                                               "plain_same_settings": same_mem},
               "machine": describe()}
    return [
        {
            "name": f"GPU training ({name}): sftgui defaults vs plain Trainer defaults",
            "goal": "samples/s against a plain Trainer script (fp32, batch 8), one epoch of the drug reviews",
            "baseline": f"plain Trainer {p:.0f} samples/s, acc {plain['test_accuracy']:.3f}, {mfu(p)}, "
                        f"peak GPU memory {plain_mem / gib:.2f} GiB",
            "value": f"sftgui {o:.0f} samples/s ({ours['precision']}), acc {ours['test_accuracy']:.3f}, {mfu(o)}, "
                     f"peak GPU memory {ours_mem / gib:.2f} GiB",
            "ratio": o / p,
            "met": None,
            "details": details,
        },
        {
            "name": f"GPU training ({name}): sftgui vs plain Trainer, identical settings",
            "goal": ">= 0.97x samples/s (the engine's overhead on a GPU)",
            "baseline": f"plain Trainer {s:.0f} samples/s, {mfu(s)}, peak GPU memory {same_mem / gib:.2f} GiB",
            "value": f"sftgui {o:.0f} samples/s",
            "ratio": o / s,
            "met": o / s >= 0.97,
            "details": details,
        },
    ]


if __name__ == "__main__":
    from benchmarks.report import emit

    emit(run())
    sys.exit(0)
