"""Bounded-cost defaults of ``evaluate``: baselines fitted on a sample, scored out of sample."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from diagtools.metrics import _evaluate as EV
from diagtools.metrics import evaluate


def _data(n: int = 1200, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(list("xyz"), n)})
    y = (X["a"] + 0.5 * (X["c"] == "x") + rng.normal(scale=0.8, size=n) > 0).astype(int).to_numpy()
    return X, y


def test_small_data_keeps_cross_val_predict_exactly():
    X, y = _data(600)
    refs, how, sampled = EV._auto_baselines("classification", X, y, None, None, 0)
    est = EV._linear_reference("classification", X, 0)
    cv = StratifiedKFold(EV.N_FOLDS, shuffle=True, random_state=0)
    expected = cross_val_predict(est, X, y, cv=cv, method="predict_proba")
    np.testing.assert_allclose(refs["linear"]["y_score"], expected, rtol=1e-10, atol=1e-12)
    assert sampled is None and "cross_val_predict" in how


def test_large_data_fits_on_a_stratified_sample_and_scores_out_of_sample(monkeypatch):
    X, y = _data(1200)
    fitted_sizes = []
    real_fit = LogisticRegression.fit

    def spy(self, X_, y_, *a, **k):
        fitted_sizes.append(len(y_))
        return real_fit(self, X_, y_, *a, **k)

    monkeypatch.setattr(LogisticRegression, "fit", spy)
    refs, how, sampled = EV._auto_baselines("classification", X, y, None, None, 0, max_rows=300)
    assert sampled == 300 and "sample of 300 of the 1,200" in how
    # five fold models, each on four fifths of the sample: the fitting cost is bounded by the sample
    assert fitted_sizes == [240] * 5
    sample = EV._stratified_sample(y, 300, "classification", 0)
    assert abs(y[sample].mean() - y.mean()) < 0.01  # stratified
    # every row is scored; probabilities are proper and the predicted labels follow them
    proba = refs["linear"]["y_score"]
    assert proba.shape == (1200, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(refs["linear"]["y_pred"], proba.argmax(axis=1))
    assert (refs["linear"]["y_pred"] == y).mean() > 0.7  # the linear reference learns the signal


def test_no_row_is_scored_by_a_model_that_saw_it():
    # a 1-nearest-neighbour reference memorises its training rows: in-sample rows would score 100%
    from sklearn.neighbors import KNeighborsClassifier

    X, _ = _data(900, seed=3)
    Xn = X[["a", "b"]].to_numpy()
    y_noise = np.random.default_rng(1).integers(0, 2, 900)  # labels without signal
    sample = EV._stratified_sample(y_noise, 300, "classification", 0)
    out = EV._cross_fit("classification", KNeighborsClassifier(1), Xn, y_noise, sample, 0)
    acc = (out["y_pred"] == y_noise).mean()
    assert 0.4 < acc < 0.6  # chance level: no leakage of the row's own label


def test_evaluate_says_the_baselines_were_sampled(monkeypatch):
    from sklearn.ensemble import HistGradientBoostingClassifier

    monkeypatch.setattr(EV, "BASELINE_ROWS", 400)
    X, y = _data(1500)
    Xf = X.assign(c=X["c"].astype("category"))
    model = HistGradientBoostingClassifier(max_iter=20, categorical_features="from_dtype").fit(Xf, y)
    res = evaluate(model, Xf, y, n_boot=50, progress=False)
    assert res.params["baselines_sample_rows"] == 400
    assert "stratified sample of 400 of the 1,500" in res.params["baselines_fitted"]
    titles = [f.title for f in res.findings()]
    assert "Baselines fitted on a sample of 400 of the 1,500 rows" in titles
    d = json.loads(json.dumps(res.to_dict()))
    assert d["params"]["baselines_sample_rows"] == 400
    # the comparisons use all rows
    assert set(res.frame["n"]) == {1500}


def test_regression_sample_is_random_and_bounded(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.1, size=800)
    refs, how, sampled = EV._auto_baselines("regression", X, y, None, None, 0, max_rows=200)
    assert sampled == 200 and "stratified" not in how
    assert np.corrcoef(refs["linear"]["y_pred"], y)[0, 1] > 0.99


@pytest.mark.parametrize("progress", [True, False])
def test_progress_bar_is_optional(progress, capsys):
    X, y = _data(300)
    from sklearn.linear_model import LogisticRegression as LR

    model = LR().fit(X[["a", "b"]], y)
    res = evaluate(model, X[["a", "b"]], y, n_boot=20, progress=progress)
    err = capsys.readouterr().err
    assert ("bootstrap" in err) is progress
    assert res.n_samples == 300
