"""A description of the machine a figure came from."""

from __future__ import annotations

import os
import platform


def describe() -> dict:
    cpu = platform.processor() or platform.machine()
    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name") and cpu in ("", platform.machine(), "x86_64"):
                    cpu = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    flags = line
                    break
    except OSError:
        pass
    try:
        from sftgui.core.training.hardware import cpu_capability

        capability = cpu_capability().sentence()
    except Exception:  # noqa: BLE001 - describing the machine never fails a benchmark
        capability = "unknown"
    info = {
        "capability": capability,  # first: AVX2 / AVX-512 / AMX, bf16 or not (and any emulation limit)
        "cpu": cpu,
        "cores": os.cpu_count(),
        "bf16_cpu": "avx512_bf16" in flags or "amx_bf16" in flags,
        "python": platform.python_version(),
        "os": platform.platform(),
    }
    try:
        import psutil

        info["ram_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    try:
        import torch
        import transformers

        info["torch"] = torch.__version__
        info["transformers"] = transformers.__version__
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info
