"""Issue 22: where predictions run (one choice), batches sorted by length and put back exactly,
the onnxruntime path's agreement, and streaming a long input in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from sftgui.errors import UserError

TEXTS = ["my card was charged twice and I want my money back now please", "password reset", "parcel lost",
         "the courier left the package at the wrong address again, tracking says delivered", "refund",
         "locked out of my account after the update, cannot sign in with my email", "invoice", "hi"]


def test_this_machine_predicts_on_its_cpu_in_fp32(monkeypatch):
    import torch

    from sftgui.core import inference

    monkeypatch.delenv(inference.ENV, raising=False)
    where = inference.choose()
    if torch.cuda.is_available():  # the CUDA tests cover that machine
        pytest.skip("a CUDA GPU is here")
    assert (where.device, where.precision) == ("cpu", "fp32")
    assert where.sentence.startswith("runs on: CPU (") and "bf16" in where.sentence
    monkeypatch.setenv(inference.ENV, "cpu")
    assert inference.choose().device == "cpu"


def test_a_device_that_is_not_here_is_refused_in_a_sentence(monkeypatch):
    import torch

    from sftgui.core import inference

    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is here")
    with pytest.raises(UserError, match="No CUDA graphics card"):
        inference.choose("cuda")
    monkeypatch.setenv(inference.ENV, "tpu")
    with pytest.raises(UserError, match="must be one of auto, cpu, cuda, mps"):
        inference.choose()


def test_the_gpu_wins_when_there_is_one(monkeypatch):
    """The cuda and mps branches of the choice (no such device here: availability is patched; the
    CUDA-marked tests run the real thing)."""
    import torch

    from sftgui.core import inference

    monkeypatch.delenv(inference.ENV, raising=False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert (inference.choose().device, inference.choose().name) == ("mps", "GPU (Apple, MPS)")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "NVIDIA Test")
    where = inference.choose()
    assert (where.device, where.precision, where.sentence) == ("cuda", "fp16", "runs on: GPU (NVIDIA Test)")
    monkeypatch.setenv(inference.ENV, "cpu")  # forcing the CPU wins over any GPU
    assert inference.choose().device == "cpu"


def test_length_batches_cover_every_text_once_shortest_first():
    from sftgui.core.inference import length_batches

    texts = [t * (i % 3 + 1) for i, t in enumerate(TEXTS * 5)]
    batches = length_batches(texts, 3)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(texts)))
    lengths = [len(texts[i]) for i in flat]
    assert lengths == sorted(lengths) and all(len(b) == 3 for b in batches[:-1])


def test_sorted_batches_go_back_to_the_original_order_exactly(trained):
    """Each row of the batched answer is that text's own answer (predicted alone), in any order."""
    from sftgui.core.tasks.text_classification.predict import predict_proba

    alone = np.vstack([predict_proba(*trained, [t]) for t in TEXTS])
    batched = predict_proba(*trained, TEXTS, batch_size=3)
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    perm = np.random.default_rng(0).permutation(len(TEXTS))
    shuffled = predict_proba(*trained, [TEXTS[i] for i in perm], batch_size=3)
    np.testing.assert_allclose(shuffled, batched[perm], atol=1e-5)
    assert (shuffled.argmax(1) == alone[perm].argmax(1)).all()


def test_onnxruntime_gives_the_torch_probabilities(trained, trained_dir, tmp_path):
    from sftgui.core.tasks.text_classification import onnx_predict
    from sftgui.core.tasks.text_classification.export import export_onnx
    from sftgui.core.tasks.text_classification.predict import predict_proba

    export_onnx(trained_dir, tmp_path / "model.onnx")
    session = onnx_predict.open_session(tmp_path / "model.onnx")
    theirs = onnx_predict.predict_proba(session, trained[1], TEXTS, batch_size=3, max_length=32)
    ours = predict_proba(*trained, TEXTS, batch_size=3, max_length=32)
    np.testing.assert_allclose(theirs, ours, atol=1e-4)
    assert (theirs.argmax(1) == ours.argmax(1)).all()


def test_the_loaded_version_is_on_the_chosen_device(ws, version, monkeypatch):
    from sftgui.core import inference
    from sftgui.core.predict import forget_loaded, loaded_version, runs_on

    monkeypatch.setenv(inference.ENV, "cpu")
    forget_loaded()
    model, _ = loaded_version(ws, version)
    assert model.device.type == "cpu" and not model.training
    assert runs_on().startswith("runs on: CPU")


def test_a_stream_is_read_a_chunk_at_a_time(ws, version):
    """The answers of a long stream come while it is read: the model never holds more than one
    chunk of texts (a generator counts what was taken from it)."""
    from sftgui.core.predict import predict_texts, stream_predictions

    taken = []

    def texts():
        for i in range(10_000):
            taken.append(i)
            yield TEXTS[i % len(TEXTS)]

    answers = stream_predictions(ws, version, texts(), chunk=64)
    first = [next(answers) for _ in range(70)]
    assert len(taken) == 128  # two chunks read for 70 answers, not the 10,000 texts
    expected = predict_texts(ws, version, [TEXTS[i % len(TEXTS)] for i in range(70)])
    assert [a["label"] for a in first] == [e["label"] for e in expected]
    for a, e in zip(first, expected):
        assert a["scores"] == pytest.approx(e["scores"], abs=1e-5)


def test_predict_refuses_a_bad_top_k_before_work(ws, version):
    from sftgui.core.predict import stream_predictions

    with pytest.raises(UserError):
        next(stream_predictions(ws, version, iter(TEXTS), top_k=0))


def test_many_texts_on_the_cpu_go_through_onnxruntime_with_the_torch_answers(ws, version, monkeypatch):
    from sftgui.core import predict
    from sftgui.core.tasks.text_classification import onnx_predict

    calls = []
    real = onnx_predict.predict_proba
    monkeypatch.setattr(onnx_predict, "predict_proba", lambda *a, **k: calls.append(len(a[2])) or real(*a, **k))
    monkeypatch.setattr(predict, "FAST_CPU_FROM", 16)  # the real threshold is 2,000 texts
    texts = TEXTS * 4
    torch_answers = list(predict.stream_predictions(ws, version, iter(texts), device="cpu", chunk=12))
    assert calls == []  # not told how many: torch
    fast = list(predict.stream_predictions(ws, version, iter(texts), device="cpu", chunk=12, expected=len(texts)))
    assert calls == [12, 12, 8]
    assert [a["label"] for a in fast] == [a["label"] for a in torch_answers]
    for a, b in zip(fast, torch_answers):
        assert a["scores"] == pytest.approx(b["scores"], abs=1e-4)


def test_when_onnxruntime_cannot_be_used_torch_answers(ws, version, monkeypatch):
    from sftgui.core import predict
    from sftgui.core.tasks.text_classification import export

    def broken(*a, **k):
        raise RuntimeError("this model does not export")

    monkeypatch.setattr(export, "export_onnx", broken)
    monkeypatch.setattr(predict, "FAST_CPU_FROM", 1)
    answers = list(predict.stream_predictions(ws, version, iter(TEXTS), device="cpu", expected=len(TEXTS)))
    assert [a["label"] for a in answers] == [a["label"] for a in predict.predict_texts(ws, version, TEXTS, device="cpu")]
