"""Tests of diagtools.drift: planted drift found, no false alarms, numbers equal scipy's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon
from threadpoolctl import threadpool_limits

from diagtools.datasets import LOANS_TRUTH, make_loans
from diagtools.drift import FRAME_COLUMNS, DriftProfile, DriftResult, detect_drift, profile_data
from diagtools.drift._domain import auc_from_counts, bootstrap_auc
from diagtools.errors import DiagnosticInputError
from tests._contract import check_result_contract

TARGET = LOANS_TRUTH.target


@pytest.fixture(scope="module")
def demo_drift(loans_reference, loans_current):
    return detect_drift(loans_reference, loans_current, target=TARGET, domain_classifier=False)


@pytest.fixture(scope="module")
def small_windows():
    ref = make_loans(3000, window="reference", random_state=3)
    cur = make_loans(2000, window="current", random_state=3)
    return ref, cur


@pytest.fixture(scope="module")
def small_model(small_windows):
    """A fast model on the loan columns (the demo pipeline's slow step would dominate the test time)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    ref, _ = small_windows
    cats = list(LOANS_TRUTH.categorical_columns)
    encode = ColumnTransformer(
        [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), cats)], remainder="passthrough"
    )
    model = make_pipeline(encode, HistGradientBoostingClassifier(max_iter=50, random_state=0))
    with threadpool_limits(limits=1, user_api="openmp"):  # avoid OpenMP stalls on a shared machine
        return model.fit(ref.drop(columns=TARGET), ref[TARGET])


@pytest.fixture(scope="module")
def full_result(small_windows, small_model):
    ref, cur = small_windows
    return detect_drift(ref, cur, model=small_model, target=TARGET, n_boot=100)


# -- ground truth ------------------------------------------------------------------------
def test_exactly_planted_columns_flagged(demo_drift):
    assert sorted(demo_drift.drifted_columns) == sorted(LOANS_TRUTH.drifted_columns)
    assert list(demo_drift.frame.columns) == FRAME_COLUMNS
    flagged = set(demo_drift.frame.loc[demo_drift.frame["drifted"], "column"])
    assert flagged == set(LOANS_TRUTH.drifted_columns)


def test_new_category_reported(demo_drift, loans_current):
    col, cat = LOANS_TRUTH.new_category
    assert demo_drift.new_categories == {col: [cat]}
    share = (loans_current[col] == cat).mean()
    titles = [f.title for f in demo_drift.findings()]
    assert f"{col}='{cat}': {share:.1%} of current rows, never seen in reference" in titles
    row = demo_drift.frame[(demo_drift.frame["column"] == col) & (demo_drift.frame["statistic"] == "new_category_share")]
    assert row["estimate"].iloc[0] == pytest.approx(share)


def test_target_excluded_and_reported(demo_drift, loans_reference, loans_current):
    assert TARGET not in set(demo_drift.frame["column"])
    t = demo_drift.target_shift
    assert t["reference"] == pytest.approx(loans_reference[TARGET].mean())
    assert t["current"] == pytest.approx(loans_current[TARGET].mean())


def test_random_halves_flag_nothing():
    df = make_loans(4000, plant_drift=False, plant_slice=False, random_state=5)
    clean = 0
    for seed in range(100):
        idx = np.random.default_rng(seed).permutation(len(df))
        res = detect_drift(df.iloc[idx[:2000]], df.iloc[idx[2000:]], target=TARGET, domain_classifier=False)
        clean += not res.drifted_columns
    assert clean >= 95


def test_effect_threshold_ignores_trivial_shift():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 200_000)})
    cur = pd.DataFrame({"x": rng.normal(0.03, 1, 200_000)})
    res = detect_drift(ref, cur, domain_classifier=False)
    ks = res.frame[res.frame["statistic"] == "ks_stat"].iloc[0]
    assert ks["q_value"] < 0.05  # significant ...
    assert res.drifted_columns == []  # ... but too small to flag
    res0 = detect_drift(ref, cur, domain_classifier=False, effect_threshold=0.0)
    assert res0.drifted_columns == ["x"]


def test_missing_rate_change_flags_column():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(size=3000)})
    vals = rng.normal(size=3000)
    vals[:600] = np.nan
    cur = pd.DataFrame({"x": vals})
    res = detect_drift(ref, cur, domain_classifier=False)
    row = res.frame[res.frame["statistic"] == "missing_rate_change"].iloc[0]
    assert row["estimate"] == pytest.approx(0.2)
    assert row["ci_low"] < 0.2 < row["ci_high"]
    assert res.drifted_columns == ["x"]
    assert any("missing-value rate" in f.title for f in res.findings())


# -- numbers equal scipy's -----------------------------------------------------------------
@pytest.mark.parametrize("n", [800, 12_000])  # scipy's exact and asymptotic KS regimes
def test_numeric_statistics_equal_scipy(n):
    rng = np.random.default_rng(n)
    a = np.round(rng.normal(0, 1, n), 2)  # ties on purpose
    b = np.round(rng.normal(0.1, 1.2, n + 301), 2)
    a[:5] = np.nan
    res = detect_drift(pd.DataFrame({"x": a}), pd.DataFrame({"x": b}), domain_classifier=False)
    f = res.frame.set_index("statistic")
    aa = a[~np.isnan(a)]
    ks = sps.ks_2samp(aa, b)
    assert f.loc["ks_stat", "estimate"] == pytest.approx(ks.statistic, rel=1e-12)
    assert f.loc["ks_stat", "p_value"] == pytest.approx(ks.pvalue, rel=1e-9, abs=1e-300)
    w = sps.wasserstein_distance(aa, b)
    assert f.loc["wasserstein_norm", "estimate"] == pytest.approx(w / np.std(aa), rel=1e-10)
    assert f.loc["ks_stat", "n_reference"] == n - 5


def test_categorical_statistics_equal_scipy():
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"c": rng.choice(list("abcd"), 5000, p=[0.4, 0.3, 0.2, 0.1])})
    cur = pd.DataFrame({"c": rng.choice(list("abce"), 3000, p=[0.35, 0.3, 0.25, 0.1])})
    res = detect_drift(ref, cur, domain_classifier=False)
    f = res.frame.set_index("statistic")
    cats = list("abcde")
    r = np.array([(ref["c"] == k).sum() for k in cats], dtype=float)
    c = np.array([(cur["c"] == k).sum() for k in cats], dtype=float)
    chi = sps.chi2_contingency(np.vstack([r, c]))
    assert f.loc["chi2_stat", "estimate"] == pytest.approx(chi.statistic, rel=1e-12)
    assert f.loc["chi2_stat", "p_value"] == pytest.approx(chi.pvalue, rel=1e-9, abs=1e-300)
    assert f.loc["js_distance", "estimate"] == pytest.approx(jensenshannon(r / r.sum(), c / c.sum(), base=2), rel=1e-12)
    rs, cs = np.maximum(r / r.sum(), 1e-4), np.maximum(c / c.sum(), 1e-4)
    assert f.loc["psi", "estimate"] == pytest.approx(np.sum((cs - rs) * np.log(cs / rs)))
    assert res.new_categories == {"c": ["e"]}
    assert set(res.categories.loc[res.categories["status"] == "missing", "category"]) == {"d"}


def test_q_values_are_benjamini_hochberg(demo_drift):
    f = demo_drift.frame
    tested = f[f["p_value"].notna()]
    expected = sps.false_discovery_control(tested["p_value"].to_numpy(), method="bh")
    np.testing.assert_allclose(tested["q_value"].to_numpy(), expected)


def test_weighted_auc_equals_sklearn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.random(500) + 0.3 * y, 1)  # many ties
    w = rng.integers(0, 3, size=(2, 500))
    got = auc_from_counts(s, y, w)
    for k in range(2):
        assert got[k] == pytest.approx(roc_auc_score(y, s, sample_weight=w[k]))


def test_bootstrap_auc_equals_sklearn_on_each_resample():
    from sklearn.metrics import roc_auc_score

    from diagtools._stats import bootstrap_counts

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.random(300) + 0.4 * y, 1)  # many ties
    got = bootstrap_auc(s, y, 7, random_state=3)
    counts = np.concatenate(list(bootstrap_counts(300, 7, random_state=3)))
    np.testing.assert_allclose(got, [roc_auc_score(y, s, sample_weight=c) for c in counts], rtol=1e-12)


def test_permutation_importances_do_not_depend_on_the_batching(monkeypatch):
    from diagtools.drift import _domain

    ref, cur = make_loans(1500, window="reference", random_state=4), make_loans(1500, window="current", random_state=4)
    cols = ["income", "credit_score", "purpose", "channel"]
    kinds = {"income": "numeric", "credit_score": "numeric", "purpose": "categorical", "channel": "categorical"}
    _, batched = _domain.domain_classifier(ref[cols], cur[cols], kinds, n_boot=20)
    monkeypatch.setattr(_domain, "PREDICT_CELLS", 1)  # one shuffled copy per predict_proba call
    _, single = _domain.domain_classifier(ref[cols], cur[cols], kinds, n_boot=20)
    pd.testing.assert_frame_equal(batched, single)
    assert set(batched["column"].head(3)) == {"income", "credit_score", "purpose"}


# -- profiles: computed once, merged, saved, reused ---------------------------------------------
def test_profile_merge_save_and_reuse(loans_reference, loans_current, demo_drift):
    parts = [profile_data(loans_reference.iloc[i : i + 5000]) for i in range(0, len(loans_reference), 5000)]
    merged = parts[0]
    for p in parts[1:]:
        merged = merged.merge(p)
    full = profile_data(loans_reference)
    for c in full.columns:
        if full.columns[c].kind == "numeric":
            np.testing.assert_array_equal(merged.columns[c].values, full.columns[c].values)
        else:
            assert merged.columns[c].counts == full.columns[c].counts
    saved = DriftProfile.from_json(merged.to_json())
    res = detect_drift(saved, loans_current, target=TARGET)
    pd.testing.assert_frame_equal(res.frame, demo_drift.frame)
    with pytest.raises(DiagnosticInputError, match="need the rows of both windows"):
        detect_drift(saved, loans_current, target=TARGET, domain_classifier=True)


# -- multivariate and model -------------------------------------------------------------------
def test_domain_classifier_separates_planted_drift(small_windows):
    ref, cur = small_windows
    res = detect_drift(ref, cur, target=TARGET, n_boot=100)
    assert res.domain["ci_low"] > 0.6
    top = set(res.domain_importance["column"].head(3))
    assert top == set(LOANS_TRUTH.drifted_columns)


def test_domain_classifier_near_half_on_clean_data():
    df = make_loans(4000, plant_drift=False, plant_slice=False, random_state=9)
    res = detect_drift(df.iloc[:2000], df.iloc[2000:], target=TARGET, n_boot=100)
    assert res.domain["ci_low"] < 0.5 < res.domain["ci_high"] or res.domain["auc"] < 0.55
    assert not any(f.severity in ("high", "medium") for f in res.findings())


def test_model_metrics_and_prediction_drift(full_result, small_windows, small_model):
    from sklearn.metrics import accuracy_score, roc_auc_score

    ref, cur = small_windows
    m = full_result.metrics.set_index("metric")
    scores = []
    # one row per metric: the current window as estimate, the reference as reference_estimate
    for prefix, data in (("reference_", ref), ("", cur)):
        X, y = data.drop(columns=TARGET), data[TARGET]
        scores.append(small_model.predict_proba(X)[:, 1])
        assert m.loc["accuracy", f"{prefix}estimate"] == pytest.approx(accuracy_score(y, small_model.predict(X)))
        auc = roc_auc_score(y, scores[-1])
        assert m.loc["roc_auc", f"{prefix}estimate"] == pytest.approx(auc)
        assert m.loc["roc_auc", f"{prefix}ci_low"] <= auc <= m.loc["roc_auc", f"{prefix}ci_high"]
        assert m.loc["roc_auc", f"{prefix}n"] == len(data)
    change = m.loc["roc_auc"]
    assert change["difference"] == pytest.approx(change["estimate"] - change["reference_estimate"])
    assert change["difference_ci_low"] <= change["difference"] <= change["difference_ci_high"]
    assert 0.0 <= change["p_value"] <= 1.0
    pred = full_result.frame[full_result.frame["kind"] == "prediction"]
    assert set(pred["column"]) == {"model_score"}
    assert pred.set_index("statistic").loc["ks_stat", "estimate"] == pytest.approx(sps.ks_2samp(*scores).statistic)
    # regions: every drifted column, both windows; crypto has no reference rows
    assert set(full_result.regions["column"]) == set(full_result.drifted_columns)
    crypto = full_result.regions[(full_result.regions["column"] == "purpose") & (full_result.regions["window"] == "reference")]
    assert (crypto["n"] == 0).all()
    cur_crypto = full_result.regions[(full_result.regions["column"] == "purpose") & (full_result.regions["window"] == "current")]
    assert (cur_crypto["n"] == (cur["purpose"] == "crypto").sum()).all()


def test_result_contract(full_result, demo_drift, pyplot):
    assert isinstance(full_result, DriftResult)
    check_result_contract(full_result, columns=FRAME_COLUMNS)
    check_result_contract(demo_drift, columns=FRAME_COLUMNS)
    json.dumps(full_result.to_dict(), allow_nan=False)
    assert [k for k, _ in full_result.headline()][:2] == ["columns drifted", "new categories"]


def test_plots(full_result, pyplot):
    from matplotlib.axes import Axes

    for col in ("income", "purpose", "model_score"):
        assert isinstance(full_result.plot_column(col), Axes)
    _, ax = pyplot.subplots()
    assert full_result.plot_column("income", ax=ax) is ax
    with pytest.raises(DiagnosticInputError, match="no column 'incme'"):
        full_result.plot_column("incme")


def test_browse_columns_widget(demo_drift, pyplot):
    pytest.importorskip("ipywidgets")
    from diagtools.widgets import browse_columns

    box = browse_columns(demo_drift)
    dropdown = box.children[0]
    assert dropdown.options[0][1] in LOANS_TRUTH.drifted_columns
    dropdown.value = "age"


def test_progress_bar_on_wide_data(capsys):
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(rng.normal(size=(300, 60)), columns=[f"c{i}" for i in range(60)])
    cur = pd.DataFrame(rng.normal(size=(300, 60)), columns=ref.columns)
    res = detect_drift(ref, cur, domain_classifier=False)
    assert "drift" in capsys.readouterr().err
    assert res.frame["column"].nunique() == 60


# -- bad input: one test each ----------------------------------------------------------------
def test_error_not_dataframe(loans_current):
    with pytest.raises(DiagnosticInputError, match="reference must be a pandas DataFrame or a DriftProfile"):
        detect_drift(loans_current.to_numpy(), loans_current)


def test_error_empty(loans_reference):
    with pytest.raises(DiagnosticInputError, match=r"current is empty \(0 rows\)"):
        detect_drift(loans_reference, loans_reference.iloc[:0])


def test_error_unknown_column(loans_reference, loans_current):
    with pytest.raises(DiagnosticInputError, match="no column 'incom'; did you mean 'income'"):
        detect_drift(loans_reference, loans_current, columns=["incom"])


def test_error_column_missing_in_current(loans_reference, loans_current):
    with pytest.raises(DiagnosticInputError, match=r"columns \(current\): no column 'age'"):
        detect_drift(loans_reference, loans_current.drop(columns="age"))


def test_error_unknown_target(loans_reference, loans_current):
    with pytest.raises(DiagnosticInputError, match="target: no column 'defaulted_'"):
        detect_drift(loans_reference, loans_current, target="defaulted_")


@pytest.mark.parametrize("alpha", [0, 1.5, "0.05"])
def test_error_alpha(loans_reference, loans_current, alpha):
    with pytest.raises(DiagnosticInputError, match="alpha must be a number in"):
        detect_drift(loans_reference, loans_current, alpha=alpha)


@pytest.mark.parametrize("thr", [-1, {"numerik": 0.1}, "big"])
def test_error_effect_threshold(loans_reference, loans_current, thr):
    with pytest.raises(DiagnosticInputError, match="effect_threshold"):
        detect_drift(loans_reference, loans_current, effect_threshold=thr)


def test_error_n_boot(loans_reference, loans_current):
    with pytest.raises(DiagnosticInputError, match="n_boot must be an integer >= 1"):
        detect_drift(loans_reference, loans_current, n_boot=0)


def test_error_type_mismatch(loans_reference, loans_current):
    cur = loans_current.assign(income=loans_current["income"].astype(str))
    with pytest.raises(DiagnosticInputError, match=r"\['income'\] are numeric in reference but not in current"):
        detect_drift(loans_reference, cur, domain_classifier=False)


def test_error_unfitted_model(loans_reference, loans_current):
    from diagtools.demo_models import make_loan_model

    with pytest.raises(DiagnosticInputError, match="is not fitted"):
        detect_drift(loans_reference, loans_current, model=make_loan_model(), target=TARGET)


def test_demo_pipeline_reference_metrics_in_sample(small_windows):
    """With the demo pipeline trained on the reference rows, the finding warns that reference metrics are in-sample."""
    from diagtools.demo_models import make_loan_model

    ref, cur = small_windows
    ref, cur = ref.iloc[:600], cur.iloc[:400]
    model = make_loan_model().fit(ref.drop(columns=TARGET), ref[TARGET])
    res = detect_drift(ref, cur, model=model, target=TARGET, n_boot=50, domain_classifier=False)
    auc = res.metrics.set_index("metric").loc["roc_auc", "reference_estimate"]
    assert auc > 0.99  # the overfitting demo model memorised its training rows
    metric_findings = [f for f in res.findings() if f.title.startswith("roc_auc")]
    assert metric_findings and "in-sample" in metric_findings[0].detail
    assert metric_findings[0].severity == "high"
    flagged = detect_drift(ref, cur, model=model, target=TARGET, n_boot=50, domain_classifier=False, reference_in_sample=True)
    metric_findings = [f for f in flagged.findings() if "roc_auc" in f.title]
    assert metric_findings[0].severity == "low" and metric_findings[0].title.startswith("In-sample reference")


def test_error_target_missing_in_current_with_model(small_windows, small_model):
    ref, cur = small_windows
    with pytest.raises(DiagnosticInputError, match="target: no column 'defaulted' in current"):
        detect_drift(ref, cur.drop(columns=TARGET), model=small_model, target=TARGET)


def test_plot_column_keyword_ax_and_unknown_style(pyplot):
    from tests._contract import check_plot_method
    from tests._examples.drift import _columns_only

    res = _columns_only()
    check_plot_method(res, "plot_column", "region")  # categorical: bars
    check_plot_method(res, "plot_column", "income")  # numeric: steps
    # skipped parts are empty frames with their columns, never None
    assert res.metrics.empty and "reference_estimate" in res.metrics.columns
    assert res.regions.empty and res.domain_importance.empty
