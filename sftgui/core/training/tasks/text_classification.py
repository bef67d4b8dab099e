"""Single-label text classification: label set, tokenized data (cached on disk), model and head."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from pathlib import Path

from sftgui.errors import UserError

SPLITS = ("train", "validation", "test")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "merges.txt",
                    "special_tokens_map.json", "spiece.model", "sentencepiece.bpe.model")
_DROPOUT_KEYS = ("hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout", "dropout",
                 "attention_dropout", "seq_classif_dropout")


class TextClassification:
    name = "text-classification"

    # -- data -------------------------------------------------------------------------------
    def check_rows(self, rows: dict[str, list]) -> None:
        """Refuse data that cannot train a classifier, with the reason."""
        counts = {s: sum(1 for x in rows["split"] if x == s) for s in SPLITS}
        labels = {lab for lab, s in zip(rows["label"], rows["split"]) if s == "train" and lab not in (None, "")}
        if counts["train"] == 0:
            raise UserError("The snapshot has no training rows; add data or freeze the snapshot again.")
        if counts["validation"] == 0:
            raise UserError("The snapshot has no validation rows, so progress cannot be measured; "
                            "freeze it again with a validation share above 0.")
        if len(labels) < 2:
            raise UserError("Training needs at least 2 different labels in the training rows; "
                            f"this snapshot has {len(labels)}.")

    def label_set(self, rows: dict[str, list], parent_labels: list[str] | None = None) -> list[str]:
        """Parent labels keep their ids (so the head can grow); new labels follow, sorted."""
        seen = sorted({str(x) for x in rows["label"] if x not in (None, "")})
        base = list(parent_labels or [])
        return base + [x for x in seen if x not in base]

    def tokenized(self, cache_root: Path, snapshot_hash: str, model_dir: Path, tokenizer,
                  rows: dict[str, list], labels: list[str], max_length: int):
        """{split: datasets.Dataset} (non-empty splits only) with input ids, labels and row_id; built once, then read from disk.

        The cache key is (snapshot hash, tokenizer files, max length, label set), so any change
        to one of them tokenizes again. Returns (splits, cache_hit).
        """
        import datasets

        datasets.disable_progress_bars()  # our own events report progress
        key = hashlib.sha256(json.dumps(
            [snapshot_hash, tokenizer_fingerprint(model_dir), int(max_length), labels]).encode()).hexdigest()[:20]
        folder = Path(cache_root) / "tokenized" / key
        if (folder / "dataset_dict.json").is_file():
            dd = datasets.load_from_disk(str(folder))
            return {s: dd[s] for s in SPLITS if s in dd}, True
        label2id = {lab: i for i, lab in enumerate(labels)}
        keep = [i for i, lab in enumerate(rows["label"]) if lab not in (None, "") and rows["split"][i] in SPLITS]
        enc = tokenizer([str(rows["text"][i] or "") for i in keep], truncation=True, max_length=int(max_length))
        columns = {k: list(v) for k, v in enc.items()}
        columns["labels"] = [label2id[str(rows["label"][i])] for i in keep]
        columns["row_id"] = [int(rows["row_id"][i]) for i in keep]
        split_of = [rows["split"][i] for i in keep]
        out = {}
        for split in SPLITS:
            idx = [j for j, s in enumerate(split_of) if s == split]
            if not idx:
                continue  # an empty split (no test rows) is simply absent
            out[split] = datasets.Dataset.from_dict({k: [v[j] for j in idx] for k, v in columns.items()})
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        datasets.DatasetDict(out).save_to_disk(str(tmp))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)  # complete or absent: a crash never leaves half a cache
        dd = datasets.load_from_disk(str(folder))
        return {s: dd[s] for s in SPLITS if s in dd}, False

    def reading_limit(self, tokenizer, model_dir: Path) -> int:
        """The most tokens the model reads per text (at most 512): what predictions read, the way a
        plain `pipeline()` on the exported folder reads them."""
        from transformers import AutoConfig

        limit = min(int(getattr(tokenizer, "model_max_length", 512) or 512), 512)
        positions = getattr(AutoConfig.from_pretrained(str(model_dir), trust_remote_code=False),
                            "max_position_embeddings", None)
        return min(limit, int(positions)) if positions else limit

    def auto_max_length(self, tokenizer, model_dir: Path, rows: dict[str, list], *, quantile: float = 0.95) -> int:
        """Long enough for `quantile` of the training texts (rounded up to a multiple of 16), at most
        what the model reads: short texts train fast, long ones are not cut to a fixed 64 tokens."""
        import numpy as np

        texts = [str(t or "") for t, s in zip(rows["text"], rows["split"]) if s == "train"][:20_000]
        limit = self.reading_limit(tokenizer, model_dir)
        if not texts:
            return limit
        lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=limit)["input_ids"]]
        wanted = int(np.ceil(np.quantile(lengths, quantile) / 16) * 16)
        return max(16, min(limit, wanted))

    def collator(self, tokenizer):
        from transformers import DataCollatorWithPadding

        # Dynamic padding: each batch padded to its own longest text (row_id and labels ride along).
        return DataCollatorWithPadding(tokenizer, pad_to_multiple_of=None)

    # -- model ------------------------------------------------------------------------------
    def load_tokenizer(self, model_dir: Path):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(model_dir), trust_remote_code=False)

    def load_model(self, model_dir: Path, labels: list[str], *, parent_labels: list[str] | None = None,
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


def tokenizer_fingerprint(model_dir: Path) -> str:
    h = hashlib.sha256()
    for name in _TOKENIZER_FILES:
        f = Path(model_dir) / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


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
