"""Large-data drift: mergeable sketches on pandas, chunked parquet and dask give one answer."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from diagtools.drift import _large, detect_drift
from diagtools.drift import _sketch as S
from diagtools.errors import DiagnosticInputError

N = 200_000
#: The domain classifier's real sample size (the autouse fixture below shrinks it for speed).
DOMAIN_ROWS = _large.DOMAIN_ROWS
NUMERIC = ["shifted", "lognormal", "count", "exponential", "when"]
DRIFTED = {"shifted", "channel"}


def _window(seed: int, drift: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = pd.DataFrame({
        "shifted": rng.normal(size=N), "lognormal": rng.lognormal(0.0, 0.5, N),
        "count": rng.integers(0, 40, N).astype(float), "exponential": rng.exponential(size=N),
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**7, N), unit="s"),
        "channel": rng.choice(["web", "phone", "branch"], N), "member": rng.random(N) < 0.3,
        "code": rng.choice([f"c{i}" for i in range(60)], N),
    })
    out.loc[rng.random(N) < 0.02, "lognormal"] = np.nan
    if drift:  # planted: a mean shift of 0.4 SD and a new channel mix; the rest is the same process
        out["shifted"] += 0.4
        out["channel"] = rng.choice(["web", "phone", "branch"], N, p=[0.55, 0.25, 0.2])
    return out


@pytest.fixture(scope="module")
def windows():
    return _window(0, False), _window(1, True)


@pytest.fixture(autouse=True)
def _small_domain_sample(monkeypatch):
    monkeypatch.setattr(_large, "DOMAIN_ROWS", 4_000)  # the same hash-chosen rows, a faster fit


def _run(ref, cur, **kw):
    return detect_drift(ref, cur, progress=False, n_boot=50, **kw)


@pytest.fixture(scope="module")
def sketched(windows):
    mp = pytest.MonkeyPatch()
    mp.setattr(_large, "SKETCH_ROWS", 1_000)
    mp.setattr(_large, "DOMAIN_ROWS", 4_000)
    try:
        return _run(*windows)
    finally:
        mp.undo()


def _titles(res):
    """Finding titles without the back-end names (the one thing that may differ)."""
    return [re.sub(r"\(reference: \w+, current: \w+\)", "", f.title) for f in res.findings()]


def _same(a, b):
    """Identical flags, findings and statistics (counts exactly, sums to 1e-12)."""
    fa, fb = a.frame.drop(columns=["note"]), b.frame.drop(columns=["note"])
    pd.testing.assert_frame_equal(fa, fb, rtol=1e-12, atol=1e-12)
    assert list(a.frame["note"]) == list(b.frame["note"])
    pd.testing.assert_frame_equal(a.column_stats, b.column_stats, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(a.categories, b.categories)
    pd.testing.assert_frame_equal(a.distributions, b.distributions, rtol=1e-12, atol=1e-12)
    assert _titles(a) == _titles(b)
    assert a.domain == b.domain
    for c, bound in a.params["sketch"]["bounds"].items():  # bin counts exact, the scale (sums) to 1e-12
        assert bound == pytest.approx(b.params["sketch"]["bounds"][c], rel=1e-12), c


def test_sketch_flags_the_planted_columns_only(windows, sketched):
    assert set(sketched.drifted_columns) == DRIFTED
    assert sketched.params["sketch"]["backend"] == {"reference": "pandas", "current": "pandas"}
    assert sketched.params["sketch"]["uncertain_flags"] == []
    titles = [f.title for f in sketched.findings()]
    assert any(t.startswith("Drift statistics from mergeable sketches") for t in titles)
    assert sketched.domain["sample_rows"] == 4_000 and "hash of the row position" in sketched.domain["notes"][-1]
    assert sketched.domain["ci_low"] > 0.55  # the classifier sees the planted drift
    exact = _run(*windows, domain_classifier=False)  # the in-memory path (sorted values): same flags
    assert set(exact.drifted_columns) == DRIFTED and "sketch" not in exact.params
    rebuilt = type(sketched).from_dict(sketched.to_dict())
    assert rebuilt.frame.equals(sketched.frame)


def test_sketch_statistics_within_their_bounds_of_scipy(windows, sketched):
    ref, cur = windows
    est = sketched.frame.set_index(["column", "statistic"])["estimate"]
    bounds = sketched.params["sketch"]["bounds"]
    from diagtools.drift._profile import numeric_values

    for c in NUMERIC:
        r, k = numeric_values(ref[c]), numeric_values(cur[c])
        r, k = r[np.isfinite(r)], k[np.isfinite(k)]
        d = stats.ks_2samp(r, k).statistic
        w = stats.wasserstein_distance(r, k) / r.std()
        assert est[(c, "ks_stat")] <= d + 1e-12 <= est[(c, "ks_stat")] + bounds[c]["ks_stat"] + 1e-12, c
        assert abs(est[(c, "wasserstein_norm")] - w) <= bounds[c]["wasserstein_norm"] + 1e-12, c
        assert bounds[c]["ks_stat"] < 0.003  # about one bin of 1,000
        shift = (k.mean() - r.mean()) / r.std()
        assert est[(c, "mean_shift_sd")] == pytest.approx(shift, rel=1e-9, abs=1e-12)
    # a column with fewer distinct values than bins is exact
    assert bounds["count"] == {"ks_stat": 0.0, "wasserstein_norm": 0.0}
    # counts are exact: the categorical statistics equal the in-memory ones
    exact = _run(ref, cur, domain_classifier=False).frame.set_index(["column", "statistic"])["estimate"]
    for c in ["channel", "member", "code"]:
        for s in ["chi2_stat", "js_distance", "psi"]:
            assert est[(c, s)] == pytest.approx(exact[(c, s)], rel=1e-12), (c, s)
    assert est[("lognormal", "missing_rate_change")] == exact[("lognormal", "missing_rate_change")]
    st = sketched.column_stats.set_index(["column", "window"])
    assert st.loc[("lognormal", "reference"), "n"] == ref["lognormal"].notna().sum()
    assert st.loc[("count", "current"), "median"] == np.median(cur["count"])


def test_parquet_and_dask_give_the_same_result(windows, sketched, tmp_path, monkeypatch):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    ref, cur = windows

    def write(parts: int) -> tuple[str, str]:
        for name, data in (("ref", ref), ("cur", cur)):
            folder = tmp_path / f"{name}{parts}"
            folder.mkdir()
            for i, rows in enumerate(np.array_split(np.arange(N), parts)):
                data.iloc[rows].to_parquet(folder / f"part-{i}.parquet")
        return str(tmp_path / f"ref{parts}" / "*.parquet"), str(tmp_path / f"cur{parts}")

    files = _run(*write(3), chunk_rows=30_001)
    assert files.params["sketch"]["backend"] == {"reference": "chunked", "current": "chunked"}
    _same(files, sketched)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster):
        for parts in (8, 3, 1):
            r, c = write(parts) if parts != 3 else (str(tmp_path / "ref3" / "*.parquet"), str(tmp_path / "cur3"))
            res = _run(dd.read_parquet(r), dd.read_parquet(c))
            assert res.params["sketch"]["backend"] == {"reference": "dask", "current": "dask"}
            assert dd.read_parquet(r).npartitions == parts
            _same(res, sketched)
        mixed = _run(ref, dd.read_parquet(str(tmp_path / "cur8")), domain_classifier=False)
    assert set(mixed.drifted_columns) == DRIFTED


def test_csv_files_read_in_chunks_equal_in_memory(windows, tmp_path, monkeypatch):
    monkeypatch.setattr(_large, "SKETCH_ROWS", 1_000)
    cols = ["shifted", "lognormal", "count", "channel", "code"]
    ref, cur = (w.iloc[:20_000][cols] for w in windows)
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    files = _run(str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"), chunk_rows=7_000)
    assert files.params["sketch"]["backend"] == {"reference": "chunked", "current": "chunked"}
    _same(files, _run(ref, cur))


def test_a_flag_inside_the_bounds_is_reported(monkeypatch):
    monkeypatch.setattr(S, "SKETCH_BINS", 8)  # coarse bins: wide bounds
    monkeypatch.setattr(_large, "SKETCH_ROWS", 1_000)
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"near": rng.normal(size=50_000), "far": rng.normal(size=50_000)})
    cur = pd.DataFrame({"near": rng.normal(0.1, 1.0, 50_000), "far": rng.normal(1.0, 1.0, 50_000)})
    res = _run(ref, cur, domain_classifier=False)
    sk = res.params["sketch"]
    w = res.frame.set_index(["column", "statistic"]).loc[("near", "wasserstein_norm")]
    bound = sk["bounds"]["near"]["wasserstein_norm"]
    assert w["estimate"] - bound < 0.1 <= w["estimate"] + bound  # the threshold lies inside the bound
    assert sk["uncertain_flags"] == ["near"] and "far" in res.drifted_columns
    exact = stats.wasserstein_distance(ref["near"], cur["near"]) / ref["near"].std(ddof=0)
    assert abs(w["estimate"] - exact) <= bound
    titles = [f.title for f in res.findings()]
    assert any(t.startswith("Column near: its drift flag could change") for t in titles)
    assert not any(t.startswith("Column far: its drift flag") for t in titles)


def test_sketches_merge_the_same_for_any_split():
    rng = np.random.default_rng(3)
    x = pd.Series(rng.normal(size=9_000))
    ids = pd.Series([f"id{i}" for i in rng.integers(0, 30_000, 9_000)])
    edges = S.common_edges([x.to_numpy()[:2_000]], bins=50)
    frame = pd.DataFrame({"x": x, "ids": ids})
    stats_fn = S.window_stats(["x", "ids"], {"x": "numeric", "ids": "categorical"}, {"x": edges}, {"x": 0.0},
                              "reference")
    whole = stats_fn(frame, 0)
    for splits in (2, 7):
        parts = [stats_fn(frame.iloc[p], int(p[0])) for p in np.array_split(np.arange(len(frame)), splits)]
        merged = parts[0]
        for p in parts[1:]:
            merged = merged.merge(p)
        np.testing.assert_array_equal(merged.columns["x"].counts, whole.columns["x"].counts)
        assert merged.columns["x"].s1 == pytest.approx(whole.columns["x"].s1, rel=1e-12)
        assert merged.columns["ids"].categories == whole.columns["ids"].categories
    assert whole.columns["x"].counts.sum() == 9_000
    assert not whole.columns["ids"].hashed  # under MAX_CATEGORIES distinct values: exact counts


def test_wide_categoricals_are_hashed_alike(monkeypatch):
    monkeypatch.setattr(S, "MAX_CATEGORIES", 100)
    frame = pd.DataFrame({"ids": [f"id{i}" for i in range(300)]})
    fn = S.window_stats(["ids"], {"ids": "categorical"}, {}, {}, "reference")
    whole = fn(frame, 0)
    halves = fn(frame.iloc[:90], 0).merge(fn(frame.iloc[90:], 90))
    assert whole.columns["ids"].hashed and halves.columns["ids"].hashed
    assert halves.columns["ids"].categories == whole.columns["ids"].categories
    assert sum(whole.columns["ids"].categories.values()) == 300


def test_large_drift_bad_inputs(windows, tmp_path):
    small = windows[0].iloc[:500]
    small.to_parquet(tmp_path / "a.parquet")
    path = str(tmp_path / "a.parquet")
    with pytest.raises(DiagnosticInputError, match="matches no file"):
        detect_drift(str(tmp_path / "none-*.parquet"), small)
    with pytest.raises(DiagnosticInputError, match="model= needs both windows in memory"):
        detect_drift(path, small, model=object())
    from diagtools.drift import profile_data

    with pytest.raises(DiagnosticInputError, match="DriftProfile"):
        detect_drift(profile_data(small), path)
    with pytest.raises(DiagnosticInputError, match="Did you mean 'shifted'"):
        detect_drift(path, small, columns=["shiftd"])
    with pytest.raises(DiagnosticInputError, match="chunk_rows"):
        detect_drift(path, small, chunk_rows=0)
    with pytest.raises(DiagnosticInputError, match="alpha"):
        detect_drift(path, small, alpha=2.0)
    with pytest.raises(DiagnosticInputError, match="numeric in reference but not in current"):
        detect_drift(path, small.assign(count=small["count"].astype(str)))
    with pytest.raises(DiagnosticInputError, match="empty"):
        detect_drift(path, small.iloc[:0])


def _mixed(seed: int, n: int, shift: float = 0.0) -> pd.DataFrame:
    """``n`` rows x 10 columns (8 normal, a categorical dtype, strings); ``shift`` SDs added to x0."""
    rng = np.random.default_rng(seed)
    out = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(8)})
    out["x0"] += shift
    out["c0"] = pd.Categorical.from_codes(rng.integers(0, 5, n), list("abcde"))
    out["c1"] = rng.choice([f"k{i}" for i in range(30)], n)
    return out


def test_domain_classifier_at_its_sample_size_sees_a_modest_shift_and_no_drift(monkeypatch):
    monkeypatch.setattr(_large, "DOMAIN_ROWS", DOMAIN_ROWS)
    monkeypatch.setattr(_large, "SKETCH_ROWS", 1_000)  # the large-data path, on windows of DOMAIN_ROWS rows
    shifted = _run(_mixed(1, DOMAIN_ROWS), _mixed(2, DOMAIN_ROWS, shift=0.3))
    d = shifted.domain
    assert d["sample_rows"] == DOMAIN_ROWS and d["n"] == 2 * DOMAIN_ROWS
    # a 0.3 SD shift of one column of ten: the finding needs the interval above 0.55, and no classifier
    # beats the Bayes AUC Phi(0.3 / sqrt(2)) = 0.584 (the estimate only by sampling noise)
    bayes = stats.norm.cdf(0.3 / np.sqrt(2))
    assert 0.55 < d["ci_low"] < bayes and d["auc"] < bayes + 0.01
    assert shifted.domain_importance["column"].iloc[0] == "x0"
    found = [f for f in shifted.findings() if f.title.startswith("A classifier tells")]
    assert len(found) == 1 and found[0].severity == "medium" and found[0].evidence["top_columns"] == ["x0"]

    same = _run(_mixed(3, DOMAIN_ROWS), _mixed(4, DOMAIN_ROWS))  # one distribution: no wolf
    d = same.domain
    assert abs(d["auc"] - 0.5) < 0.02 and d["ci_low"] < 0.55
    assert not any(f.title.startswith("A classifier tells") for f in same.findings())
    assert not same.drifted_columns


@pytest.mark.parametrize(("first_row", "n", "k"), [(0, 500, 800), (7, 1_001, 1_000), (0, 300_000, 2_000),
                                                    (123_456, 70_001, 5_000)])
def test_smallest_keys_are_the_k_smallest_row_hashes(first_row, n, k):
    pos, keys = S.smallest_keys(first_row, n, 1, k)
    every = S.row_keys(first_row, n, 1)
    expected = np.sort(np.argsort(every, kind="stable")[:k])
    order = np.argsort(pos)
    np.testing.assert_array_equal(pos[order], expected)
    np.testing.assert_array_equal(keys[order], every[expected])


def test_categorical_dtype_counts_equal_value_counts():
    rng = np.random.default_rng(5)
    codes = rng.integers(-1, 40, 10_000)  # -1: missing; categories 40..44 never occur
    for categories in ([f"v{i}" for i in range(45)], [float(i) / 2 for i in range(45)]):
        cat = pd.Series(pd.Categorical.from_codes(codes, categories))
        fast, plain = S._categorical_sketch(cat, "categorical"), S._categorical_sketch(cat.astype(object), "categorical")
        assert fast.categories == plain.categories
        vc = cat.value_counts(dropna=True, sort=False)  # pandas' own counts, in category order
        assert list(fast.categories.items()) == [(str(k), int(v)) for k, v in vc.items() if v > 0]
        assert (fast.n_rows, fast.n_missing) == (plain.n_rows, plain.n_missing) == (10_000, int((codes < 0).sum()))


def test_a_drifted_date_column_names_its_ranges_on_the_sketch_path(monkeypatch):
    """The sketches keep min / max but not the share outside the reference range: the finding
    names the ranges (no empty clause) and the KS statistic."""
    monkeypatch.setattr(_large, "SKETCH_ROWS", 1_000)
    rng = np.random.default_rng(4)
    n = 20_000

    def window(start: str) -> pd.DataFrame:
        return pd.DataFrame({"when": pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, 86_400 * 30, n), unit="s"),
                             "x": rng.normal(size=n)})

    res = _run(window("2024-01-01"), window("2024-02-15"), domain_classifier=False)
    assert "sketch" in res.params and res.drifted_columns == ["when"]
    title = next(f.title for f in res.findings() if "when" in f.title)
    assert title.startswith("Column when drifted (large): reference 2024-01-01 to 2024-01-30, current 2024-02-15")
    assert ": ;" not in title and "KS D=1.000" in title
