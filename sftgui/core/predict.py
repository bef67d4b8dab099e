"""Try a version on any input (a text): the task's answer, e.g. top-k labels with probabilities.

Loading a version rebuilds it from its blobs, which takes a while, so the loaded model is kept
in-process per version (a small LRU: a person flips between two or three versions at most), on
the inference device (`core/inference.choose`: a GPU when there is one). `stream_predictions`
predicts a stream of texts (`sftgui predict V --file big.csv`) a chunk at a time, so memory stays
flat however long the input is.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Iterable, Iterator, Sequence

from sftgui.errors import UserError

CACHE_SIZE = 3
STREAM_CHUNK = 1024  # texts per model call when streaming: enough to sort into full batches
# From this many texts on the CPU, the task's faster CPU path (onnxruntime for text classifiers,
# 3.6x torch here) pays for building it (an ONNX export, about 10 s); fewer stay on torch.
FAST_CPU_FROM = 2000
_cache: "OrderedDict[tuple[str, int], tuple]" = OrderedDict()
_lock = threading.Lock()  # the GUI's playground and evaluation workers may load concurrently


def loaded_version(ws, version, device: str | None = None):
    """(model, processor) of `version` in eval mode on the inference device (`device` forces one:
    auto, cpu, cuda, mps), loaded once per process and device."""
    from sftgui.core import inference

    where = inference.choose(device)
    key = (str(ws.path), version.id, where.device)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        from sftgui.core.versions import load_version

        model, processor = load_version(ws, version)
        pair = (inference.place(model, where), processor)
        _cache[key] = pair
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return pair


def forget_loaded(version_id: int | None = None) -> None:
    """Drop cached models (all, or one version's)."""
    with _lock:
        for key in [k for k in _cache if version_id is None or k[1] == version_id]:
            del _cache[key]


def runs_on(device: str | None = None) -> str:
    """"runs on: GPU (NVIDIA ...)": where predictions run now, for the CLI and the Try it page."""
    from sftgui.core import inference

    return inference.choose(device).sentence


def _check_top_k(top_k: int | None) -> None:
    if top_k is not None and top_k < 1:
        raise UserError("--top-k must be 1 or more.")


def predict_texts(ws, version, texts: Sequence[str], *, top_k: int | None = None,
                  device: str | None = None) -> list[dict]:
    """`[{text, label, scores: {label: probability}}]`, one per text, in order (the task's answer)."""
    texts = list(texts)
    if not texts or any(not (t or "").strip() for t in texts):
        raise UserError("Give at least one text to predict, and no empty texts.")
    _check_top_k(top_k)
    return list(stream_predictions(ws, version, texts, top_k=top_k, chunk=max(1, len(texts)), device=device))


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of `size` items, read lazily from `items`."""
    block = []
    for item in items:
        block.append(item)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block


def file_texts(path, column: str | None = None) -> tuple[int, Callable[[], Iterator[str]]]:
    """(rows, a function streaming the texts) of a table file's text column (default: `text`, or the
    only column). The whole file is read once here to refuse an empty text before any answer."""
    from sftgui.core.data.readers import open_table

    table = open_table(path)
    col = column or ("text" if "text" in table.columns else table.columns[0] if len(table.columns) == 1 else None)
    if col not in table.columns:
        raise UserError(f"{table.name} has no column {col or 'text'!r} (it has {', '.join(table.columns)}); "
                        "name the column of texts with --column.")
    rows = 0
    for where, row in table.rows():
        if not str(row.get(col) or "").strip():
            raise UserError(f"{table.name} {where} has no text in column {col!r}; fill it or remove that row.")
        rows += 1
    if not rows:
        raise UserError(f"{table.name} has no rows to predict.")
    return rows, lambda: (str(row[col]) for _, row in table.rows())


def stream_predictions(ws, version, texts: Iterable[str], *, top_k: int | None = None,
                       chunk: int = STREAM_CHUNK, device: str | None = None,
                       expected: int | None = None) -> Iterator[dict]:
    """The answers of `texts`, in order, `chunk` texts per model call: only one chunk of texts and
    answers is held at a time (the caller writes each answer out as it comes). `expected` (how many
    texts are coming) of FAST_CPU_FROM or more on the CPU uses the task's faster CPU path."""
    from sftgui.core.tasks import task_of

    _check_top_k(top_k)
    task = task_of(version)
    model, processor = loaded_version(ws, version, device)
    max_length = task.max_length(processor, version.config)

    def run(block):
        return task.predict(model, processor, block, max_length=max_length)

    if expected is not None and expected >= FAST_CPU_FROM and model.device.type == "cpu":
        run = task.cpu_predictor(ws, version, processor) or run
    for block in chunks(texts, chunk):
        outputs = run(block)
        for text, out in zip(block, outputs):
            yield {"text": text, **task.answer(version.labels, out, top_k)}
