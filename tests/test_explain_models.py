"""SHAP values that add up to the model's own output, for the models people bring.

Ground truth for every case: base value + sum of SHAP values per row equals the model's raw
output (LightGBM ``raw_score``, XGBoost ``output_margin``, scikit-learn ``decision_function`` /
``predict_proba``, CatBoost ``RawFormulaVal``) computed here, independently of diagtools.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diagtools.explanations import explain
from diagtools.models import adapt_model
from tests._models import LABELS, OnnxWrapper, adult_like, one_hot_pipeline


def _reconstructed(ex) -> np.ndarray:
    return np.asarray(ex.base_values) + ex.shap_values.to_numpy().sum(axis=1)


def _rows(X, ex):
    return X.iloc[ex.row_index] if isinstance(X, pd.DataFrame) else X[ex.row_index]


@pytest.fixture(scope="module")
def adult():
    return adult_like(500, seed=4)


def test_lightgbm_native_categoricals_log_odds(adult):
    import lightgbm as lgb

    X, y = adult
    model = lgb.LGBMClassifier(n_estimators=30, verbose=-1, random_state=0).fit(X, y)
    ex = explain(model, X, max_rows=300, n_boot=20)
    assert (ex.params["explainer"], ex.params["output"]) == ("tree", "log-odds")
    raw = model.predict(_rows(X, ex), raw_score=True)
    np.testing.assert_allclose(_reconstructed(ex), raw, atol=1e-6)
    assert ex.params["additivity_gap"] <= 1e-6 and ex.params["fallback"] is None
    assert set(ex.explained_class) == {">50K"} and "positive class '>50K'" in ex.findings()[0].title
    assert ex.n_samples == len(ex.shap_values) == len(ex.row_index) == 300
    assert list(ex.shap_values.columns) == list(X.columns)


def test_lightgbm_multiclass_explains_each_rows_predicted_class():
    import lightgbm as lgb

    X, _ = adult_like(450, seed=5)
    y = np.array(["low", "mid", "high"])[(X["age"].to_numpy() // 27).astype(int).clip(0, 2)]
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1, random_state=0).fit(X, y)
    ex = explain(model, X, max_rows=None, n_boot=10)
    pred = model.predict(X)
    assert ex.explained_class == list(pred), "each row explains its predicted class, not the last one"
    assert len(set(ex.explained_class)) == 3
    raw = model.predict(X, raw_score=True)
    k = pd.Index(model.classes_).get_indexer(pred)
    np.testing.assert_allclose(_reconstructed(ex), raw[np.arange(len(X)), k], atol=1e-6)
    fixed = explain(model, X, max_rows=50, n_boot=10, class_index=0)
    assert set(fixed.explained_class) == {model.classes_[0]}
    np.testing.assert_allclose(_reconstructed(fixed), model.predict(_rows(X, fixed), raw_score=True)[:, 0], atol=1e-6)


def test_xgboost_native_categoricals(adult):
    import xgboost as xgb

    X, y = adult
    model = xgb.XGBClassifier(n_estimators=30, max_depth=3, enable_categorical=True, tree_method="hist",
                              random_state=0).fit(X, (y == ">50K").astype(int))
    ex = explain(model, X, max_rows=200, n_boot=20)
    assert (ex.params["explainer"], ex.params["output"]) == ("tree", "log-odds")
    margin = model.predict(_rows(X, ex), output_margin=True).astype(float)
    np.testing.assert_allclose(_reconstructed(ex), margin, atol=1e-5 * max(1.0, np.abs(margin).max()))
    assert ex.params["additivity_gap"] <= 1e-6


@pytest.mark.parametrize("sparse", [True, False])
def test_xgboost_one_hot_pipeline_explains_the_matrix_it_sees(sparse):
    import shap
    import xgboost as xgb

    X, y = adult_like(500, seed=6, categorical=False)
    pipe = one_hot_pipeline(xgb.XGBClassifier(n_estimators=40, max_depth=4, random_state=0), sparse=sparse)
    pipe.fit(X, y == ">50K")
    ex = explain(pipe, X, max_rows=200, n_boot=20)
    Xt = pipe[:-1].transform(_rows(X, ex))
    assert hasattr(Xt, "toarray") == sparse
    margin = pipe[-1].predict(Xt, output_margin=True).astype(float)
    np.testing.assert_allclose(_reconstructed(ex), margin, atol=1e-5)
    assert ex.params["additivity_gap"] <= 1e-6 and ex.params["explainer"] == "tree"
    assert set(ex.shap_values.columns) == set(X.columns), "one-hot columns summed back to their source"
    if sparse:
        # the trap the issue describes: densified, XGBoost reads the zeros as values, not missing
        dense = shap.TreeExplainer(pipe[-1]).shap_values(Xt.toarray(), check_additivity=False)
        assert np.abs(dense.sum(axis=1) - ex.shap_expanded.to_numpy().sum(axis=1)).max() > 1e-3


def test_sklearn_pipelines_and_output_labels():
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor

    X, y = adult_like(400, seed=7, categorical=False)
    hgb = one_hot_pipeline(HistGradientBoostingClassifier(max_iter=20, random_state=0), sparse=False).fit(X, y)
    ex = explain(hgb, X, max_rows=150, n_boot=10)
    assert ex.params["output"] == "log-odds"
    np.testing.assert_allclose(_reconstructed(ex), hgb.decision_function(_rows(X, ex)), atol=1e-6)
    rf = one_hot_pipeline(RandomForestClassifier(n_estimators=10, random_state=0), sparse=True).fit(X, y)
    ex = explain(rf, X, max_rows=150, n_boot=10)
    assert ex.params["output"] == "probability"
    np.testing.assert_allclose(_reconstructed(ex), rf.predict_proba(_rows(X, ex))[:, 1], atol=1e-6)
    reg = one_hot_pipeline(RandomForestRegressor(n_estimators=10, random_state=0), sparse=False)
    reg.fit(X, X["hours"] * 2.0)
    ex = explain(reg, X, max_rows=100, n_boot=10)
    assert ex.params["output"] == "prediction (target units)" and ex.explained_class == []
    np.testing.assert_allclose(_reconstructed(ex), reg.predict(_rows(X, ex)), atol=1e-6)


def test_hgb_native_categorical_splits_are_exact():
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = adult_like(600, seed=8)
    model = HistGradientBoostingClassifier(max_iter=30, categorical_features="from_dtype", random_state=0).fit(X, y)
    ex = explain(model, X, max_rows=200, n_boot=10)
    assert ex.params["explainer"] == "tree" and ex.params["fallback"] is None
    np.testing.assert_allclose(_reconstructed(ex), model.decision_function(_rows(X, ex)), atol=1e-6)
    assert list(ex.shap_values.columns) == list(X.columns)


def test_values_that_do_not_add_up_fall_back_with_a_finding():
    from sklearn.ensemble import HistGradientBoostingClassifier

    # 40 categories do not fit shap's 31-bit category mask: its tree values are wrong, and said so
    rng = np.random.default_rng(9)
    n = 800
    code = rng.integers(0, 40, n)
    X = pd.DataFrame({"code": pd.Categorical([f"c{c:02d}" for c in code]), "x": rng.normal(size=n)})
    y = np.where((code % 3 == 0) ^ (rng.random(n) < 0.1), "yes", "no")
    model = HistGradientBoostingClassifier(max_iter=20, categorical_features="from_dtype", random_state=0).fit(X, y)
    ex = explain(model, X, max_rows=40, n_boot=10)
    assert ex.params["failed_explainer"] == "tree" and ex.params["failed_gap"] > 1e-6
    assert ex.params["explainer"] == "permutation" and ex.params["output"] == "probability"
    medium = [f for f in ex.findings() if f.severity == "medium"]
    assert medium and "did not match the model" in medium[0].title
    np.testing.assert_allclose(_reconstructed(ex), model.predict_proba(_rows(X, ex))[:, 1], atol=1e-6)


def test_catboost_string_categories():
    import catboost

    X, y = adult_like(400, seed=10, categorical=False)
    model = catboost.CatBoostClassifier(iterations=30, depth=4, verbose=0, random_seed=0, allow_writing_files=False,
                                        cat_features=["workclass", "education"]).fit(X, y)
    ex = explain(model, X, max_rows=100, n_boot=10)
    assert (ex.params["explainer"], ex.params["output"]) == ("tree", "log-odds")
    raw = model.predict(_rows(X, ex), prediction_type="RawFormulaVal")
    np.testing.assert_allclose(_reconstructed(ex), raw, atol=1e-6)


def test_onnx_wrapper_gets_the_original_strings():
    from sklearn.linear_model import LogisticRegression

    X, y = adult_like(300, seed=11, categorical=False)
    X.loc[X.index[:20], "workclass"] = "?"
    sk = one_hot_pipeline(LogisticRegression(max_iter=2000), sparse=False).fit(X, y)
    wrapper = OnnxWrapper(sk, X)
    ex = explain(adapt_model(wrapper, classes=LABELS), X, max_rows=15, n_boot=10)
    assert (ex.params["explainer"], ex.params["output"]) == ("permutation", "probability")
    assert set(ex.explained_class) == {">50K"}
    np.testing.assert_allclose(_reconstructed(ex), wrapper.predict_proba(_rows(X, ex))[:, 1], atol=1e-5)
    assert ex.frame.iloc[0]["n"] == 15 and ex.n_samples == 15


def test_forced_permutation_on_lightgbm_categoricals(adult):
    import lightgbm as lgb

    X, y = adult
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1, random_state=0).fit(X, y)
    ex = explain(model, X, max_rows=10, n_boot=10, explainer="permutation")
    np.testing.assert_allclose(_reconstructed(ex), model.predict_proba(_rows(X, ex))[:, 1], atol=1e-6)
    assert ex.feature_values["workclass"].dtype == X["workclass"].dtype
