"""Pick the device and numeric precision, and describe the fast paths in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sftgui.config import GROUP_BY_LENGTH_MIN_ROWS
from sftgui.errors import UserError


@dataclass(frozen=True)
class Hardware:
    device: str  # "cpu", "cuda", "mps"
    precision: str  # "bf16", "fp16", "fp32"
    name: str  # "CPU (16 cores)", "NVIDIA H100", ...


def cpu_supports_bf16() -> bool:
    """bf16 autocast only pays off on CPUs with native bf16 math (AVX512-BF16 or AMX)."""
    import torch

    cap = str(torch.backends.cpu.get_cpu_capability()).upper()
    if "AMX" in cap:
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="ignore")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def pick_hardware(device: str = "auto", precision: str = "auto") -> Hardware:
    import torch

    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if device == "auto":
        device = "cuda" if cuda else "mps" if mps else "cpu"
    if device == "cuda" and not cuda:
        raise UserError("No CUDA graphics card is available here; choose the device auto or cpu.")
    if device == "mps" and not mps:
        raise UserError("Apple's MPS device is not available here; choose the device auto or cpu.")
    if precision == "auto":
        if device == "cuda":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        elif device == "cpu" and cpu_supports_bf16():
            precision = "bf16"
        else:
            precision = "fp32"
    if precision == "fp16" and device != "cuda":
        raise UserError("fp16 training needs a CUDA graphics card; choose auto, bf16 or fp32.")
    if device == "cuda":
        name = torch.cuda.get_device_name(0)
    elif device == "mps":
        name = "Apple GPU (MPS)"
    else:
        import os

        name = f"CPU ({os.cpu_count()} cores)"
    return Hardware(device=device, precision=precision, name=name)


def fast_path_sentences(hw: Hardware, *, group_by_length: bool, cache_hit: bool,
                        fast_dropout: bool = False, task=None, config=None) -> tuple[str, ...]:
    """What is switched on to make training fast, in words a non-programmer can read; the lines
    about the data are the task's (`Task.data_fast_paths`: texts are tokenized, pictures are not)."""
    where = "this CPU" if hw.device == "cpu" else "this GPU"
    if hw.precision == "bf16":
        speed = "about 1.6-2x faster" if hw.device == "cpu" else "about 2x faster, half the memory"
        lines = [f"bf16: on — {speed} on {where}"]
    elif hw.precision == "fp16":
        lines = [f"fp16: on — about 2x faster, half the memory on {where}"]
    else:
        lines = [f"mixed precision: off — {where} has no fast bf16/fp16 arithmetic"]
    if task is None:
        from sftgui.core.tasks import get_task

        task = get_task("text-classification")
    data = list(task.data_fast_paths(group_by_length=group_by_length, cache_hit=cache_hit, config=config))
    if fast_dropout:
        data.insert(max(0, len(data) - 1), "dropout: cheaper random masks — same dropout, about 1.2x faster on this CPU")
    return (*lines, *data)
