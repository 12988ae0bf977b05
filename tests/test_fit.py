"""Fit area: verdicts on planted cases, equality with scikit-learn, dask backend, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.model_selection import learning_curve as sk_learning_curve
from sklearn.model_selection import validation_curve as sk_validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from diagtools._result import _jsonable
from diagtools.datasets import LOANS_TRUTH
from diagtools.errors import DiagnosticInputError
from diagtools.fit import (
    VERDICTS,
    FitDiagnosis,
    LearningCurveResult,
    ValidationCurveResult,
    diagnose_fit,
    diagnose_fitted,
    learning_curve,
    validation_curve,
)
from tests._contract import check_result_contract

SIZES = (0.25, 0.5, 1.0)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """OpenMP threads of the boosters thrash on a small, shared 2-core box: use one."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def encoded(model):
    """The loans data need their categorical columns encoded (as the demo model does)."""
    cats = list(LOANS_TRUTH.categorical_columns)
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    return make_pipeline(make_column_transformer((encoder, cats), remainder="passthrough"), model)


PLANTED = {
    "underfitting": lambda: encoded(DecisionTreeClassifier(max_depth=1)),
    "overfitting": lambda: encoded(DecisionTreeClassifier(random_state=0)),
    "good fit": lambda: encoded(HistGradientBoostingClassifier(max_iter=60, max_depth=3, random_state=0)),
}


def loans_sample(frame: pd.DataFrame, seed: int, n: int = 4000) -> tuple[pd.DataFrame, np.ndarray]:
    df = frame.sample(n, random_state=seed)
    return df.drop(columns=LOANS_TRUTH.target), df[LOANS_TRUTH.target].to_numpy()


@pytest.fixture(scope="module")
def diagnoses(loans_reference):
    """One diagnosis per planted model for seed 0 (reused by several tests)."""
    X, y = loans_sample(loans_reference, 0)
    return {v: diagnose_fit(make(), X, y, cv=3, train_sizes=SIZES, random_state=0, n_jobs=2) for v, make in PLANTED.items()}


# -- planted verdicts ------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_planted_verdicts_stable_across_seeds(loans_reference, seed):
    X, y = loans_sample(loans_reference, seed)
    got = {v: diagnose_fit(make(), X, y, cv=3, train_sizes=SIZES, random_state=seed, n_jobs=2).verdict
           for v, make in PLANTED.items()}
    assert got == {v: v for v in PLANTED}


def test_planted_verdicts_seed0_and_evidence(diagnoses):
    assert {v: d.verdict for v, d in diagnoses.items()} == {v: v for v in PLANTED}
    over = diagnoses["overfitting"]
    assert over.evidence("train_score")["estimate"] == pytest.approx(1.0)
    assert over.evidence("gap")["ci_low"] > 0.2
    assert over.evidence("gap")["flagged"]
    under = diagnoses["underfitting"]
    assert under.evidence("reference_minus_train")["ci_low"] > 0
    assert "capacity" in " ".join(under.next_steps).lower()
    good = diagnoses["good fit"]
    assert good.evidence("lift_over_baseline")["ci_low"] > 0
    assert good.findings()[0].severity == "info"
    assert over.findings()[0].severity == "high"


@pytest.mark.parametrize("seed", [0, 1])
def test_noise_labels_never_good_fit(loans_reference, seed):
    X, y = loans_sample(loans_reference, seed, n=3000)
    y = np.random.default_rng(seed).permutation(y)
    verdicts = [diagnose_fit(make(), X, y, cv=3, train_sizes=SIZES, random_state=seed, n_jobs=2).verdict
                for make in PLANTED.values()]
    assert "good fit" not in verdicts
    assert set(verdicts) <= set(VERDICTS)


def test_regression_path():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + rng.normal(scale=0.5, size=1500)
    assert diagnose_fit(LinearRegression(), X, y, cv=3, train_sizes=SIZES).verdict == "good fit"
    under = diagnose_fit(DecisionTreeRegressor(max_depth=1), X, y, cv=3, train_sizes=SIZES)
    assert under.verdict == "underfitting"
    assert under.params["scoring"] == "r2"


# -- equality with scikit-learn ---------------------------------------------------------------
@pytest.mark.parametrize("progress", [False, True])
def test_learning_curve_equals_sklearn(loans_reference, progress):
    X, y = loans_sample(loans_reference, 0, n=2000)
    model = encoded(HistGradientBoostingClassifier(max_iter=20, random_state=0))
    cv = StratifiedKFold(4, shuffle=True, random_state=3)
    res = learning_curve(model, X, y, train_sizes=[0.2, 0.6, 1.0], cv=cv, scoring="roc_auc", progress=progress)
    sizes, tr, va = sk_learning_curve(model, X, y, train_sizes=[0.2, 0.6, 1.0], cv=cv, scoring="roc_auc")
    f = res.folds
    np.testing.assert_array_equal(f["train_size"].unique(), sizes)
    np.testing.assert_array_equal(f["train_score"].to_numpy().reshape(tr.shape), tr)
    np.testing.assert_array_equal(f["validation_score"].to_numpy().reshape(va.shape), va)
    assert (f["fit_time_s"] > 0).all()


def test_validation_curve_equals_sklearn_and_marks_best():
    X, y = make_xy(800)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    values = [1, 2, 4, None]
    res = validation_curve(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth",
                           param_range=values, cv=cv)
    tr, va = sk_validation_curve(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth",
                                 param_range=values, cv=cv)
    np.testing.assert_array_equal(res.folds["train_score"].to_numpy().reshape(tr.shape), tr)
    np.testing.assert_array_equal(res.folds["validation_score"].to_numpy().reshape(va.shape), va)
    assert res.best_value == str(values[int(np.argmax(va.mean(axis=1)))])
    assert res.frame["param_label"].unique().tolist() == ["1", "2", "4", "None"]
    assert np.isnan(res.frame.loc[res.frame["param_label"] == "None", "param_value"]).all()
    # the frame is the per-fold scores summarised: mean of the folds, one row per value and split
    val = res.frame[res.frame["split"] == "validation"]
    np.testing.assert_allclose(val["estimate"], va.mean(axis=1))
    assert val["n"].eq(3).all()


def make_xy(n: int, seed: int = 0):
    from sklearn.datasets import make_classification

    return make_classification(n, n_features=8, n_informative=4, flip_y=0.1, random_state=seed)


def test_summary_and_data_gain_match_direct_computation():
    X, y = make_xy(1200)
    res = learning_curve(LogisticRegression(), X, y, train_sizes=[0.1, 0.3, 0.5, 1.0], cv=5)
    s = res.summary()
    last = res.at_size()
    est, lo, hi, n = res.summary().query("split == 'validation'").iloc[-1][["estimate", "ci_low", "ci_high", "n"]]
    v = last["validation_score"].to_numpy()
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    assert est == pytest.approx(v.mean()) and lo == pytest.approx(v.mean() - half) and hi == pytest.approx(v.mean() + half)
    assert n == 5 and len(s) == 8
    sizes = np.sort(res.folds["train_size"].unique())[-3:]  # within the last two doublings
    slopes = []
    for _, fold in res.folds[res.folds["train_size"].isin(sizes)].groupby("fold"):
        slopes.append(np.polyfit(np.log2(fold["train_size"]), fold["validation_score"], 1)[0])
    assert res.data_gain()["estimate"] == pytest.approx(np.mean(slopes))
    # the gap in the comparison schema: training vs validation, the difference paired by fold
    cmp = res.comparisons().iloc[-1]
    d = last["train_score"].to_numpy() - v
    half_d = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    assert cmp["estimate"] == pytest.approx(last["train_score"].mean())
    assert cmp["reference_estimate"] == pytest.approx(v.mean())
    assert cmp["difference"] == pytest.approx(d.mean())
    assert cmp["difference_ci_low"] == pytest.approx(d.mean() - half_d)


def test_repeated_splitter_gives_one_fold_per_split():
    from sklearn.model_selection import RepeatedStratifiedKFold

    X, y = make_xy(600)
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    res = learning_curve(LogisticRegression(), X, y, train_sizes=[0.5, 1.0], cv=cv)
    assert sorted(res.folds["fold"].unique()) == list(range(6))
    assert res.summary()["n"].eq(6).all()


# -- dask backend ------------------------------------------------------------------------------
def test_dask_backend_gives_identical_numbers():
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    import joblib

    X, y = make_xy(1000)
    kwargs = dict(train_sizes=[0.3, 1.0], cv=3, n_jobs=2)
    default = learning_curve(DecisionTreeClassifier(max_depth=4, random_state=0), X, y, **kwargs)
    with distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=":0") as cluster, \
            distributed.Client(cluster), joblib.parallel_config(backend="dask"):
        on_dask = learning_curve(DecisionTreeClassifier(max_depth=4, random_state=0), X, y, **kwargs)
    cols = ["train_size", "fold", "train_score", "validation_score"]
    pd.testing.assert_frame_equal(default.folds[cols], on_dask.folds[cols])


# -- result contract and plots -----------------------------------------------------------------
def test_result_contracts(diagnoses, pyplot):
    diag = diagnoses["overfitting"]
    check_result_contract(diag, columns=["evidence", "estimate", "ci_low", "ci_high", "n", "flagged", "meaning"])
    check_result_contract(diag.curve, columns=["train_size", "split", "estimate", "ci_low", "ci_high", "n"])
    assert list(diag.curve.folds.columns) == ["train_size", "fold", "train_score", "validation_score",
                                              "fit_time_s", "score_time_s"]
    X, y = make_xy(300)
    vc = validation_curve(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth", param_range=[1, 3, None], cv=3)
    check_result_contract(vc, columns=["param_label", "param_value", "split", "estimate", "ci_low", "ci_high", "n"])
    assert list(vc.folds.columns) == ["param_label", "param_value", "fold", "train_score", "validation_score"]
    cmp = diag.comparisons().set_index("comparison")
    gap = cmp.loc["train vs validation"]
    assert gap["difference"] == diag.evidence("gap")["estimate"]
    assert gap["estimate"] - gap["reference_estimate"] == pytest.approx(gap["difference"])
    assert gap["difference_ci_low"] == diag.evidence("gap")["ci_low"]
    assert list(cmp.index) == ["train vs validation", "validation vs baseline", "reference vs validation",
                               "reference vs train"]
    back = FitDiagnosis.from_dict(diag.to_dict())
    assert back.verdict == diag.verdict and isinstance(back.curve, LearningCurveResult)
    assert isinstance(ValidationCurveResult.from_dict(vc.to_dict()), ValidationCurveResult)
    # a result saved when frame held the per-fold scores reads back in today's shape
    old = {**diag.curve.to_dict(), "frame": _jsonable(diag.curve.folds)}
    del old["folds"]
    back_curve = LearningCurveResult.from_dict(old)
    pd.testing.assert_frame_equal(back_curve.frame, diag.curve.frame, check_dtype=False)
    assert len(back_curve.folds) == len(diag.curve.folds)
    ax = diag.plot_evidence()
    assert ax.get_title() == "Evidence for: overfitting"
    labels = [t.get_text() for t in diag.plot().get_legend().get_texts()]
    assert "trivial baseline (validation)" in labels and "reference model (validation)" in labels
    assert "best: " in " ".join(t.get_text() for t in vc.plot().get_legend().get_texts())


def test_findings_say_whether_more_data_helps():
    X, y = make_xy(3000)
    diag = diagnose_fit(DecisionTreeClassifier(min_samples_leaf=5, random_state=0), X, y, cv=3,
                        train_sizes=[0.05, 0.1, 0.2, 0.4, 1.0], reference=None)
    gain = diag.evidence("gain_per_doubling")
    assert gain["ci_low"] > 0  # a tree on more rows keeps improving here
    assert any("per doubling of data" in f.title for f in diag.findings())
    assert any("More data would likely help" in s for s in diag.next_steps)


# -- bad input ---------------------------------------------------------------------------------
class NoFit:
    def predict(self, X):
        return np.zeros(len(X))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda X, y: validation_curve(DecisionTreeClassifier(), X, y, param_name="max_dept", param_range=[1, 2]),
         r"no parameter 'max_dept'; did you mean 'max_depth'\?"),
        (lambda X, y: validation_curve(DecisionTreeClassifier(), X, y, param_name="max_depth", param_range=[1]),
         "at least 2 values"),
        (lambda X, y: learning_curve(DecisionTreeClassifier(), X, y, train_sizes=[0.0, 0.5]), "train_sizes must be"),
        (lambda X, y: learning_curve(DecisionTreeClassifier(), X, y, train_sizes=[1.5]), "train_sizes must be"),
        (lambda X, y: learning_curve(DecisionTreeClassifier(), X, y, train_sizes=[10, 10_000]), "train_sizes must be"),
        (lambda X, y: learning_curve(DecisionTreeClassifier(), X, y[:-5]), "y has 295 rows but X has 300"),
        (lambda X, y: diagnose_fit(NoFit(), X, y), "has no fit method"),
        (lambda X, y: learning_curve(DecisionTreeClassifier(), X, y, scoring="acuracy"), "not a scikit-learn scorer"),
        (lambda X, y: learning_curve(DecisionTreeClassifier(), X, y, cv=1), "cv must be"),
        (lambda X, y: diagnose_fit(DecisionTreeClassifier(), X, y, thresholds={"gap": 1}), "unknown key"),
        (lambda X, y: diagnose_fit(DecisionTreeClassifier(), X, y, reference="big"), "reference must be"),
        (lambda X, y: diagnose_fitted(LogisticRegression().fit(X, y), X, y, X, y, thresholds={"gap": 1}),
         "unknown key"),
        (lambda X, y: diagnose_fitted(LogisticRegression().fit(X, y), X, y, X, y, thresholds={"min_shortfall": 2}),
         r"thresholds\['min_shortfall'\]"),
    ],
)
def test_bad_input(call, match):
    X, y = make_xy(300)
    with pytest.raises(DiagnosticInputError, match=match):
        call(X, y)


def test_model_that_cannot_fit_raises_input_error(loans_reference):
    X, y = loans_sample(loans_reference, 0, n=300)  # string columns, no encoder
    with pytest.raises(DiagnosticInputError, match="failed to fit.*categorical columns need an encoder"):
        diagnose_fit(DecisionTreeClassifier(), X, y, cv=3)
