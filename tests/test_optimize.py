"""optimize: generated variants, the non-inferiority test, recommendations, deployment sweep."""

import json
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.base import BaseEstimator, ClassifierMixin

from diagtools._stats import paired_noninferiority
from diagtools.errors import DiagnosticInputError
from diagtools.optimize import DeploymentSweep, OnnxModel, OptimizationResult, deployment_sweep, optimize

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


# -- the test itself ------------------------------------------------------------------------
def _paired(n, p_ref_only, p_var_only, p_both_wrong, rng):
    u = rng.random(n)
    ref, var = np.ones(n, bool), np.ones(n, bool)
    a, b = p_ref_only, p_ref_only + p_var_only
    var[u < a] = False
    ref[(u >= a) & (u < b)] = False
    both = (u >= b) & (u < b + p_both_wrong)
    ref[both] = var[both] = False
    return ref, var


def test_noninferiority_test_has_its_size_at_the_margin():
    # True loss exactly at the margin (1 pt): H0 holds on its boundary, so a 5% test rejects ~5%.
    rng = np.random.default_rng(2024)
    margin, disc = 0.01, 0.06
    rejections = [paired_noninferiority(*_paired(2000, (disc + margin) / 2, (disc - margin) / 2, 0.08, rng), margin)["p_value"] < 0.05
                  for _ in range(400)]
    rate = float(np.mean(rejections))  # 0.049 over 4,000 data sets of this design
    print(f"size at the margin: {rate:.3f} (400 data sets)")
    assert 0.04 <= rate <= 0.07


def test_noninferiority_has_power_when_there_is_no_loss():
    rng = np.random.default_rng(1)
    rates = np.mean([paired_noninferiority(*_paired(2000, 0.02, 0.02, 0.08, rng), 0.01)["p_value"] < 0.05
                     for _ in range(100)])
    assert rates > 0.5


def test_two_sided_p_is_exact_mcnemar_and_interval_is_never_degenerate():
    ref = np.ones(1500, bool)
    var = ref.copy()
    var[:7] = False
    var_right = np.zeros(1500, bool)
    ref2 = ref.copy()
    ref2[7:9] = False
    var_right[7:9] = True
    var = var | var_right
    r = paired_noninferiority(ref2, var, 0.01)
    assert r["reference_only"] == 7 and r["variant_only"] == 2
    assert r["p_two_sided"] == pytest.approx(binomtest(7, 9, 0.5).pvalue)
    assert r["difference"] == pytest.approx(-5 / 1500)
    assert r["ci_low"] < r["difference"] < r["ci_high"]
    # No error at all: a bootstrap collapses to [0, 0]; the score interval does not, and it
    # narrows as the rows grow.
    widths = []
    for n in (200, 2000):
        z = paired_noninferiority(np.ones(n, bool), np.ones(n, bool), 0.01)
        assert z["ci_low"] < 0 < z["ci_high"]
        widths.append(z["ci_high"] - z["ci_low"])
    assert widths[1] < widths[0] / 3


# -- the intent model -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def intent_result():
    from diagtools.datasets import load_intents
    from diagtools.demo_models import make_intent_model

    df = load_intents(60, random_state=3)
    train, test = df.iloc[:600], df.iloc[600:]
    model = make_intent_model("full").fit(train["text"], train["intent"])
    res = optimize(model, test["text"], test["intent"], X_train=train["text"], y_train=train["intent"],
                   margin=0.01, budget=40, families=("runtime", "featuriser"), progress=False)
    return res, model, test


def test_intent_model_gets_a_faster_noninferior_variant(intent_result):
    res, _, test = intent_result
    assert res.recommended is not None
    best = res.recommended
    c = res.comparison
    lat = c[(c["variant"] == best) & (c["metric"] == "p50_ms") & (c["batch_size"] == 1)].iloc[0]
    assert lat["ratio"] <= 0.75 and lat["ratio_ci_high"] < 1  # >= 25% lower p50, significantly
    # one comparison schema: the variant's own p50 with its interval, the reference's beside it
    own = res.frame[(res.frame["variant"] == best) & (res.frame["metric"] == "p50_ms") & (res.frame["batch_size"] == 1)]
    assert lat["estimate"] == own["estimate"].iloc[0] and lat["ci_low"] == own["ci_low"].iloc[0]
    assert np.isnan(lat["difference"]) and lat["reference_estimate"] > lat["estimate"]
    acc = c[(c["variant"] == best) & (c["metric"] == "accuracy")].iloc[0]
    assert acc["p_value"] < 0.05 and acc["test"] == "non-inferiority"
    assert res.params["margin"] == 0.01
    assert "features/embedding" in res.params["bottleneck"]
    top = res.findings()[0]
    assert top.title.startswith("Recommended:") and "non-inferior at 1 pt" in top.title
    # The recipe says how it was made, and the model behaves like the reported numbers.
    recipe = res.recipe()
    assert recipe["family"] in ("featuriser", "runtime") and json.loads(recipe["params"]) is not None
    acc_model = float(np.mean(res.model().predict(test["text"]) == test["intent"].to_numpy()))
    f = res.frame
    frame_acc = f[(f["variant"] == best) & (f["metric"] == "accuracy")]["estimate"].iloc[0]
    assert acc_model == pytest.approx(frame_acc)


def test_onnx_variants_predictions_are_counted(intent_result):
    res, _, test = intent_result
    v = res.variants
    onnx = v[(v["family"] == "runtime") & (v["status"] == "evaluated")]
    assert len(onnx) >= 1, v[["variant", "status", "reason"]]
    for _, row in onnx.iterrows():
        exported = res.models[row["variant"]]
        base = res.models[row["base"]]
        assert isinstance(exported, OnnxModel)
        n_diff = int(np.sum(exported.predict(test["text"]) != base.predict(test["text"])))
        assert row["n_changed_vs_base"] == n_diff
        assert n_diff == 0  # word TF-IDF + logistic regression export exactly on these messages
    # The reference has a custom step: its export is skipped with the converter's reason.
    ref_onnx = v[v["variant"] == "onnx"].iloc[0]
    assert ref_onnx["status"] == "skipped" and "SubwordEmbedding" in ref_onnx["reason"]


def test_result_protocol_and_saving(intent_result, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    res = intent_result[0]
    d = json.loads(json.dumps(res.to_dict()))
    assert d["kind"] == "OptimizationResult" and "models" not in d
    back = OptimizationResult.from_dict(d)
    assert back.recommended == res.recommended
    assert set(res.frame.columns) == {"variant", "metric", "batch_size", "estimate", "ci_low", "ci_high", "n"}
    assert {"cpu_s_per_1k", "size_mb", "p99_ms", "throughput_rps"} <= set(res.frame["metric"])
    assert "<table" in res._repr_html_()
    assert res.plot() is not None
    table = res.table()
    assert table["recommended"].sum() == 1
    best = res.models[res.recommended]
    if isinstance(best, OnnxModel):
        res.save(tmp_path / "best.onnx")
        import onnxruntime as ort

        sess = ort.InferenceSession(str(tmp_path / "best.onnx"), providers=["CPUExecutionProvider"])
        assert sess.get_inputs()[0].name == "text"
    sk = res.variants[(res.variants["status"] == "evaluated") & (res.variants["family"] == "featuriser")]["variant"].iloc[0]
    res.save(tmp_path / "variant.skops", name=sk)
    assert (tmp_path / "variant.skops").stat().st_size > 0
    with pytest.raises(DiagnosticInputError, match="name"):
        res.model("no such variant")


# -- planted variants -----------------------------------------------------------------------
class _Lookup(ClassifierMixin, BaseEstimator):
    """Predicts a stored label per row id (X is a column of row ids); optionally slow."""

    def __init__(self, labels=None, delay=0.0):
        self.labels = labels
        self.delay = delay

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        if self.delay:
            time.sleep(self.delay)
        return np.asarray(self.labels)[np.asarray(X).ravel().astype(int)]


def _planted(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    ref = y.copy()
    wrong = rng.choice(n, 400, replace=False)  # reference accuracy 80%
    ref[wrong] ^= 1
    worse = ref.copy()
    right = np.flatnonzero(ref == y)
    ref_wrong = np.flatnonzero(ref != y)
    # 240 rows only the reference gets right, 200 only the variant: -2 pt on 2,000 rows.
    worse[rng.choice(right, 240, replace=False)] ^= 1
    worse[rng.choice(ref_wrong, 200, replace=False)] ^= 1
    X = np.arange(n).reshape(-1, 1)
    return X, y, ref, worse


def test_planted_variant_two_points_worse_is_never_recommended():
    X, y, ref, worse = _planted()
    reference = _Lookup(ref, delay=0.002).fit(X, y)
    res = optimize(reference, X, y, X_train=X, y_train=y, margin=0.01, budget=10, families=(),
                   candidates={"planted": _Lookup(worse).fit(X, y), "same": _Lookup(ref).fit(X, y)},
                   progress=False)
    acc = res.comparison.set_index(["variant", "metric"]).loc[("planted", "accuracy")]
    assert acc["difference"] == pytest.approx(-0.02)
    assert acc["estimate"] - acc["reference_estimate"] == pytest.approx(-0.02)
    assert acc["difference_ci_low"] < -0.02 < acc["difference_ci_high"] and np.isnan(acc["ratio"])
    # A two-sided test does not call it worse ...
    assert acc["p_two_sided"] > 0.05
    assert acc["p_two_sided"] == pytest.approx(binomtest(240, 440, 0.5).pvalue)
    # ... but it cannot be shown to lose less than 1 point, so it is not recommended.
    assert acc["p_value"] > 0.05
    planted = res.variants.set_index("variant").loc["planted"]
    assert planted["faster"] and not planted["non_inferior"] and not planted["recommended"]
    assert any("planted" in f.title and "cannot be ruled out" in f.title for f in res.findings())
    # The identical, faster copy is recommended: the rule can say yes.
    assert res.recommended == "same"


class _Threshold(ClassifierMixin, BaseEstimator):
    """An already minimal model: a threshold on the first column (numpy, no converter)."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        return (np.asarray(X)[:, 0] > 0).astype(int)


def test_model_with_nothing_to_gain_gets_no_recommendation():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(1200, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int).to_numpy()
    model = _Threshold().fit(X, y)
    res = optimize(model, X.iloc[600:], y[600:], X_train=X.iloc[:600], y_train=y[:600], margin=0.01, budget=20,
                   progress=False)
    assert res.recommended is None
    assert any(f.title.startswith("No faster variant found") for f in res.findings())
    statuses = res.variants.set_index("variant")["status"]
    assert statuses["onnx"] == "skipped"  # no converter for a custom model


# -- other generators -----------------------------------------------------------------------
def test_tree_and_feature_pruning_variants_record_how_they_were_made():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(3000, 5)), columns=["x1", "x2", "n1", "n2", "n3"])
    y = ((X["x1"] + X["x2"] + rng.normal(scale=0.5, size=3000)) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0).fit(X[:2000], y[:2000])
    res = optimize(model, X[2000:], y[2000:], X_train=X[:2000], y_train=y[:2000], margin=0.02, budget=15,
                   families=("trees", "features"), progress=False)
    v = res.variants.set_index("variant")
    assert {"early stopping", "50 trees", "shallower trees", "drop unimportant columns"} <= set(v.index)
    assert json.loads(v.loc["50 trees", "params"]) == {"max_iter": 50}
    assert res.models["50 trees"].n_iter_ == 50
    dropped = json.loads(v.loc["drop unimportant columns", "params"])["dropped_columns"]
    assert set(dropped) <= {"n1", "n2", "n3"} and dropped  # signal kept, only noise dropped


def test_lightgbm_fewer_iterations_match_num_iteration():
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 4))
    y = (X[:, 0] + rng.normal(scale=0.3, size=1500) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = lgb.LGBMClassifier(n_estimators=80, verbose=-1).fit(X[:1000], y[:1000])
        res = optimize(model, X[1000:], y[1000:], X_train=X[:1000], y_train=y[:1000], budget=10,
                       families=("trees",), progress=False)
    v = res.variants.set_index("variant")
    assert v.loc["first 40 iterations", "status"] == "evaluated"
    np.testing.assert_array_equal(res.models["first 40 iterations"].predict(X[1000:]),
                                  model.predict(X[1000:], num_iteration=40))


def test_mlp_gets_quantized_onnx_variant():
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 8)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier((32,), max_iter=200, random_state=0).fit(X[:600], y[:600])
    res = optimize(model, X[600:], y[600:], X_train=X[:600], y_train=y[:600], budget=10, families=("runtime",),
                   progress=False)
    v = res.variants.set_index("variant")
    assert v.loc["onnx int8", "status"] == "evaluated"
    assert json.loads(v.loc["onnx int8", "params"])["quantization"] == "dynamic int8"
    # float32 export: at most a handful of borderline rows change, and they are counted.
    assert v.loc["onnx", "n_changed_vs_base"] <= 3
    assert v.loc["onnx int8", "n_changed_vs_base"] == int(np.sum(res.models["onnx int8"].predict(X[600:]) != model.predict(X[600:])))


def test_without_training_data_the_data_is_split_and_said_so():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(800, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int)
    from sklearn.linear_model import LogisticRegression

    res = optimize(LogisticRegression().fit(X, y), X, y, budget=15, families=("features",), progress=False)
    assert res.n_samples == 400
    assert "random half" in res.notes[0] and "favour" in res.notes[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"margin": 1.5}, "margin"), ({"budget": 0}, "budget"), ({"families": ("magic",)}, "families"),
     ({"X_train": np.zeros((3, 1))}, "y_train"), ({"batch_sizes": (0,)}, "batch_sizes")],
)
def test_bad_input_names_the_argument(kwargs, match):
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(0).normal(size=(50, 2))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(DiagnosticInputError, match=match):
        optimize(LogisticRegression().fit(X, y), X, y, progress=False, **kwargs)


def test_unfitted_model_and_length_mismatch():
    from sklearn.linear_model import LogisticRegression

    X = np.zeros((10, 2))
    with pytest.raises(DiagnosticInputError):
        optimize(LogisticRegression(), X, np.zeros(10), progress=False)
    with pytest.raises(DiagnosticInputError, match="rows"):
        optimize(LogisticRegression().fit(X, np.arange(10) % 2), X, np.zeros(9), progress=False)


# -- deployment sweep -----------------------------------------------------------------------
def test_deployment_sweep_finds_the_cheapest_setting_meeting_the_target():
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(0).normal(size=(300, 4))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    res = deployment_sweep(model, X, threads=(1, 2), batch_sizes=(1, 64), p99_target_ms=1e4, min_runs=10,
                           min_time=0.0)
    assert isinstance(res, DeploymentSweep)
    assert set(res.frame["threads"]) == {1, 2}
    best = res.cheapest()
    assert best["threads"] == 1  # a generous target: one thread suffices, and it is cheaper
    thr = res.frame.query("metric == 'throughput_rps' and threads == 1")
    assert best["batch_size"] == int(thr.loc[thr["estimate"].idxmax(), "batch_size"])
    assert res.cheapest(p99_target_ms=1e-6) is None
    assert any("No setting meets" in f.title for f in
               deployment_sweep(model, X, threads=(1,), batch_sizes=(1,), p99_target_ms=1e-6, min_runs=5,
                                min_time=0.0).findings())
    with pytest.raises(DiagnosticInputError, match="threads"):
        deployment_sweep(model, X, threads=(0,))


# -- report section -------------------------------------------------------------------------
def test_report_section_runs_with_training_data_and_is_skipped_without():
    from sklearn.linear_model import LogisticRegression

    from diagtools.report import run_diagnostics

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(1000, 3)), columns=["a", "b", "c"])
    y = pd.Series((X["a"] + rng.normal(scale=0.5, size=1000) > 0).astype(int), name="target")
    model = LogisticRegression().fit(X[:600], y[:600])
    skipped = run_diagnostics(model, X[600:], y[600:], sections=["optimisation"], n_boot=50)
    assert skipped["optimisation"].status == "skipped" and "training data" in skipped["optimisation"].note
    ran = run_diagnostics(model, X[600:], y[600:], X_train=X[:600], y_train=y[:600], sections=["optimisation"],
                          n_boot=50)
    outcome = ran["optimisation"]
    assert outcome.status == "ok", outcome.error
    assert isinstance(outcome.results["optimisation"], OptimizationResult)
    assert "0.5-point margin" in outcome.note
    assert "section-optimisation" in ran.section_html("optimisation")


def test_cpu_clock_compares_cpu_time():
    # A model that sleeps costs wall time but no CPU time: by the CPU clock it is not slower.
    X, y, ref, _ = _planted()
    reference = _Lookup(ref).fit(X, y)
    sleepy = _Lookup(ref, delay=0.003).fit(X, y)
    wall = optimize(reference, X, y, X_train=X, y_train=y, budget=5, families=(), candidates={"sleepy": sleepy},
                    batch_sizes=(1,), progress=False)
    cpu = optimize(reference, X, y, X_train=X, y_train=y, budget=5, families=(), candidates={"sleepy": sleepy},
                   batch_sizes=(1,), clock="cpu", progress=False)
    w = wall.comparison.set_index("metric").loc["p50_ms"]
    c = cpu.comparison.set_index("metric").loc["p50_ms"]
    assert w["ratio_ci_low"] > 2.0  # more than twice as slow by the wall clock
    assert c["ratio"] - 1 < (w["ratio"] - 1) / 3
    assert cpu.params["clock"] == "cpu"
    with pytest.raises(DiagnosticInputError, match="clock"):
        optimize(reference, X, y, clock="gpu", progress=False)
