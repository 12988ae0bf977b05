"""evaluate / evaluate_predictions / compare_predictions against scikit-learn and known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as M

from diagtools.datasets import LOANS_TRUTH, load_housing, make_loans
from diagtools.errors import DiagnosticInputError
from diagtools.metrics import EvaluationResult, compare_predictions, evaluate, evaluate_predictions
from diagtools.metrics import _engine as E
from tests._contract import check_result_contract

FRAME = ["model", "metric", "estimate", "ci_low", "ci_high", "n"]


def _split(frame: pd.DataFrame, target: str = LOANS_TRUTH.target):
    return frame.drop(columns=target), frame[target]


@pytest.fixture(scope="module")
def loan_result(loan_model, loans_current, loans_reference):
    X, y = _split(loans_current)
    X_train, y_train = _split(loans_reference)
    return evaluate(loan_model, X, y, X_train=X_train, y_train=y_train, n_boot=300)


# -- the vectorized machinery equals scikit-learn with sample_weight --------------------------------
def _weights(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n)).astype(float)


@pytest.mark.parametrize("seed", [0, 1])
def test_weighted_binary_metrics_equal_sklearn_sample_weight(seed):
    rng = np.random.default_rng(seed)
    n = 1500
    y = rng.integers(0, 2, n)
    s = np.round(np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1), 2)  # many ties
    pred = (s > 0.45).astype(int)
    proba = np.column_stack([1 - s, s])
    w = _weights(n, seed + 10)
    prep = E.prepare_classification(y, pred, ["0", "1"], proba=proba)
    got = {k: v[0] for k, v in E.classification_metrics(prep, E.weighted_sums(prep.S, w[:, None])).items()}
    ref = {
        "accuracy": M.accuracy_score(y, pred, sample_weight=w),
        "balanced_accuracy": M.balanced_accuracy_score(y, pred, sample_weight=w),
        "precision[1]": M.precision_score(y, pred, sample_weight=w),
        "recall[0]": M.recall_score(y, pred, pos_label=0, sample_weight=w),
        "f1[1]": M.f1_score(y, pred, sample_weight=w),
        "f1_macro": M.f1_score(y, pred, average="macro", sample_weight=w),
        "precision_weighted": M.precision_score(y, pred, average="weighted", sample_weight=w),
        "roc_auc": M.roc_auc_score(y, s, sample_weight=w),
        "pr_auc": M.average_precision_score(y, s, sample_weight=w),
        "log_loss": M.log_loss(y, proba, sample_weight=w),
        "brier": M.brier_score_loss(y, s, sample_weight=w),
    }
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, abs=1e-12), key


def test_weighted_multiclass_metrics_equal_sklearn_sample_weight():
    rng = np.random.default_rng(3)
    n, k = 1200, 4
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.0
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    w = _weights(n, 4)
    prep = E.prepare_classification(y, pred, list("abcd"), proba=proba)
    got = {k_: v[0] for k_, v in E.classification_metrics(prep, E.weighted_sums(prep.S, w[:, None])).items()}
    assert got["roc_auc"] == pytest.approx(M.roc_auc_score(y, proba, multi_class="ovr", sample_weight=w), abs=1e-12)
    assert got["pr_auc"] == pytest.approx(M.average_precision_score(y, proba, sample_weight=w), abs=1e-12)
    assert got["log_loss"] == pytest.approx(M.log_loss(y, proba, sample_weight=w), abs=1e-12)
    assert got["brier"] == pytest.approx(M.brier_score_loss(y, proba, sample_weight=w), abs=1e-12)
    assert got["balanced_accuracy"] == pytest.approx(M.balanced_accuracy_score(y, pred, sample_weight=w), abs=1e-12)
    assert got["recall_weighted"] == pytest.approx(M.recall_score(y, pred, average="weighted", sample_weight=w))


def test_weighted_regression_metrics_equal_sklearn_sample_weight():
    rng = np.random.default_rng(5)
    n = 2001
    y = rng.normal(10, 3, n)
    pred = np.round(y + rng.normal(0, 1, n), 1)
    prep = E.prepare_regression(y, pred)
    for w in (_weights(n, 6), np.ones(n)):
        got = {k: v[0] for k, v in E.regression_metrics(prep, w[None, :]).items()}
        ref = {"mae": M.mean_absolute_error, "rmse": M.root_mean_squared_error, "r2": M.r2_score,
               "mape": M.mean_absolute_percentage_error, "median_ae": M.median_absolute_error}
        for key, fn in ref.items():
            assert got[key] == pytest.approx(fn(y, pred, sample_weight=w), abs=1e-12), key


def test_ece_matches_its_definition():
    rng = np.random.default_rng(8)
    n = 3000
    p = rng.random(n)
    y = (rng.random(n) < p**2).astype(int)  # over-confident in the middle
    res = evaluate_predictions(y, y_score=p, n_boot=0)
    bins = np.minimum((p * 10).astype(int), 9)
    ece = sum(abs(y[bins == b].mean() - p[bins == b].mean()) * (bins == b).mean() for b in range(10))
    assert res.metric("ece")["estimate"] == pytest.approx(ece, abs=1e-12)


# -- evaluate on the demo data -------------------------------------------------------------------------
def test_point_metrics_equal_sklearn_on_demo_data(loan_result, loan_model, loans_current):
    X, y = _split(loans_current)
    proba = loan_model.predict_proba(X)
    pred = loan_model.classes_[proba.argmax(axis=1)]  # what predict returns, without a second pass
    ref = {
        "accuracy": M.accuracy_score(y, pred),
        "balanced_accuracy": M.balanced_accuracy_score(y, pred),
        "precision[1]": M.precision_score(y, pred),
        "recall[1]": M.recall_score(y, pred),
        "f1[1]": M.f1_score(y, pred),
        "recall[0]": M.recall_score(y, pred, pos_label=0),
        "f1_macro": M.f1_score(y, pred, average="macro"),
        "f1_weighted": M.f1_score(y, pred, average="weighted"),
        "precision_macro": M.precision_score(y, pred, average="macro"),
        "roc_auc": M.roc_auc_score(y, proba[:, 1]),
        "pr_auc": M.average_precision_score(y, proba[:, 1]),
        "log_loss": M.log_loss(y, proba),
        "brier": M.brier_score_loss(y, proba[:, 1]),
    }
    for key, value in ref.items():
        assert loan_result.metric(key)["estimate"] == pytest.approx(value, abs=1e-9), key
    cm = M.confusion_matrix(y, pred).ravel()
    np.testing.assert_array_equal(loan_result.confusion["count"].to_numpy(), cm)


def test_demo_result_shape_intervals_and_findings(loan_result):
    res = loan_result
    assert list(res.frame.columns) == FRAME
    assert set(res.frame["model"]) == {"model", "majority_class", "linear"}
    own = res.frame[res.frame["model"] == "model"]
    assert ((own["ci_low"] <= own["estimate"] + 1e-12) & (own["estimate"] <= own["ci_high"] + 1e-12)).all()
    assert (own["n"] == 10_000).all()
    assert list(res.comparison.columns) == [
        "baseline", "metric", "estimate", "ci_low", "ci_high", "n", "reference_estimate", "difference",
        "difference_ci_low", "difference_ci_high", "p_value", "q_value"]
    # one comparison schema: the model's own row and interval, the baseline's estimate, the paired difference
    lin = res.comparison[res.comparison["baseline"] == "linear"].set_index("metric").loc["accuracy"]
    assert lin["estimate"] == res.metric("accuracy")["estimate"]
    assert lin["ci_low"] == res.metric("accuracy")["ci_low"] and lin["n"] == 10_000
    assert lin["reference_estimate"] == res.metric("accuracy", model="linear")["estimate"]
    assert lin["difference"] == pytest.approx(lin["estimate"] - lin["reference_estimate"])
    assert lin["difference_ci_low"] <= lin["difference"] <= lin["difference_ci_high"]
    assert (res.curves["n"] == 10_000).all()
    assert set(res.curves["curve"]) == {"roc", "pr", "reliability"}
    roc = res.curves[res.curves["curve"] == "roc"]
    assert (roc["ci_low"] <= roc["estimate"] + 1e-9).all() and (roc["estimate"] <= roc["ci_high"] + 1e-9).all()
    assert res.params["baselines_fitted"].startswith("fitted on X_train")
    titles = [f.title for f in res.findings()]
    # the demo model overfits: over-confident, and a linear model beats it
    assert any(t.startswith("Poorly calibrated: ECE") for t in titles)
    assert any(t.startswith("A simple linear reference does") for t in titles)
    assert any(t.startswith("Log loss") and "worse than predicting the class priors" in t for t in titles)
    assert titles[-1].startswith("Accuracy 0.6") and "on 10,000 rows" in titles[-1]
    assert not any(f.severity == "high" for f in res.findings())
    assert res.overall.shape == (len(own), 3)


def test_contract_classification(loan_result, pyplot):
    check_result_contract(loan_result, columns=FRAME)
    for method in ("plot_roc", "plot_pr", "plot_calibration", "plot_confusion", "plot_residuals"):
        ax = getattr(loan_result, method)()
        assert ax.__class__.__name__.endswith("Axes")
    assert loan_result.plot_summary().__class__.__name__ == "Figure"
    # every view takes the style of its main artist and refuses a misspelt one (never drops it)
    for method in ("plot", "plot_roc", "plot_pr", "plot_calibration", "plot_confusion", "plot_residuals"):
        getattr(loan_result, method)(alpha=0.5)
        with pytest.raises(DiagnosticInputError, match="colour"):
            getattr(loan_result, method)(colour="red")
    ax = loan_result.plot_roc(color="red", linewidth=3)
    assert ax.lines[0].get_linewidth() == 3 and ax.lines[0].get_color() == "red"


@pytest.fixture(scope="module")
def housing():
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    data = load_housing(3000)
    X, y = data.drop(columns="price_k"), data["price_k"]
    model = make_pipeline(
        make_column_transformer((StandardScaler(), make_column_selector(dtype_include="number")),
                                (OneHotEncoder(), make_column_selector(dtype_exclude="number"))),
        Ridge(),
    ).fit(X[:2000], y[:2000])
    return model, X, y


def test_regression_point_metrics_and_contract(housing, pyplot):
    model, X, y = housing
    res = evaluate(model, X[2000:], y[2000:], X_train=X[:2000], y_train=y[:2000], n_boot=200)
    pred = model.predict(X[2000:])
    assert res.task == "regression"
    assert res.metric("r2")["estimate"] == pytest.approx(M.r2_score(y[2000:], pred), abs=1e-9)
    assert res.metric("median_ae")["estimate"] == pytest.approx(M.median_absolute_error(y[2000:], pred), abs=1e-9)
    assert res.metric("mape")["estimate"] == pytest.approx(M.mean_absolute_percentage_error(y[2000:], pred), abs=1e-9)
    assert set(res.frame["model"]) == {"model", "mean", "linear"}
    assert len(res.predictions) == 1000
    assert not any(f.severity == "high" for f in res.findings())
    check_result_contract(res, columns=FRAME)
    assert res.plot_residuals().__class__.__name__.endswith("Axes")


def test_regression_noise_model_is_flagged():
    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    res = evaluate_predictions(y, y_pred=rng.normal(size=400) * 0.1,
                               baselines={"mean": {"y_pred": np.full(400, y.mean())}}, n_boot=300)
    titles = [f.title for f in res.findings() if f.severity == "high"]
    assert any("R²" in t and "includes 0" in t for t in titles)
    assert any(t.startswith("Not significantly better than the mean baseline") for t in titles)


# -- ground truth: interval coverage and the majority-class finding --------------------------------------
def test_bootstrap_intervals_cover_true_values_about_95_percent():
    reps, n, mu, prior, thr = 200, 500, 1.0, 0.4, 0.5
    true_auc = stats.norm.cdf(mu / np.sqrt(2))
    true_acc = prior * stats.norm.sf(thr - mu) + (1 - prior) * stats.norm.cdf(thr)
    rng = np.random.default_rng(0)
    hit_auc = hit_acc = 0
    for r in range(reps):
        y = (rng.random(n) < prior).astype(int)
        s = rng.normal(size=n) + mu * y
        res = evaluate_predictions(y, y_pred=(s > thr).astype(int), y_score=s, n_boot=300,
                                   metrics=["accuracy", "roc_auc"], random_state=r)
        a, u = res.metric("accuracy"), res.metric("roc_auc")
        hit_acc += a["ci_low"] <= true_acc <= a["ci_high"]
        hit_auc += u["ci_low"] <= true_auc <= u["ci_high"]
    assert 0.90 <= hit_acc / reps <= 0.99, hit_acc
    assert 0.90 <= hit_auc / reps <= 0.99, hit_auc


@pytest.fixture(scope="module")
def clean_loans():
    data = make_loans(3000, plant_slice=False, plant_drift=False, random_state=1)
    return _split(data[:2000]), _split(data[2000:])


def test_model_no_better_than_majority_gets_high_finding(clean_loans):
    from sklearn.dummy import DummyClassifier

    (X_train, y_train), (X, y) = clean_loans
    model = DummyClassifier(strategy="uniform", random_state=0).fit(X_train, y_train)
    res = evaluate(model, X, y, X_train=X_train, y_train=y_train, n_boot=300)
    high = [f.title for f in res.findings() if f.severity == "high"]
    assert any(t.startswith("Not significantly better than the majority-class baseline") for t in high)


def test_good_model_has_no_majority_finding(clean_loans):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    (X_train, y_train), (X, y) = clean_loans
    cat = {c: "category" for c in LOANS_TRUTH.categorical_columns}
    model = HistGradientBoostingClassifier(max_iter=50, categorical_features="from_dtype", random_state=0)
    with threadpool_limits(1):  # OpenMP threads crawl on a loaded 2-core machine
        model.fit(X_train.astype(cat), y_train)
        res = evaluate(model, X.astype(cat), y, n_boot=300)
    assert "cross_val_predict" in res.params["baselines_fitted"]
    assert not [f for f in res.findings() if "majority-class" in f.title]


# -- other doors -------------------------------------------------------------------------------------
def test_multiclass_decision_function_and_low_recall():
    from sklearn.datasets import load_iris
    from sklearn.svm import LinearSVC

    X, y = load_iris(return_X_y=True)
    y = np.where(y == 2, 1, y)  # two classes from three...
    y[::7] = 2  # ...and a third class the features cannot find
    model = LinearSVC(random_state=0).fit(X, y)
    res = evaluate(model, X, y, baselines=None, n_boot=200)
    assert res.labels == ["0", "1", "2"]
    score = model.decision_function(X)
    expected = np.mean([M.roc_auc_score(y == c, score[:, c]) for c in range(3)])
    assert res.metric("roc_auc")["estimate"] == pytest.approx(expected, abs=1e-12)
    assert "log_loss" not in set(res.frame["metric"])
    assert any(f.title.startswith("Class 2 has very low recall") for f in res.findings())
    assert res.comparison.empty


def test_compare_predictions_is_paired():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 2000)
    a = np.where(rng.random(2000) < 0.8, y, 1 - y)
    b = a.copy()
    flip = np.flatnonzero(a != y)[:40]  # b fixes 40 of a's errors: +0.02 accuracy
    b[flip] = y[flip]
    frame = compare_predictions(y, y_pred_a=a, y_pred_b=b, metrics=["accuracy"], n_boot=500)
    assert list(frame.columns) == ["metric", "estimate", "ci_low", "ci_high", "n", "reference_estimate", "difference",
                                   "difference_ci_low", "difference_ci_high", "p_value"]
    row = frame.iloc[0]
    assert row["estimate"] == pytest.approx((b == y).mean()) and row["reference_estimate"] == pytest.approx((a == y).mean())
    assert row["difference"] == pytest.approx(0.02)
    # paired: the interval is much narrower than two independent accuracy intervals would give
    assert 0 < row["difference_ci_low"] < 0.02 < row["difference_ci_high"] < 0.03
    assert row["ci_high"] - row["ci_low"] > 2 * (row["difference_ci_high"] - row["difference_ci_low"])
    assert row["p_value"] < 0.01


def test_evaluate_predictions_reproducible_and_proba_only():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 300)
    p = np.clip(0.3 * y + 0.7 * rng.random(300), 0, 1)
    a = evaluate_predictions(y, y_score=p, n_boot=100, random_state=1)
    b = evaluate_predictions(y, y_score=p, n_boot=100, random_state=1)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert isinstance(a, EvaluationResult)
    assert a.metric("accuracy")["estimate"] == pytest.approx(M.accuracy_score(y, (p > 0.5).astype(int)))


def test_point_curves_equal_sklearn_curves():
    rng = np.random.default_rng(9)
    n = 800
    y = rng.integers(0, 2, n)
    s = np.round(np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1), 2)
    res = evaluate_predictions(y, y_score=s, n_boot=200)
    curves = res.curves.set_index(["curve", "x"])["estimate"]
    fpr, tpr, _ = M.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(curves.loc["roc"].to_numpy(), np.interp(E.GRID, fpr, tpr), atol=1e-12)
    precision, recall, _ = M.precision_recall_curve(y, s)
    precision, recall = precision[:-1][::-1], recall[:-1][::-1]  # ascending recall, thresholds descending
    expected = [precision[np.searchsorted(recall, r - 1e-12)] for r in E.GRID]
    np.testing.assert_allclose(curves.loc["pr"].to_numpy(), expected, atol=1e-12)
    rel = res.curves[res.curves["curve"] == "reliability"]
    assert ((rel["ci_low"] <= rel["estimate"] + 1e-12) & (rel["estimate"] <= rel["ci_high"] + 1e-12)).all()
