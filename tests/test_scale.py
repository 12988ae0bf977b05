"""Large data: Poisson bootstrap keyed by row, mergeable statistics, chunked files and Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as M

from diagtools._stats import poisson_weights
from diagtools.errors import DiagnosticInputError
from diagtools.metrics import _engine as E
from diagtools.metrics import _mergeable as G
from diagtools.metrics import evaluate_predictions

EXACT = ["accuracy", "balanced_accuracy", "precision[1]", "recall[1]", "f1[1]", "f1_macro", "precision_weighted"]
SUMS = ["log_loss", "brier", "ece"]


def _binary(n: int, seed: int = 0, ties: bool = False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    if ties:  # clustered scores: many rows share a bin, the binning bound is not trivially small
        s = np.round(s, 2)
    return y, (s > 0.5).astype(int), s


# -- the counter-based Poisson weights -----------------------------------------------------------
def test_poisson_weights_depend_only_on_seed_row_and_resample():
    rows = np.arange(5_000)
    w = poisson_weights(rows, 37, random_state=7)
    assert w.shape == (37, 5_000) and w.dtype == np.uint8
    for part in np.array_split(rows, 8):
        np.testing.assert_array_equal(poisson_weights(part, 37, random_state=7), w[:, part])
    shuffled = np.random.default_rng(0).permutation(rows)
    np.testing.assert_array_equal(poisson_weights(shuffled, 37, random_state=7), w[:, shuffled])
    np.testing.assert_array_equal(poisson_weights(rows, 12, random_state=7), w[:12])  # prefix of resamples
    assert not np.array_equal(poisson_weights(rows, 37, random_state=8), w)


def test_poisson_weights_follow_poisson_one():
    w = poisson_weights(np.arange(200_000), 8, random_state=0).ravel()
    freq = np.bincount(w, minlength=8)[:6] / len(w)
    np.testing.assert_allclose(freq, stats.poisson.pmf(np.arange(6), 1.0), atol=1e-3)
    assert abs(w.mean() - 1.0) < 0.003 and abs(w.var() - 1.0) < 0.006
    # independent across rows and resamples
    a = w.reshape(8, -1).astype(float)
    assert abs(np.corrcoef(a[0], a[1])[0, 1]) < 0.01
    assert abs(np.corrcoef(a[:, :-1].ravel(), a[:, 1:].ravel())[0, 1]) < 0.01


# -- mergeable statistics --------------------------------------------------------------------------
def _sums(lay, y, pred, proba, score, splits, n_boot=200, seed=3):
    parts = [G.chunk_sums(lay, y[p], pred[p], None if proba is None else proba[p],
                          None if score is None else score[p], p, n_boot, seed)
             for p in np.array_split(np.arange(len(y)), splits)]
    return G.merge(parts)


@pytest.mark.parametrize("ties", [False, True])
def test_binary_metrics_exact_or_within_the_stated_bound(ties):
    y, pred, s = _binary(30_000, ties=ties)
    proba = np.column_stack([1 - s, s])
    lay = G.layout(["0", "1"], has_proba=True, has_score=True)
    sums = _sums(lay, y, pred, proba, None, 1, n_boot=0)
    got = {m: v[0] for m, v in E.classification_metrics(lay.prep, sums).items()}
    assert got["accuracy"] == M.accuracy_score(y, pred)
    assert got["balanced_accuracy"] == pytest.approx(M.balanced_accuracy_score(y, pred), abs=1e-12)
    assert got["f1[1]"] == pytest.approx(M.f1_score(y, pred), abs=1e-12)
    assert got["precision_weighted"] == pytest.approx(M.precision_score(y, pred, average="weighted"), abs=1e-12)
    assert got["log_loss"] == pytest.approx(M.log_loss(y, proba), abs=1e-12)
    assert got["brier"] == pytest.approx(M.brier_score_loss(y, s), abs=1e-12)
    exact = E.prepare_classification(y, pred, ["0", "1"], proba=proba)
    ece = E.classification_metrics(exact, E.weighted_sums(exact.S, np.ones((len(y), 1))))["ece"][0]
    assert got["ece"] == pytest.approx(ece, abs=1e-12)
    bound = G.binning_bounds(lay, sums)
    err_auc = abs(got["roc_auc"] - M.roc_auc_score(y, s))
    err_ap = abs(got["pr_auc"] - M.average_precision_score(y, s))
    assert err_auc <= bound["roc_auc"] and err_ap <= bound["pr_auc"]
    if not ties:
        assert bound["roc_auc"] < 1e-3 and err_auc < 1e-5


def test_decision_scores_use_their_range_and_keep_the_bound():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 20_000)
    score = 4.0 * y + rng.normal(scale=3.0, size=len(y))  # log-odds, not probabilities
    lay = G.layout(["0", "1"], has_proba=False, has_score=True, score_range=(score.min(), score.max()))
    sums = _sums(lay, y, (score > 0).astype(int), None, score, 4, n_boot=0)
    auc = E.classification_metrics(lay.prep, sums)["roc_auc"][0]
    assert abs(auc - M.roc_auc_score(y, score)) <= G.binning_bounds(lay, sums)["roc_auc"] < 1e-3


def test_statistics_are_identical_for_1_3_and_8_partitions():
    y, pred, s = _binary(12_000, seed=2)
    proba = np.column_stack([1 - s, s])
    lay = G.layout(["0", "1"], has_proba=True, has_score=True)
    ref = _sums(lay, y, pred, proba, None, 1)
    for splits in (3, 8):
        other = _sums(lay, y, pred, proba, None, splits)
        counts = [lay.prep.blocks[b] for b in ("conf", "bin_n", "auc1")]
        for block in counts:  # integer counts: exactly equal
            np.testing.assert_array_equal(other[block], ref[block])
        np.testing.assert_allclose(other, ref, rtol=1e-12, atol=1e-9)  # sums: up to summation order
        m_ref, m_other = E.classification_metrics(lay.prep, ref), E.classification_metrics(lay.prep, other)
        for m in ["accuracy", "f1[1]", "roc_auc", "pr_auc"]:
            np.testing.assert_array_equal(m_other[m], m_ref[m])
        for m in SUMS:
            np.testing.assert_allclose(m_other[m], m_ref[m], rtol=1e-12)


def test_poisson_intervals_cover_the_truth():
    # 60 samples of 3,000 rows from a model with a known accuracy of 0.8
    rng = np.random.default_rng(5)
    lay = G.layout(["0", "1"], has_proba=False, has_score=False)
    hits = 0
    for rep in range(60):
        y = rng.integers(0, 2, 3_000)
        pred = np.where(rng.random(3_000) < 0.8, y, 1 - y)
        sums = G.chunk_sums(lay, y, pred, None, None, np.arange(3_000), 300, rep)
        acc = E.classification_metrics(lay.prep, sums)["accuracy"]
        lo, hi = np.percentile(acc[1:], [2.5, 97.5])
        hits += lo <= 0.8 <= hi
        # the spread matches the binomial standard error
        assert 0.6 < acc[1:].std() / np.sqrt(0.8 * 0.2 / 3_000) < 1.4
    assert hits >= 51  # 95% nominal; P(fewer than 51 of 60) < 1% for a correct interval


# -- evaluate_predictions(data=...) ----------------------------------------------------------------
@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(11)
    n = 200_000
    y = rng.choice(["no", "yes"], n, p=[0.7, 0.3])
    s = np.clip(0.3 * (y == "yes") + 0.7 * rng.random(n), 0, 1)
    return pd.DataFrame({"label": y, "pred": np.where(s > 0.5, "yes", "no"), "score": s,
                         "other": np.clip(s + rng.normal(scale=0.2, size=n), 0, 1)})


def _evaluate(data, **kw):
    return evaluate_predictions("label", y_pred="pred", y_score="score", data=data, n_boot=200,
                                baselines={"other": {"y_score": "other"}}, progress=False, **kw)


def _same(a, b):
    pd.testing.assert_frame_equal(a.frame, b.frame, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(a.comparison, b.comparison, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(a.confusion, b.confusion)
    pd.testing.assert_frame_equal(a.curves, b.curves, rtol=1e-12, atol=1e-12)
    assert [f.title for f in a.findings()] == [f.title for f in b.findings()]


@pytest.fixture(scope="module")
def in_memory(table):
    return _evaluate(table)


def test_data_path_matches_in_memory_exact_metrics(table, in_memory):
    exact = evaluate_predictions(table["label"], y_pred=table["pred"], y_score=table["score"], n_boot=0)
    a = in_memory.frame.set_index("metric").query("model == 'model'")["estimate"]
    b = exact.frame.set_index("metric")["estimate"]
    for m in ["accuracy", "balanced_accuracy", "precision[yes]", "recall[no]", "f1[yes]", *SUMS]:
        assert a[m] == pytest.approx(b[m], abs=1e-12), m
    bound = in_memory.params["large"]["binning_bounds"]["model"]
    for m in ("roc_auc", "pr_auc"):
        assert abs(a[m] - b[m]) <= bound[m]
    assert in_memory.confusion["count"].sum() == len(table)
    titles = [f.title for f in in_memory.findings()]
    assert any(t.startswith("ROC-AUC / PR-AUC from 2,000 score bins") for t in titles)
    assert in_memory.to_dict()["params"]["large"]["backend"] == "pandas"


def test_parquet_glob_and_csv_chunks_give_the_same_result(table, in_memory, tmp_path):
    for i, part in enumerate(np.array_split(np.arange(len(table)), 3)):
        table.iloc[part].to_parquet(tmp_path / f"part-{i}.parquet")
    res = _evaluate(str(tmp_path / "*.parquet"), chunk_rows=30_001)
    assert res.params["large"]["backend"] == "chunked"
    _same(res, in_memory)
    small = table.iloc[:20_000]
    small.to_csv(tmp_path / "small.csv", index=False)
    _same(_evaluate(str(tmp_path / "small.csv"), chunk_rows=7_000), _evaluate(small))


def test_point_estimates_only_on_files(table, tmp_path):
    # n_boot=0 means point estimates only, on every back end (it once crashed on an empty reshape)
    table.iloc[:40_000].to_parquet(tmp_path / "part.parquet")
    kw = {"y_pred": "pred", "y_score": "score", "n_boot": 0, "progress": False}
    files = evaluate_predictions("label", data=str(tmp_path / "part.parquet"), chunk_rows=9_999, **kw)
    memory = evaluate_predictions("label", data=table.iloc[:40_000], **kw)
    assert files.frame[["ci_low", "ci_high"]].isna().all().all()
    pd.testing.assert_frame_equal(files.frame, memory.frame, rtol=1e-12, atol=1e-12)


def test_dask_cluster_gives_the_same_result(table, in_memory):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    # processes=False: worker processes take minutes to start on a loaded 2-core machine
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster):
        ddf = dd.from_pandas(table, npartitions=8)
        assert ddf.npartitions == 8
        res = _evaluate(ddf)
    assert res.params["large"]["backend"] == "dask"
    _same(res, in_memory)


def test_multiclass_probability_columns():
    rng = np.random.default_rng(4)
    n = 6_000
    p = rng.dirichlet([1, 1, 1], n)
    y = np.array([rng.choice(3, p=row) for row in p])
    df = pd.DataFrame({"y": y, "p0": p[:, 0], "p1": p[:, 1], "p2": p[:, 2]})
    res = evaluate_predictions("y", y_score=["p0", "p1", "p2"], data=df, n_boot=50, progress=False)
    est = res.frame.set_index("metric")["estimate"]
    assert est["accuracy"] == pytest.approx(M.accuracy_score(y, p.argmax(axis=1)), abs=1e-12)
    assert est["log_loss"] == pytest.approx(M.log_loss(y, p), abs=1e-12)
    bound = res.params["large"]["binning_bounds"]["model"]["roc_auc"]
    exact = np.mean([M.roc_auc_score(y == c, p[:, c]) for c in range(3)])
    assert abs(est["roc_auc"] - exact) <= bound


def test_large_data_errors(table, tmp_path):
    with pytest.raises(DiagnosticInputError, match="Did you mean 'score'"):
        evaluate_predictions("label", y_pred="pred", y_score="scor", data=table)
    with pytest.raises(DiagnosticInputError, match="matches no file"):
        evaluate_predictions("label", y_pred="pred", data=str(tmp_path / "none-*.parquet"))
    with pytest.raises(DiagnosticInputError, match="Pass task='regression'"):  # a continuous target
        evaluate_predictions("score", y_pred="pred", data=table, task="classification", n_boot=0)
    with pytest.raises(DiagnosticInputError, match="name a column"):
        evaluate_predictions("label", y_pred=np.zeros(3), data=table)
    with pytest.raises(DiagnosticInputError, match="chunk_rows"):
        evaluate_predictions("label", y_pred="pred", data=table, chunk_rows=0)


def test_baseline_column_errors_name_the_baseline(table):
    with pytest.raises(DiagnosticInputError, match=r"baselines\['b'\]\['y_score'\]='nope'"):
        evaluate_predictions("label", y_pred="pred", data=table, baselines={"b": {"y_score": "nope"}})


# -- slice_metrics on files and dask -----------------------------------------------------------------
@pytest.fixture(scope="module")
def sliced():
    rng = np.random.default_rng(21)
    n = 200_000
    region = rng.choice(["north", "south", "east", "west"], n)
    channel = rng.choice(["web", "phone", "branch"], n)
    income = rng.lognormal(10, 0.5, n)
    y = rng.integers(0, 2, n)
    wrong = rng.random(n) < np.where((region == "north") & (channel == "phone"), 0.35, 0.1)
    return pd.DataFrame({"region": region, "channel": channel, "income": income, "y": y,
                         "pred": np.where(wrong, 1 - y, y)})


def _slices(X, y, y_pred, **kw):
    from diagtools.slices import slice_metrics

    return slice_metrics(None, X, y, y_pred=y_pred, by=["region", "channel", "income"],
                         metrics=["accuracy", "f1"], n_boot=100, **kw)


def _same_slices(a, b):
    pd.testing.assert_frame_equal(a.frame, b.frame, rtol=1e-12, atol=1e-12)
    assert [f.title for f in a.findings()] == [f.title for f in b.findings()]


def test_slice_metrics_on_files_and_dask_equal_in_memory(sliced, tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    mem = _slices(sliced, sliced["y"], sliced["pred"])
    assert any("north" in f.title and "phone" in f.title for f in mem.findings())
    for i, part in enumerate(np.array_split(np.arange(len(sliced)), 4)):
        sliced.iloc[part].to_parquet(tmp_path / f"p{i}.parquet")
    _same_slices(_slices(str(tmp_path), "y", "pred", chunk_rows=45_000), mem)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster):
        _same_slices(_slices(dd.from_pandas(sliced, npartitions=8), "y", "pred"), mem)


def test_slice_metrics_applies_a_model_per_chunk(sliced, tmp_path):
    from sklearn.tree import DecisionTreeClassifier

    small = sliced.iloc[:30_000].copy()
    small["flag"] = (small["region"] == "north").astype(int)
    X = small[["income", "flag"]]
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, small["y"])
    small[["income", "flag", "y"]].to_parquet(tmp_path / "x.parquet")
    from diagtools.slices import slice_metrics

    files = slice_metrics(model, str(tmp_path / "x.parquet"), "y", by=["income", "flag"], metrics="accuracy",
                          chunk_rows=7_000)
    mem = slice_metrics(model, X, small["y"], by=["income", "flag"], metrics="accuracy")
    _same_slices(files, mem)


def test_slice_metrics_large_errors(sliced, tmp_path):
    from diagtools.slices import slice_metrics

    sliced.iloc[:100].to_parquet(tmp_path / "a.parquet")
    with pytest.raises(DiagnosticInputError, match="by is required"):
        slice_metrics(None, str(tmp_path), "y", y_pred="pred")
    with pytest.raises(DiagnosticInputError, match="Did you mean 'region'"):
        slice_metrics(None, str(tmp_path), "y", y_pred="pred", by=["regoin"])
    with pytest.raises(DiagnosticInputError, match="y must name"):
        slice_metrics(None, str(tmp_path), sliced["y"], y_pred="pred", by=["region"])


def test_large_in_memory_uses_the_same_poisson_intervals(monkeypatch):
    from diagtools.metrics import _compute

    monkeypatch.setattr(_compute, "POISSON_ROWS", 1_000)
    y, pred, s = _binary(5_000, seed=9)
    df = pd.DataFrame({"y": y, "p": pred, "s": s})
    mem = evaluate_predictions(y, y_pred=pred, y_score=s, n_boot=150, progress=False)
    big = evaluate_predictions("y", y_pred="p", y_score="s", data=df, n_boot=150, progress=False)
    assert mem.params["bootstrap"] == big.params["bootstrap"] == "poisson"
    pd.testing.assert_frame_equal(mem.frame[["ci_low", "ci_high"]], big.frame[["ci_low", "ci_high"]], rtol=1e-12)
    a, b = mem.frame.set_index("metric")["estimate"], big.frame.set_index("metric")["estimate"]
    assert a["roc_auc"] == pytest.approx(M.roc_auc_score(y, s), abs=1e-12)  # exact in memory
    assert abs(a["roc_auc"] - b["roc_auc"]) <= big.params["large"]["binning_bounds"]["model"]["roc_auc"]
    for m in ["accuracy", "f1[1]", *SUMS]:
        assert a[m] == pytest.approx(b[m], abs=1e-12)
    small = evaluate_predictions(y[:500], y_pred=pred[:500], n_boot=50)
    assert small.params["bootstrap"] == "multinomial"


def test_large_in_memory_points_are_exact_and_follow_metrics(monkeypatch):
    from diagtools.metrics import _compute

    monkeypatch.setattr(_compute, "POISSON_ROWS", 1_000)
    y, pred, s = _binary(4_000, seed=12)
    res = evaluate_predictions(y, y_pred=pred, y_score=s, n_boot=40, metrics=["accuracy", "roc_auc", "log_loss"])
    est = res.frame.set_index("metric")["estimate"]
    assert list(est.index) == ["accuracy", "roc_auc", "log_loss"]
    assert est["accuracy"] == M.accuracy_score(y, pred)
    assert est["roc_auc"] == pytest.approx(M.roc_auc_score(y, s), abs=1e-12)
    assert est["log_loss"] == pytest.approx(M.log_loss(y, np.column_stack([1 - s, s])), abs=1e-12)
    full = evaluate_predictions(y, y_pred=pred, y_score=s, n_boot=40)
    monkeypatch.setattr(_compute, "POISSON_ROWS", 10**9)
    exact = evaluate_predictions(y, y_pred=pred, y_score=s, n_boot=40)
    assert list(full.frame["metric"]) == list(exact.frame["metric"])  # same rows, same order
    np.testing.assert_allclose(full.frame["estimate"], exact.frame["estimate"], rtol=0, atol=1e-12)


# -- the Poisson bootstrap drawn per cell ------------------------------------------------------------
from diagtools._stats import poisson_cell_draws  # noqa: E402
from diagtools.metrics import _cells as C  # noqa: E402


def test_poisson_cell_draws_are_poisson_of_the_cell_count_and_one_stream():
    counts = np.array([0, 1, 7, 400])
    draws = np.vstack(list(poisson_cell_draws(counts, 4_000, random_state=3, block=333)))
    assert draws.shape == (4_000, 4) and (draws[:, 0] == 0).all()
    np.testing.assert_allclose(draws.mean(axis=0)[1:], counts[1:], rtol=4 / np.sqrt(4_000))
    np.testing.assert_allclose(draws.var(axis=0)[1:], counts[1:], rtol=0.1)
    freq = np.bincount(draws[:, 2], minlength=20)[:15] / 4_000
    assert np.abs(freq - stats.poisson.pmf(np.arange(15), 7)).max() < 0.02
    once = np.vstack(list(poisson_cell_draws(counts, 4_000, random_state=3, block=4_000)))
    np.testing.assert_array_equal(once, draws)  # blocks are one stream: the same resamples


def _predictors(n, seed, two):
    y, pred, s = _binary(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    ref = np.clip(s + rng.normal(0, 0.2, n), 0, 1)
    inputs = [(pred, np.column_stack([1 - s, s]), s)]
    if two:
        inputs.append(((ref > 0.5).astype(int), np.column_stack([1 - ref, ref]), ref))
    layouts = [G.layout(["0", "1"], has_proba=True, has_score=True) for _ in inputs]
    return y, inputs, layouts


def _row_level(y, inputs, layouts, n_boot, seed):
    designs = [(lay, G.design(lay, y, *inp)) for lay, inp in zip(layouts, inputs, strict=True)]
    sums = G.many_sums(designs, np.arange(len(y)), n_boot, seed)
    return [E.classification_metrics(lay.prep, st) for lay, st in zip(layouts, sums, strict=True)]


@pytest.mark.parametrize("two", [False, True])
def test_cell_bootstrap_matches_the_row_level_poisson_bootstrap(two):
    # the same data, the two bootstraps: spread, centre and interval ends agree within Monte Carlo error
    n_boot = 600
    y, inputs, layouts = _predictors(20_000, 31, two)
    pl = C.plan(layouts)
    assert pl.bins == (50 if two else G.SCORE_BINS)  # two predictors: coarser resampling bins
    _, points, cell, _, _ = C.metrics(pl, C.array_stats(pl, y, inputs, block=7_000), n_boot, 5, ap=True,
                                      which=frozenset())
    row = _row_level(y, inputs, layouts, n_boot, 5)
    se = 1 / np.sqrt(n_boot)
    names = ["accuracy", "f1[1]", "balanced_accuracy", "roc_auc", "pr_auc", "log_loss", "brier", "ece"]
    pairs = [(cell[i][m], row[i][m][1:]) for i in range(len(inputs)) for m in names]
    if two:  # paired differences model - baseline: the pairing is kept
        pairs += [(cell[0][m] - cell[1][m], row[0][m][1:] - row[1][m][1:]) for m in ["accuracy", "roc_auc", "log_loss"]]
    for a, b in pairs:
        sd = b.std()
        assert abs(a.std() / sd - 1) < 5 * se  # relative s.e. of the ratio of two sd estimates ~ 1/sqrt(n_boot)
        assert abs(a.mean() - b.mean()) < 5 * sd * np.sqrt(2) * se
        for q in (2.5, 97.5):  # s.e. of a 2.5% quantile ~ 2.7 sd / sqrt(n_boot), doubled for two estimates
            assert abs(np.percentile(a, q) - np.percentile(b, q)) < 4 * 3.8 * sd * se
    for i in range(len(inputs)):  # the points are the exact unit-weight statistics
        assert points[i]["accuracy"] == M.accuracy_score(y, inputs[i][0])
        assert points[i]["log_loss"] == pytest.approx(M.log_loss(y, inputs[i][1]), abs=1e-12)


def test_cell_statistics_and_resamples_are_identical_for_1_3_and_8_chunks():
    y, inputs, layouts = _predictors(12_000, 2, True)
    pl = C.plan(layouts)

    def run(splits):
        parts = [C.chunk_stats(pl, y[p], [(a[p], b[p], c[p]) for a, b, c in inputs])
                 for p in np.array_split(np.arange(len(y)), splits)]
        total = parts[0]
        for p in parts[1:]:
            total = C.merge(total, p)
        return total, C.metrics(pl, total, 100, 9, ap=True, which=frozenset({"roc"}))

    (ref, out) = run(1)
    for splits in (3, 8):
        st, got = run(splits)
        np.testing.assert_array_equal(st["cells"][0], ref["cells"][0])  # counts: exactly equal
        np.testing.assert_allclose(st["cells"], ref["cells"], rtol=1e-12, atol=1e-9)
        for i in range(2):
            for m in ["accuracy", "f1[1]", "roc_auc", "pr_auc"]:
                np.testing.assert_array_equal(got[2][i][m], out[2][i][m])
            for m in SUMS:
                np.testing.assert_allclose(got[2][i][m], out[2][i][m], rtol=1e-10)


def test_cell_intervals_stay_inside_the_metric_bounds():
    from diagtools._metric_registry import metric_bounds

    rng = np.random.default_rng(8)
    n = 50_000
    y = rng.integers(0, 2, n)
    s = np.where(y == 1, 0.999, 0.001)
    s[:3] = 1 - s[:3]  # three errors: every metric sits near its bound
    df = pd.DataFrame({"y": y, "s": s, "r": np.clip(s + rng.normal(0, 0.01, n), 0, 1)})
    res = evaluate_predictions("y", y_score="s", data=df, n_boot=300, progress=False,
                               baselines={"ref": {"y_score": "r"}})
    assert res.params["large"]["bootstrap_cells"] == "cell"
    for row in res.frame.itertuples():
        lo, hi = metric_bounds(row.metric)
        assert lo <= row.ci_low <= row.ci_high <= hi, row
    auc = res.frame.set_index(["model", "metric"]).loc[("model", "roc_auc")]
    bound = res.params["large"]["binning_bounds"]["model"]["roc_auc"]
    assert auc["ci_high"] <= 1.0 and abs(auc["estimate"] - M.roc_auc_score(y, s)) <= bound


def test_exact_ranking_matches_scikit_learn_with_ties():
    from diagtools.metrics._exact_rank import auc_ap

    rng = np.random.default_rng(3)
    for ties in (False, True):
        y = rng.integers(0, 2, 5_000).astype(bool)
        s = 0.3 * y + rng.random(5_000)
        s = np.round(s, 1) if ties else s
        auc, ap = auc_ap(y, s)
        assert auc == pytest.approx(M.roc_auc_score(y, s), abs=1e-12)
        assert ap == pytest.approx(M.average_precision_score(y, s), abs=1e-12)


def test_in_memory_ranking_metrics_from_bins_beyond_the_exact_size(monkeypatch):
    from diagtools.metrics import _compute

    monkeypatch.setattr(_compute, "POISSON_ROWS", 1_000)
    monkeypatch.setattr(_compute, "EXACT_RANK_ROWS", 2_000)
    y, pred, s = _binary(5_000, seed=4)
    res = evaluate_predictions(y, y_pred=pred, y_score=s, n_boot=50, progress=False)
    large = res.params["large"]
    assert large["backend"] == "memory"
    est = res.frame.set_index("metric")["estimate"]
    for m, fn in (("roc_auc", M.roc_auc_score), ("pr_auc", M.average_precision_score)):
        assert abs(est[m] - fn(y, s)) <= large["binning_bounds"]["model"][m]
    assert est["accuracy"] == M.accuracy_score(y, pred)
    assert any(f.title.startswith("ROC-AUC / PR-AUC from 2,000 score bins") for f in res.findings())


def test_a_subset_of_metrics_keeps_the_same_intervals(table, in_memory):
    # without log loss / Brier / ECE the cells carry no per-row sums; the counts and draws are the same
    sub = _evaluate(table, metrics=["accuracy", "f1", "roc_auc"])
    full = in_memory.frame.set_index(["model", "metric"])
    got = sub.frame.set_index(["model", "metric"])
    assert set(got.index.get_level_values("metric")) == {"accuracy", "f1[no]", "f1[yes]", "roc_auc"}
    pd.testing.assert_frame_equal(got, full.loc[got.index], rtol=1e-12, atol=1e-12)
