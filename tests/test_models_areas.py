"""Every area on the models people bring: string class labels, categorical / string columns fed
directly to the model, an onnxruntime wrapper. Numbers are checked against scikit-learn
computed here on the model's own outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

import diagtools as dt
from tests._models import LABELS, OnnxWrapper, adult_like, one_hot_pipeline

TARGET = "income"


def _lightgbm(X, y):
    import lightgbm as lgb

    return lgb.LGBMClassifier(n_estimators=30, verbose=-1, random_state=0).fit(X, y)


def _catboost(X, y):
    import catboost

    cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    return catboost.CatBoostClassifier(iterations=30, depth=4, verbose=0, random_seed=0, allow_writing_files=False,
                                       cat_features=cats).fit(X, y)


def _onnx(X, y):
    from sklearn.linear_model import LogisticRegression

    return OnnxWrapper(one_hot_pipeline(LogisticRegression(max_iter=2000), sparse=False).fit(X, y), X)


MODELS = {
    "lightgbm-categorical": (_lightgbm, True),
    "catboost-strings": (_catboost, False),
    "onnx-wrapper": (_onnx, False),
}


@pytest.fixture(scope="module", params=list(MODELS))
def case(request):
    make, categorical = MODELS[request.param]
    X, y = adult_like(900, seed=20, categorical=categorical)
    X.loc[X.index[::17], "workclass"] = "?"  # Adult's own missing marker reaches the model as is
    train, test = slice(0, 500), slice(500, None)
    model = make(X.iloc[train], y[train])
    return request.param, model, X.iloc[test].reset_index(drop=True), y[test]


def _positive_score(model, X):
    return np.asarray(model.predict_proba(X))[:, 1]


def test_evaluate_with_string_labels(case):
    _, model, X, y = case
    res = dt.evaluate(model, X, y, baselines=None, n_boot=100)
    est = res.frame.set_index(["model", "metric"])["estimate"] if "model" in res.frame else None
    frame = res.frame
    row = frame[frame["metric"] == "roc_auc"]
    assert len(row) == 1
    expected = roc_auc_score(y == ">50K", _positive_score(model, X))
    np.testing.assert_allclose(float(row["estimate"].iloc[0]), expected, atol=1e-9)
    acc = frame[frame["metric"] == "accuracy"]["estimate"].iloc[0]
    np.testing.assert_allclose(acc, accuracy_score(y, np.asarray(model.predict(X)).ravel()), atol=1e-12)
    del est


def test_detect_drift_with_model_and_string_target(case):
    _, model, X, y = case
    frame = X.assign(**{TARGET: y})
    ref, cur = frame.iloc[:200], frame.iloc[200:].copy()
    cur["age"] = cur["age"] + 15  # a planted shift
    res = dt.detect_drift(ref, cur, model=model, target=TARGET, n_boot=100, domain_classifier=False)
    m = res.metrics.set_index("metric")["estimate"]  # the current window
    Xc = cur.drop(columns=TARGET)
    np.testing.assert_allclose(m["accuracy"],
                               accuracy_score(cur[TARGET], np.asarray(model.predict(Xc)).ravel()), atol=1e-12)
    np.testing.assert_allclose(m["roc_auc"],
                               roc_auc_score(cur[TARGET] == ">50K", _positive_score(model, Xc)), atol=1e-9)
    assert "age" in set(res.frame.loc[res.frame["drifted"], "column"])


def test_find_slices_and_explain(case):
    name, model, X, y = case
    res = dt.find_slices(model, X, y, k=3, min_size=30)
    assert len(res.frame) >= 0 and res.params is not None
    ex = dt.explain(model if name != "onnx-wrapper" else dt.adapt_model(model, classes=LABELS), X,
                    max_rows=20, n_boot=10)
    assert ex.n_samples == 20 and set(ex.explained_class) == {">50K"}
    assert ex.params["additivity_gap"] <= 1e-6
    expected = "probability" if name == "onnx-wrapper" else "log-odds"
    assert ex.params["output"] == expected


def test_xgboost_bool_labels_through_sparse_pipeline():
    import xgboost as xgb

    X, y = adult_like(600, seed=21, categorical=False)
    yb = y == ">50K"
    pipe = one_hot_pipeline(xgb.XGBClassifier(n_estimators=20, max_depth=3, random_state=0), sparse=True).fit(X, yb)
    res = dt.evaluate(pipe, X, yb, baselines=None, n_boot=50)
    auc = res.frame[res.frame["metric"] == "roc_auc"]["estimate"].iloc[0]
    np.testing.assert_allclose(auc, roc_auc_score(yb, pipe.predict_proba(X)[:, 1]), atol=1e-9)
    frame = X.assign(**{TARGET: yb})
    drift = dt.detect_drift(frame.iloc[:300], frame.iloc[300:], model=pipe, target=TARGET, n_boot=50,
                            domain_classifier=False)
    assert set(drift.metrics["metric"]) == {"accuracy", "roc_auc"}


def test_sizes_of_a_native_wrapper_are_unknown_not_wrong_and_never_crash(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from diagtools.latency import model_size

    X, y = adult_like(400, seed=22, categorical=False)
    sk = one_hot_pipeline(LogisticRegression(max_iter=2000), sparse=False).fit(X, y)
    wrapper = OnnxWrapper(sk, X)
    sizes = model_size(wrapper)  # skops.io.dumps on this object aborts the process: it is never tried
    assert sizes["size_bytes"] is None and sizes["skops_bytes"] is None
    assert "onnxruntime" in sizes["size_note"] and "model_path" in sizes["size_note"]
    onnx_file = tmp_path / "model.onnx"
    onnx_file.write_bytes(b"\0" * 12345)
    assert model_size(wrapper, path=onnx_file)["size_bytes"] == 12345
    sk_sizes = model_size(sk)
    assert sk_sizes["size_source"] == "skops" and sk_sizes["size_bytes"] == sk_sizes["skops_bytes"] > 1000

    res = dt.compare_variants({"sklearn": sk, "onnx": wrapper}, X, y, n_boot=50, min_runs=5, min_time=0.0,
                              max_time=0.2)
    size = res.frame[res.frame["metric"] == "size_mb"].set_index("variant")["estimate"]
    assert np.isnan(size["onnx"]) and size["sklearn"] == pytest.approx(sk_sizes["size_bytes"] / 2**20)
    assert any(f.title == "Variant onnx: size unknown" for f in res.findings())
    named = dt.compare_variants({"sklearn": sk, "onnx": wrapper}, X, y, n_boot=50, min_runs=5, min_time=0.0,
                                max_time=0.2, model_files={"onnx": onnx_file})
    size = named.frame[named.frame["metric"] == "size_mb"].set_index("variant")["estimate"]
    assert size["onnx"] == pytest.approx(12345 / 2**20)
    mem = dt.profile_memory(wrapper, X, batch_sizes=(1, 16), repeats=1)
    assert mem.size_bytes is None and any(f.title == "Model size unknown" for f in mem.findings())
    assert mem.headline()[-1] == ("size", "unknown")
    with pytest.raises(dt.DiagnosticInputError, match="model_files: no variant 'onx'"):
        dt.compare_variants({"sklearn": sk, "onnx": wrapper}, X, y, model_files={"onx": onnx_file})
    with pytest.raises(dt.DiagnosticInputError, match="model_path: no file"):
        dt.profile_memory(wrapper, X, batch_sizes=(1,), model_path=tmp_path / "missing.onnx")


def _report(model, X, y, n_train):
    Xtr, ytr = X.iloc[:n_train], y[:n_train]
    Xte, yte = X.iloc[n_train:].reset_index(drop=True), y[n_train:]
    return dt.run_diagnostics(model, Xte, pd.Series(yte, name=TARGET), X_train=Xtr, y_train=pd.Series(ytr),
                              reference=Xtr.assign(**{TARGET: ytr}), target=TARGET, n_boot=100)


def test_full_report_on_an_onnx_wrapper_with_string_columns_and_labels():
    X, y = adult_like(1200, seed=30, categorical=False)
    X.loc[X.index[::17], "workclass"] = "?"
    model = _onnx(X.iloc[:700], y[:700])
    rep = _report(model, X, y, 700)
    assert rep.failed == {}, rep.failed
    statuses = rep.status()["sections"]
    assert {"metrics", "fit", "slices", "drift", "explanations"} <= {k for k, v in statuses.items() if v == "ok"}
    assert "cannot be refitted" in rep.sections["fit"].note


@pytest.mark.slow
def test_full_report_on_lightgbm_with_pandas_categoricals():
    X, y = adult_like(1200, seed=31)
    model = _lightgbm(X.iloc[:700], y[:700])
    rep = _report(model, X, y, 700)
    assert rep.failed == {}, rep.failed
    ex = rep.sections["explanations"].results["explanation"]
    assert ex.params["output"] == "log-odds" and ex.params["additivity_gap"] <= 1e-6


def test_as_estimator_gives_scikit_learn_a_fitted_view():
    from sklearn.inspection import permutation_importance

    from diagtools.models import adapt_model, as_estimator

    X, y = adult_like(300, seed=32, categorical=False)
    wrapper = _onnx(X, y)
    view = as_estimator(adapt_model(wrapper, y=y))
    np.testing.assert_array_equal(view.predict(X), wrapper.predict(X))
    np.testing.assert_allclose(view.predict_proba(X), wrapper.predict_proba(X))
    assert list(view.classes_) == list(LABELS)
    with pytest.raises(NotImplementedError, match="already fitted"):
        view.fit(X, y)
    pi = permutation_importance(view, X, y, n_repeats=2, random_state=0)
    assert pi.importances.shape == (X.shape[1], 2)
    from sklearn.linear_model import LogisticRegression

    sk = one_hot_pipeline(LogisticRegression(max_iter=2000), sparse=False).fit(X, y)
    assert as_estimator(sk) is sk


def test_boosters_with_native_handles_that_pickle_themselves_have_a_size():
    import lightgbm as lgb
    import xgboost as xgb

    from diagtools.latency import model_size

    X, y = adult_like(400, seed=33)
    xm = xgb.XGBClassifier(n_estimators=10, enable_categorical=True, n_jobs=1).fit(X, y == ">50K")
    lm = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y)
    for model in (xm, lm):
        sizes = model_size(model)  # ctypes handles inside, but the boosters pickle their model themselves
        assert sizes["size_bytes"] and sizes["size_source"] in ("skops", "pickle"), sizes
    res = dt.compare_variants({"a": xm, "b": xm}, X, y == ">50K", n_boot=50, min_runs=5, min_time=0.0, max_time=0.1)
    acc = res.frame[(res.frame["metric"] == "accuracy") & (res.frame["variant"] == "a")]["estimate"].iloc[0]
    assert acc == pytest.approx(accuracy_score((y == ">50K").astype(int), xm.predict(X)))
