"""Bad input to evaluate / evaluate_predictions gets a DiagnosticInputError, one test each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from diagtools.errors import DiagnosticInputError
from diagtools.metrics import compare_predictions, evaluate, evaluate_predictions


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = pd.Series((X["a"] + rng.normal(size=200) > 0).astype(int))
    return X, y


@pytest.fixture(scope="module")
def clf(data):
    X, y = data
    return LogisticRegression().fit(X, y)


def test_mismatched_lengths(clf, data):
    X, y = data
    with pytest.raises(DiagnosticInputError, match="y has 150 rows but X has 200"):
        evaluate(clf, X, y[:150], baselines=None, n_boot=10)
    with pytest.raises(DiagnosticInputError, match="y_pred has 5 rows but y_true has 4"):
        evaluate_predictions([0, 1, 0, 1], y_pred=[0, 1, 0, 1, 1])


def test_nan_in_y(clf, data):
    X, y = data
    y = y.astype(float)
    y.iloc[3] = np.nan
    with pytest.raises(DiagnosticInputError, match="y contains 1 missing value.*position 3"):
        evaluate(clf, X, y, baselines=None, n_boot=10)


def test_nan_in_y_true_of_predictions():
    with pytest.raises(DiagnosticInputError, match="y_true contains 1 missing"):
        evaluate_predictions([0, 1, None, 1], y_pred=[0, 1, 0, 1])


def test_regressor_evaluated_as_classifier(data):
    X, y = data
    reg = LinearRegression().fit(X, y)
    with pytest.raises(DiagnosticInputError, match="regressor.*task='regression'"):
        evaluate(reg, X, y, task="classification", baselines=None, n_boot=10)


def test_continuous_target_as_classification(clf, data):
    X, _ = data
    y = pd.Series(np.linspace(0, 1, len(X)))
    with pytest.raises(DiagnosticInputError, match="continuous target.*task='regression'"):
        evaluate(clf, X, y, task="classification", baselines=None, n_boot=10)


def test_continuous_predictions_as_classification():
    with pytest.raises(DiagnosticInputError, match="continuous predictions"):
        evaluate_predictions([0, 1, 0, 1], y_pred=[0.1, 0.7, 0.3, 0.55], task="classification")


def test_duck_typed_regressor_as_classifier(data):
    X, y = data

    class Model:  # no predict_proba, no sklearn base class
        def predict(self, X):
            return np.asarray(X)[:, 0] * 0.37

    with pytest.raises(DiagnosticInputError, match="no predict_proba, continuous predictions"):
        evaluate(Model(), X, y, task="classification", baselines=None, n_boot=10)


def test_unfitted_model(data):
    X, y = data
    with pytest.raises(DiagnosticInputError, match=r"model \(LogisticRegression\) is not fitted"):
        evaluate(LogisticRegression(), X, y, n_boot=10)


def test_unfitted_baseline(clf, data):
    X, y = data
    with pytest.raises(DiagnosticInputError, match="baselines\\['ref'\\].*not fitted"):
        evaluate(clf, X, y, baselines={"ref": LogisticRegression()}, n_boot=10)


def test_one_class_target(clf, data):
    X, _ = data
    with pytest.raises(DiagnosticInputError, match="single class"):
        evaluate(clf, X, pd.Series(np.ones(len(X), dtype=int)), baselines=None, n_boot=10)


def test_missing_column(clf, data):
    X, y = data
    with pytest.raises(DiagnosticInputError, match="no column 'b'"):
        evaluate(clf, X.rename(columns={"b": "bb"}), y, baselines=None, n_boot=10)


def test_missing_column_inside_pipeline(data):
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = data
    model = make_pipeline(make_column_transformer((StandardScaler(), ["a", "b"])), LogisticRegression()).fit(X, y)

    class Wrapped:  # no feature_names_in_: the error comes from sklearn, translated at predict
        classes_ = model.classes_

        def predict(self, X):
            return model.predict(X)

        def predict_proba(self, X):
            return model.predict_proba(X)

    with pytest.raises(DiagnosticInputError, match="does not have the columns.*'b'"):
        evaluate(Wrapped(), X.drop(columns="b"), y, baselines=None, n_boot=10)


def test_empty_dataframe(clf, data):
    X, y = data
    with pytest.raises(DiagnosticInputError, match="X is empty"):
        evaluate(clf, X.iloc[:0], y.iloc[:0], n_boot=10)


def test_empty_y_true():
    with pytest.raises(DiagnosticInputError, match="y_true is empty"):
        evaluate_predictions(np.array([]), y_pred=np.array([]))


def test_y_score_wrong_shape():
    y = np.array([0, 1, 2, 1, 0, 2])
    with pytest.raises(DiagnosticInputError, match=r"y_score has shape \(6, 2\) but the task has 3 classes"):
        evaluate_predictions(y, y_pred=y, y_score=np.full((6, 2), 0.5))
    with pytest.raises(DiagnosticInputError, match="y_score has 5 rows"):
        evaluate_predictions(y[:4] % 2, y_pred=y[:4] % 2, y_score=np.full(5, 0.5))


def test_neither_pred_nor_score():
    with pytest.raises(DiagnosticInputError, match="y_pred is missing"):
        evaluate_predictions([0, 1, 0, 1])


def test_unknown_metric_and_bad_options(clf, data):
    X, y = data
    with pytest.raises(DiagnosticInputError, match="metrics holds names \\['acuracy'\\]"):
        evaluate(clf, X, y, baselines=None, metrics=["acuracy"], n_boot=10)
    with pytest.raises(DiagnosticInputError, match="confidence must be a number in"):
        evaluate(clf, X, y, baselines=None, confidence=95)
    with pytest.raises(DiagnosticInputError, match="baselines must be one of"):
        evaluate(clf, X, y, baselines="dummy")


def test_compare_predictions_mismatched_lengths():
    with pytest.raises(DiagnosticInputError, match="y_pred_b has 3 rows"):
        compare_predictions([0, 1, 0, 1], y_pred_a=[0, 1, 0, 1], y_pred_b=[0, 1, 0])
