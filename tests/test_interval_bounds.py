"""Every interval of a bounded metric stays inside the metric's range (property tests).

The ranges come from ``diagtools._metric_registry.metric_bounds`` (accuracy, precision, recall, F1,
AUC and rates in [0, 1]; R^2 <= 1; errors >= 0); hypothesis draws small, awkward data sets
(few rows, near-perfect or near-useless predictions, rare classes), where normal and
t intervals would cross a bound.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagtools._metric_registry import clip_interval, metric_bounds
from diagtools.errors import DiagnosticWarning
from diagtools.fairness import assess_fairness_predictions
from diagtools.fit import learning_curve, validation_curve
from diagtools.metrics import evaluate_predictions
from diagtools.slices import slice_metrics

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
confidences = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99])


def _assert_inside(frame: pd.DataFrame, name_col: str, fixed: str | None = None,
                   lo_col: str = "ci_low", hi_col: str = "ci_high") -> int:
    """Assert every finite interval end lies within its metric's bounds; return rows checked."""
    checked = 0
    for _, row in frame.iterrows():
        lo_b, hi_b = metric_bounds(fixed or row[name_col])
        if not (np.isfinite(lo_b) or np.isfinite(hi_b)):
            continue
        for col in (lo_col, hi_col):
            v = float(row[col])
            if np.isfinite(v):
                assert lo_b - 1e-12 <= v <= hi_b + 1e-12, (row[name_col] if fixed is None else fixed, col, v)
        if np.isfinite(row[lo_col]) and np.isfinite(row[hi_col]):
            assert row[lo_col] <= row[hi_col] + 1e-12
        checked += 1
    return checked


def _labels(draw: st.DrawFn, n: int, k: int, p_correct: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)  # every class present
    wrong = rng.random(n) > p_correct
    pred = np.where(wrong, rng.integers(0, k, n), y)
    return y, pred


@SETTINGS
@given(n=st.integers(8, 80), k=st.integers(2, 4), p_correct=st.sampled_from([0.0, 0.5, 0.9, 0.97, 1.0]),
       confidence=confidences, seed=st.integers(0, 10_000))
def test_evaluate_predictions_classification_intervals_inside(n, k, p_correct, confidence, seed):
    rng = np.random.default_rng(seed)
    y, pred = _labels(None, n, k, p_correct, rng)
    score = rng.dirichlet(np.ones(k), n)
    score[np.arange(n), y] += p_correct * 3  # informative scores when predictions are
    score /= score.sum(axis=1, keepdims=True)
    y_score = score[:, 1] if k == 2 else score
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosticWarning)
        res = evaluate_predictions(y, y_pred=pred, y_score=y_score, n_boot=40, confidence=confidence,
                                   random_state=seed)
    assert _assert_inside(res.frame, "metric") > 0


@SETTINGS
@given(n=st.integers(5, 60), noise=st.sampled_from([0.0, 0.01, 1.0, 10.0]), confidence=confidences,
       seed=st.integers(0, 10_000))
def test_evaluate_predictions_regression_intervals_inside(n, noise, confidence, seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n) + np.arange(n) * 0.01
    pred = y + noise * rng.normal(size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosticWarning)
        res = evaluate_predictions(y, y_pred=pred, task="regression", n_boot=40, confidence=confidence,
                                   random_state=seed)
    assert _assert_inside(res.frame, "metric") > 0


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(40, 120), flip=st.sampled_from([0.0, 0.02, 0.3]), confidence=confidences,
       seed=st.integers(0, 10_000), scoring=st.sampled_from(["accuracy", "roc_auc", "f1", "recall"]))
def test_learning_and_validation_curve_intervals_inside(n, flip, confidence, seed, scoring):
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] > 0).astype(int)
    y[:2] = [0, 1]
    y = np.where(rng.random(n) < flip, 1 - y, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lc = learning_curve(DecisionTreeClassifier(random_state=0), X, y, train_sizes=[0.3, 1.0], cv=3,
                            scoring=scoring, confidence=confidence, random_state=seed)
        vc = validation_curve(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth",
                              param_range=[1, 8], cv=3, scoring=scoring, confidence=confidence,
                              random_state=seed)
    assert _assert_inside(lc.summary(), "split", fixed=scoring) > 0
    assert _assert_inside(vc.summary(), "split", fixed=scoring) > 0


@SETTINGS
@given(n=st.integers(30, 150), p_correct=st.sampled_from([0.0, 0.5, 0.95, 1.0]), confidence=confidences,
       seed=st.integers(0, 10_000))
def test_slice_metrics_intervals_inside(n, p_correct, confidence, seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n), "x": rng.normal(size=n)})
    y, pred = _labels(None, n, 2, p_correct, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosticWarning)
        res = slice_metrics(None, X, y, y_pred=pred, n_boot=30, min_size=3, confidence=confidence,
                            random_state=seed)
    frame = res.frame
    assert _assert_inside(frame, "metric") > 0
    # a difference of two values in [0, 1] lies in [-1, 1]
    diff = frame[frame["metric"].map(lambda m: metric_bounds(m) == (0.0, 1.0))]
    assert (diff["difference_ci_low"].dropna() >= -1 - 1e-12).all()
    assert (diff["difference_ci_high"].dropna() <= 1 + 1e-12).all()


@SETTINGS
@given(n=st.integers(30, 120), noise=st.sampled_from([0.0, 0.001, 1.0]), confidence=confidences,
       seed=st.integers(0, 10_000))
def test_slice_metrics_regression_errors_nonnegative(n, noise, confidence, seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"g": rng.choice(["a", "b"], n)})
    y = rng.normal(size=n)
    pred = y + noise * rng.standard_t(2, size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosticWarning)
        res = slice_metrics(None, X, y, y_pred=pred, task="regression", n_boot=30, min_size=3,
                            confidence=confidence, random_state=seed)
    assert _assert_inside(res.frame, "metric") > 0


@SETTINGS
@given(n=st.integers(12, 120), p_correct=st.sampled_from([0.0, 0.5, 0.9, 1.0]), p_pos=st.sampled_from([0.05, 0.5, 0.95]),
       with_score=st.booleans(), confidence=confidences, seed=st.integers(0, 10_000))
def test_fairness_classification_intervals_inside(n, p_correct, p_pos, with_score, confidence, seed):
    """Group rates (Wilson), ECE and every disparity measure stay in [0, 1], groups as small as 1 row."""
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]), "h": rng.choice(["x", "y"], n)})
    y = (rng.random(n) < p_pos).astype(int)
    y[:2] = [0, 1]
    pred = np.where(rng.random(n) < p_correct, y, 1 - y)
    score = np.clip(0.5 * pred + 0.5 * rng.random(n), 0, 1) if with_score else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = assess_fairness_predictions(y, pred, sensitive_features=groups, y_score=score, min_group_size=1,
                                          n_boot=30, confidence=confidence, random_state=seed)
    rates = res.groups
    assert set(rates["metric"]) >= {"selection_rate", "base_rate", "tpr", "fpr", "precision", "error_rate"}
    assert all(metric_bounds(m) == (0.0, 1.0) for m in rates["metric"])  # every group metric here is a rate
    assert _assert_inside(rates, "metric") == len(rates)
    assert _assert_inside(res.overall, "metric") == len(res.overall)
    assert _assert_inside(res.frame, "measure") == len(res.frame)


@SETTINGS
@given(n=st.integers(6, 80), scale=st.sampled_from([0.0, 1e-3, 1.0, 100.0]), confidence=confidences,
       seed=st.integers(0, 10_000))
def test_fairness_regression_intervals_inside(n, scale, confidence, seed):
    """The Student-t interval of a group MAE never goes below 0 (a few rows, heavy-tailed errors)."""
    rng = np.random.default_rng(seed)
    groups = pd.Series(rng.choice(["a", "b"], n), name="g")
    y = rng.normal(size=n) * 10
    pred = y + scale * rng.standard_t(1.5, size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = assess_fairness_predictions(y, pred, sensitive_features=groups, task="regression", min_group_size=1,
                                          n_boot=30, confidence=confidence, random_state=seed)
    mae = res.groups[res.groups["metric"] == "mae"]
    assert _assert_inside(mae, "metric") == len(mae) > 0
    assert _assert_inside(res.frame, "measure") == len(res.frame)


def test_fairness_mae_t_interval_is_clipped_at_zero():
    """Ground truth: one large error among small ones; the plain t-interval of the MAE crosses 0."""
    from scipy import stats

    y = np.zeros(6)
    pred = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 6.0])
    groups = pd.Series(["a"] * 6, name="g")
    res = assess_fairness_predictions(y, pred, sensitive_features=groups, task="regression", min_group_size=1,
                                      n_boot=30)
    row = res.groups[(res.groups["metric"] == "mae") & (res.groups["feature"] == "g")].iloc[0]
    a = np.abs(pred - y)
    half = stats.t.ppf(0.975, 5) * a.std(ddof=1) / np.sqrt(6)
    assert a.mean() - half < 0  # the unclipped interval would claim a negative MAE
    assert row["estimate"] == pytest.approx(1.0)
    assert row["ci_low"] == 0.0
    assert row["ci_high"] == pytest.approx(a.mean() + half)


def test_learning_curve_accuracy_interval_never_above_one():
    """The reported case: near-perfect folds gave ci_high = 1.025 with a t-interval."""
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    y[rng.choice(60, 2, replace=False)] ^= 1  # two noisy labels: some folds 1.0, one lower
    res = learning_curve(DecisionTreeClassifier(random_state=0), X, y, train_sizes=[1.0], cv=3)
    s = res.summary().set_index("split")
    assert s.loc["validation", "ci_high"] <= 1.0
    assert s.loc["train", "ci_high"] <= 1.0
    v = res.folds["validation_score"]
    assert v.std() > 0  # the unclipped t-interval of these folds crosses 1
    from scipy import stats

    half = stats.t.ppf(0.975, 2) * v.std(ddof=1) / np.sqrt(3)
    assert v.mean() + half > 1.0


@pytest.mark.parametrize(("name", "bounds"), [
    ("accuracy", (0.0, 1.0)), ("f1[1]", (0.0, 1.0)), ("recall_macro", (0.0, 1.0)), ("roc_auc_ovr", (0.0, 1.0)),
    ("r2", (-np.inf, 1.0)), ("neg_log_loss", (-np.inf, 0.0)), ("neg_mean_absolute_error", (-np.inf, 0.0)),
    ("bias", (-np.inf, np.inf)), ("my_custom_scorer", (-np.inf, np.inf)),
])
def test_metric_bounds_table(name, bounds):
    assert metric_bounds(name) == bounds


def test_clip_interval_leaves_inner_ends_and_nan():
    assert clip_interval(0.2, 0.8, (0.0, 1.0)) == (0.2, 0.8)
    lo, hi = clip_interval(np.array([-0.1, np.nan]), np.array([1.2, 0.5]), (0.0, 1.0))
    np.testing.assert_array_equal(lo, [0.0, np.nan])
    np.testing.assert_array_equal(hi, [1.0, 0.5])
