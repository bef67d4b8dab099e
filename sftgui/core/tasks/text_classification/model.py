"""Text classification models: a sequence classifier with a head that grows with new labels,
the files a version keeps beside its weights, and loading a version back."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from sftgui.errors import UserError

_DROPOUT_KEYS = ("hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout", "dropout",
                 "attention_dropout", "seq_classif_dropout")


def load_tokenizer(model_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir), trust_remote_code=False)


def load_model(model_dir: Path, labels: list[str], *, parent_labels: list[str] | None = None,
               dropout: float | None = None):
    """A sequence classifier with one output per label.

    From a base model the head is new. From a version the head keeps its trained rows and
    grows by one freshly initialised row per new label.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification

    config = AutoConfig.from_pretrained(str(model_dir), trust_remote_code=False)
    overrides = {k: dropout for k in _DROPOUT_KEYS if dropout is not None and hasattr(config, k)}
    n_start = len(parent_labels) if parent_labels else len(labels)
    start_labels = parent_labels or labels
    with _quiet_transformers():  # its "classifier MISSING" load report is expected: the head is new
        model = AutoModelForSequenceClassification.from_pretrained(
            str(model_dir),
            num_labels=n_start,
            id2label=dict(enumerate(start_labels)),
            label2id={lab: i for i, lab in enumerate(start_labels)},
            ignore_mismatched_sizes=not parent_labels,  # a base model's own head (if any) is replaced
            use_safetensors=True,
            trust_remote_code=False,
            **overrides,
        )
    if len(labels) > n_start:
        grow_head(model, labels)
    model.config.problem_type = "single_label_classification"
    return model


def _json_bytes(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def model_files(model, tokenizer, labels: list[str]) -> dict[str, bytes]:
    """config.json (with the label map), labels.json and the tokenizer's files, as bytes."""
    config = model.config.to_dict()
    config["id2label"] = {str(i): label for i, label in enumerate(labels)}
    config["label2id"] = {label: i for i, label in enumerate(labels)}
    config["architectures"] = [type(model).__name__]
    files = {"config.json": _json_bytes(config), "labels.json": _json_bytes(labels)}
    if tokenizer is not None:
        with tempfile.TemporaryDirectory(prefix="sftgui-tok-") as tmp:
            tokenizer.save_pretrained(tmp)
            for f in sorted(Path(tmp).iterdir()):
                if f.is_file():
                    files[f.name] = f.read_bytes()
    return files


def load_version(folder: Path, state: dict):
    """(model, tokenizer) in eval mode on the CPU, every weight assigned from `state`."""
    import transformers
    from transformers.initialization import no_init_weights

    folder = Path(folder)
    config = transformers.AutoConfig.from_pretrained(str(folder))
    has_tokenizer = any(p.name not in ("config.json", "labels.json") for p in folder.iterdir())
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder)) if has_tokenizer else None
    cls = getattr(transformers, (config.architectures or ["AutoModelForSequenceClassification"])[0])
    with no_init_weights():  # every weight is assigned from the blobs just below
        model = cls._from_config(config) if cls.__name__.startswith("Auto") else cls(config)
    # assign=True keeps each tensor's stored dtype (a bf16 version stays bf16)
    model.load_state_dict(state, strict=True, assign=True)
    model.eval()
    return model, tokenizer


def grow_head(model, labels: list[str]) -> None:
    """Widen the output layer to len(labels), keeping the trained rows of the existing labels."""
    import torch

    old_n = model.config.num_labels
    base = model.base_model_prefix
    out = None
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and module.out_features == old_n and not name.startswith(base):
            out = (name, module)
    if out is None:
        raise UserError("This model's output layer cannot be widened for the new labels; "
                        "train from the base model instead of continuing from the version.")
    name, old = out
    new = torch.nn.Linear(old.in_features, len(labels), bias=old.bias is not None,
                          device=old.weight.device, dtype=old.weight.dtype)
    with torch.no_grad():
        std = float(old.weight.std()) or 0.02
        new.weight.normal_(0.0, std)
        new.weight[:old_n] = old.weight
        if old.bias is not None:
            new.bias.fill_(float(old.bias.mean()))
            new.bias[:old_n] = old.bias
    parent_name, _, attr = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, attr, new)
    model.config.num_labels = len(labels)
    model.config.id2label = dict(enumerate(labels))
    model.config.label2id = {lab: i for i, lab in enumerate(labels)}
    model.num_labels = len(labels)


@contextlib.contextmanager
def _quiet_transformers():
    from transformers.utils import logging as hf_logging

    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(previous)
