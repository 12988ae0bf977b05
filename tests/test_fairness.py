"""Fairness: measures equal fairlearn's, planted disparities are flagged, clean data is quiet."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from diagtools.errors import DiagnosticInputError
from diagtools.fairness import FairnessResult, assess_fairness, assess_fairness_predictions
from diagtools.fairness._result import FRAME_COLUMNS, GROUP_COLUMNS
from tests._contract import check_result_contract


def _data(seed: int, n: int = 6000, bias: float = 0.0, base_gap: float = 0.15
          ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Two sensitive columns (2 and 5 levels); ``bias`` lowers the scores of sex=female and
    ``base_gap`` raises the base rate of race=c (a true difference, not a bias of the model)."""
    rng = np.random.default_rng(seed)
    A = pd.DataFrame({
        "sex": rng.choice(["female", "male"], n, p=[0.4, 0.6]),
        "race": rng.choice(["a", "b", "c", "d", "e"], n, p=[0.3, 0.25, 0.2, 0.15, 0.1]),
    })
    y = (rng.random(n) < np.where(A["race"] == "c", 0.3 + base_gap, 0.3)).astype(int)
    score = np.clip(0.25 + 0.4 * y + rng.normal(0, 0.2, n) - bias * (A["sex"] == "female"), 0, 1)
    pred = (score > 0.5).astype(int)
    return A, y, pred, score


@pytest.fixture(scope="module")
def seeded():
    A, y, pred, score = _data(3)
    res = assess_fairness_predictions(y, pred, sensitive_features=A, y_score=score, n_boot=300, min_group_size=1)
    return A, y, pred, score, res


# -- equality with fairlearn ---------------------------------------------------------------------
FAIRLEARN_FUNCTIONS = (
    "demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
    "equalized_odds_ratio", "equal_opportunity_difference", "equal_opportunity_ratio",
)


@pytest.mark.parametrize("columns", [["sex"], ["race"], ["sex", "race"]], ids=["2 levels", "5 levels", "intersection"])
def test_every_measure_equals_fairlearn(seeded, columns):
    import fairlearn.metrics as flm
    from sklearn.metrics import precision_score

    A, y, pred, _, res = seeded
    feature = " & ".join(columns)
    sf = A[columns[0]] if len(columns) == 1 else A[columns]
    for name in FAIRLEARN_FUNCTIONS:
        expected = getattr(flm, name)(y, pred, sensitive_features=sf)
        assert res.measure(name, feature) == pytest.approx(expected, abs=1e-12), name
    # no fairlearn function: MetricFrame's between-groups difference of precision
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = flm.MetricFrame(metrics=precision_score, y_true=y, y_pred=pred, sensitive_features=sf)
    assert res.measure("predictive_parity_difference", feature) == pytest.approx(mf.difference(), abs=1e-12)
    assert res.frame.loc[res.frame["feature"] == feature, "n_groups"].iloc[0] == mf.by_group.notna().sum()


def test_group_metrics_equal_fairlearn_metricframe(seeded):
    import fairlearn.metrics as flm
    from sklearn.metrics import precision_score

    A, y, pred, _, res = seeded
    fns = {"selection_rate": flm.selection_rate, "tpr": flm.true_positive_rate, "fpr": flm.false_positive_rate,
           "precision": precision_score, "error_rate": lambda t, p: float(np.mean(t != p)),
           "base_rate": lambda t, p: float(np.mean(t))}
    checked = 0
    for columns in (["sex"], ["race"], ["sex", "race"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mf = flm.MetricFrame(metrics=fns, y_true=y, y_pred=pred,
                                 sensitive_features=A[columns[0]] if len(columns) == 1 else A[columns])
        mine = res.by_group(" & ".join(columns))
        for key, row in mf.by_group.iterrows():
            key = key if isinstance(key, tuple) else (key,)
            label = " & ".join(f"{c}={v}" for c, v in zip(columns, key, strict=True))
            for metric, value in row.items():
                assert mine.loc[label, metric] == pytest.approx(value, abs=1e-12), (label, metric)
                checked += 1
    assert checked == (2 + 5 + 10) * len(fns)


def test_ece_per_group_equals_direct_computation(seeded):
    A, y, _, score, res = seeded
    g = res.groups
    for level in ("female", "male"):
        m = (A["sex"] == level).to_numpy()
        bins = np.minimum((score[m] * 10).astype(int), 9)
        gap = np.bincount(bins, weights=y[m] - score[m], minlength=10)
        expected = np.abs(gap).sum() / m.sum()
        row = g[(g["group"] == f"sex={level}") & (g["metric"] == "ece")].iloc[0]
        assert row["estimate"] == pytest.approx(expected, abs=1e-12)
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


def test_string_labels_need_pos_label_and_match_fairlearn():
    import fairlearn.metrics as flm

    A, y, pred, _ = _data(5, n=3000)
    ys, ps = np.where(y == 1, "hired", "rejected"), np.where(pred == 1, "hired", "rejected")
    with pytest.raises(DiagnosticInputError, match="pos_label is required"):
        assess_fairness_predictions(ys, ps, sensitive_features=A["race"], n_boot=50)
    with pytest.raises(DiagnosticInputError, match="pos_label='nope' is not among"):
        assess_fairness_predictions(ys, ps, sensitive_features=A["race"], pos_label="nope", n_boot=50)
    res = assess_fairness_predictions(ys, ps, sensitive_features=A["race"], pos_label="hired", n_boot=50,
                                      min_group_size=1)
    assert res.measure("equalized_odds_difference") == pytest.approx(
        flm.equalized_odds_difference(y, pred, sensitive_features=A["race"]), abs=1e-12)
    # the other class as positive: fairlearn on flipped labels
    res0 = assess_fairness_predictions(ys, ps, sensitive_features=A["race"], pos_label="rejected", n_boot=50,
                                       min_group_size=1)
    assert res0.measure("demographic_parity_ratio") == pytest.approx(
        flm.demographic_parity_ratio(1 - y, 1 - pred, sensitive_features=A["race"]), abs=1e-12)


def test_regression_group_errors_equal_metricframe():
    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import mean_absolute_error

    rng = np.random.default_rng(2)
    n = 3000
    A = pd.Series(rng.choice(["a", "b", "c"], n), name="site")
    y = rng.normal(10, 2, n)
    pred = y + rng.normal(0, 1, n) + np.where(A == "c", 1.5, 0.0)
    res = assess_fairness_predictions(y, pred, sensitive_features=A, n_boot=200)
    mf = MetricFrame(metrics={"mean_error": lambda t, p: float(np.mean(p - t)), "mae": mean_absolute_error},
                     y_true=y, y_pred=pred, sensitive_features=A)
    assert res.measure("mean_error_difference") == pytest.approx(mf.difference()["mean_error"], abs=1e-12)
    assert res.measure("mae_difference") == pytest.approx(mf.difference()["mae"], abs=1e-12)
    assert res.measure("mae_ratio") == pytest.approx(mf.ratio()["mae"], abs=1e-12)
    assert res.frame.set_index("measure").loc["mean_error_difference", "flagged"]
    assert res.findings()[0].title.startswith("Mean error (bias) for site=")
    check_result_contract(res, columns=FRAME_COLUMNS)


# -- ground truth: planted disparity, clean data -----------------------------------------------
def test_planted_disparity_is_flagged_with_plain_words():
    A, y, pred, score = _data(11, bias=0.15)
    res = assess_fairness_predictions(y, pred, sensitive_features=A, y_score=score, n_boot=300)
    row = res.frame.set_index(["feature", "measure"]).loc[("sex", "demographic_parity_ratio")]
    assert row["flagged"] and row["q_value"] < 0.01 and row["ci_high"] < 0.8
    assert row["low_group"] == "sex=female" and row["high_group"] == "sex=male"
    top = res.findings()[0]
    assert top.severity == "high"
    assert top.title.startswith("Selection rate for sex=female is ")
    assert "demographic parity ratio" in top.title and "95% CI" in top.title
    assert "below the four-fifths rule's 0.8" in top.title
    # race: a higher base rate for race=c, no bias of the model: selection differs, error rates do not
    race = res.frame[res.frame["feature"] == "race"].set_index("measure")
    assert race.loc["demographic_parity_difference", "flagged"]
    assert not race.loc[["equalized_odds_difference", "equal_opportunity_difference"], "significant"].any()


def test_clean_data_is_quiet_in_at_least_95_of_100_seeds():
    flagged = significant = 0
    for seed in range(100):
        A, y, pred, _ = _data(seed, n=2000, base_gap=0.0)
        res = assess_fairness_predictions(y, pred, sensitive_features=A, n_boot=200, random_state=seed)
        flagged += bool(res.frame["flagged"].any())
        significant += bool(res.frame["significant"].any())
    assert 100 - flagged >= 95
    # the tests themselves are calibrated: any q < 5% in about 5% of clean seeds (BH under the global null)
    assert significant <= 10


def test_intervals_of_rates_inside_unit_interval(seeded):
    *_, res = seeded
    g = res.groups[res.groups["metric"] != "mean_error"].dropna(subset=["estimate"])
    assert ((g["ci_low"] >= 0) & (g["ci_high"] <= 1) & (g["ci_low"] <= g["estimate"]) & (g["estimate"] <= g["ci_high"])).all()
    f = res.frame.dropna(subset=["estimate"])
    assert ((f["ci_low"] >= 0) & (f["ci_high"] <= 1) & (f["ci_low"] <= f["estimate"]) & (f["estimate"] <= f["ci_high"])).all()


def test_intervals_cover_the_true_disparity_at_about_nominal_rate():
    # sex=female selection probability 0.3, male 0.5: demographic parity difference 0.2
    covered = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        sex = pd.Series(rng.choice(["female", "male"], 1500), name="sex")
        pred = (rng.random(1500) < np.where(sex == "female", 0.3, 0.5)).astype(int)
        y = rng.integers(0, 2, 1500)
        res = assess_fairness_predictions(y, pred, sensitive_features=sex, n_boot=300, random_state=seed)
        r = res.frame.set_index("measure").loc["demographic_parity_difference"]
        covered += r["ci_low"] <= 0.2 <= r["ci_high"]
    assert covered >= 52  # 95% nominal: 57 expected of 60


def test_small_groups_are_named_never_dropped():
    A, y, pred, _ = _data(4, n=3000)
    A.loc[:11, "race"] = "tiny"  # 12 rows
    res = assess_fairness_predictions(y, pred, sensitive_features=A["race"], n_boot=100)
    small = res.small_groups()
    assert "race=tiny" in set(small["group"])
    assert small[small["group"] == "race=tiny"]["note"].str.startswith("too small: ").all()
    assert "race=tiny" in set(res.groups["group"])  # still in the table, with its estimate
    row = res.frame.set_index("measure").loc["demographic_parity_difference"]
    assert row["n_groups"] == 5 and "race=tiny" in row["note"]
    titles = [f.title for f in res.findings()]
    assert any("too small" in t for t in titles)
    assert "race=tiny" in next(f.detail for f in res.findings() if "too small" in f.title)


def test_conflict_of_selection_and_error_parity_is_explained():
    # an accurate model on groups with different base rates: selection differs, error rates equal
    rng = np.random.default_rng(0)
    n = 8000
    grp = pd.Series(rng.choice(["x", "y"], n), name="grp")
    y = (rng.random(n) < np.where(grp == "x", 0.2, 0.5)).astype(int)
    pred = np.where(rng.random(n) < 0.9, y, 1 - y)
    res = assess_fairness_predictions(y, pred, sensitive_features=grp, n_boot=300)
    f = res.frame.set_index("measure")
    assert f.loc["demographic_parity_difference", "flagged"]
    assert not f.loc["equalized_odds_difference", "significant"]
    assert any(x.title == "For grp, selection rates differ but error rates do not" for x in res.findings())


# -- the model door ---------------------------------------------------------------------------------
def test_model_door_equals_predictions_door():
    from sklearn.linear_model import LogisticRegression

    A, y, _, _ = _data(6, n=3000)
    X = pd.get_dummies(A, dtype=float).assign(noise=np.random.default_rng(0).normal(size=3000))
    model = LogisticRegression(max_iter=500).fit(X, y)
    a = assess_fairness(model, X, y, sensitive_features=A, n_boot=100)
    b = assess_fairness_predictions(y, model.predict(X), sensitive_features=A, y_score=model.predict_proba(X)[:, 1],
                                    n_boot=100)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.groups, b.groups)
    assert "ece" in set(a.groups["metric"])


def test_sensitive_columns_of_X_and_drop_sensitive():
    from sklearn.linear_model import LogisticRegression

    A, y, _, _ = _data(7, n=2000)
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"f1": rng.normal(size=2000) + y, "f2": rng.normal(size=2000)})
    model = LogisticRegression().fit(X, y)
    Xs = X.assign(sex=A["sex"].to_numpy())
    with pytest.raises(DiagnosticInputError, match="drop_sensitive=True"):
        assess_fairness(model, Xs, y, sensitive_features=["sex"], n_boot=50)
    res = assess_fairness(model, Xs, y, sensitive_features="sex", drop_sensitive=True, n_boot=50)
    same = assess_fairness(model, X, y, sensitive_features=A["sex"], n_boot=50)
    pd.testing.assert_frame_equal(res.frame, same.frame)
    with pytest.raises(DiagnosticInputError, match="did you mean 'sex'"):
        assess_fairness(model, Xs, y, sensitive_features=["sx"], n_boot=50)
    with pytest.raises(DiagnosticInputError, match="drop_sensitive=True needs"):
        assess_fairness(model, X, y, sensitive_features=A["sex"], drop_sensitive=True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sensitive_features": None}, "sensitive_features is required"),
        ({"sensitive_features": np.zeros(10)}, "sensitive_features has 10 rows but y_true has 300"),
        ({"sensitive_features": "sex"}, "no X to take them from"),
        ({"sensitive_features": 3}, "sensitive_features must be column name"),
        ({"y_pred": None}, "y_pred is required"),
        ({"y_pred": np.zeros(299)}, "y_pred has 299 rows"),
        ({"n_boot": 0}, "n_boot must be an integer"),
        ({"ratio_threshold": 1.5}, "ratio_threshold must be a number in"),
        ({"alpha": 2}, "alpha must be between 0 and 1"),
        ({"y_score": np.zeros((300, 3))}, "y_score has 3 columns"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    A, y, pred, _ = _data(1, n=300)
    args = {"sensitive_features": A["sex"], "y_pred": pred, **kwargs}
    with pytest.raises(DiagnosticInputError, match=match):
        assess_fairness_predictions(y, args.pop("y_pred"), **args)


def test_result_contract_and_determinism(seeded, pyplot):
    A, y, pred, score, res = seeded
    assert isinstance(res, FairnessResult)
    check_result_contract(res, columns=FRAME_COLUMNS)
    assert list(res.groups.columns) == GROUP_COLUMNS
    again = assess_fairness_predictions(y, pred, sensitive_features=A, y_score=score, n_boot=300, min_group_size=1)
    pd.testing.assert_frame_equal(res.frame, again.frame)
    ax = res.plot(feature="sex & race")
    assert len(ax.get_yticklabels()) == 6
    ax = res.plot_disparities()
    assert len(ax.get_yticklabels()) == len(res.frame)
    # style goes to the points; a misspelt style name is refused, never dropped
    ax = res.plot(feature="sex", markersize=9)
    assert {line.get_markersize() for line in ax.lines if line.get_marker() == "o"} == {9}
    for method in ("plot", "plot_disparities"):
        with pytest.raises(DiagnosticInputError, match="colour"):
            getattr(res, method)(colour="red")


# -- the report section ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report_case():
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    A, y, _, _ = _data(8, n=2000)
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"f1": rng.normal(size=2000) + y - 0.8 * (A["sex"] == "female"), "sex": A["sex"]})
    # a model that ignores the sensitive column, as a pipeline with a column selector does
    labels = pd.Series(np.where(y == 1, "yes", "no"), name="bought")
    pipe = make_pipeline(ColumnTransformer([("f", "passthrough", ["f1"])]), LogisticRegression()).fit(X, labels)
    return pipe, X, labels


def test_report_fairness_section_is_opt_in(report_case):
    from diagtools.report import OPT_IN, SECTIONS, run_diagnostics

    model, X, y = report_case
    assert "fairness" in SECTIONS and "fairness" in OPT_IN
    off = run_diagnostics(model, X, y, sections=["metrics"], n_boot=50)
    assert "fairness" not in off.sections
    assert "--sensitive" in off.section_html("fairness") and "Not run." in off.section_html("fairness")
    asked = run_diagnostics(model, X, y, sections=["fairness"], n_boot=50)
    assert asked["fairness"].status == "skipped" and "--sensitive" in asked["fairness"].note
    with pytest.raises(DiagnosticInputError, match="did you mean 'sex'"):
        run_diagnostics(model, X, y, sections=["fairness"], sensitive_columns=["sx"])


def test_report_fairness_section_runs_with_sensitive_columns(report_case):
    from diagtools.report import run_diagnostics

    model, X, y = report_case
    rep = run_diagnostics(model, X, y, target="bought", sections=["fairness"], sensitive_columns=["sex"], n_boot=100)
    out = rep["fairness"]
    assert out.status == "ok", out.error
    res = out.results["fairness"]
    assert res.params["pos_label"] == "yes" and "bought=yes" in out.note
    assert res.frame.set_index("measure").loc["demographic_parity_ratio", "flagged"]
    assert any(f.title.startswith("Selection rate for sex=female") for _, f in rep.findings())
    html = rep.section_html("fairness")
    assert "Fairness across sensitive groups" in html and "demographic_parity_ratio" in html


def test_cli_sensitive_option_reaches_the_template(monkeypatch, tmp_path, report_case):
    import json

    import papermill

    import diagtools.report as rep
    from diagtools.cli import main
    from diagtools.io import save_model

    seen: dict = {}

    def fake_render(**kwargs):
        seen.update(kwargs)
        (tmp_path / "r.html").write_text("<html></html>")
        return tmp_path / "r.html"

    monkeypatch.setattr(rep, "render_report", fake_render)
    assert main(["report", "--model", "m.skops", "--data", "d.csv", "--target", "y", "--sensitive", "sex, age",
                 "--quiet"]) == 0
    assert seen["sensitive_columns"] == ["sex", "age"]
    monkeypatch.undo()

    # render_report hands the columns to the template as a papermill parameter
    model, X, y = report_case
    save_model(model, tmp_path / "m.skops")
    X.assign(bought=y).to_csv(tmp_path / "d.csv", index=False)
    params: dict = {}

    def fake_execute(template, out, parameters, **kwargs):
        params.update(parameters)
        raise RuntimeError("stop after the parameters")

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    with pytest.raises(RuntimeError, match="stop after the parameters"):
        rep.render_report(model_path=tmp_path / "m.skops", data_path=tmp_path / "d.csv", target="bought",
                          out=tmp_path / "r.html", sensitive_columns=["sex"], progress=False)
    assert params["sensitive_columns"] == ["sex"]
    with pytest.raises(DiagnosticInputError, match="fairness section was requested but needs --sensitive"):
        rep.render_report(model_path=tmp_path / "m.skops", data_path=tmp_path / "d.csv", target="bought",
                          out=tmp_path / "r.html", sections=["fairness"], progress=False)
    # the template takes the parameter and hands it to run_diagnostics
    nb = json.loads(rep.template_path().read_text(encoding="utf-8"))
    code_cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert "sensitive_columns = None" in code_cells[0]
    assert any("sensitive_columns=sensitive_columns" in c for c in code_cells)
    assert any('report.show("fairness")' in c for c in code_cells)


# -- the engine ------------------------------------------------------------------------------------
def test_multinomial_cell_draw_has_the_row_bootstrap_distribution():
    """Drawing cell counts from a multinomial is resampling rows: same distribution of a measure."""
    from diagtools.fairness import _measures as M
    from diagtools.fairness._compute import _classification_boot, _features

    A, y, pred, score = _data(9, n=600)
    feat = _features(A[["race"]], 5)[0]
    cell = 2 * y + pred
    mask = np.ones(len(feat.labels), dtype=bool)
    dp = M.CLASSIFICATION_MEASURES[0]
    cells, ece = _classification_boot(feat, cell, score, 4000, np.random.default_rng(0))
    ours = M.measure_value(dp, M.rates(cells), mask)
    # the textbook row bootstrap, one resample at a time
    rng = np.random.default_rng(1)
    rows = []
    for _ in range(4000):
        idx = rng.integers(0, len(y), len(y))
        counts = np.bincount(feat.codes[idx] * 4 + cell[idx], minlength=len(feat.labels) * 4).reshape(-1, 4)
        rows.append(float(M.measure_value(dp, M.rates(counts), mask)))
    naive = np.array(rows)
    assert ours.mean() == pytest.approx(naive.mean(), abs=0.1 * naive.std())
    assert ours.std() == pytest.approx(naive.std(), rel=0.08)
    assert np.percentile(ours, 97.5) == pytest.approx(np.percentile(naive, 97.5), abs=0.25 * naive.std())
    assert ece.shape == (4000, len(feat.labels)) and np.isfinite(ece).all()


def test_missing_values_single_group_and_undefined_rates():
    A, y, pred, _ = _data(10, n=1500)
    A["sex"] = A["sex"].where(np.arange(1500) % 10 != 0)  # 150 missing values: a group of their own
    res = assess_fairness_predictions(y, pred, sensitive_features=A[["sex"]], n_boot=100)
    assert "sex is missing" in set(res.groups["group"])
    assert res.frame.set_index("measure").loc["demographic_parity_difference", "n_groups"] == 3
    # one group only: nothing to compare, said so
    one = assess_fairness_predictions(y, pred, sensitive_features=pd.Series(["all"] * 1500, name="site"), n_boot=50)
    assert one.frame["estimate"].isna().all()
    assert one.frame["note"].str.startswith("not computed: fewer than two groups").all()
    assert any(f.title.startswith("No disparity across site") for f in one.findings())
    # a group without positive labels: its TPR is undefined, and named as such
    grp = pd.Series(np.where(np.arange(1500) < 300, "g1", "g2"), name="grp")
    y2 = np.where(grp == "g1", 0, y)
    res2 = assess_fairness_predictions(y2, pred, sensitive_features=grp, n_boot=50)
    tpr = res2.groups[(res2.groups["group"] == "grp=g1") & (res2.groups["metric"] == "tpr")].iloc[0]
    assert np.isnan(tpr["estimate"]) and tpr["note"] == "undefined: no positive labels"
    assert np.isnan(res2.measure("equal_opportunity_difference"))
    assert np.isfinite(res2.measure("demographic_parity_difference"))


def test_to_dict_round_trip_keeps_groups():
    import json

    from diagtools._result import Result

    A, y, pred, score = _data(12, n=1000)
    res = assess_fairness_predictions(y, pred, sensitive_features=A["sex"], y_score=score, n_boot=50)
    back = Result.from_dict(json.loads(json.dumps(res.to_dict())))
    pd.testing.assert_frame_equal(back.groups, res.groups, check_dtype=False)
    assert [f.title for f in back.findings()] == [f.title for f in res.findings()]


def test_model_without_classes_goes_through_the_adapter():
    from sklearn.linear_model import LogisticRegression

    A, y, _, _ = _data(13, n=1500)
    X = pd.get_dummies(A, dtype=float).assign(f=np.random.default_rng(3).normal(size=1500) + y)
    labels = np.where(y == 1, "good", "bad")
    inner = LogisticRegression(max_iter=500).fit(X, labels)

    class Wrapper:  # e.g. an onnxruntime session: predict and predict_proba, no classes_
        def predict(self, X):
            return inner.predict(X)

        def predict_proba(self, X):
            return inner.predict_proba(X)

    a = assess_fairness(Wrapper(), X, labels, sensitive_features=A["race"], pos_label="good", n_boot=50)
    b = assess_fairness_predictions(labels, inner.predict(X), sensitive_features=A["race"], pos_label="good",
                                    y_score=inner.predict_proba(X)[:, 1], n_boot=50)
    pd.testing.assert_frame_equal(a.groups, b.groups)
    assert a.params["has_score"]


def test_rendered_report_shows_the_fairness_section(report_case, tmp_path):
    """End to end: the template runs the section in a kernel and embeds its table, findings and plots."""
    from diagtools.io import save_model
    from diagtools.report import render_report

    model, X, y = report_case
    save_model(model, tmp_path / "m.skops")
    X.assign(bought=y).to_csv(tmp_path / "d.csv", index=False)
    out = render_report(model_path=tmp_path / "m.skops", data_path=tmp_path / "d.csv", target="bought",
                        out=tmp_path / "r.html", sections=["fairness"], sensitive_columns=["sex"], n_boot=100,
                        progress=False, no_code=True)
    html = out.read_text(encoding="utf-8")
    assert "Fairness across sensitive groups" in html
    assert "Selection rate for sex=female is " in html and "demographic parity ratio" in html
    assert html.count("data:image/png;base64,") >= 2  # group metrics and disparity measures


def test_sensitive_features_in_every_shape_fairlearn_accepts():
    A, y, pred, _ = _data(14, n=800)
    base = assess_fairness_predictions(y, pred, sensitive_features=A, n_boot=50)
    as_dict = assess_fairness_predictions(y, pred, sensitive_features={"sex": A["sex"].to_numpy(),
                                                                        "race": A["race"].to_numpy()}, n_boot=50)
    pd.testing.assert_frame_equal(base.frame, as_dict.frame)
    arr = assess_fairness_predictions(y, pred, sensitive_features=A.to_numpy(), n_boot=50)
    assert arr.params["features"] == ["sensitive_feature_0", "sensitive_feature_1",
                                      "sensitive_feature_0 & sensitive_feature_1"]
    np.testing.assert_allclose(arr.frame["estimate"], base.frame["estimate"])
    one = assess_fairness_predictions(y, pred, sensitive_features=list(A["sex"]), n_boot=50)
    assert one.measure("demographic_parity_difference") == base.measure("demographic_parity_difference", "sex")
    # with X, a list of one string per row is values, not column names
    X = pd.DataFrame({"f": np.zeros(800)})
    with pytest.raises(DiagnosticInputError, match="looks like one value per row"):
        assess_fairness(None, X, y, y_pred=pred, sensitive_features=list(A["sex"]))
