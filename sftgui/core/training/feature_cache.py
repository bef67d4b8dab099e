"""Caching what does not change: the outputs of a model's frozen part.

When the lower part of a model is frozen (embeddings and the first N layers, or everything but the
head), every epoch computes the same outputs for it again. Here they are computed once per
(task, base model files, snapshot, max length, freeze point), in eval mode (no dropout in the frozen
part), stored in the workspace cache (`cache/features/<key>/<split>.safetensors`, fp16), and the
Trainer trains only the trainable part on them. Later epochs — and later runs on the same data —
skip the frozen part. A version still holds the full model: the trainable part's parameters ARE the
full model's (shared modules), and the frozen tensors are untouched, so the store dedups them.

A task says how its model splits (`Task.frozen_part(model, config)`) with one of the two parts below:
- `LayerInputPart`: the hidden states entering layer N of a transformer; the trainable part is the
  full model with its embeddings and first N layers swapped for pass-throughs (text models).
- `HeadInputPart`: the input of the head module when everything before it is frozen (an image
  backbone's pooled features; a linear head trains on them).
A self-check (the split model against the full model, in eval mode, on one real batch) guards each
use: when they disagree the run falls back to the normal path and says so.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

FORMAT = 1  # bump when the stored layout changes: old caches are then rebuilt, never misread
ENCODE_BATCH = 32
SELF_CHECK_TOLERANCE = 2e-3  # on the logits; fp16 storage of the features is the only change


class _Stop(Exception):
    """Raised by a forward hook once the frozen part's output is captured: the rest is not needed."""


def _run_until(model, batch, register, pick):
    """Run `model` on `batch` only until the hook that `register` installs fires; returns what
    `pick` takes from the hook's arguments (the frozen part's output). The rest is never computed."""
    seen = {}

    def hook(module, *args):
        seen["out"] = pick(*args)
        raise _Stop

    handle = register(hook)
    try:
        model(**batch)
    except _Stop:
        pass
    finally:
        handle.remove()
    return seen["out"]


@dataclass
class CachedFeatures:
    """One split's cached features: rows concatenated along dim 0, `offsets[i]:offsets[i+1]` is row i."""

    flat: torch.Tensor  # (sum of row lengths, width), fp16
    offsets: torch.Tensor  # (rows + 1,), int64
    row_id: torch.Tensor  # (rows,), int64

    @property
    def lengths(self) -> list[int]:
        return (self.offsets[1:] - self.offsets[:-1]).tolist()


class CachedDataset(torch.utils.data.Dataset):
    """Rows of cached features with their labels and row ids, for the Trainer."""

    def __init__(self, features: CachedFeatures, labels):
        self.features = features
        self.labels = torch.as_tensor(list(labels), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        f = self.features
        return {"features": f.flat[f.offsets[i]:f.offsets[i + 1]], "labels": self.labels[i], "row_id": f.row_id[i]}


def collate(rows: list[dict]) -> dict:
    """Pad each row's features (right side) to the batch's longest; the mask says which are real."""
    longest = max(r["features"].shape[0] for r in rows)
    width = rows[0]["features"].shape[-1]
    features = torch.zeros(len(rows), longest, width, dtype=rows[0]["features"].dtype)
    mask = torch.zeros(len(rows), longest, dtype=torch.long)
    for i, r in enumerate(rows):
        n = r["features"].shape[0]
        features[i, :n] = r["features"]
        mask[i, :n] = 1
    return {"features": features, "attention_mask": mask,
            "labels": torch.stack([torch.as_tensor(r["labels"]) for r in rows]),
            "row_id": torch.stack([torch.as_tensor(r["row_id"]) for r in rows])}


# -- the two ways a model splits ---------------------------------------------------------------------
class _Passthrough(nn.Module):
    """Stands in for a frozen module whose output is cached: returns its first input, or the stash."""

    def __init__(self, stash: dict | None = None):
        super().__init__()
        self.stash = stash

    def forward(self, hidden_states=None, *args, **kwargs):
        return self.stash["value"] if self.stash is not None else hidden_states


class _LayerInputHead(nn.Module):
    """The full model with its embeddings and first N layers swapped out: takes the cached hidden
    states entering layer N and runs the rest of the model (the trainable layers and the head)."""

    def __init__(self, model, input_name: str):
        super().__init__()
        self.model, self.input_name = model, input_name
        self.stash: dict = {}

    def forward(self, features, attention_mask, labels=None):
        param = next(p for p in self.model.parameters() if p.requires_grad)
        self.stash["value"] = features.to(param.dtype)
        # the token ids are never read (the embeddings are swapped out); they give the batch its shape
        dummy = torch.zeros(features.shape[:2], dtype=torch.long, device=features.device)
        return self.model(**{self.input_name: dummy}, attention_mask=attention_mask, labels=labels)


class FrozenPart:
    """The common part: capture the frozen output for a batch, build the trainable module, give the
    full model back. Subclasses say where the cut is."""

    key: str  # the freeze point, part of the cache key
    head: nn.Module  # what the Trainer trains: forward(features, attention_mask, labels) -> output

    def __init__(self, model):
        self.model = model

    def _capture(self, batch: dict) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def features(self, batch: dict) -> list[torch.Tensor]:
        """Each row's frozen output (real positions only), computed in eval mode."""
        was = self.model.training
        self.model.eval()
        try:
            out = self._capture(batch)
        finally:
            self.model.train(was)
        mask = batch.get("attention_mask")
        if out.dim() == 2:
            return [out[i:i + 1] for i in range(out.shape[0])]
        if self.first_position_only:
            return [out[i, :1] for i in range(out.shape[0])]
        return [out[i][mask[i].bool()] if mask is not None else out[i] for i in range(out.shape[0])]

    first_position_only = False

    def full_model(self):
        return self.model


class LayerInputPart(FrozenPart):
    """Cut before layer `n` of `layers` (n == len(layers): after the last layer). With the whole stack
    frozen, `first_position_only` keeps just the first position (a classifier that pools the first
    token reads nothing else; the self-check proves it for the model at hand)."""

    def __init__(self, model, embeddings: nn.Module, layers: nn.ModuleList, n: int, *, input_name: str,
                 first_position_only: bool = False):
        super().__init__(model)
        self.embeddings, self.layers, self.n = embeddings, layers, n
        self.first_position_only = first_position_only and n == len(layers)
        self.key = f"layer-input:{n}/{len(layers)}" + (":first" if self.first_position_only else "")
        self.input_name = input_name
        self._swapped: list = []
        self.head = _LayerInputHead(model, input_name)

    def _capture(self, batch):
        target = self.layers[self.n - 1] if self.n > 0 else self.embeddings
        out = _run_until(self.model, batch, target.register_forward_hook, lambda args, output: output)
        return out[0] if isinstance(out, (tuple, list)) else out

    def swap_in(self) -> None:
        """Embeddings -> the stash, layers[:n] -> pass-throughs (the head then starts at layer n)."""
        if self._swapped:
            return
        parent, attr = _parent_of(self.model, self.embeddings)
        self._swapped.append((parent, attr, self.embeddings))
        setattr(parent, attr, _Passthrough(self.head.stash))
        for i in range(self.n):
            self._swapped.append((self.layers, i, self.layers[i]))
            self.layers[i] = _Passthrough()

    def full_model(self):
        for parent, attr, module in reversed(self._swapped):
            if isinstance(attr, int):
                parent[attr] = module
            else:
                setattr(parent, attr, module)
        self._swapped = []
        return self.model


class _HeadInputHead(nn.Module):
    def __init__(self, model, head: nn.Module):
        super().__init__()
        self.model_head = head
        self.num_labels = model.config.num_labels

    def forward(self, features, attention_mask=None, labels=None):
        from transformers.modeling_outputs import SequenceClassifierOutput

        param = next(self.model_head.parameters())
        logits = self.model_head(features[:, 0].to(param.dtype))
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits.view(-1, self.num_labels), labels.view(-1))
        return SequenceClassifierOutput(loss=loss, logits=logits)


class HeadInputPart(FrozenPart):
    """Cut at the input of `head_name` (e.g. an image classifier's `classifier`): everything before
    it must be frozen, so its input is the same in every epoch."""

    def __init__(self, model, head_name: str):
        super().__init__(model)
        self.head_module = model.get_submodule(head_name)
        self.key = f"head-input:{head_name}"
        self.head = _HeadInputHead(model, self.head_module)

    def _capture(self, batch):
        out = _run_until(self.model, batch, self.head_module.register_forward_pre_hook, lambda args: args[0])
        return out.flatten(1) if out.dim() > 2 else out

    def swap_in(self) -> None:
        pass


def _parent_of(model, module):
    for name, m in model.named_modules():
        if m is module:
            parent, _, attr = name.rpartition(".")
            return (model.get_submodule(parent) if parent else model), attr
    raise ValueError("module not in model")


# -- the cache ---------------------------------------------------------------------------------------
def folder_fingerprint(folder: Path) -> str:
    """sha256 over the model folder's files (weights, config, tokenizer/processor): any change, a new key."""
    h = hashlib.sha256()
    for f in sorted(Path(folder).iterdir()):
        if f.is_file() and not f.is_symlink():
            h.update(f.name.encode())
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()[:20]


def cache_key(*, task: str, model_dir: Path, snapshot_hash: str, max_length, freeze_key: str) -> str:
    return hashlib.sha256(json.dumps([FORMAT, task, folder_fingerprint(model_dir), snapshot_hash,
                                      max_length, freeze_key]).encode()).hexdigest()[:24]


def load_split(path: Path, row_ids: list[int]) -> CachedFeatures | None:
    """A stored split, or None when absent, unreadable or not for these rows (then it is rebuilt)."""
    from safetensors.torch import load_file

    if not path.is_file():
        return None
    try:
        t = load_file(str(path))
        f = CachedFeatures(flat=t["flat"], offsets=t["offsets"], row_id=t["row_id"])
        ok = (f.offsets.shape[0] == len(row_ids) + 1 and int(f.offsets[-1]) == f.flat.shape[0]
              and f.row_id.tolist() == list(row_ids) and bool((f.offsets[1:] >= f.offsets[:-1]).all()))
    except Exception:  # noqa: BLE001 - a torn or foreign file is rebuilt, never trusted
        return None
    return f if ok else None


def save_split(path: Path, f: CachedFeatures) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file({"flat": f.flat.contiguous(), "offsets": f.offsets, "row_id": f.row_id}, str(tmp))
    tmp.replace(path)  # complete or absent


def encode_split(part: FrozenPart, dataset, collator, lengths: list[int] | None, *, progress=None) -> CachedFeatures:
    """Run the frozen part over a split once, shortest rows first (less padding), in dataset order out."""
    n = len(dataset)
    order = sorted(range(n), key=lambda i: lengths[i]) if lengths else list(range(n))
    per_row: list = [None] * n
    for start in range(0, n, ENCODE_BATCH):
        idx = order[start:start + ENCODE_BATCH]
        batch = collator([dataset[i] for i in idx])
        batch = {k: v for k, v in batch.items() if k not in ("labels", "row_id")}
        for i, out in zip(idx, part.features(batch)):
            per_row[i] = out.to(torch.float16)
        if progress is not None:
            progress(min(n, start + ENCODE_BATCH), n)
    sizes = [r.shape[0] for r in per_row]
    offsets = torch.zeros(n + 1, dtype=torch.long)
    offsets[1:] = torch.cumsum(torch.tensor(sizes, dtype=torch.long), 0)
    return CachedFeatures(flat=torch.cat(per_row, 0), offsets=offsets,
                          row_id=torch.as_tensor([int(x) for x in dataset["row_id"]], dtype=torch.long))


def cached_splits(folder: Path, part: FrozenPart, data: dict, collator, lengths_of, *, progress=None):
    """({split: CachedDataset}, hit): each split read from `folder`, or computed and stored."""
    out, hit = {}, True
    for split, ds in data.items():
        if split not in ("train", "validation"):
            continue  # the test rows are scored by the full model (the one prediction path)
        path = Path(folder) / f"{split}.safetensors"
        row_ids = [int(x) for x in ds["row_id"]]
        f = load_split(path, row_ids)
        if f is None:
            hit = False
            f = encode_split(part, ds, collator, lengths_of(ds),
                             progress=(lambda d, t, s=split: progress(s, d, t)) if progress else None)
            save_split(path, f)
        out[split] = CachedDataset(f, ds["labels"])
    return out, hit


def self_check(part: FrozenPart, dataset, collator, *, rows: int = 4) -> float:
    """Largest logit difference between the split model (cached-path head on fresh features) and the
    full model, in eval mode, on the first rows of a split."""
    batch = collator([dataset[i] for i in range(min(rows, len(dataset)))])
    inputs = {k: v for k, v in batch.items() if k not in ("labels", "row_id")}
    with torch.no_grad():
        was = part.model.training
        part.model.eval()
        full = part.model(**inputs).logits.float()
        feats = collate([{"features": f.to(torch.float16), "labels": torch.tensor(0), "row_id": torch.tensor(0)}
                         for f in part.features(inputs)])
        part.swap_in()
        try:
            head_out = part.head(feats["features"], feats["attention_mask"]).logits.float()
        finally:
            part.full_model()
            part.model.train(was)
    return float((full - head_out).abs().max())
