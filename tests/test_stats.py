"""Statistics helpers against scipy and against their definitions."""

import numpy as np
import pytest
from scipy import stats

from diagtools._stats import (
    benjamini_hochberg,
    bias_corrected_interval,
    bootstrap_counts,
    bootstrap_p_value,
    percentile_interval,
    t_interval,
    wilson_interval,
)


def test_bootstrap_counts_are_multinomial_resamples():
    chunks = list(bootstrap_counts(50, 300, random_state=3))
    counts = np.vstack(chunks)
    assert counts.shape == (300, 50)
    assert (counts.sum(axis=1) == 50).all()
    # each row's count is Binomial(50, 1/50): mean 1, variance 0.98
    assert counts.mean() == pytest.approx(1.0)
    assert counts.var() == pytest.approx(0.98, rel=0.1)


def test_bootstrap_counts_are_reproducible_and_chunk_independent(monkeypatch):
    a = np.vstack(list(bootstrap_counts(1000, 40, random_state=7)))
    b = np.vstack(list(bootstrap_counts(1000, 40, random_state=7)))
    np.testing.assert_array_equal(a, b)
    c = np.vstack(list(bootstrap_counts(1000, 40, random_state=8)))
    assert not np.array_equal(a, c)


def test_benjamini_hochberg_matches_scipy_and_keeps_nan():
    rng = np.random.default_rng(0)
    p = rng.random(30) ** 3
    np.testing.assert_allclose(benjamini_hochberg(p), stats.false_discovery_control(p, method="bh"))
    q = benjamini_hochberg(np.array([0.01, np.nan, 0.04]))
    assert np.isnan(q[1])
    np.testing.assert_allclose(q[[0, 2]], stats.false_discovery_control([0.01, 0.04]))


def test_wilson_interval_matches_closed_form():
    low, high = wilson_interval(np.array([0, 5, 50]), np.array([10, 10, 100]))
    assert low[0] == 0.0 and 0.0 < high[0] < 0.35
    # reference values from the Wilson formula (z = 1.959964)
    assert low[1] == pytest.approx(0.2366, abs=1e-4)
    assert high[1] == pytest.approx(0.7634, abs=1e-4)
    assert np.isnan(wilson_interval(0, 0)[0])


def test_bootstrap_p_value_and_percentile_interval():
    rng = np.random.default_rng(1)
    shifted = rng.normal(1.0, 0.2, 2000)
    centred = rng.normal(0.0, 0.2, 2000)
    assert bootstrap_p_value(shifted) < 0.01
    assert bootstrap_p_value(centred) > 0.2
    low, high = percentile_interval(centred)
    assert low == pytest.approx(-0.392, abs=0.03) and high == pytest.approx(0.392, abs=0.03)


def test_t_interval_matches_scipy_and_covers_the_mean():
    low, high = t_interval(np.array([2.0, -1.0]), np.array([4.0, 0.25]), np.array([10, 3]), 0.9)
    for i, (m, v, n) in enumerate(((2.0, 4.0, 10), (-1.0, 0.25, 3))):
        ref = stats.t.interval(0.9, n - 1, loc=m, scale=np.sqrt(v / n))
        assert low[i] == pytest.approx(ref[0]) and high[i] == pytest.approx(ref[1])
    # coverage on known truth: 4,000 samples of 8 normal values with mean 3
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(4000, 8))
    lo, hi = t_interval(x.mean(axis=1), x.var(axis=1, ddof=1), 8)
    assert 0.94 < np.mean((lo <= 3.0) & (hi >= 3.0)) < 0.96
    # one value: no interval; a bounded metric: clipped to its range, estimate untouched
    assert np.isnan(t_interval(1.0, np.nan, 1)[0])
    lo, hi = t_interval(0.05, 0.04, 5, bounds=(0.0, np.inf))
    assert float(lo) == 0.0 and float(hi) > 0.05


def test_bias_corrected_interval_shifts_towards_the_estimate():
    draws = np.random.default_rng(1).normal(size=20_000)
    # the estimate at the draws' median: no bias to correct, the plain percentile interval
    lo, hi = bias_corrected_interval(draws, float(np.median(draws)), 0.9)
    plo, phi = percentile_interval(draws, 0.9)
    assert lo == pytest.approx(plo, abs=0.02) and hi == pytest.approx(phi, abs=0.02)
    # draws biased upwards (a max-minus-min gap): the interval moves down and still holds the estimate
    lo, hi = bias_corrected_interval(draws + 1.0, 0.2, 0.95)
    assert lo <= 0.2 <= hi and hi < np.percentile(draws + 1.0, 97.5)
    assert np.isnan(bias_corrected_interval(np.array([np.nan]), 0.0)[0])
