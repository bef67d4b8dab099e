"""Instruction data for training: conversations rendered with the model's chat template, tokenized
with the loss on the answers only (every prompt token's label is -100), cached on disk."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from sftgui.core.tasks.instruction_sft import shapes
from sftgui.errors import UserError

SPLITS = ("train", "validation", "test")
IGNORE = -100  # the label of a token the loss skips (prompt and padding)
MAX_AUTO_TOKENS = 1024  # "auto" length never beyond this (CPU training time grows with it)
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json")


def check_rows(rows: dict[str, list]) -> None:
    counts = {s: sum(1 for x in rows["split"] if x == s) for s in SPLITS}
    if counts["train"] == 0:
        raise UserError("The snapshot has no training examples; import some and freeze the snapshot again.")
    if counts["validation"] == 0:
        raise UserError("The snapshot has no validation examples, so progress cannot be measured; "
                        "freeze it again with a validation share above 0.")


def encode(tokenizer, turns: list[dict], max_length: int | None = None) -> dict:
    """`{input_ids, attention_mask, labels}` of one conversation: labels copy the tokens of every
    assistant turn (its end-of-turn token included, so the model learns to stop) and are -100 on
    the rest. Assistant spans are found by rendering the template up to each turn."""
    text = tokenizer.apply_chat_template(turns, tokenize=False)
    spans = []
    for i, turn in enumerate(turns):
        if turn.get("role") != "assistant":
            continue
        start = len(tokenizer.apply_chat_template(turns[:i], tokenize=False, add_generation_prompt=True))
        end = len(tokenizer.apply_chat_template(turns[: i + 1], tokenize=False))
        if text[:end] != tokenizer.apply_chat_template(turns[: i + 1], tokenize=False):
            raise UserError("The model's chat template renders a conversation differently from its first "
                            "turns, so answers cannot be told from prompts; choose another model.")
        spans.append((start, end))
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(enc["input_ids"])
    labels = [tok if any(s <= a < e for s, e in spans) else IGNORE
              for tok, (a, _b) in zip(ids, enc["offset_mapping"])]
    if max_length is not None:
        ids, labels = ids[:max_length], labels[:max_length]
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}


def tokenized(cache_root: Path, snapshot_hash: str, model_dir: Path, tokenizer, rows: dict[str, list],
              max_length: int):
    """({split: datasets.Dataset}, cache_hit); rows whose answers are cut off entirely are left out."""
    import datasets

    datasets.disable_progress_bars()
    key = hashlib.sha256(json.dumps(["sft", 1, snapshot_hash, fingerprint(model_dir), int(max_length)])
                         .encode()).hexdigest()[:20]
    folder = Path(cache_root) / "tokenized" / key
    if (folder / "dataset_dict.json").is_file():
        dd = datasets.load_from_disk(str(folder))
        return {s: dd[s] for s in SPLITS if s in dd}, True
    out = {}
    for split in SPLITS:
        cols = {"input_ids": [], "attention_mask": [], "labels": [], "row_id": []}
        for row_id, text, s in zip(rows["row_id"], rows["messages"], rows["split"]):
            if s != split:
                continue
            enc = encode(tokenizer, shapes.from_text(text), max_length)
            if all(x == IGNORE for x in enc["labels"]):
                continue
            for k, v in enc.items():
                cols[k].append(v)
            cols["row_id"].append(int(row_id))
        if cols["row_id"]:
            out[split] = datasets.Dataset.from_dict(cols)
    if "train" not in out:
        raise UserError(f"No training example keeps any of its answer within {max_length} tokens; "
                        "raise the maximum length.")
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    datasets.DatasetDict(out).save_to_disk(str(tmp))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    dd = datasets.load_from_disk(str(folder))
    return {s: dd[s] for s in SPLITS if s in dd}, False


def pack(dataset, max_length: int):
    """Sequence packing: the examples laid end to end in rows of at most `max_length` tokens (first
    fit, in the dataset's order), so a batch holds few padding tokens. Each example keeps its own
    labels (prompt tokens -100) and its own `position_ids` from 0, and its first token's label is
    -100, so nothing is learned across a boundary; the collator then leaves the attention mask out,
    and transformers' mask reads the restarting position ids as separate sequences (a block-diagonal
    causal mask in sdpa and eager attention): no example attends to another."""
    import datasets

    rows: list[dict] = []
    for ids, labels, row_id in zip(dataset["input_ids"], dataset["labels"], dataset["row_id"]):
        labels = [IGNORE, *labels[1:]]
        open_row = next((r for r in rows if len(r["input_ids"]) + len(ids) <= max_length), None)
        if open_row is None:
            open_row = {"input_ids": [], "labels": [], "position_ids": [], "row_id": int(row_id), "examples": 0}
            rows.append(open_row)
        open_row["input_ids"] += list(ids)
        open_row["labels"] += labels
        open_row["position_ids"] += list(range(len(ids)))
        open_row["examples"] += 1
    cols = {k: [r[k] for r in rows] for k in ("input_ids", "labels", "position_ids", "row_id", "examples")}
    cols["attention_mask"] = [[1] * len(r["input_ids"]) for r in rows]
    return datasets.Dataset.from_dict(cols)


class Collator:
    """Pads on the right for training: input ids with the pad token, labels with -100 (so the
    model's real end-of-text token, which is not the pad token, stays in the loss).

    Packed rows (`pack`) carry position ids: the batch then has no attention mask (the padding sits
    after every real token and is never attended by one) and position ids that restart at each
    example, which is how transformers builds the mask that keeps packed examples apart; without a
    cache (`use_cache=False`), or the mask would ignore the position ids."""

    def __init__(self, pad_id: int):
        self.pad_id = int(pad_id)

    def __call__(self, features):
        import torch

        width = max(len(f["input_ids"]) for f in features)

        def padded(key, value):
            return torch.tensor([list(f[key]) + [value] * (width - len(f[key])) for f in features])

        batch = {"input_ids": padded("input_ids", self.pad_id), "labels": padded("labels", IGNORE)}
        if "position_ids" in features[0]:
            batch["position_ids"] = torch.tensor([list(f["position_ids"]) + list(range(width - len(f["position_ids"])))
                                                  for f in features])
            batch["use_cache"] = False
        else:
            batch["attention_mask"] = padded("attention_mask", 0)
        if "row_id" in features[0]:
            batch["row_id"] = torch.tensor([int(f["row_id"]) for f in features])
        return batch


def lengths(dataset) -> list[int]:
    return [len(ids) for ids in dataset["input_ids"]]


def chat_ids(tokenizer, turns: list[dict], *, add_generation_prompt: bool = False) -> list[int]:
    """Token ids of a conversation rendered with the chat template (transformers 5 may hand back
    a dict of encodings: its input_ids)."""
    ids = tokenizer.apply_chat_template(turns, tokenize=True, add_generation_prompt=add_generation_prompt)
    if hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return list(ids)


def token_lengths(tokenizer, texts) -> list[int]:
    """Tokens of each conversation as the model reads it (chat template included)."""
    return [len(chat_ids(tokenizer, shapes.from_text(t))) for t in texts]


def auto_max_length(tokenizer, model_dir: Path, rows: dict[str, list], *, quantile: float = 0.98) -> int:
    import numpy as np

    from transformers import AutoConfig

    limit = int(getattr(AutoConfig.from_pretrained(str(model_dir)), "max_position_embeddings", 2048) or 2048)
    limit = min(limit, MAX_AUTO_TOKENS)
    texts = [t for t, s in zip(rows["messages"], rows["split"]) if s == "train"][:5000]
    if not texts:
        return min(256, limit)
    wanted = int(np.ceil(np.quantile(token_lengths(tokenizer, texts), quantile) / 16) * 16)
    return max(32, min(limit, wanted))


def fingerprint(model_dir: Path) -> str:
    h = hashlib.sha256()
    for name in _TOKENIZER_FILES:
        f = Path(model_dir) / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]
