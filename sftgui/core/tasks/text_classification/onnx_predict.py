"""A text classifier's predictions through onnxruntime on its exported ONNX graph: sftgui's CPU
path for many texts (`sftgui predict --file` of 2,000 texts or more), where it measured 3.6x the
torch path (benchmarks/inference_speed.py; docs/readme/evaluation.md).

Same batch policy and order as `predict.predict_proba`: batches of texts sorted by length, put back
by index, softmax in float64 at the end.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from sftgui.core.tasks.text_classification.predict import DEFAULT_BATCH, max_length_for


def open_session(onnx_path: Path, threads: int | None = None):
    """An onnxruntime CPU session, one intra-op thread per physical core."""
    import onnxruntime as ort

    from sftgui.core.inference import physical_cores

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or physical_cores()
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])


def predict_proba(session, tokenizer, texts: Sequence[str], *, batch_size: int = DEFAULT_BATCH,
                  max_length: int | None = None):
    import numpy as np

    from sftgui.core.inference import length_batches

    names = [i.name for i in session.get_inputs()]
    n_classes = session.get_outputs()[0].shape[-1]
    rows = []
    index = []
    max_length = max_length or max_length_for(tokenizer)
    for idx in length_batches(texts, batch_size):
        enc = tokenizer([texts[i] or "" for i in idx], padding=True, truncation=True,
                        max_length=max_length, return_tensors="np")
        logits = session.run(["logits"], {n: enc[n].astype(np.int64) for n in names})[0].astype(np.float64)
        rows.append(logits)
        index.append(idx)
    if not rows:
        return np.zeros((0, n_classes if isinstance(n_classes, int) else 0))
    logits = np.concatenate(rows)
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    out = np.empty_like(probs)
    out[np.concatenate(index)] = probs
    return out


def build_predictor(ws, version, tokenizer, max_length: int | None):
    """texts -> probabilities on onnxruntime, the version's graph exported once for this process
    (in a temporary folder: the workspace is not written), or None when that fails (the caller keeps
    the torch path; the reason goes to the log)."""
    from sftgui.core.tasks.text_classification.export import export_onnx
    from sftgui.core.versions import materialize_version

    folder = Path(tempfile.mkdtemp(prefix="sftgui-onnx-"))
    try:
        materialize_version(ws, version, folder / "model")
        export_onnx(folder / "model", folder / "model.onnx")
        session = open_session(folder / "model.onnx")  # holds the graph in memory from here on
    except Exception:  # noqa: BLE001 - any failure (no onnxruntime, an unexportable model) keeps torch
        logging.getLogger(__name__).warning("onnxruntime path unavailable for %s; predicting with torch",
                                            getattr(version, "ref", version), exc_info=True)
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return lambda texts: predict_proba(session, tokenizer, list(texts), max_length=max_length)
