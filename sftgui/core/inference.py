"""Where a version's predictions run: the one choice predict, evaluate, hints, compare, explain and
the Try it page share (training picks its own device, `core/training/hardware.py`).

A GPU when there is one (CUDA, then Apple's MPS), else the CPU. `SFTGUI_INFERENCE_DEVICE=cpu`
(or `sftgui predict --device cpu`) forces the CPU. On a CUDA GPU the model runs under fp16 autocast
(fp16 keeps more digits than bf16; softmax and layer norms stay fp32); on the CPU and MPS it stays
fp32, so a CPU prediction equals plain `pipeline()` on the export (issue 14). Measured on a bf16
CPU (benchmarks/inference_speed.py): bf16 autocast was slower than fp32 for inference and changed
the answer of 0.7% of texts; dynamic int8 changed 23%: neither is exact enough. Many texts on the
CPU go through onnxruntime instead (the task's `cpu_predictor`, `core/predict.FAST_CPU_FROM`).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

ENV = "SFTGUI_INFERENCE_DEVICE"
CHOICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class InferenceDevice:
    device: str  # "cuda", "mps", "cpu"
    precision: str  # "fp16" (autocast) or "fp32"
    name: str  # "GPU (NVIDIA H100)", "CPU (2 cores, AVX-512 with bf16)"

    @property
    def sentence(self) -> str:
        return f"runs on: {self.name}"


def _mps_available(torch) -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def cpu_bf16() -> bool:
    """The CPU has native bf16 math (what training's precision choice reads, unchanged)."""
    from sftgui.core.training.hardware import cpu_supports_bf16

    return cpu_supports_bf16()


def physical_cores() -> int:
    try:
        import psutil

        return psutil.cpu_count(logical=False) or os.cpu_count() or 1
    except ImportError:
        return os.cpu_count() or 1


@functools.lru_cache(maxsize=1)
def cpu_name() -> str:
    """"CPU (2 cores, AVX-512 with bf16)": read once (the CPU does not change under a process)."""
    import torch

    cap = str(torch.backends.cpu.get_cpu_capability()).upper().replace("AVX512", "AVX-512")
    return f"CPU ({physical_cores()} cores, {cap}{' with bf16' if cpu_bf16() else ', no bf16'})"


def requested(explicit: str | None = None) -> str:
    want = (explicit or os.environ.get(ENV) or "auto").strip().lower()
    if want not in CHOICES:
        from sftgui.errors import UserError

        raise UserError(f"The inference device must be one of {', '.join(CHOICES)}, not {want!r}.")
    return want


def choose(explicit: str | None = None) -> InferenceDevice:
    """cuda > mps > cpu, or what `explicit` / SFTGUI_INFERENCE_DEVICE asks for (refused when absent)."""
    import torch

    from sftgui.errors import UserError

    want = requested(explicit)
    cuda, mps = torch.cuda.is_available(), _mps_available(torch)
    if want == "cuda" and not cuda:
        raise UserError("No CUDA graphics card is available here; predict on the device auto or cpu.")
    if want == "mps" and not mps:
        raise UserError("Apple's MPS device is not available here; predict on the device auto or cpu.")
    device = want if want != "auto" else "cuda" if cuda else "mps" if mps else "cpu"
    if device == "cuda":
        return InferenceDevice("cuda", "fp16", f"GPU ({torch.cuda.get_device_name(0)})")
    if device == "mps":
        return InferenceDevice("mps", "fp32", "GPU (Apple, MPS)")
    return InferenceDevice("cpu", "fp32", cpu_name())


_threads_set = False


def set_cpu_threads() -> int:
    """One intra-op thread per physical core (hyper-threads only contend on matmuls), set once."""
    global _threads_set
    import torch

    n = physical_cores()
    if not _threads_set:
        torch.set_num_threads(n)
        _threads_set = True
    return n


def place(model, where: InferenceDevice):
    """The model on `where`'s device, in eval mode (weights stay fp32; fp16 comes from autocast)."""
    if where.device == "cpu":
        set_cpu_threads()
    return model.to(where.device).eval()


def autocast(model, precision: str | None = None):
    """The context a forward pass runs in: fp16 autocast on a CUDA model, else nothing.
    `precision` forces one ("fp32", "fp16", "bf16"; the benchmark compares them)."""
    import contextlib

    import torch

    kind = model.device.type
    precision = precision or ("fp16" if kind == "cuda" else "fp32")
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(kind, dtype=torch.float16 if precision == "fp16" else torch.bfloat16)


def length_batches(texts, batch_size: int):
    """Index arrays of batches of `texts`, shortest first (less padding per batch). Results go back
    by these indices, never by position in the batch stream, so the original order is exact."""
    import numpy as np

    order = np.argsort([len(t or "") for t in texts], kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
