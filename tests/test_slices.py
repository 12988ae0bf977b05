"""Tests of diagtools.slices: planted slice found, no false alarms, numbers equal fairlearn/sliceline."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

from diagtools.datasets import LOANS_TRUTH, make_loans
from diagtools.errors import DiagnosticInputError
from diagtools.slices import (
    SliceResult,
    SliceSearchResult,
    find_slices,
    metrics_from_stats,
    slice_metrics,
    slice_stats,
)
from diagtools.slices._result import COHORT_COLUMNS, FRAME_COLUMNS, SEARCH_COLUMNS
from diagtools.slices._search import encode_frame
from diagtools.slices._sliceline import score
from tests._contract import check_result_contract

TARGET = LOANS_TRUTH.target
PLANTED = "region=north & channel=phone"


@pytest.fixture(scope="module")
def demo(loans_current, request):
    import sklearn.ensemble  # noqa: F401 - loads the OpenMP runtime, so the limit below applies to it
    from threadpoolctl import threadpool_limits

    # one OpenMP thread: on a shared 2-core machine more threads stall the demo model's fit
    with threadpool_limits(limits=1, user_api="openmp"):
        loan_model = request.getfixturevalue("loan_model")
        X = loans_current.drop(columns=TARGET)
        return X, loans_current[TARGET].to_numpy(), loan_model.predict(X)


@pytest.fixture(scope="module")
def demo_slices(demo):
    X, y, pred = demo
    return slice_metrics(None, X, y, y_pred=pred, n_boot=100)


@pytest.fixture(scope="module")
def demo_search(demo):
    X, y, pred = demo
    return find_slices(None, X, y, y_pred=pred)


# -- ground truth: the planted slice ---------------------------------------------------------
def test_planted_slice_is_top_finding_of_slice_metrics(demo_slices, demo):
    res = demo_slices
    top = res.reported().iloc[0]
    assert top["slice"] == PLANTED
    f = res.frame
    crosses = f[(f["order"] == 2) & (f["metric"] == res.primary_metric) & (f["difference"] < 0)]
    assert crosses.sort_values("p_value")["slice"].iloc[0] == PLANTED
    assert res.findings()[0].title.startswith(f"Slice {PLANTED}: error rate")
    # its parents are explained by it: not reported as near-duplicates
    reported = set(res.reported()["slice"])
    assert "region=north" not in reported and "channel=phone" not in reported
    X, _, _ = demo
    expected = ((X["region"] == "north") & (X["channel"] == "phone")).to_numpy()
    np.testing.assert_array_equal(res.mask(X, 1), expected)


def test_planted_slice_is_top_of_find_slices(demo_search, demo):
    res = demo_search
    assert res.frame["slice"].iloc[0] == PLANTED
    assert res.frame["reported"].iloc[0] and res.frame["q_value"].iloc[0] < 1e-6
    assert res.findings()[0].title.startswith(f"Slice {PLANTED}: error")
    X, y, pred = demo
    mask = res.mask(X, 1)
    assert mask.sum() == res.frame["n"].iloc[0]
    assert res.frame["estimate"].iloc[0] == pytest.approx(np.mean(y[mask] != pred[mask]))
    assert res.worst()["slice"] == PLANTED
    # the error tree's cohorts cover every row once
    assert res.cohorts["n"].sum() == len(X)
    assert list(res.cohorts.columns) == COHORT_COLUMNS


def _null_data(seed: int, n: int = 800) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "a": rng.choice(["x", "y", "z"], n),
        "b": rng.choice(["p", "q", "r", "s"], n),
        "c": rng.normal(size=n),
    })
    y = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < 0.8, y, 1 - y)  # errors independent of the columns
    return X, y, pred


def test_no_false_alarms_on_clean_data():
    flagged_metrics = flagged_search = 0
    for seed in range(100):
        X, y, pred = _null_data(seed)
        res = slice_metrics(None, X, y, y_pred=pred, metrics=["accuracy", "precision", "recall"], min_size=20)
        flagged_metrics += bool(res.frame["worse"].any())
        found = find_slices(None, X, y, y_pred=pred, min_size=20, k=5, tree_depth=0)
        flagged_search += bool(found.frame["worse"].any())
    assert flagged_metrics <= 5
    assert flagged_search <= 5


# -- references: fairlearn, sliceline, brute force -------------------------------------------
def test_metrics_equal_fairlearn_metricframe(demo_slices, demo):
    from fairlearn.metrics import MetricFrame, selection_rate
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    X, y, pred = demo
    res = demo_slices
    fns = {"accuracy": accuracy_score, "precision": precision_score, "recall": recall_score, "f1": f1_score,
           "selection_rate": selection_rate}
    edges = res.params["bins"]["income"]
    income_bin = np.searchsorted(edges, X["income"].to_numpy(), side="right")
    income_labels = np.array([lab for lab in res.frame["slice"].unique() if lab.startswith("income ")
                              and " & " not in lab])
    checked = 0
    for sensitive, key in (
        (X[["region", "channel"]], lambda g: f"region={g[0]} & channel={g[1]}"),
        (X["purpose"], lambda g: f"purpose={g}"),
        (pd.Series(income_bin, name="income"), lambda g: income_labels[g]),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mf = MetricFrame(metrics=fns, y_true=y, y_pred=pred, sensitive_features=sensitive)
        for group, row in mf.by_group.iterrows():
            mine = res.by_slice.loc[key(group)]
            for metric in fns:
                assert mine[metric] == pytest.approx(row[metric], abs=1e-12), (group, metric)
                checked += 1
    assert checked > 100
    overall = res.overall.set_index("metric")["estimate"]
    assert overall["accuracy"] == pytest.approx(np.mean(y == pred))


def test_find_slices_equals_sliceline(demo):
    from sliceline.slicefinder import Slicefinder

    X, y, pred = demo
    errors = (y != pred).astype(float)
    res = find_slices(None, X, errors=errors, k=5, max_predicates=3, min_size=30, score_alpha=0.99, tree_depth=0)
    codes, enc = encode_frame(X, list(X.columns), 5)
    labelled = pd.DataFrame({c: np.asarray(e.labels(), dtype=object)[codes[:, j]]
                             for j, (c, e) in enumerate(zip(X.columns, enc, strict=True))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sf = Slicefinder(alpha=0.99, k=5, max_l=3, min_sup=30, verbose=False).fit(labelled, errors)
    expected = [" & ".join(v for v in row if v is not None) for row in sf.top_slices_]
    assert list(res.frame["slice"]) == expected
    np.testing.assert_allclose(res.frame["score"], [s["slice_score"] for s in sf.top_slices_statistics_], atol=1e-6)
    np.testing.assert_array_equal(res.frame["n"], [s["slice_size"] for s in sf.top_slices_statistics_])


def test_find_slices_equals_brute_force_lattice():
    rng = np.random.default_rng(7)
    n = 600
    X = pd.DataFrame({c: rng.choice(list("abcd")[: 2 + i % 3], n) for i, c in enumerate("uvwxy")})
    errors = (rng.random(n) < 0.15 + 0.4 * ((X["u"] == "a") & (X["v"] == "b"))).astype(float)
    errors[:50] *= rng.random(50) * 3  # non-binary errors exercise the max-error bound
    alpha, k, min_sup = 0.9, 6, 15
    res = find_slices(None, X, errors=errors, k=k, max_predicates=3, min_size=min_sup, score_alpha=alpha, tree_depth=0)
    found = []
    for order in (1, 2, 3):
        for cols in itertools.combinations(X.columns, order):
            g = X.groupby(list(cols)).indices
            for levels, idx in g.items():
                levels = levels if isinstance(levels, tuple) else (levels,)
                size, err = len(idx), errors[idx].sum()
                s = float(score(np.array([size]), np.array([err]), n, errors.mean(), alpha)[0])
                if size >= min_sup and err > 0 and s > 0:
                    found.append((s, " & ".join(f"{c}={v}" for c, v in zip(cols, levels, strict=True))))
    found.sort(key=lambda t: -t[0])
    assert list(res.frame["slice"]) == [lab for _, lab in found[:k]]
    np.testing.assert_allclose(res.frame["score"], [s for s, _ in found[:k]])


def test_merged_chunks_equal_one_pass(demo):
    X, y, pred = demo
    cols = ["region", "channel", "income", "purpose"]
    order = np.argsort(X["region"].to_numpy(), kind="stable")  # chunks see different categories
    Xs, ys, ps = X.iloc[order].reset_index(drop=True), y[order], pred[order]
    whole = slice_stats(ys, ps, Xs, by=cols)
    parts = [slice_stats(ys[s], ps[s], Xs.iloc[s], by=cols, bins=whole.bins, labels=[0, 1])
             for s in (slice(0, 3000), slice(3000, 6500), slice(6500, None))]
    merged = parts[0] + parts[1] + parts[2]
    assert merged.n_samples == len(X)
    a = metrics_from_stats(whole, n_boot=50).frame
    b = metrics_from_stats(merged, n_boot=50).frame
    pd.testing.assert_frame_equal(a.sort_values(["metric", "slice"]).reset_index(drop=True),
                                  b.sort_values(["metric", "slice"]).reset_index(drop=True))
    with pytest.raises(DiagnosticInputError, match="cut differently"):
        parts[0].merge(slice_stats(ys[:100], ps[:100], Xs.iloc[:100], by=cols))


# -- behaviour ------------------------------------------------------------------------------
def test_undefined_metric_is_nan_with_reason():
    X = pd.DataFrame({"g": ["a"] * 50 + ["b"] * 50})
    y = np.r_[np.zeros(50, int), np.tile([0, 1], 25)]
    pred = np.r_[np.zeros(50, int), np.tile([1, 1, 0, 0], 12), [1, 0]]
    res = slice_metrics(None, X, y, y_pred=pred, min_size=10, n_boot=50)
    row = res.frame[(res.frame["slice"] == "g=a") & (res.frame["metric"] == "precision")].iloc[0]
    assert np.isnan(row["estimate"]) and row["note"] == "undefined: no predicted positives"
    row = res.frame[(res.frame["slice"] == "g=a") & (res.frame["metric"] == "recall")].iloc[0]
    assert np.isnan(row["estimate"]) and "no positive labels" in row["note"]
    ok = res.frame[(res.frame["slice"] == "g=b") & (res.frame["metric"] == "accuracy")].iloc[0]
    assert ok["estimate"] == pytest.approx(np.mean(y[50:] == pred[50:])) and ok["note"] == ""


def test_missing_values_and_readable_bins():
    df = make_loans(2000, random_state=1)
    df.loc[df.index[:150], "income"] = np.nan
    res = slice_metrics(None, df, df[TARGET], y_pred=np.zeros(len(df), int), by=["income"], metrics="accuracy",
                        min_size=10)
    labels = list(res.frame["slice"])
    assert "income is missing" in labels
    assert labels[0].startswith("income < ") and labels[-2].startswith("income ≥ ")
    assert any(lab.startswith("income in [") and lab.endswith(")") for lab in labels)
    assert res.frame.loc[res.frame["slice"] == "income is missing", "n"].iloc[0] == 150
    assert res.mask(df, "income is missing").sum() == 150
    # every row in exactly one bin, and the label's rule is the mask
    total = sum(res.mask(df, lab).sum() for lab in labels)
    assert total == len(df)
    for edge in res.params["bins"]["income"]:
        assert float(f"{edge:.3g}") == edge


def test_regression_metrics_equal_direct_computation():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"g": rng.choice(["a", "b", "c"], 900)})
    y = rng.normal(size=900)
    pred = y + rng.normal(size=900) * np.where(X["g"] == "c", 3.0, 1.0)
    res = slice_metrics(None, X, y, y_pred=pred)
    for g in "abc":
        m = (X["g"] == g).to_numpy()
        e = y[m] - pred[m]
        row = res.frame[(res.frame["slice"] == f"g={g}")].set_index("metric")
        assert row.loc["mae", "estimate"] == pytest.approx(np.abs(e).mean())
        assert row.loc["rmse", "estimate"] == pytest.approx(np.sqrt((e**2).mean()))
        assert row.loc["bias", "estimate"] == pytest.approx(e.mean())
    from scipy import stats as sps

    m = (X["g"] == "c").to_numpy()
    welch = sps.ttest_ind(np.abs(y - pred)[m], np.abs(y - pred)[~m], equal_var=False)
    row = res.frame[(res.frame["slice"] == "g=c") & (res.frame["metric"] == "mae")].iloc[0]
    assert row["p_value"] == pytest.approx(welch.pvalue, rel=1e-6)
    assert res.reported()["slice"].iloc[0] == "g=c"


def test_multiclass_metrics():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"g": rng.choice(["a", "b"], 600)})
    y = rng.integers(0, 3, 600)
    pred = np.where(rng.random(600) < 0.7, y, rng.integers(0, 3, 600))
    res = slice_metrics(None, X, y, y_pred=pred, n_boot=50)
    assert set(res.frame["metric"]) == {"accuracy", "balanced_accuracy"}
    from sklearn.metrics import balanced_accuracy_score

    m = (X["g"] == "a").to_numpy()
    row = res.frame[(res.frame["slice"] == "g=a")].set_index("metric")
    assert row.loc["balanced_accuracy", "estimate"] == pytest.approx(balanced_accuracy_score(y[m], pred[m]))
    assert row.loc["balanced_accuracy", "ci_low"] < row.loc["balanced_accuracy", "estimate"] < row.loc["balanced_accuracy", "ci_high"]


def test_result_contracts(demo_slices, demo_search, pyplot):
    check_result_contract(demo_slices, columns=FRAME_COLUMNS)
    check_result_contract(demo_search, columns=SEARCH_COLUMNS)
    from matplotlib.axes import Axes

    ax = demo_slices.plot_heatmap()  # default: the pair of the planted cross
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("region", "channel")
    assert isinstance(demo_slices.plot(feature="region & channel"), Axes)
    assert isinstance(demo_search.plot_cohorts(), Axes)
    back = SliceSearchResult.from_dict(demo_search.to_dict())
    assert isinstance(back, SliceSearchResult)
    X = make_loans(300, window="current")
    np.testing.assert_array_equal(back.mask(X, 1), demo_search.mask(X, 1))
    assert isinstance(SliceResult.from_dict(demo_slices.to_dict()), SliceResult)


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"by": ["regon"]}, "did you mean 'region'"),
        ({"metrics": ["auc"]}, "not available"),
        ({"bins": 0}, "bins must be an integer"),
        ({"min_size": 0}, "min_size must be an integer"),
        ({"alpha": 1.5}, "alpha must be between 0 and 1"),
        ({"crosses": 5}, "crosses must be an integer"),
        ({"y_pred": np.zeros(10)}, "y_pred has 10 rows"),
    ],
)
def test_slice_metrics_bad_input(kwargs, match):
    df = make_loans(200, random_state=2)
    base = {"y_pred": df[TARGET].to_numpy(), "by": ["region"]}
    with pytest.raises(DiagnosticInputError, match=match):
        slice_metrics(None, df, df[TARGET], **{**base, **kwargs})


def test_bad_input_messages():
    from sklearn.linear_model import LogisticRegression

    df = make_loans(200, random_state=2)
    y = df[TARGET]
    with pytest.raises(DiagnosticInputError, match="pass a DataFrame"):
        slice_metrics(None, df.to_numpy(), y, y_pred=y)
    with pytest.raises(DiagnosticInputError, match="not fitted"):
        slice_metrics(LogisticRegression(), df, y)
    with pytest.raises(DiagnosticInputError, match="y contains 1 missing"):
        slice_metrics(None, df, y.astype(float).where(df.index != 3), y_pred=y)
    with pytest.raises(DiagnosticInputError, match="negative value"):
        find_slices(None, df, errors=-np.ones(len(df)))
    with pytest.raises(DiagnosticInputError, match="max_predicates must be an integer"):
        find_slices(None, df, errors=np.ones(len(df)), max_predicates=0)
    with pytest.raises(DiagnosticInputError, match="model is None"):
        find_slices(None, df, y)
    big = make_loans(300, random_state=2).assign(id=[f"r{i}" for i in range(300)])
    with pytest.raises(DiagnosticInputError, match="distinct values"):
        slice_metrics(None, big, big[TARGET], y_pred=big[TARGET], by=["id"])
    # without by=, an identifier column is left out instead of failing
    auto = slice_metrics(None, big, big[TARGET], y_pred=big[TARGET], metrics="accuracy")
    assert "id" not in auto.params["columns"] and "region" in auto.params["columns"]
    # no slice reaches min_size: an empty, well-formed result
    empty = slice_metrics(None, df, y, y_pred=y, by=["region"], min_size=1000)
    assert empty.frame.empty and empty.findings()[0].severity == "info"
    res = find_slices(None, df, errors=np.zeros(len(df)))
    assert res.frame.empty and res.findings()[0].severity == "info"
    with pytest.raises(DiagnosticInputError, match="out of range"):
        res.mask(df, 1)


def test_widget_recomputes_on_change(pyplot):
    from diagtools.widgets import explore_slices

    df = make_loans(1500, random_state=4)
    box = explore_slices(None, df, df[TARGET], y_pred=np.zeros(len(df), int), columns=["region", "channel", "age"])
    controls = box.children[0]
    pick, (metric, size) = controls.children[0], controls.children[1].children
    assert pick.value == ("region", "channel") and metric.value == "accuracy"
    metric.value = "recall"
    size.value = 50
    pick.value = ("age",)
    assert len(box.children) == 3


def test_intervals_cover_the_true_value_at_about_their_level():
    covered = covered_diff = 0
    runs = 200
    for seed in range(runs):
        rng = np.random.default_rng(1000 + seed)
        g = rng.choice(["a", "b"], 400, p=[0.3, 0.7])
        y = rng.integers(0, 2, 400)
        right = rng.random(400) < np.where(g == "a", 0.7, 0.85)  # true accuracy 0.70 in a, 0.85 elsewhere
        res = slice_metrics(None, pd.DataFrame({"g": g}), y, y_pred=np.where(right, y, 1 - y), metrics="accuracy",
                            min_size=5)
        row = res.frame[res.frame["slice"] == "g=a"].iloc[0]
        covered += row["ci_low"] <= 0.70 <= row["ci_high"]
        covered_diff += row["difference_ci_low"] <= -0.15 <= row["difference_ci_high"]
    assert 0.91 <= covered / runs <= 0.99
    assert 0.91 <= covered_diff / runs <= 0.99


def test_summary_table_lists_only_worse_slices(demo_slices):
    """A table about failures does not open with significantly *better* slices."""
    import re

    html = demo_slices._repr_html_()
    table = html[html.index("<table"):]
    shown = re.findall(r"<tr><td>(.*?)</td>", table)
    rows = demo_slices.frame[demo_slices.frame["metric"] == demo_slices.primary_metric]
    better = rows[(rows["q_value"] < 0.05) & ~rows["worse"].astype(bool)]
    assert len(better) > 0  # the demo has better slices (high credit scores), so this can fail
    worse_names = set(rows.loc[rows["worse"].astype(bool), "slice"].map(escape))
    assert shown and set(shown) <= worse_names
    assert f"{len(better):,} significantly better slices" in html


def escape(text):
    from diagtools._result import escape as _escape

    return _escape(text)


def test_error_cohorts_read_as_one_condition_per_column(demo_search):
    cohorts = demo_search.cohorts
    assert cohorts["n"].sum() == demo_search.n_samples  # the leaves partition the rows
    for rule in cohorts["cohort"]:
        assert "not (" not in rule, rule  # "purpose≠crypto", "credit_score < 695", not "not (...)"
        columns = [part.split("=")[0].split("≠")[0].split(" ")[0] for part in rule.split(" & ")]
        assert len(columns) == len(set(columns)), rule  # one condition per column


def test_levels_rule_words():
    from diagtools.slices._encode import Encoding
    from diagtools.slices._search import _levels_rule

    num = Encoding("credit_score", "numeric", edges=[594, 629, 659, 695])
    cat = Encoding("purpose", "categorical", values=["car", "crypto", "home", "debt"])
    assert _levels_rule(num, frozenset({0, 1, 2, 3})) == "credit_score < 695"
    assert _levels_rule(num, frozenset({4})) == "credit_score ≥ 695"
    assert _levels_rule(num, frozenset({1, 2})) == "credit_score in [594, 659)"
    assert _levels_rule(cat, frozenset({0, 2, 3})) == "purpose≠crypto"
    assert _levels_rule(cat, frozenset({2, 3})) == "purpose in {home, debt}"
    assert _levels_rule(cat, frozenset({0})) == "purpose=car"


@pytest.mark.parametrize("method", ["plot", "plot_heatmap"])
def test_slice_result_plots_take_keyword_ax_and_refuse_unknown_style(method):
    from tests._contract import check_plot_method
    from tests._examples.slices import _slice_result

    check_plot_method(_slice_result(), method)


def test_search_plots_refuse_unknown_style_and_reference_is_the_rest(pyplot):
    from tests._contract import check_plot_method
    from tests._examples.slices import _search_result

    res = _search_result()
    top = res.frame.iloc[0]
    assert top["slice"] == "region=north & channel=phone"
    assert top["difference"] == pytest.approx(top["estimate"] - top["reference_estimate"])
    assert top["difference_ci_low"] < top["difference"] < top["difference_ci_high"]
    assert res.plot_cohorts(ax=pyplot.subplots()[1], color="green").patches
    check_plot_method(res, "plot_cohorts")
