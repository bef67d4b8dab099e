"""Drift checks for texts: how long they are (two-sample KS test on word counts) and how many of
their words the training texts never had (out-of-vocabulary share, compared with the validation
texts' share by a two-proportion z-test: validation texts are new to training too, so their share
is what "no drift" looks like)."""

from __future__ import annotations

import re
from typing import Sequence

from sftgui.core import drift

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text) -> list[str]:
    return _WORD.findall(str(text or "").lower())


def text_length(reference: Sequence[dict], batch: Sequence[dict]) -> dict:
    ref = [len(words(r["text"])) for r in reference]
    new = [len(words(r["text"])) for r in batch]
    stat, p, test = drift.ks_two_sample(ref, new)
    med_ref, med_new = _median(ref), _median(new)
    sentence = (f"The texts are {'longer' if med_new > med_ref else 'shorter'} than in the training data "
                f"(a median of {med_new:g} words, {med_ref:g} in training)")
    return drift.check("length", "Text length", stat, p, test, sentence, training_median=med_ref,
                       batch_median=med_new)


def unknown_words(reference: Sequence[dict], batch: Sequence[dict], baseline: Sequence[dict]) -> dict:
    vocab = {w for r in reference for w in words(r["text"])}

    def counts(rows):
        ws = [w for r in rows for w in words(r["text"])]
        return sum(1 for w in ws if w not in vocab), len(ws)

    k_new, n_new = counts(batch)
    k_base, n_base = counts(baseline)
    stat, p, test = drift.two_proportions(k_new, n_new, k_base, n_base)
    share_new, share_base = k_new / n_new if n_new else 0.0, k_base / n_base if n_base else 0.0
    if share_new <= share_base:
        p = 1.0  # fewer unknown words than usual is no cause for a warning
    sentence = (f"{share_new:.0%} of the words are ones the training texts never had "
                f"({share_base:.0%} in the validation texts)")
    return drift.check("unknown_words", "Words not seen in training", stat, p, test + " against the validation texts",
                       sentence, batch_share=share_new, validation_share=share_base)


def _median(values) -> float:
    import numpy as np

    return float(np.median(values)) if len(values) else 0.0
