"""Has the new data moved away from the training data? Two-sample tests with their p-values.

scipy's tests are used when scipy is installed (it is in sftgui's environment, pulled in by its
other dependencies); otherwise the same tests are computed here with numpy (the chi-square
survival function through the regularised incomplete gamma series/continued fraction, the KS
p-value through the Kolmogorov distribution's series), and `test` says which. A check is a dict
`{check, title, test, statistic, p_value, drifted, sentence, detail}` (Task.drift_checks).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

ALPHA = 0.01  # a check "drifted" when its p-value is below this


def _scipy_stats():
    try:
        from scipy import stats
    except ImportError:  # pragma: no cover - scipy is present in sftgui's environment
        return None
    return stats


# -- the tests -----------------------------------------------------------------------------------
def chi_square(observed: Sequence[float], expected_shares: Sequence[float]) -> tuple[float, float, str]:
    """Goodness of fit of counts to shares: (statistic, p_value, test name). Categories the
    reference never saw get a small share (half a row), so a new label counts as drift, not as an error."""
    import numpy as np

    obs = np.asarray(observed, dtype=float)
    shares = np.asarray(expected_shares, dtype=float)
    n = obs.sum()
    if n == 0 or len(obs) < 2:
        return 0.0, 1.0, "chi-square"
    shares = np.where(shares > 0, shares, 0.5 / max(n, 1.0))
    expected = shares / shares.sum() * n
    stat = float(((obs - expected) ** 2 / expected).sum())
    df = len(obs) - 1
    stats = _scipy_stats()
    if stats is not None:
        return stat, float(stats.chi2.sf(stat, df)), "chi-square (scipy)"
    return stat, _chi2_sf(stat, df), "chi-square (numpy)"


def ks_two_sample(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, str]:
    """Two-sample Kolmogorov-Smirnov: (D, p_value, test name)."""
    import numpy as np

    a, b = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    if not len(a) or not len(b):
        return 0.0, 1.0, "Kolmogorov-Smirnov"
    stats = _scipy_stats()
    if stats is not None:
        r = stats.ks_2samp(a, b)
        return float(r.statistic), float(r.pvalue), "Kolmogorov-Smirnov (scipy)"
    grid = np.concatenate([a, b])
    d = float(np.abs(np.searchsorted(a, grid, side="right") / len(a)
                     - np.searchsorted(b, grid, side="right") / len(b)).max())
    return d, _ks_sf(d, len(a), len(b)), "Kolmogorov-Smirnov (numpy, asymptotic)"


def two_proportions(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, str]:
    """Two-sided z-test that k1/n1 and k2/n2 are the same share: (z, p_value, test name)."""
    if not n1 or not n2:
        return 0.0, 1.0, "two-proportion z-test"
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0, "two-proportion z-test"
    z = (k1 / n1 - k2 / n2) / se
    return z, math.erfc(abs(z) / math.sqrt(2)), "two-proportion z-test"


def _chi2_sf(x: float, df: int) -> float:
    """P(X > x) for chi-square with df degrees of freedom: the regularised upper gamma Q(df/2, x/2)."""
    a, x = df / 2.0, x / 2.0
    if x <= 0:
        return 1.0
    if x < a + 1:  # series for P, then Q = 1 - P
        term = total = 1.0 / a
        k = a
        for _ in range(1000):
            k += 1
            term *= x / k
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(-x + a * math.log(x) - math.lgamma(a)))
    b, c, d = x + 1 - a, 1e300, 1 / (x + 1 - a)  # Lentz's continued fraction for Q
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return min(1.0, h * math.exp(-x + a * math.log(x) - math.lgamma(a)))


def _ks_sf(d: float, n: int, m: int) -> float:
    """Asymptotic two-sample KS p-value (Kolmogorov distribution, with Stephens' small-sample term)."""
    en = math.sqrt(n * m / (n + m))
    lam = (en + 0.12 + 0.11 / en) * d
    if lam < 1e-3:
        return 1.0
    total = sum(2 * (-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return min(1.0, max(0.0, total))


# -- checks a task returns ----------------------------------------------------------------------
def check(name: str, title: str, statistic: float, p_value: float, test: str, sentence: str, **detail) -> dict:
    drifted = p_value < ALPHA
    return {"check": name, "title": title, "test": test, "statistic": statistic, "p_value": p_value,
            "drifted": drifted, "sentence": sentence if drifted else "", "detail": detail}


def label_shares(column: str, reference: Sequence[dict], batch: Sequence[dict]) -> dict:
    """Do the batch's labels come in the same shares as the training rows' (chi-square)?"""
    ref = Counter(r[column] for r in reference if r.get(column) is not None)
    new = Counter(r[column] for r in batch if r.get(column) is not None)
    names = sorted(set(ref) | set(new))
    total = sum(ref.values()) or 1
    stat, p, test = chi_square([new[n] for n in names], [ref[n] / total for n in names])
    batch_total = sum(new.values()) or 1
    moved = max(names, key=lambda n: abs(new[n] / batch_total - ref[n] / total)) if names else None
    sentence = (f"The labels come in different shares than in the training data (most changed: "
                f"'{moved}', {ref[moved] / total:.0%} then, {new[moved] / batch_total:.0%} now)") if moved else ""
    return check("labels", "Label shares", stat, p, test, sentence,
                 training={n: ref[n] / total for n in names}, batch={n: new[n] / batch_total for n in names})
