"""Issue 22: CPU inference of the bundled model over 2,000 texts, sftgui's torch path against
onnxruntime on the exported ONNX graph, the same batch policy (32 texts, sorted by length), under the
same load, alternating (torch, onnxruntime, torch, ...). Also the cheap torch levers: bf16 autocast
(only where the CPU has native bf16) and dynamic int8 quantization, each with its agreement against
fp32 (argmax agreement, largest probability difference).

Run `python -m benchmarks.inference_speed` (add `--texts N`, `--rounds R`). With
ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 in the environment it emulates a CPU without bf16.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

LABELS = 4


def texts_of(n: int) -> list[str]:
    """`n` support-ticket texts (the sample, repeated with a counter so no two are the same)."""
    import csv

    from sftgui.resources import SAMPLE_CSV, resource_path

    with open(resource_path(SAMPLE_CSV), newline="", encoding="utf-8") as f:
        base = [r["text"] for r in csv.DictReader(f) if r["text"].strip()]
    return [f"{base[i % len(base)]} (#{i})" for i in range(n)]


def bundled_classifier(folder: Path):
    """The bundled encoder with a seeded 4-label head, saved to `folder` (speed does not depend on
    the head having been trained)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sftgui.paths import bundled_model_dir

    torch.manual_seed(0)
    src = bundled_model_dir()
    model = AutoModelForSequenceClassification.from_pretrained(src, num_labels=LABELS)
    tok = AutoTokenizer.from_pretrained(src)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model.eval(), tok


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run(n_texts: int = 2000, rounds: int = 2) -> list[dict]:
    import numpy as np
    import torch

    from benchmarks.machine import describe
    from sftgui.core import inference
    from sftgui.core.tasks.text_classification import onnx_predict
    from sftgui.core.tasks.text_classification.export import export_onnx
    from sftgui.core.tasks.text_classification.predict import predict_proba

    texts = texts_of(n_texts)
    inference.set_cpu_threads()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        model, tok = bundled_classifier(folder)
        export_onnx(folder, folder / "model.onnx")
        session = onnx_predict.open_session(folder / "model.onnx")
        ways = {
            "torch fp32 (sftgui before)": lambda: predict_proba(model, tok, texts, max_length=128, precision="fp32"),
            "onnxruntime fp32": lambda: onnx_predict.predict_proba(session, tok, texts, max_length=128),
        }
        if inference.cpu_bf16():
            ways["torch bf16 autocast"] = lambda: predict_proba(model, tok, texts, max_length=128, precision="bf16")
        if torch.cuda.is_available():  # the GPU path sftgui takes there: fp16 autocast
            import copy

            on_gpu = copy.deepcopy(model).to("cuda")
            ways["torch on the GPU, fp16 autocast"] = lambda: predict_proba(on_gpu, tok, texts, max_length=128)
        quant = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        ways["torch dynamic int8"] = lambda: predict_proba(quant, tok, texts, max_length=128, precision="fp32")
        # warm up (first-call allocations, oneDNN kernel choice)
        predict_proba(model, tok, texts[:64], max_length=128)
        onnx_predict.predict_proba(session, tok, texts[:64], max_length=128)
        secs = {k: [] for k in ways}
        probs = {}
        for _ in range(rounds):  # alternating, so load changes hit every way alike
            for name, fn in ways.items():
                probs[name], took = _timed(fn)
                secs[name].append(took)
    base_name = "torch fp32 (sftgui before)"
    ref = probs[base_name]
    base_rate = n_texts / min(secs[base_name])
    machine = describe()
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "native")
    results = []
    for name in ways:
        rate = n_texts / min(secs[name])
        p = probs[name]
        agree = float((p.argmax(1) == ref.argmax(1)).mean())
        diff = float(np.abs(p - ref).max())
        results.append({
            "name": f"{'GPU' if 'GPU' in name else 'CPU'} inference ({isa} ISA, bf16 {'yes' if inference.cpu_bf16() else 'no'}): {name}",
            "goal": "texts/s of the bundled model over 2,000 texts, against torch fp32 in the same run",
            "baseline": f"{base_rate:.0f} texts/s (torch fp32)",
            "value": f"{rate:.0f} texts/s; argmax agreement {agree:.4f}, largest prob diff {diff:.1e}",
            "ratio": rate / base_rate,
            "met": None,
            "details": {"texts": n_texts, "rounds": rounds, "seconds": secs[name], "threads": torch.get_num_threads(),
                        "argmax_agreement": agree, "max_prob_diff": diff, "machine": machine,
                        "load_average": os.getloadavg()},
        })
    return results


if __name__ == "__main__":
    args = sys.argv[1:]
    n = int(args[args.index("--texts") + 1]) if "--texts" in args else 2000
    r = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 2
    result = run(n, r)
    out = os.environ.get("BENCH_OUT")
    if out:
        Path(out).write_text(json.dumps(result))
    json.dump(result, sys.stdout, indent=2)
    print()
