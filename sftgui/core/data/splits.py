"""Train / validation / test splits: stratified by label with a seed, or taken from a split
column; refused with a reason when a class is too small. Also the check training runs first."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from sftgui.errors import UserError

SPLIT_NAMES = ("train", "validation", "test")
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)


def check_fractions(fractions) -> tuple[float, float, float]:
    fr = tuple(float(f) for f in fractions)
    if len(fr) != 3 or not all(0 < f < 1 for f in fr) or not abs(sum(fr) - 1) <= 1e-6:  # NaN fails both
        raise UserError(
            f"Split fractions must be three positive numbers that add up to 1 (train, validation, test); got {fractions}."
        )
    return fr


def min_class_size(fractions=DEFAULT_FRACTIONS) -> int:
    """Each class needs one example in every split."""
    return len(check_fractions(fractions))


def too_small(label_counts: dict, fractions=DEFAULT_FRACTIONS) -> dict:
    need = min_class_size(fractions)
    return {lab: n for lab, n in label_counts.items() if n < need}


def stratified(labels: list[str], *, seed: int = 0, fractions=DEFAULT_FRACTIONS) -> list[str]:
    """The split of each row: per class, a seeded shuffle cut by the fractions (at least one each)."""
    fr = check_fractions(fractions)
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        by_class[lab].append(i)
    small = too_small({lab: len(ix) for lab, ix in by_class.items()}, fr)
    if small:
        lab, n = sorted(small.items(), key=lambda kv: kv[1])[0]
        raise UserError(
            f"The label {lab!r} has only {n} example(s); each label needs at least {min_class_size(fr)} to be split "
            "into train, validation and test. Add examples, or merge it into another label ('sftgui data fix --merge-label')."
        )
    rng = random.Random(seed)
    out = [""] * len(labels)
    for lab in sorted(by_class):
        ix = by_class[lab]
        rng.shuffle(ix)
        n = len(ix)
        n_test = min(max(1, round(n * fr[2])), n - 2)  # leave one for validation and one for train
        n_val = min(max(1, round(n * fr[1])), n - 1 - n_test)
        for k, i in enumerate(ix):
            out[i] = "test" if k < n_test else "validation" if k < n_test + n_val else "train"
    return out


def from_column(labels: list[str], splits: list[str | None], *, seed: int = 0) -> list[str]:
    """Keep the given splits; rows without one train; an empty validation split is carved from train."""
    out = [s or "train" for s in splits]
    counts = Counter(out)
    for name in ("train", "test"):
        if not counts[name]:
            raise UserError(
                f"The split column gives no {name} rows; mark some rows as {name} or remove the split column."
            )
    if not counts["validation"]:
        train_ix = [i for i, s in enumerate(out) if s == "train"]
        share = 0.1 / 0.9  # the default validation share of what is not test
        carved = stratified_subset([labels[i] for i in train_ix], share, seed)
        for k in carved:
            out[train_ix[k]] = "validation"
    return out


def stratified_subset(labels: list[str], share: float, seed: int) -> list[int]:
    """Indexes of about `share` of the rows, at least one per class that has two or more."""
    rng = random.Random(seed)
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        by_class[lab].append(i)
    picked = []
    for lab in sorted(by_class):
        ix = by_class[lab]
        if len(ix) < 2:
            continue
        rng.shuffle(ix)
        picked += ix[: max(1, round(len(ix) * share))]
    return sorted(picked)


def check_trainable(label_counts: dict, split_counts: dict | None = None) -> None:
    """Training refuses a snapshot it cannot learn from: one class, or an empty split."""
    present = [lab for lab, n in label_counts.items() if n > 0]
    if len(present) < 2:
        only = f" (only {present[0]!r})" if present else ""
        raise UserError(
            f"The data set has one class{only}; a classifier needs at least two labels. Label rows with another label first."
        )
    for name in SPLIT_NAMES:
        if split_counts is not None and not split_counts.get(name):
            raise UserError(f"The data set has no {name} rows; freeze the data again ('sftgui data snapshot').")
