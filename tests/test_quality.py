"""Tests of diagtools.quality: planted problems found, clean data quiet, numbers vs references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score, roc_auc_score

from diagtools.datasets import load_housing, make_loans
from diagtools.errors import DiagnosticInputError
from diagtools.quality import FRAME_COLUMNS, DataQualityResult, add_data_problems, check_data
from diagtools.quality._label_noise import confident_learning
from diagtools.quality._power import score_matrix, weighted_auc
from tests._contract import check_result_contract

TARGET = "defaulted"
ONLY_DUPS = dict(leak_column=None, id_column=None, constant_column=None)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One OpenMP/BLAS thread: on a shared 2-core machine, spinning worker threads cost more than they give."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _clean(n_train: int = 2_000, n_test: int = 1_000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    kw = dict(plant_slice=False, plant_drift=False)
    return make_loans(n_train, random_state=2 * seed, **kw), make_loans(n_test, random_state=2 * seed + 1, **kw)


@pytest.fixture(scope="module")
def planted():
    train, test = _clean(3_000, 1_500)
    train, test, truth = add_data_problems(train, test, target=TARGET, missing_column="employment_years")
    res = check_data(train, test, target=TARGET, n_boot=50, impact=True)
    return train, test, truth, res


# -- planted problems ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_percent_test_duplicates_detected_exactly(seed):
    train, test = _clean(seed=seed)
    train, test, truth = add_data_problems(train, test, target=TARGET, random_state=seed, **ONLY_DUPS)
    res = check_data(train, test, target=TARGET, checks="duplicates")
    row = res.flagged("train_test_duplicates").iloc[0]
    assert truth["n_test_duplicates"] == 20
    assert row["count"] == 20 and row["estimate"] == pytest.approx(0.02)
    assert row["ci_low"] < 0.02 < row["ci_high"]
    assert res.count("duplicate_rows") == 0


def test_duplicates_found_despite_id_column_and_dtype_mismatch(planted):
    train, test, truth, res = planted
    assert res.count("train_test_duplicates") == truth["n_test_duplicates"]
    assert "application_id" in res.params["hash_excludes"]
    test2 = test.astype({"age": float})  # 1 vs 1.0 must still match
    res2 = check_data(train, test2, target=TARGET, checks=["duplicates", "id_like"])
    assert res2.count("train_test_duplicates") == truth["n_test_duplicates"]


def test_planted_findings(planted):
    _, _, truth, res = planted
    assert res.leaking_columns == [truth["leak_column"]]
    assert set(res.flagged("id_like")["column"]) == {"application_id"}
    assert set(res.flagged("constant")["column"]) == {"currency"}
    miss = res.flagged("missing")
    assert set(miss["column"]) == {"employment_years"}
    assert miss.set_index("split").loc["test", "q_value"] < 0.05
    titles = " | ".join(f.title for f in res.findings())
    assert "30 test rows (2.0%" in titles and "held-out scores are optimistic" in titles
    assert "likely target leakage" in titles
    impact = res.frame[res.frame["check"] == "removal_impact"].set_index("column")
    assert impact.loc["arrears_score", "ci_high"] < -0.1 and impact.loc["arrears_score", "flagged"]
    assert impact.loc["*", "count"] == 1_500 - truth["n_test_duplicates"]


def test_leak_column_flagged_regression():
    df = load_housing(1_500)
    rng = np.random.default_rng(0)
    df["price_estimate"] = df["price_k"] + rng.normal(0, 0.05 * df["price_k"].std(), len(df))
    res = check_data(df, target="price_k", checks="target_leakage", n_boot=50)
    assert res.leaking_columns == ["price_estimate"]
    assert res.params["task"] == "regression"


def test_one_honest_dominant_driver_is_not_leakage():
    # Floor area drives house prices (R^2 ~0.67 alone, ~0.72 for the full model): no leak.
    df = load_housing(3_000).drop(columns=["neighbourhood", "condition"])
    res = check_data(df, target="price_k", checks=["target_leakage", "label_noise"], n_boot=50)
    assert res.leaking_columns == []
    assert not [f for f in res.findings() if "leakage" in f.title]


def test_leak_flagged_against_full_model_without_threshold():
    train, _ = _clean(1_500)
    rng = np.random.default_rng(1)
    train["leak"] = train[TARGET] + rng.normal(0, 0.3, len(train))  # AUC ~0.95-0.99 alone
    res = check_data(train, target=TARGET, checks=["target_leakage"], model=_logreg(), thresholds={"leakage_threshold": 1.01},
                     n_boot=50)
    assert res.leaking_columns == ["leak"]


def _logreg():
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    ct = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["region", "channel", "home_ownership", "purpose"]),
                                 remainder=StandardScaler())
    return make_pipeline(ct, LogisticRegression(max_iter=500))


def test_label_noise_precision_recall_over_five_seeds():
    from sklearn.datasets import make_classification

    for seed in range(5):
        X, y = make_classification(2_000, n_features=8, n_informative=5, n_redundant=1, class_sep=2.0, flip_y=0,
                                   random_state=seed)
        df = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)]).assign(label=y)
        rng = np.random.default_rng(seed)
        ones = np.flatnonzero(y == 1)
        flip = rng.choice(ones, round(0.05 * len(ones)), replace=False)
        df.loc[flip, "label"] = 0
        res = check_data(df, target="label", checks="label_noise", random_state=seed)
        ranked = res.label_issues["row"].to_numpy()
        hits = np.cumsum(np.isin(ranked, flip))
        assert hits[-1] >= 0.5 * len(flip), seed
        k = int(np.argmax(hits >= 0.5 * len(flip))) + 1
        assert hits[k - 1] / k >= 0.7, (seed, hits[k - 1] / k)
        rate = res.frame[res.frame["check"] == "label_noise"].set_index("column")["estimate"]
        assert rate["0"] > rate["1"]


def test_clean_data_no_leakage_no_duplicates_in_95_of_100_seeds():
    false_alarms = 0
    for seed in range(100):
        train, test = _clean(300, 150, seed=seed)
        res = check_data(train, test, target=TARGET, checks=["duplicates", "near_duplicates", "id_like", "target_leakage"],
                         n_boot=1, random_state=seed)
        false_alarms += int(len(res.flagged()) > 0)
    assert false_alarms <= 5


def test_clean_loans_full_run_quiet():
    train, test = _clean(2_000, 1_000)
    res = check_data(train, test, target=TARGET, n_boot=50, cv=3)
    bad = res.flagged()
    assert not bad["check"].isin(["train_test_duplicates", "near_duplicates", "id_like", "target_leakage",
                                   "duplicate_rows", "conflicting_labels", "missing", "constant"]).any()


def test_wide_table_with_progress_bar():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(300, 60)), columns=[f"x{i}" for i in range(60)])
    wide["y"] = (wide["x0"] + rng.normal(size=300) > 0).astype(int)
    res = check_data(wide, target="y", checks=["fast", "target_leakage"], n_boot=20, progress=True)
    assert res.params["checks"][-1] == "target_leakage"
    assert res.leaking_columns == []
    best = res.predictive_power.iloc[0]
    assert best["column"] == "x0" and best["ci_low"] > 0.6


# -- integrity details ----------------------------------------------------------------------
def test_duplicates_conflicts_mixed_types_near_duplicates():
    train = pd.DataFrame({
        "a": [1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "t": ["x", "x", "y", "y", "z", "  Z ", "w", "v"],
        "m": ["1", "1", "n/a", "n/a", "5", "6", "7", "8"],
        "y": [0, 0, 0, 1, 1, 0, 1, 0],
    })
    test = pd.DataFrame({"a": [1.0, 3.0001, 9.0], "t": ["x", "Z", "q"], "m": ["1", "5", "9"], "y": [0, 1, 1]})
    res = check_data(train, test, target="y", checks="fast")
    assert res.count("duplicate_rows", "train") == 1
    assert res.count("conflicting_labels", "train") == 2
    assert res.count("train_test_duplicates") == 1
    assert res.count("near_duplicates") == 1
    mixed = res.flagged("mixed_types")
    assert mixed["column"].tolist() == ["m"] and mixed["count"].iloc[0] == 2


def test_frame_columns_and_shares():
    train, test = _clean(500, 300)
    train.loc[:49, "income"] = np.nan
    res = check_data(train, test, target=TARGET, checks="missing")
    assert list(res.frame.columns) == FRAME_COLUMNS
    row = res.frame[(res.frame["column"] == "income") & (res.frame["split"] == "train")].iloc[0]
    assert row["count"] == 50 and row["estimate"] == pytest.approx(0.1)


# -- numbers vs references ------------------------------------------------------------------
def test_weighted_auc_and_r2_match_sklearn():
    rng = np.random.default_rng(0)
    s = np.round(rng.random(300), 1)
    y = (rng.random(300) < s).astype(int)
    w = rng.integers(0, 3, size=(2, 300)).astype(float)
    got = weighted_auc(s, y == 1, w)
    for b in range(2):
        assert got[b] == pytest.approx(roc_auc_score(y, s, sample_weight=w[b]))
    yr = rng.normal(size=300)
    pr = yr + rng.normal(size=300)
    assert score_matrix(pr[:, None], yr, "regression", w)[0] == pytest.approx(r2_score(yr, pr, sample_weight=w[0]))


def test_confident_learning_on_hand_example():
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.1, 0.9], [0.2, 0.8], [0.95, 0.05]])
    labels = np.array([0, 0, 0, 1, 1, 1])  # the last row is clearly a 0 labelled 1
    cand, sugg, joint, rate = confident_learning(proba, labels)
    assert cand.tolist() == [5] and sugg.tolist() == [0]
    assert joint.sum() == pytest.approx(1.0)
    assert rate[1] == pytest.approx(1 / 3) and rate[0] == pytest.approx(0.0)


# -- contract and plots ---------------------------------------------------------------------
def test_result_contract_and_plots(planted, pyplot):
    from matplotlib.axes import Axes

    res = planted[3]
    assert isinstance(res, DataQualityResult)
    check_result_contract(res, columns=FRAME_COLUMNS)
    for name in ("plot_missing", "plot_leakage", "plot_label_noise"):
        assert isinstance(getattr(res, name)(), Axes)
    assert len(res.plot_all().axes) >= 4
    fast = check_data(planted[0], target=TARGET, checks="fast")
    check_result_contract(fast)
    assert isinstance(fast.plot_leakage(), Axes) and isinstance(fast.plot_label_noise(), Axes)


# -- bad input ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    return _clean(200, 100)


def test_bad_train_type(small):
    with pytest.raises(DiagnosticInputError, match="train must be a pandas DataFrame"):
        check_data(small[0].to_numpy(), target=TARGET)


def test_bad_target_name(small):
    with pytest.raises(DiagnosticInputError, match="did you mean 'defaulted'"):
        check_data(small[0], target="defaulted_")


def test_bad_target_type(small):
    with pytest.raises(DiagnosticInputError, match="target must be the name"):
        check_data(small[0], target=None)


def test_bad_check_name(small):
    with pytest.raises(DiagnosticInputError, match="checks must be one of"):
        check_data(small[0], target=TARGET, checks=["duplicatez"])


def test_test_missing_feature(small):
    with pytest.raises(DiagnosticInputError, match="test: no column 'income'"):
        check_data(small[0], small[1].drop(columns="income"), target=TARGET)


def test_empty_test(small):
    with pytest.raises(DiagnosticInputError, match="test is empty"):
        check_data(small[0], small[1].iloc[:0], target=TARGET)


def test_bad_cv(small):
    with pytest.raises(DiagnosticInputError, match="cv must be an integer >= 2"):
        check_data(small[0], target=TARGET, cv=1)


def test_bad_n_boot(small):
    with pytest.raises(DiagnosticInputError, match="n_boot must be an integer >= 1"):
        check_data(small[0], target=TARGET, n_boot=0)


def test_model_without_fit(small):
    with pytest.raises(DiagnosticInputError, match="has no fit/predict"):
        check_data(small[0], target=TARGET, model=object())


def test_missing_labels(small):
    train = small[0].astype({TARGET: float})
    train.loc[3, TARGET] = np.nan
    with pytest.raises(DiagnosticInputError, match="missing label"):
        check_data(train, target=TARGET)


def test_single_class(small):
    train = small[0].assign(**{TARGET: 0})
    with pytest.raises(DiagnosticInputError, match="single class"):
        check_data(train, target=TARGET, checks="label_noise")


def test_thresholds_mapping_defaults_unknown_keys_and_deprecated_keywords(small):
    from diagtools.quality import DEFAULT_THRESHOLDS

    train = small[0]
    base = check_data(train, target=TARGET, checks="outliers")
    assert base.params["outlier_z"] == DEFAULT_THRESHOLDS["outlier_z"] == 3.5
    # a z of 1 calls a third of any column an outlier: more flagged columns than the default
    loose = check_data(train, target=TARGET, checks="outliers", thresholds={"outlier_z": 1.0, "outlier_share": 0.05})
    assert loose.params["outlier_z"] == 1.0
    assert len(loose.flagged("outliers")) > len(base.flagged("outliers"))
    with pytest.raises(DiagnosticInputError, match=r"outlier_zz.*near_constant"):
        check_data(train, target=TARGET, checks="outliers", thresholds={"outlier_zz": 1.0})
    with pytest.raises(DiagnosticInputError, match=r"thresholds\['outlier_share'\]"):
        check_data(train, target=TARGET, checks="outliers", thresholds={"outlier_share": 2.0})
    with pytest.warns(FutureWarning, match=r"thresholds=\{'outlier_z': 1.0, 'outlier_share': 0.05\}"):
        old = check_data(train, target=TARGET, checks="outliers", outlier_z=1.0, outlier_share=0.05)
    pd.testing.assert_frame_equal(old.frame, loose.frame)
    with pytest.raises(TypeError, match="outlierz"):
        check_data(train, target=TARGET, outlierz=1.0)


def test_area_is_quality_on_result_and_findings(planted):
    res = planted[3]
    assert res.area == "quality"
    assert {f.area for f in res.findings()} == {"quality"}
    fast = check_data(planted[0], target=TARGET, checks="fast")
    assert fast.label_issues.empty and fast.noise_pairs.empty and fast.confidence_hist.empty


@pytest.mark.parametrize("method", ["plot", "plot_missing", "plot_leakage", "plot_label_noise"])
def test_plots_take_keyword_ax_and_refuse_unknown_style(planted, method):
    from tests._contract import check_plot_method

    check_plot_method(planted[3], method)
