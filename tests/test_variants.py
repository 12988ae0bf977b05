"""Tests of compare_variants: planted accuracy drop, identical predictions, planted speed-up."""

from __future__ import annotations

import time

import numpy as np
import pytest

from diagtools.errors import DiagnosticInputError
from diagtools.latency import compare_variants

N = 3000
RNG = np.random.default_rng(0)
Y = RNG.integers(0, 3, N)
X = np.arange(N).reshape(-1, 1)  # row ids: the fake models look their prediction up


def _busy(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


class _Lookup:
    """Returns fixed predictions for the rows asked, after a known service time."""

    def __init__(self, pred, seconds):
        self.pred, self.seconds = np.asarray(pred), seconds

    def predict(self, X):
        _busy(self.seconds)
        return self.pred[np.asarray(X)[:, 0]]


def _with_accuracy(acc, seed):
    rng = np.random.default_rng(seed)
    pred = Y.copy()
    wrong = rng.choice(N, size=round((1 - acc) * N), replace=False)
    pred[wrong] = (Y[wrong] + 1) % 3
    return pred


REF = _with_accuracy(0.90, 1)


def _drop(points):
    """Reference predictions with ``points`` % of its correct rows made wrong."""
    pred = REF.copy()
    correct = np.flatnonzero(REF == Y)
    flip = np.random.default_rng(2).choice(correct, size=int(points / 100 * N), replace=False)
    pred[flip] = (Y[flip] + 1) % 3
    return pred


KW = {"n_boot": 500, "min_runs": 40, "min_time": 0.0, "max_time": 1.0}


def test_planted_drop_is_significant_and_identical_is_not(pyplot):
    from tests._contract import check_result_contract

    models = {"full": _Lookup(REF, 0.0006), "fast": _Lookup(REF, 0.0002),
              "pruned": _Lookup(_drop(3), 0.0002)}
    res = compare_variants(models, X, Y, reference="full", **KW)
    c = res.comparison.set_index(["variant", "metric"])
    assert c.loc[("fast", "accuracy"), "difference"] == 0.0
    assert c.loc[("fast", "accuracy"), "p_value"] > 0.5
    drop = c.loc[("pruned", "accuracy")]
    assert drop["difference"] == pytest.approx(-0.03, abs=1e-9)
    assert drop["difference_ci_high"] < 0 and drop["p_value"] < 0.01
    assert np.isnan(drop["ratio"])  # a quality change is a difference, never a ratio
    # exact McNemar: 90 rows right only under the reference, none the other way
    from scipy.stats import binomtest

    assert drop["p_value"] == pytest.approx(binomtest(90, 90, 0.5).pvalue)
    # the accuracy estimates equal a direct computation
    f = res.frame.set_index(["variant", "metric"])
    assert f.loc[("pruned", "accuracy"), "estimate"] == pytest.approx(np.mean(_drop(3) == Y))
    # planted 3x speed-up recovered with an interval
    assert 2.0 < res.speedup("fast") < 4.0
    lat = res.comparison[(res.comparison["variant"] == "fast") & (res.comparison["metric"] == "p50_ms")].iloc[0]
    assert lat["ratio_ci_high"] < 1 and np.isnan(lat["difference"])
    assert lat["ratio"] == pytest.approx(lat["estimate"] / lat["reference_estimate"])
    assert 0.2 < lat["ratio"] < 0.5  # planted: 0.2 ms against 0.6 ms
    found = {f.evidence["variant"]: f for f in res.findings() if "accuracy change" in f.title}
    assert found["pruned"].severity == "high" and "significantly worse" in found["pruned"].title
    assert found["fast"].severity == "info" and "not significant" in found["fast"].title
    assert "faster" in found["fast"].title
    assert "fast" in res.pareto_front() and "full" not in res.pareto_front()
    check_result_contract(res, columns=["variant", "metric", "batch_size", "estimate", "ci_low",
                                        "ci_high", "n"])
    assert res.area == "latency" and {f.area for f in res.findings()} == {"latency"}


def test_per_class_drop_is_flagged_after_fdr():
    pred = REF.copy()
    cls0 = np.flatnonzero((Y == 0) & (REF == Y))
    flip = np.random.default_rng(3).choice(cls0, size=150, replace=False)  # ~15 pt of class 0
    pred[flip] = 1
    res = compare_variants({"full": _Lookup(REF, 0.0001), "v": _Lookup(pred, 0.0001)}, X, Y,
                           metrics=["accuracy", "recall"], **KW)
    titles = [f.title for f in res.findings() if f.severity == "medium"]
    assert any("recall[0]" in t for t in titles)
    assert not any("recall[1]" in t or "recall[2]" in t for t in titles)


def test_regression_variants_use_r2():
    from sklearn.linear_model import LinearRegression, Ridge

    rng = np.random.default_rng(0)
    Xr = rng.normal(size=(400, 3))
    yr = Xr @ [1.0, 2.0, 0.5] + rng.normal(size=400)
    res = compare_variants({"ols": LinearRegression().fit(Xr, yr), "ridge": Ridge(1.0).fit(Xr, yr)},
                           Xr, yr, **{**KW, "min_runs": 10})
    assert res.primary == "r2"
    assert "not significant" in res.findings()[0].title


@pytest.mark.parametrize(("args", "kwargs", "match"), [
    (({"a": _Lookup(REF, 0)},), {}, "at least two named models"),
    (({"a": _Lookup(REF, 0), "b": _Lookup(REF, 0)},), {"reference": "aa"}, "no variant 'aa'; did you mean 'a'"),
    (({"a": _Lookup(REF, 0), "b": object()},), {}, r"models\['b'\] \(object\) has no method 'predict'"),
    (({"a": _Lookup(REF, 0), "b": _Lookup(REF, 0)},), {"alpha": 2}, "alpha must be a number"),
])
def test_compare_variants_bad_input(args, kwargs, match):
    with pytest.raises(DiagnosticInputError, match=match):
        compare_variants(*args, X, Y, **kwargs)


def test_compare_variants_length_mismatch():
    with pytest.raises(DiagnosticInputError, match="y has 10 rows but X has 3000"):
        compare_variants({"a": _Lookup(REF, 0), "b": _Lookup(REF, 0)}, X, Y[:10])


@pytest.fixture(scope="module")
def intents():
    from sklearn.model_selection import train_test_split

    from diagtools.datasets import load_intents
    from diagtools.demo_models import make_intent_model

    df = load_intents(60)
    Xtr, Xte, ytr, yte = train_test_split(df["text"], df["intent"], test_size=0.5,
                                          random_state=0, stratify=df["intent"])
    models = {k: make_intent_model(k).fit(Xtr, ytr) for k in ("full", "fast", "tiny")}
    return models, Xte, yte


def test_intent_demo_slow_step_is_named(intents):
    from diagtools.latency import profile_steps

    models, Xte, _ = intents
    res = profile_steps(models["full"], Xte, batch_sizes=(64,), min_runs=3, min_time=0.0)
    assert res.bottleneck() == "features/embedding"
    assert set(res.frame["step"]) == {"features/words", "features/chars", "features/embedding", "model"}


def test_intent_case_study_fast_kept_tiny_rejected(intents):
    models, Xte, yte = intents
    res = compare_variants(models, Xte, yte, reference="full", batch_sizes=(1, 64),
                           metrics=["accuracy", "recall"], n_boot=300, min_runs=20,
                           min_time=0.0, max_time=0.5)
    found = {f.evidence["variant"]: f for f in res.findings() if "accuracy change" in f.title}
    assert "not significant" in found["fast"].title
    assert found["tiny"].severity == "high"
    assert res.speedup("fast", batch_size=64) > 3
    assert "full" not in res.pareto_front()
