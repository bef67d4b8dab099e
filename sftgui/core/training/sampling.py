"""Length-grouped batches in a random order.

The Trainer's own `group_by_length` sorts each mega-batch by length and trains its batches from the
longest to the shortest, so every epoch is a saw-tooth of long texts then short texts. Where length
goes with the label (long complaints, short praise) the last updates of each stretch all pull one
way; on 540 drug reviews bf16 + that order collapsed to the majority class. Here batches are still
built from texts of similar length (the speed), but the batches are then shuffled (the randomness),
with the longest batch first so an out-of-memory error shows at the first step, not the last.
The Trainer's evaluation and prediction samplers stay sequential, unlike with `group_by_length`.
"""

from __future__ import annotations

import torch
from torch.utils.data import Sampler

MEGA_BATCHES = 50  # at most this many batches sorted together: as in the Trainer, tight padding


class ShuffledLengthBatches(Sampler):
    """Indices whose consecutive runs of `batch_size` are texts of similar length; the batch order
    is random and depends only on (seed, epoch), so a resumed run sees the same batches."""

    def __init__(self, lengths: list[int], batch_size: int, seed: int):
        self.lengths, self.batch_size, self.seed = list(lengths), int(batch_size), int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:  # the Trainer calls it before each epoch
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.lengths)

    def batches(self) -> list[list[int]]:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        order = torch.randperm(len(self.lengths), generator=g).tolist()
        # At least four mega-batches, so that which texts share a batch changes from epoch to epoch.
        mult = max(1, min(MEGA_BATCHES, len(order) // (self.batch_size * 4)))
        size = self.batch_size * mult
        out: list[list[int]] = []
        for start in range(0, len(order), size):
            mega = sorted(order[start:start + size], key=lambda i: -self.lengths[i])
            out += [mega[i:i + self.batch_size] for i in range(0, len(mega), self.batch_size)]
        if not out:
            return out
        # Full batches are shuffled; the one short batch (the last mega-batch's rest) stays last
        # so that batch boundaries fall where the DataLoader cuts them (every batch_size indices).
        full = [b for b in out if len(b) == self.batch_size]
        rest = [b for b in out if len(b) != self.batch_size]
        longest = max(range(len(full)), key=lambda k: self.lengths[full[k][0]]) if full else None
        first = [full.pop(longest)] if longest is not None else []
        perm = torch.randperm(len(full), generator=g).tolist()
        return first + [full[k] for k in perm] + rest

    def __iter__(self):
        return iter([i for batch in self.batches() for i in batch])
