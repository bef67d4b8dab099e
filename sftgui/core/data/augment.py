"""Optional text augmentation of the training split: random swaps and deletions of words.

Off by default; the engine calls `augment_rows` on the train rows only and records the rate and
seed in the run's config. Pure: the same rows, rate and seed give the same output.
"""

from __future__ import annotations

import random

from sftgui.errors import UserError


def augment_text(text: str, rate: float, rng: random.Random) -> str:
    words = text.split()
    if len(words) < 2:
        return text
    n = max(1, round(len(words) * rate))
    for _ in range(n):  # swap n random pairs of words
        i, j = rng.randrange(len(words)), rng.randrange(len(words))
        words[i], words[j] = words[j], words[i]
    kept = [w for w in words if rng.random() >= rate]  # drop each word with probability `rate`
    return " ".join(kept or [rng.choice(words)])


def augment_rows(rows: list[dict], rate: float, seed: int = 0) -> list[dict]:
    """One augmented copy of each row (text changed, every other key kept), after the originals.
    `rate` 0 returns the rows unchanged."""
    if not 0 <= rate <= 0.5:
        raise UserError(f"The augmentation rate must be between 0 and 0.5 (got {rate}).")
    if rate == 0:
        return list(rows)
    rng = random.Random(seed)
    extra = []
    for row in rows:
        new = augment_text(row["text"] or "", rate, rng)
        if new != row["text"]:
            extra.append({**row, "text": new, "augmented": True})
    return list(rows) + extra
