"""The drift tests' numpy fallbacks give scipy's p-values (so a venv without scipy warns alike)."""

from __future__ import annotations

import numpy as np
import pytest

from sftgui.core import drift


@pytest.mark.parametrize("x,df", [(0.5, 1), (3.0, 2), (10.0, 3), (40.0, 5), (100.0, 10), (7.5, 7)])
def test_chi_square_survival_matches_scipy(x, df):
    from scipy import stats

    assert drift._chi2_sf(x, df) == pytest.approx(stats.chi2.sf(x, df), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("shift", [0.0, 0.3, 1.0])
def test_ks_fallback_matches_scipys_asymptotic_p(shift):
    from scipy import stats

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.normal(shift, size=200)
    d = stats.ks_2samp(a, b).statistic
    assert drift._ks_sf(d, 300, 200) == pytest.approx(stats.ks_2samp(a, b, method="asymp").pvalue, abs=0.02)


def test_the_fallback_is_used_and_named_without_scipy(monkeypatch):
    monkeypatch.setattr(drift, "_scipy_stats", lambda: None)
    stat, p, test = drift.chi_square([50, 50], [0.9, 0.1])
    assert test == "chi-square (numpy)" and p < 1e-10
    d, p, test = drift.ks_two_sample(list(range(50)), list(range(50)))
    assert test.startswith("Kolmogorov-Smirnov (numpy") and d == 0 and p == 1.0
    assert drift.two_proportions(30, 100, 5, 100)[1] < 0.001
