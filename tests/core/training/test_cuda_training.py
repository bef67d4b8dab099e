"""Training on an NVIDIA GPU (issue 22; skipped without one, benchmarks/gpu.sh runs these): the
precision choice, the memory the Train page shows, and a real out-of-memory (a huge batch in a
capped GPU memory) recovered by the retry with smaller batches."""

from __future__ import annotations

import pytest

from sftgui.core import events as ev
from sftgui.core.training import engine
from tests.core.training.conftest import Recorder, make_project, tiny_config

pytestmark = pytest.mark.cuda


def test_precision_is_bf16_where_the_gpu_has_it_else_fp16(ws, tiny_project, tiny_model_dir):
    import torch

    from sftgui.core.training.hardware import pick_hardware

    want = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    hw = pick_hardware("auto")
    assert (hw.device, hw.precision, hw.name) == ("cuda", want, torch.cuda.get_device_name(0))
    project, snapshot = tiny_project
    rec = Recorder()
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=1, device="auto"), rec)
    assert result.status == "completed", result.error
    started = rec.of(ev.Started)[0]
    assert started.device.startswith("cuda") and started.precision == want
    assert any(want in line for line in started.fast_paths)


def test_the_gpu_memory_shown_is_the_devices(ws, tiny_project, tiny_model_dir):
    import torch

    project, snapshot = tiny_project
    rec = Recorder()
    result = engine.run(tiny_config(project, snapshot, tiny_model_dir, epochs=2, device="cuda"), rec)
    assert result.status == "completed", result.error
    uses = rec.of(ev.ResourceUse)
    assert uses, "no memory figures were sent while training"
    total = torch.cuda.mem_get_info()[1]
    for use in uses:
        assert use.device_memory_total_bytes == total
        assert 0 < use.device_memory_used_bytes <= total
        assert use.process_ram_bytes > 0


def test_a_real_out_of_memory_is_retried_with_smaller_batches(ws):
    """2,048 long texts in one batch of the bundled model do not fit in 4 GiB of GPU memory (the
    process is capped there); the retry halves the batch until a step fits, same effective batch."""
    import torch

    from sftgui.config import TrainConfig

    words = "refund charge card payment login password account delivery parcel courier tracking late".split()
    rows = [{"text": " ".join(words[(i + j) % len(words)] for j in range(220)), "label": ("a", "b")[i % 2]}
            for i in range(3000)]
    project, snapshot = make_project(ws, rows=rows)
    config = TrainConfig.from_dict(dict(project=project.name, snapshot_id=snapshot.id, model="bundled",
                                        batch_size=2048, max_length=256, max_steps=1, device="cuda",
                                        log_steps=1, seed=0))
    cap = 4 * 2**30 / torch.cuda.mem_get_info()[1]
    torch.cuda.empty_cache()
    torch.cuda.set_per_process_memory_fraction(cap)
    try:
        rec = Recorder()
        result = engine.run(config, rec)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
        torch.cuda.empty_cache()
    assert result.status == "completed", result.error
    retries = rec.of(ev.Retrying)
    assert retries, "the huge batch fit; the test did not force an out-of-memory"
    batches = [(s.batch_size, s.grad_accumulation) for s in rec.of(ev.Started)]
    assert batches[0][0] == 2048 and all(b * a == 2048 for b, a in batches)
    assert [b for b, _ in batches] == [2048 // 2**i for i in range(len(batches))]
