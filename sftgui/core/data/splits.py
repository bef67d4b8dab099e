"""Train / validation / test splits: stratified by label with a seed, or taken from a split
column; refused with a reason when a class is too small. A split, once given to a row, is kept
(`sticky`). Also the check training runs first."""

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


def _refuse_small(label_counts: dict, fr) -> None:
    small = too_small(label_counts, fr)
    if small:
        lab, n = sorted(small.items(), key=lambda kv: kv[1])[0]
        raise UserError(
            f"The label {lab!r} has only {n} example(s); each label needs at least {min_class_size(fr)} to be split "
            "into train, validation and test. Add examples, or merge it into another label ('sftgui data fix --merge-label')."
        )


def _targets(n: int, fr) -> tuple[int, int]:
    """(test, validation) rows a class of n rows should have; at least one each, one left for train."""
    n_test = min(max(1, round(n * fr[2])), n - 2)
    n_val = min(max(1, round(n * fr[1])), n - 1 - n_test)
    return n_test, n_val


def stratified(labels: list[str], *, seed: int = 0, fractions=DEFAULT_FRACTIONS) -> list[str]:
    """The split of each row: per class, a seeded shuffle cut by the fractions (at least one each)."""
    return sticky(labels, seed=seed, fractions=fractions)


def sticky(labels: list[str], previous: list[str | None] | None = None, column: list[str | None] | None = None,
           *, seed: int = 0, fractions=DEFAULT_FRACTIONS) -> list[str]:
    """The split of each row, keeping every split decided before.

    A row's split comes from the user's split column when it has one, else from `previous` (the
    split it was given the first time it was frozen), else it is new. New rows are dealt out per
    class (a seeded shuffle) so that each class reaches the fractions again: first the test rows
    the class lacks, then the validation rows, the rest train. Rows already placed never move, so
    a version's test rows never land in a later version's training data. With no previous splits
    this is the plain stratified split.
    """
    fr = check_fractions(fractions)
    n = len(labels)
    previous = previous or [None] * n
    column = column or [None] * n
    out = [column[i] or previous[i] or "" for i in range(n)]
    if any(column):
        return _fill_by_column(labels, out, column, seed)
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        by_class[lab].append(i)
    _refuse_small({lab: len(ix) for lab, ix in by_class.items() if any(not out[i] for i in ix)}, fr)
    rng = random.Random(seed)
    for lab in sorted(by_class):
        ix = [i for i in by_class[lab] if not out[i]]
        if not ix:
            continue
        rng.shuffle(ix)
        n_test, n_val = _targets(len(by_class[lab]), fr)
        have = Counter(out[i] for i in by_class[lab] if out[i])
        need_test = max(0, n_test - have["test"])
        need_val = max(0, n_val - have["validation"])
        for k, i in enumerate(ix):
            out[i] = "test" if k < need_test else "validation" if k < need_test + need_val else "train"
    return out


def _fill_by_column(labels, out, column, seed) -> list[str]:
    """Column mode: rows with no split of their own train; a missing validation split is carved from them."""
    new = [i for i, s in enumerate(out) if not s]
    for i in new:
        out[i] = "train"
    counts = Counter(out)
    for name in ("train", "test"):
        if not counts[name]:
            raise UserError(
                f"The split column gives no {name} rows; mark some rows as {name} or remove the split column."
            )
    if not counts["validation"]:
        pool = new or [i for i, s in enumerate(out) if s == "train" and not column[i]]
        pool = pool or [i for i, s in enumerate(out) if s == "train"]
        share = 0.1 / 0.9  # the default validation share of what is not test
        for k in stratified_subset([labels[i] for i in pool], share, seed):
            out[pool[k]] = "validation"
    return out


def from_column(labels: list[str], splits: list[str | None], *, seed: int = 0) -> list[str]:
    """Keep the given splits; rows without one train; an empty validation split is carved from train."""
    return sticky(labels, column=splits, seed=seed)


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
