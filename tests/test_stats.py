"""Statistics helpers against scipy and against their definitions."""

import numpy as np
import pytest
from scipy import stats

from diagtools._stats import (
    benjamini_hochberg,
    bootstrap_counts,
    bootstrap_p_value,
    percentile_interval,
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
