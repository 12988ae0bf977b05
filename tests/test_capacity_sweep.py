"""Capacity sweep (diagtools.fit.capacity_sweep): each value is diagnose_fit on the same folds."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder
from sklearn.tree import DecisionTreeClassifier

from diagtools import Result
from diagtools.datasets import LOANS_TRUTH
from diagtools.errors import DiagnosticInputError
from diagtools.fit import DEFAULT_THRESHOLDS, VERDICTS, CapacitySweepResult, capacity_sweep, diagnose_fit


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """OpenMP threads of the boosters thrash on a small, shared 2-core box: use one."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def encoded(model):
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    return make_pipeline(make_column_transformer((encoder, list(LOANS_TRUTH.categorical_columns)), remainder="passthrough"),
                         model)


def test_each_value_is_the_diagnosis_diagnose_fit_gives_on_the_same_folds(loans_reference, pyplot):
    loans = loans_reference.sample(1500, random_state=0)
    X, y = loans.drop(columns=LOANS_TRUTH.target), loans[LOANS_TRUTH.target]
    model = encoded(DecisionTreeClassifier(random_state=0))
    sweep = capacity_sweep(model, X, y, param_name="decisiontreeclassifier__max_depth", param_range=[1, 4, None],
                           train_sizes=(0.5, 1.0))
    assert isinstance(sweep, CapacitySweepResult) and sweep.area == "fit"
    assert sweep.label == "max_depth" and sweep.labels == ["1", "4", "None"]
    assert model.get_params()["decisiontreeclassifier__max_depth"] is None  # the model is never changed
    alone = diagnose_fit(model.set_params(decisiontreeclassifier__max_depth=4), X, y, cv=3, train_sizes=(0.5, 1.0))
    at_4 = sweep.diagnosis(4)
    assert at_4 is sweep.diagnosis("4") and at_4.verdict == alone.verdict
    np.testing.assert_allclose(at_4.frame["estimate"], alone.frame["estimate"])
    assert sweep.baseline_score == pytest.approx(alone.evidence("baseline_score")["estimate"])
    assert sweep.reference_score == pytest.approx(alone.evidence("reference_score")["estimate"])
    # The frame's numbers are the diagnoses' (intervals included); fit time is the curve's.
    for row, d in zip(sweep.frame.itertuples(), sweep.diagnoses, strict=True):
        for column, evidence, end in (("estimate", "validation_score", "estimate"), ("ci_low", "validation_score", "ci_low"),
                                      ("train_score", "train_score", "estimate"), ("gap_share", "gap_share", "estimate"),
                                      ("gap_share_ci_high", "gap_share", "ci_high")):
            np.testing.assert_equal(getattr(row, column), d.evidence(evidence)[end])
        assert row.n == 3 and row.verdict == d.verdict
        assert row.fit_time_s == pytest.approx(d.curve.at_size()["fit_time_s"].mean())
    assert sweep.frame["verdict"].iloc[-1] == "overfitting"
    assert sweep.frame["estimate"].iloc[1] > sweep.frame["estimate"].iloc[0]
    # A stored sweep (History, reports) comes back with every diagnosis, so it draws the same.
    back = Result.from_dict(json.loads(sweep.to_json()))
    assert back.diagnosis(4).verdict == at_4.verdict and back.axis_limits()["score"] == pytest.approx(sweep.axis_limits()["score"])
    fig = sweep.plot_sweep(value=4)
    assert len(fig.axes) == 3 and fig.axes[-1].get_xlabel() == "max_depth"
    assert [t.get_text() for t in fig.axes[-1].get_xticklabels()] == ["1", "4", "None"]


def test_capacity_sweep_refuses_bad_input():
    X, y = np.random.default_rng(0).normal(size=(60, 3)), np.r_[np.zeros(30, int), np.ones(30, int)]
    with pytest.raises(DiagnosticInputError, match="no parameter 'depth'"):
        capacity_sweep(DecisionTreeClassifier(), X, y, param_name="depth", param_range=[1, 2])
    with pytest.raises(DiagnosticInputError, match="at least 2 values"):
        capacity_sweep(DecisionTreeClassifier(), X, y, param_name="max_depth", param_range=[1])
    sweep = capacity_sweep(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth", param_range=[1, 2],
                           train_sizes=(1.0,))
    with pytest.raises(DiagnosticInputError, match=r"value 7 is not in param_range \['1', '2'\]"):
        sweep.diagnosis(7)


def test_capacity_sweep_of_the_fit_template_passes_through_all_three_verdicts(loans_reference):
    """The sweet-spot lesson of notebooks/fit_diagnosis.ipynb (same data, model and range)."""
    loans = loans_reference.sample(4000, random_state=0)
    X, y = loans.drop(columns=LOANS_TRUTH.target), loans[LOANS_TRUTH.target]
    rounds = encoded(HistGradientBoostingClassifier(max_depth=3, early_stopping=False, random_state=0))
    sweep = capacity_sweep(rounds, X, y, param_name="histgradientboostingclassifier__max_iter",
                           param_range=[1, 3, 10, 30, 100, 300], train_sizes=(0.5, 1.0), cv=5)
    table = sweep.frame
    print(table.round(3).to_string())
    verdicts = table["verdict"].tolist()
    assert {"underfitting", "good fit", "overfitting"} <= set(verdicts)
    # In that order: capacity grows left to right, so underfitting never follows a good fit.
    order = [VERDICTS.index(v) for v in verdicts if v != "inconclusive"]
    first = {v: verdicts.index(v) for v in ("underfitting", "good fit", "overfitting")}
    assert first["underfitting"] < first["good fit"] < first["overfitting"], order
    good = table[table["verdict"] == "good fit"]
    assert (good["gap_share"] < DEFAULT_THRESHOLDS["gap_share_overfit"]).all()
    assert (good["reference_minus_validation"].abs() < 0.02).all()  # as good as the reference
    over = table[table["verdict"] == "overfitting"]
    assert (over["gap_share"] > DEFAULT_THRESHOLDS["gap_share_overfit"]).all()
    assert table["fit_time_s"].iloc[-1] > table["fit_time_s"].iloc[0]  # 300 rounds cost more than 1
    # The sweet spot named in the findings is the cheapest good fit.
    cheapest = good.loc[good["fit_time_s"].idxmin(), "param_label"]
    assert any(f.title.startswith(f"Sweet spot: max_iter = {cheapest},") for f in sweep.findings())
