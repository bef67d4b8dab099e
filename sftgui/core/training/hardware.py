"""Pick the device and numeric precision, and describe the fast paths in plain words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sftgui.config import GROUP_BY_LENGTH_MIN_ROWS
from sftgui.errors import UserError


@dataclass(frozen=True)
class Hardware:
    device: str  # "cpu", "cuda", "mps"
    precision: str  # "bf16", "fp16", "fp32"
    name: str  # "CPU (16 cores)", "NVIDIA H100", ...


# oneDNN's names for its instruction-set limit (ONEDNN_MAX_CPU_ISA), lowest first
_ONEDNN_ORDER = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI",
                 "AVX512_CORE_BF16", "AVX10_1_512", "AVX512_CORE_AMX", "AVX10_1_512_AMX", "AVX10_2_512_AMX_2")


@dataclass(frozen=True)
class CpuCapability:
    """What this CPU's vector units can do, as PyTorch and oneDNN will be allowed to use them."""

    avx2: bool
    avx512: bool
    bf16: bool  # native bf16 arithmetic (AVX512-BF16 or AMX): bf16 autocast pays off
    amx: bool
    limit: str = ""  # the environment's limit, when one is set ("ATEN_CPU_CAPABILITY=avx2")

    @property
    def isa(self) -> str:
        return "AMX" if self.amx else "AVX-512" if self.avx512 else "AVX2" if self.avx2 else "no AVX2"

    def sentence(self) -> str:
        bf16 = "with native bf16" if self.bf16 else "without native bf16"
        limited = f" (limited by {self.limit})" if self.limit else ""
        return f"{self.isa} {bf16}{limited}"


def cpu_capability(flags: str | None = None, env: dict | None = None) -> CpuCapability:
    """Read the CPU's flags (/proc/cpuinfo) and honour the limits a user (or a benchmark emulating an
    older CPU) sets: ATEN_CPU_CAPABILITY (PyTorch's kernels) and ONEDNN_MAX_CPU_ISA (oneDNN's).
    Capability, never a timing: nothing is measured here."""
    import os

    env = os.environ if env is None else env
    if flags is None:
        try:
            flags = Path("/proc/cpuinfo").read_text(errors="ignore")
        except OSError:
            flags = ""
    have = set(re.findall(r"[a-z0-9_]+", flags.lower()))
    avx2, avx512 = "avx2" in have, "avx512f" in have
    bf16 = bool({"avx512_bf16", "amx_bf16"} & have)
    amx = bool({"amx_bf16", "amx_tile"} & have)
    if not flags:  # no /proc/cpuinfo (macOS, Windows): ask PyTorch what it dispatches to
        try:
            import torch

            cap = str(torch.backends.cpu.get_cpu_capability()).upper()
            avx2, avx512, amx = "AVX2" in cap or "AVX512" in cap, "AVX512" in cap, "AMX" in cap
            bf16 = amx
        except Exception:  # noqa: BLE001 - no torch, no claim
            pass
    limits = []
    aten = (env.get("ATEN_CPU_CAPABILITY") or "").strip().lower()
    if aten in ("default", "avx2", "zvector", "vsx"):
        limits.append(f"ATEN_CPU_CAPABILITY={aten}")
        avx512 = bf16 = amx = False
        avx2 = avx2 and aten == "avx2"
    onednn = (env.get("ONEDNN_MAX_CPU_ISA") or "").strip().upper()
    if onednn in _ONEDNN_ORDER:
        limits.append(f"ONEDNN_MAX_CPU_ISA={onednn}")
        rank = _ONEDNN_ORDER.index(onednn)
        avx2 = avx2 and rank >= _ONEDNN_ORDER.index("AVX2")
        avx512 = avx512 and rank >= _ONEDNN_ORDER.index("AVX512_CORE")
        bf16 = bf16 and rank >= _ONEDNN_ORDER.index("AVX512_CORE_BF16")
        amx = amx and rank >= _ONEDNN_ORDER.index("AVX512_CORE_AMX")
    return CpuCapability(avx2=avx2, avx512=avx512, bf16=bf16, amx=amx, limit=", ".join(limits))


def cpu_supports_bf16() -> bool:
    """bf16 autocast only pays off on CPUs with native bf16 math (AVX512-BF16 or AMX)."""
    return cpu_capability().bf16


def physical_cores() -> int:
    try:
        import psutil

        return max(1, psutil.cpu_count(logical=False) or psutil.cpu_count() or 1)
    except ImportError:
        import os

        return max(1, os.cpu_count() or 1)


def use_physical_cores() -> dict:
    """PyTorch's intra-op threads = the physical cores (hyper-threads share one core's vector units, and
    more threads than cores made each matrix multiply wait); inter-op threads are left as they are
    (a classifier's step is one chain of operators). Returns what was chosen, for the run's record."""
    import torch

    cores = physical_cores()
    if torch.get_num_threads() != cores:
        torch.set_num_threads(cores)
    return {"threads": torch.get_num_threads(), "physical_cores": cores,
            "interop_threads": torch.get_num_interop_threads()}


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
                        fast_dropout: bool = False, task=None, config=None, frozen: str | None = None,
                        threads: dict | None = None) -> tuple[str, ...]:
    """What is switched on to make training fast, in words a non-programmer can read; the lines
    about the data are the task's (`Task.data_fast_paths`: texts are tokenized, pictures are not)."""
    where = "this CPU" if hw.device == "cpu" else "this GPU"
    head = [f"processor: {cpu_capability().sentence()}"] if hw.device == "cpu" else []
    if threads:
        head.append(f"threads: {threads['threads']} — one per physical core")
    if frozen:
        head.append(frozen)
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
    return (*head, *lines, *data)
