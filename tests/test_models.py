"""The model adapter: task, original classes, scores, input kinds and output space per library."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diagtools import DiagnosticInputError
from diagtools.models import ModelAdapter, adapt_model
from tests._models import LABELS, OnnxWrapper, adult_like, one_hot_pipeline


@pytest.fixture(scope="module")
def adult():
    return adult_like(400, seed=1)


def _lgbm(X, y):
    import lightgbm as lgb

    return lgb.LGBMClassifier(n_estimators=20, verbose=-1, random_state=0).fit(X, y)


def test_lightgbm_native_categoricals_and_string_labels(adult):
    X, y = adult
    model = _lgbm(X, y)
    ad = adapt_model(model)
    assert (ad.task, ad.family, ad.output_space, ad.score_method) == ("binary", "lightgbm", "log-odds", "predict_proba")
    assert list(ad.classes) == list(LABELS) and ad.positive_label == ">50K"
    assert {"categorical", "dataframe", "sparse"} <= ad.input_kinds
    # raw output is the logit of predict_proba, and nothing converted X on the way
    p = ad.positive_score(X)
    np.testing.assert_allclose(1 / (1 + np.exp(-ad.raw_output(X))), p, atol=1e-12)
    assert set(ad.predict(X)) <= set(LABELS)
    np.testing.assert_array_equal(ad.label_index(y), (y == ">50K").astype(int))


def test_xgboost_and_catboost_state_their_output_space(adult):
    import catboost
    import xgboost as xgb

    X, y = adult
    yb = (y == ">50K").astype(int)
    xm = xgb.XGBClassifier(n_estimators=10, enable_categorical=True, tree_method="hist").fit(X, yb)
    ad = adapt_model(xm)
    assert (ad.task, ad.family, ad.output_space) == ("binary", "xgboost", "log-odds")
    assert "categorical" in ad.input_kinds
    np.testing.assert_allclose(1 / (1 + np.exp(-ad.raw_output(X))), ad.positive_score(X), atol=1e-6)
    reg = adapt_model(xgb.XGBRegressor(n_estimators=5, objective="count:poisson").fit(X[["age"]], np.arange(len(X)) % 5))
    assert (reg.task, reg.output_space) == ("regression", "log-link")

    cm = catboost.CatBoostClassifier(iterations=10, verbose=0, random_seed=0, allow_writing_files=False,
                                     cat_features=["workclass", "education"]).fit(X, y)
    ad = adapt_model(cm)
    assert (ad.task, ad.family, ad.output_space) == ("binary", "catboost", "log-odds")
    assert list(ad.classes) == list(LABELS) and {"string", "categorical"} <= ad.input_kinds
    assert ad.predict(X).ndim == 1
    np.testing.assert_allclose(1 / (1 + np.exp(-ad.raw_output(X))), ad.positive_score(X), atol=1e-9)


def test_sklearn_pipeline_split_and_spaces():
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression

    X, y = adult_like(300, seed=2, categorical=False)
    pipe = one_hot_pipeline(HistGradientBoostingClassifier(max_iter=10, random_state=0), sparse=False).fit(X, y)
    ad = adapt_model(pipe)
    assert ad.final_estimator is pipe[-1] and ad.transform is not None
    assert (ad.task, ad.output_space, ad.family) == ("binary", "log-odds", "sklearn")
    assert {"string", "dataframe"} <= ad.input_kinds
    np.testing.assert_allclose(ad.raw_output(X), pipe.decision_function(X))
    Xt = ad.transform_input(X)
    np.testing.assert_allclose(ad.raw_output(Xt, transformed=True), pipe.decision_function(X))

    rf = adapt_model(one_hot_pipeline(RandomForestClassifier(n_estimators=5, random_state=0), sparse=True).fit(X, y))
    assert rf.output_space == "probability"
    assert hasattr(rf.transform_input(X), "toarray"), "a sparse transform stays sparse"

    y3 = np.array(["a", "b", "c"])[np.arange(len(X)) % 3]
    lr = adapt_model(one_hot_pipeline(LogisticRegression(max_iter=2000), sparse=False).fit(X, y3))
    assert (lr.task, lr.output_space) == ("multiclass", "log-odds") and lr.raw_output(X).shape == (len(X), 3)
    lin = adapt_model(LinearRegression().fit(X[["age"]], X["hours"]))
    assert (lin.task, lin.output_space, lin.output_label) == ("regression", "raw", "prediction (target units)")


def test_onnx_wrapper_without_classes_uses_y_or_given_classes():
    from sklearn.linear_model import LogisticRegression

    X, y = adult_like(300, seed=3, categorical=False)
    sk = one_hot_pipeline(LogisticRegression(max_iter=2000), sparse=False).fit(X, y)
    wrapper = OnnxWrapper(sk, X)
    ad = adapt_model(wrapper)
    assert (ad.family, ad.score_method, ad.task) == ("generic", "predict_proba", None)
    assert any("classes unknown" in n for n in ad.notes)
    ad = adapt_model(wrapper, y=y)
    assert ad.task == "binary" and list(ad.classes) == list(LABELS)
    assert ad.output_space == "probability"
    np.testing.assert_allclose(ad.positive_score(X), sk.predict_proba(X)[:, 1], atol=1e-5)
    assert list(adapt_model(wrapper, classes=LABELS).classes) == list(LABELS)


def test_predictions_only_and_bad_input():
    ad = ModelAdapter.from_predictions(np.array(["a", "b", "a"]), np.array([0.2, 0.9, 0.4]))
    assert (ad.task, list(ad.classes), ad.family) == ("binary", ["a", "b"], "predictions")
    np.testing.assert_allclose(ad.positive_score(None), [0.2, 0.9, 0.4])
    with pytest.raises(DiagnosticInputError, match="X has 2 rows but the predictions have 3"):
        ad.predict(pd.DataFrame({"x": [1, 2]}))
    with pytest.raises(DiagnosticInputError, match="has no predict method"):
        adapt_model(object())
    with pytest.raises(DiagnosticInputError, match="task must be one of"):
        adapt_model(ad.model or _Predictor(), task="clasification")
    assert adapt_model(ad) is ad
    assert ModelAdapter.from_predictions(np.linspace(0, 1, 50)).task == "regression"


class _Predictor:
    def predict(self, X):
        return np.zeros(len(X))


def test_duck_typed_predict_only_is_regression_unless_y_says_otherwise():
    ad = adapt_model(_Predictor())
    assert ad.task == "regression" and "assumed regression" in ad.notes[0]
    assert adapt_model(_Predictor(), y=np.array(["x", "y", "x"])).task == "binary"
    assert adapt_model(_Predictor(), task="multiclass", classes=["a", "b", "c"]).task == "multiclass"
