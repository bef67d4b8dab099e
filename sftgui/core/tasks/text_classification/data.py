"""Text classification data: the checks, the label set and the tokenized rows (cached on disk)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from sftgui.errors import UserError

SPLITS = ("train", "validation", "test")
MAX_TOKENS = 512  # the longest input read when neither the version nor the model says otherwise
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "merges.txt",
                    "special_tokens_map.json", "spiece.model", "sentencepiece.bpe.model")


def check_rows(rows: dict[str, list]) -> None:
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


def label_set(rows: dict[str, list], parent_labels: list[str] | None = None) -> list[str]:
    """Parent labels keep their ids (so the head can grow); new labels follow, sorted."""
    seen = sorted({str(x) for x in rows["label"] if x not in (None, "")})
    base = list(parent_labels or [])
    return base + [x for x in seen if x not in base]


def tokenized(cache_root: Path, snapshot_hash: str, model_dir: Path, tokenizer,
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


def reading_limit(tokenizer, model_dir: Path) -> int:
    """The most tokens the model reads per text (at most 512): what predictions read, the way a
    plain `pipeline()` on the exported folder reads them."""
    from transformers import AutoConfig

    limit = min(int(getattr(tokenizer, "model_max_length", MAX_TOKENS) or MAX_TOKENS), MAX_TOKENS)
    positions = getattr(AutoConfig.from_pretrained(str(model_dir), trust_remote_code=False),
                        "max_position_embeddings", None)
    return min(limit, int(positions)) if positions else limit


def auto_max_length(tokenizer, model_dir: Path, rows: dict[str, list], *, quantile: float = 0.95) -> int:
    """Long enough for `quantile` of the training texts (rounded up to a multiple of 16), at most
    what the model reads: short texts train fast, long ones are not cut to a fixed 64 tokens."""
    import numpy as np

    texts = [str(t or "") for t, s in zip(rows["text"], rows["split"]) if s == "train"][:20_000]
    limit = reading_limit(tokenizer, model_dir)
    if not texts:
        return limit
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=limit)["input_ids"]]
    wanted = int(np.ceil(np.quantile(lengths, quantile) / 16) * 16)
    return max(16, min(limit, wanted))


def collator(tokenizer):
    from transformers import DataCollatorWithPadding

    # Dynamic padding: each batch padded to its own longest text (row_id and labels ride along).
    return DataCollatorWithPadding(tokenizer, pad_to_multiple_of=None)


def lengths(dataset) -> list[int]:
    """Tokens per row, for length-grouped batches."""
    return [len(ids) for ids in dataset["input_ids"]]


def token_lengths(model_dir: Path, texts: list[str]) -> list[int]:
    """Tokens per text, special tokens included, not truncated (the quality report's check)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    out: list[int] = []
    for i in range(0, len(texts), 256):
        out += [len(x) for x in tok(texts[i : i + 256], add_special_tokens=True, truncation=False)["input_ids"]]
    return out


def tokenizer_fingerprint(model_dir: Path) -> str:
    h = hashlib.sha256()
    for name in _TOKENIZER_FILES:
        f = Path(model_dir) / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


