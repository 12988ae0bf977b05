"""Tests of diagtools.explanations: SHAP explanations, per-slice differences, permutation cross-check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from diagtools.datasets import LOANS_TRUTH
from diagtools.errors import DiagnosticInputError
from diagtools.explanations import CrossCheck, Explanation, SliceExplanation, cross_check, explain, explain_slice
from tests._contract import check_result_contract


@pytest.fixture(scope="module")
def three_of_ten():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 10)), columns=[f"c{i}" for i in range(10)])
    y = 3 * X["c0"] + 2 * X["c1"] - 2 * X["c2"] + 0.1 * rng.normal(size=600)
    model = RandomForestRegressor(n_estimators=30, max_depth=8, random_state=0).fit(X, y)
    return X, y, model


@pytest.fixture(scope="module")
def onehot():
    rng = np.random.default_rng(1)
    n = 500
    X = pd.DataFrame({"color": rng.choice(["red", "green", "blue", "grey"], n), "size": rng.normal(size=n),
                      "weight": rng.normal(size=n)})
    logit = (X["color"] == "red") * 2.0 + X["size"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    pipe = Pipeline([
        ("prep", ColumnTransformer([("cat", OneHotEncoder(), ["color"]), ("num", StandardScaler(), ["size", "weight"])])),
        ("clf", LogisticRegression()),
    ]).fit(X, y)
    return X, y, pipe


@pytest.fixture(scope="module")
def loan_explained(loan_model, loans_current):
    X = loans_current.drop(columns=LOANS_TRUTH.target)
    return X, explain(loan_model, X, max_rows=200, n_boot=50)


def test_three_of_ten_top_in_both_views(three_of_ten):
    X, y, model = three_of_ten
    ex = explain(model, X, max_rows=300, n_boot=100)
    assert set(ex.frame["feature"].head(3)) == {"c0", "c1", "c2"}
    cc = cross_check(model, X, y, explanation=ex, n_repeats=3)
    top_perm = set(cc.frame.sort_values("perm_rank")["feature"].head(3))
    assert top_perm == {"c0", "c1", "c2"}
    assert cc.spearman > 0.5
    assert cc.findings()[0].severity == "info"


def test_matches_shap_directly_and_intervals_cover(three_of_ten):
    import shap

    X, _, model = three_of_ten
    ex = explain(model, X, max_rows=None, n_boot=200)
    direct = shap.TreeExplainer(model).shap_values(X.to_numpy())
    np.testing.assert_allclose(ex.shap_values.to_numpy(), direct, rtol=1e-6, atol=1e-8)
    ref = np.abs(direct).mean(0)
    f = ex.frame.set_index("feature").loc[X.columns]
    np.testing.assert_allclose(f["estimate"], ref)
    assert (f["ci_low"] <= f["estimate"]).all() and (f["estimate"] <= f["ci_high"]).all()
    assert (f["ci_high"] > f["ci_low"]).all()


def test_onehot_pipeline_grouped_per_original_column(onehot):
    X, _, pipe = onehot
    ex = explain(pipe, X, n_boot=50)
    assert ex.params["explainer"] == "linear"
    assert list(ex.shap_values.columns) == ["color", "size", "weight"]
    assert len(ex.groups["color"]) == 4 and ex.shap_expanded.shape[1] == 6
    np.testing.assert_allclose(ex.shap_values.to_numpy().sum(), ex.shap_expanded.to_numpy().sum())
    np.testing.assert_allclose(ex.shap_values.sum(axis=1), ex.shap_expanded.sum(axis=1))
    # additivity: base + attributions = decision function (log-odds of the positive class)
    np.testing.assert_allclose(ex.base_value + ex.shap_values.sum(axis=1), pipe.decision_function(X), atol=1e-6)
    assert ex.frame.iloc[-1]["feature"] == "weight"


def test_explainer_selection():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    yc = (X["a"] > 0).astype(int)
    rf = explain(RandomForestClassifier(n_estimators=5, random_state=0).fit(X, yc), X, n_boot=10)
    assert rf.params["explainer"] == "tree" and rf.params["explainer_class"] == "TreeExplainer"
    hgb = explain(HistGradientBoostingClassifier(max_iter=10).fit(X, yc), X, n_boot=10)
    assert hgb.params["explainer"] == "tree" and hgb.params["output"] == "log-odds"
    lin = explain(LogisticRegression().fit(X, yc), X, n_boot=10)
    assert lin.params["explainer"] == "linear"
    knn = KNeighborsRegressor().fit(X, X["a"] * 2)
    ag = explain(knn, X, max_rows=30, budget=20, n_boot=10)
    assert ag.params["explainer"] == "permutation" and "budget of 20" in ag.params["reason"]
    assert ag.frame.iloc[0]["feature"] == "a"
    assert "PermutationExplainer" in ag.findings()[0].title


def test_demo_pipeline_groups_derived_columns(loan_explained):
    _, ex = loan_explained
    feats = set(ex.frame["feature"])
    assert "loan_amount+income" in feats
    assert set(LOANS_TRUTH.categorical_columns) <= feats
    assert ex.params["output"] == "log-odds"


def test_explain_slice_names_planted_slice_columns(loan_model, loans_current):
    X = loans_current.drop(columns=LOANS_TRUTH.target)
    res = explain_slice(loan_model, X, LOANS_TRUTH.slice, max_rows=300, n_boot=20)
    top = set(res.frame["feature"].head(3))
    assert {"region", "channel"} <= top, res.frame.head(5)
    assert any("channel" in f.title or "region" in f.title for f in res.findings())
    assert res.slice_name == "region=north & channel=phone"
    mask = (X["region"] == "north") & (X["channel"] == "phone")
    named = explain_slice(loan_model, X, mask.to_numpy(), name="the phone slice", max_rows=100, n_boot=20)
    assert named.slice_name == "the phone slice" and named.params["n_slice"] > 0


def test_explain_slice_no_false_alarm_on_random_mask(three_of_ten):
    X, _, model = three_of_ten
    ex = explain(model, X, max_rows=None, n_boot=10)
    mask = np.random.default_rng(5).random(len(X)) < 0.3
    res = explain_slice(ex, X, mask)
    assert (res.frame["q_value"] >= 0.05).all()
    assert res.findings()[0].severity == "info"
    # the comparison schema: slice (estimate) against the rest (reference_estimate), every explained row counted once
    f = res.frame
    np.testing.assert_allclose(f["estimate"] - f["reference_estimate"], f["difference"])
    assert (f["n"] + f["reference_n"] == len(X)).all() and (f["n"] == mask.sum()).all()
    assert ((f["ci_low"] <= f["estimate"]) & (f["estimate"] <= f["ci_high"])).all()


def test_contracts_and_plots(loan_explained, onehot, pyplot):
    X, ex = loan_explained
    check_result_contract(ex, columns=["feature", "estimate", "ci_low", "ci_high", "n", "rank"])
    from matplotlib.axes import Axes

    assert isinstance(ex.plot_beeswarm(), Axes)
    assert isinstance(ex.plot_dependence("region"), Axes)
    assert isinstance(ex.plot_dependence("credit_score"), Axes)
    assert isinstance(ex.plot_waterfall(0), Axes)
    bars = ex.plot(top=3, color="red", alpha=0.5)
    assert len(bars.patches) == 3 and all(p.get_alpha() == 0.5 for p in bars.patches)
    with pytest.raises(DiagnosticInputError, match="colour"):
        ex.plot_waterfall(0, colour="red")
    se = explain_slice(ex, X, X["region"] == "north")
    check_result_contract(se)
    Xo, yo, pipe = onehot
    cc = cross_check(pipe, Xo, yo, n_repeats=2)
    check_result_contract(cc)
    assert isinstance(se, SliceExplanation) and isinstance(cc, CrossCheck) and isinstance(ex, Explanation)


def test_bad_inputs(three_of_ten, onehot):
    X, y, model = three_of_ten
    with pytest.raises(DiagnosticInputError, match="not fitted"):
        explain(RandomForestRegressor(), X)
    with pytest.raises(DiagnosticInputError, match="X must be"):
        explain(model, X["c0"].to_numpy())
    with pytest.raises(DiagnosticInputError, match="max_rows"):
        explain(model, X, max_rows=0)
    with pytest.raises(DiagnosticInputError, match="n_boot"):
        explain(model, X, n_boot=0)
    with pytest.raises(DiagnosticInputError, match="explainer must be"):
        explain(model, X, explainer="magic")
    with pytest.raises(DiagnosticInputError, match="empty"):
        explain(model, X.head(0))
    ex = explain(model, X, max_rows=100, n_boot=10)
    with pytest.raises(DiagnosticInputError, match="no column 'nope'"):
        explain_slice(ex, X, {"nope": 1})
    with pytest.raises(DiagnosticInputError, match="boolean mask"):
        explain_slice(ex, X, np.ones(3, dtype=bool))
    with pytest.raises(DiagnosticInputError, match="need at least"):
        explain_slice(ex, X, np.zeros(len(X), dtype=bool))
    with pytest.raises(DiagnosticInputError, match="same X"):
        explain_slice(ex, X.head(50), np.ones(50, dtype=bool))
    with pytest.raises(DiagnosticInputError, match="y has"):
        cross_check(model, X, y[:10], explanation=ex)
    with pytest.raises(DiagnosticInputError, match="feature"):
        ex.plot_dependence("nope")
    with pytest.raises(DiagnosticInputError, match="row must"):
        ex.plot_waterfall(10_000)
