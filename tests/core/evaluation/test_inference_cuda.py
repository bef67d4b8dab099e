"""Issue 22, on an NVIDIA GPU (skipped without one; benchmarks/gpu.sh runs these): predictions run
on the GPU under fp16 autocast and agree with the CPU's fp32 ones."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.cuda

TEXTS = ["my card was charged twice", "password reset please", "parcel lost by the courier", "refund", "hi there"]


def test_predictions_run_on_the_gpu_and_agree_with_the_cpu(ws, version, monkeypatch):
    import torch

    from sftgui.core import inference
    from sftgui.core.predict import forget_loaded, loaded_version, predict_texts, runs_on

    monkeypatch.delenv(inference.ENV, raising=False)
    forget_loaded()
    where = inference.choose()
    assert (where.device, where.precision) == ("cuda", "fp16")
    assert runs_on() == f"runs on: GPU ({torch.cuda.get_device_name(0)})"
    model, _ = loaded_version(ws, version)
    assert model.device.type == "cuda"
    gpu = predict_texts(ws, version, TEXTS * 20)
    cpu = predict_texts(ws, version, TEXTS * 20, device="cpu")
    assert [g["label"] for g in gpu] == [c["label"] for c in cpu]
    diff = max(abs(g["scores"][k] - c["scores"][k]) for g, c in zip(gpu, cpu) for k in c["scores"])
    assert diff < 5e-3, diff  # fp16 autocast: within half a percentage point of fp32


def test_the_bundled_model_in_fp16_agrees_with_fp32_on_the_gpu():
    """The exactness check behind fp16 on the GPU, on the real bundled encoder over 2,000 texts."""
    import torch

    from benchmarks.inference_speed import bundled_classifier, texts_of
    from sftgui.core.tasks.text_classification.predict import predict_proba

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        model, tok = bundled_classifier(Path(tmp))
    model = model.to("cuda")
    texts = texts_of(2000)
    fp32 = predict_proba(model, tok, texts, max_length=128, precision="fp32")
    fp16 = predict_proba(model, tok, texts, max_length=128)
    assert torch.cuda.max_memory_allocated() > 0
    assert (fp16.argmax(1) == fp32.argmax(1)).mean() >= 0.999
    assert np.abs(fp16 - fp32).max() < 5e-3
