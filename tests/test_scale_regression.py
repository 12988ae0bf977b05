"""Regression metrics on large data (``evaluate_predictions(data=..., task="regression")``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from diagtools.errors import DiagnosticInputError
from diagtools.metrics import _large_regression as LR
from diagtools.metrics import evaluate_predictions

N = 300_000
N_BOOT = 200
EXACT = ["mae", "rmse", "r2", "mape"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    x = rng.normal(size=N)
    y = 3.0 + 2.0 * x + rng.standard_t(4, size=N)
    return pd.DataFrame({"y": y, "pred": 3.0 + 1.9 * x, "mean": np.full(N, y[:1000].mean()),
                         "k": rng.choice(["a", "b"], N)})


@pytest.fixture(scope="module")
def on_frame(table):
    return evaluate_predictions("y", y_pred="pred", data=table, task="regression", n_boot=N_BOOT,
                                baselines={"mean": {"y_pred": "mean"}}, progress=False)


def _frame(res):
    return res.frame.set_index(["model", "metric"])


def test_sums_are_exact_and_the_median_within_its_bound(table, on_frame):
    """MAE, RMSE, R², MAPE as scikit-learn computes them; the median within the stated bound."""
    f = _frame(on_frame)
    y, p = table["y"].to_numpy(), table["pred"].to_numpy()
    ref = {"mae": skm.mean_absolute_error(y, p), "rmse": skm.root_mean_squared_error(y, p), "r2": skm.r2_score(y, p),
           "mape": skm.mean_absolute_percentage_error(y, p)}
    for m, v in ref.items():
        assert f.loc[("model", m), "estimate"] == pytest.approx(v, rel=1e-10), m
    bound = on_frame.params["large"]["binning_bounds"]["model"]["median_ae"]
    exact = skm.median_absolute_error(y, p)
    assert abs(f.loc[("model", "median_ae"), "estimate"] - exact) <= bound + 1e-15
    assert 0 < bound < 1e-3 * exact  # 20,000 log bins: a fraction of a per mille
    # the in-memory result (row-level bootstrap) agrees on every point value
    mem = _frame(evaluate_predictions(y, y_pred=p, task="regression", n_boot=0,
                                      baselines={"mean": {"y_pred": table["mean"].to_numpy()}}))
    for m in EXACT:
        for model in ("model", "mean"):
            assert f.loc[(model, m), "estimate"] == pytest.approx(mem.loc[(model, m), "estimate"], rel=1e-10)


def test_intervals_are_the_row_bootstraps_in_width_and_contain_the_estimate(table, on_frame):
    """The group-level Poisson bootstrap has the row-level bootstrap's spread (same estimator)."""
    f = _frame(on_frame)
    mem = _frame(evaluate_predictions(table["y"].to_numpy(), y_pred=table["pred"].to_numpy(), task="regression",
                                      n_boot=N_BOOT))
    for m in ["mae", "rmse", "r2"]:
        lo, hi, est = f.loc[("model", m), ["ci_low", "ci_high", "estimate"]]
        assert lo < est < hi
        width, ref = hi - lo, mem.loc[("model", m), "ci_high"] - mem.loc[("model", m), "ci_low"]
        assert 0.75 < width / ref < 1.33, (m, width, ref)  # 200 resamples: the widths' own noise is ~10%
    lo, hi, est = f.loc[("model", "median_ae"), ["ci_low", "ci_high", "estimate"]]
    ref = mem.loc[("model", "median_ae"), "ci_high"] - mem.loc[("model", "median_ae"), "ci_low"]
    assert lo < est < hi and 0.5 < (hi - lo) / ref < 2.0
    comp = on_frame.comparison.set_index("metric")
    assert comp.loc["mae", "difference_ci_high"] < 0  # the model beats the mean clearly (paired)


def test_chunks_files_and_dask_give_the_same_result(table, on_frame, tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    for i, part in enumerate(np.array_split(np.arange(N), 3)):
        table.iloc[part].to_parquet(tmp_path / f"p{i}.parquet", row_group_size=40_000)
    a = _frame(on_frame)
    for data, kw in ((str(tmp_path / "*.parquet"), {"chunk_rows": 25_000}), (dd.from_pandas(table, npartitions=8), {}),
                     (dd.from_pandas(table, npartitions=1), {})):
        res = evaluate_predictions("y", y_pred="pred", data=data, task="regression", n_boot=N_BOOT,
                                   baselines={"mean": {"y_pred": "mean"}}, progress=False, **kw)
        b = _frame(res)
        np.testing.assert_allclose(b[["estimate", "ci_low", "ci_high"]], a[["estimate", "ci_low", "ci_high"]],
                                   rtol=1e-9, atol=1e-12)
        pd.testing.assert_frame_equal(res.predictions, on_frame.predictions)
    pred = on_frame.predictions
    assert len(pred) == LR.SAMPLE_ROWS and pred["row"].is_monotonic_increasing
    np.testing.assert_array_equal(pred["y_true"], table["y"].to_numpy()[pred["row"]])
    np.testing.assert_allclose(pred["residual"], pred["y_true"] - pred["y_pred"])


def test_the_task_is_inferred_from_a_continuous_target(table):
    res = evaluate_predictions("y", y_pred="pred", data=table.iloc[:20_000], n_boot=0, progress=False)
    assert res.task == "regression" and set(res.frame["metric"]) == {*EXACT, "median_ae"}


def test_equal_errors_and_exact_fits():
    y = np.arange(1_000, dtype=float)
    exact = evaluate_predictions("y", y_pred="p", data=pd.DataFrame({"y": y, "p": y}), task="regression", n_boot=20)
    f = _frame(exact)
    assert f.loc[("model", "mae"), "estimate"] == 0 and f.loc[("model", "median_ae"), "estimate"] == 0
    assert f.loc[("model", "r2"), "estimate"] == 1
    shifted = _frame(evaluate_predictions("y", y_pred="p", data=pd.DataFrame({"y": y, "p": y + 2.5}),
                                          task="regression", n_boot=20))
    assert shifted.loc[("model", "median_ae"), "estimate"] == pytest.approx(2.5, rel=1e-12)


def test_regression_errors(table):
    with pytest.raises(DiagnosticInputError, match="not y_score"):
        evaluate_predictions("y", y_pred="pred", y_score="mean", data=table, task="regression")
    bad = table.iloc[:5_000].copy()
    bad.loc[4_000, "pred"] = np.nan
    with pytest.raises(DiagnosticInputError, match="'pred' contains NaN or infinite values \\(near row 0\\)"):
        evaluate_predictions("y", y_pred="pred", data=bad, task="regression")
    with pytest.raises(DiagnosticInputError, match="not numeric"):
        evaluate_predictions("y", y_pred="k", data=table.iloc[:100], task="regression")
    with pytest.raises(DiagnosticInputError, match="regression"):
        evaluate_predictions("y", y_pred="pred", data=table, task="classification", n_boot=0)
