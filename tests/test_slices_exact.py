"""The fast paths of the slice counts give exactly the numbers of their plain definitions.

``slice_stats`` skips work on large inputs (a strided probe instead of hashing a continuous
column, a bracketed selection instead of partitioning it, pyarrow's hash of text columns, one
bincount of the full cross, per-column cell codes). Each test compares with a reference written
from the definition (``np.quantile``, ``pd.factorize``, ``np.searchsorted`` and ``np.add.at``
counts), to the bit.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from diagtools.slices import slice_metrics, slice_stats
from diagtools.slices._encode import _PROBE_ROWS, _arrow_factorize, fit_encoding, quantiles
from diagtools.slices._sufficient import encode_targets, slice_stats_arrays

N = 300_000


def _frame(n: int = N, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Numeric (many values, with NaN; few values, with NaN), text with missing values and
    non-ASCII levels, a pandas Categorical, integers, and a 150-level text column."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    p = np.where(rng.random(n) < 0.7, y, rng.integers(0, 3, n))
    income = rng.lognormal(10, 0.5, n)
    income[rng.random(n) < 0.05] = np.nan
    few = rng.integers(0, 6, n).astype(float)
    few[rng.random(n) < 0.02] = np.nan
    region = pd.Series(rng.choice(["north", "south", "éast", "Zed"], n), dtype="str")
    region[rng.random(n) < 0.03] = None
    frame = pd.DataFrame({
        "income": income, "few": few, "region": region,
        "plan": pd.Categorical(rng.choice(["a", "b", "c"], n)),
        "age": rng.integers(18, 90, n),
        "shop": pd.Series(rng.choice([f"shop{i:03d}" for i in range(150)], n), dtype="str"),
    })
    return frame, y, p


def _reference_codes(series: pd.Series, enc) -> np.ndarray:
    """Level codes by the definition: binary search of the cut points, index of the category."""
    missing = series.isna().to_numpy()
    if enc.kind == "numeric":
        codes = np.searchsorted(np.asarray(enc.edges), np.nan_to_num(series.to_numpy(dtype=float)), side="right")
    else:
        codes = pd.Index(enc.values).get_indexer(series.astype(object).where(~missing, None))
    codes = np.asarray(codes, dtype=np.int64)
    codes[missing] = enc.n_levels - 1 if enc.has_missing else -1
    return codes


def _reference_tables(stats, data: pd.DataFrame, cell: np.ndarray, n_cells: int) -> dict:
    codes = {c: _reference_codes(data[c], stats.encodings[c]) for c in stats.encodings}
    out = {}
    for feat in stats.tables:
        keep = np.logical_and.reduce([codes[c] >= 0 for c in feat])
        table = np.zeros((*[stats.encodings[c].n_levels for c in feat], n_cells), dtype=np.int64)
        np.add.at(table, (*[codes[c][keep] for c in feat], cell[keep]), 1)
        out[feat] = table
    return out


@pytest.mark.parametrize("columns", [
    ["income", "few", "region", "plan", "age"],  # the full cross is small: one bincount
    ["income", "region", "plan", "shop", "age", "few"],  # too many cells: per feature
])
def test_tables_equal_plain_counts(columns):
    data, y, p = _frame()
    stats = slice_stats(y, p, data, by=columns, crosses=2)
    assert stats.encodings["income"].kind == "numeric" and stats.encodings["region"].has_missing
    ref = _reference_tables(stats, data, y * 3 + p, 9)
    assert set(ref) == set(stats.tables) and len(ref) == len(columns) + len(columns) * (len(columns) - 1) // 2
    for feat, table in stats.tables.items():
        assert table.dtype == np.int64 and np.array_equal(table, ref[feat]), feat
    assert np.array_equal(stats.total, np.bincount(y * 3 + p, minlength=9))


def test_unseen_levels_leave_only_their_features():
    data, y, p = _frame()
    columns = ["income", "region", "plan", "few"]
    first = slice_stats(y[:500], p[:500], data[:500], by=columns)
    rest = data[500:].copy()
    rest.loc[rest.index[::7], "region"] = "unseen"  # a level the first rows never had
    target, labels, n_cells = encode_targets(y[500:], p[500:], "classification", first.labels)
    stats = slice_stats_arrays(rest, columns, target, "classification", labels, n_cells, bins=first.bins,
                               crosses=2, encodings=first.encodings)
    ref = _reference_tables(stats, rest, target, n_cells)
    for feat, table in stats.tables.items():
        assert np.array_equal(table, ref[feat]), feat
    region = stats.tables[("region",)].sum()
    assert region == len(rest) - len(rest.index[::7]) and stats.tables[("income",)].sum() == len(rest)


def test_slice_metrics_on_the_same_rows_in_any_order_of_columns():
    """The full-cross and the per-feature counts give one frame (same slices, same numbers)."""
    data, y, p = _frame(100_000)
    a = slice_metrics(None, data[["income", "region", "plan"]], y, y_pred=p, crosses=3, metrics="accuracy")
    b = slice_metrics(None, data[["income", "region", "plan", "shop"]], y, y_pred=p, crosses=3, metrics="accuracy")
    cols = ["slice", "n", "estimate", "ci_low", "ci_high", "reference_estimate", "difference", "p_value"]
    right = b.frame[~b.frame["feature"].str.contains("shop")][cols].reset_index(drop=True)
    assert len(right) > 50
    pd.testing.assert_frame_equal(a.frame[cols], right, check_exact=True)


@pytest.mark.parametrize("name", ["lognormal", "integers", "sorted", "periodic", "mostly zero", "constant", "odd n"])
@pytest.mark.parametrize("bins", [2, 5, 7, 100])
def test_quantiles_equal_numpy_to_the_bit(name, bins):
    rng = np.random.default_rng(3)
    n = 1_200_000
    x = {
        "lognormal": rng.lognormal(10, 0.5, n), "integers": rng.integers(0, 80, n).astype(float),
        "sorted": np.sort(rng.normal(size=n)), "periodic": np.tile(np.arange(4096.0), n // 4096 + 1)[:n],
        "mostly zero": np.where(rng.random(n) < 0.9, 0.0, rng.normal(size=n)), "constant": np.full(n, 2.5),
        "odd n": rng.normal(size=n + 7),
    }[name]
    q = np.arange(1, bins) / bins
    assert quantiles(x, q).tobytes() == np.quantile(x, q).tobytes()


def test_quantiles_with_infinities_fall_back_to_numpy():
    x = np.r_[np.random.default_rng(0).normal(size=1_100_000), np.inf, -np.inf]
    q = np.array([0.2, 0.5, 0.8])
    assert quantiles(x, q).tobytes() == np.quantile(x, q).tobytes()


def test_probe_does_not_decide_a_column_whose_values_hide_between_its_rows():
    """Ten values at the probed rows, more elsewhere: still binned, as hashing every row says."""
    n = 4 * _PROBE_ROWS
    step = n // _PROBE_ROWS
    rows = np.arange(n)
    x = np.where(rows % step == 0, (rows // step) % 10.0, rows % 13.0)  # 10..12 only between probed rows
    assert len(np.unique(x[::step])) == 10
    enc = fit_encoding(pd.Series(x, name="x"), 5)
    assert enc.kind == "numeric" and enc.edges == [float(e) for e in np.unique(np.quantile(x, [0.2, 0.4, 0.6, 0.8]))]
    ten = fit_encoding(pd.Series(np.arange(n) % 10.0, name="x"), 5)
    assert ten.kind == "categorical" and ten.values == list(range(10))


def test_arrow_text_codes_equal_pandas_factorize():
    rng = np.random.default_rng(1)
    s = pd.Series(rng.choice(["b", "a", "é", "Z", "zz", "", "ä", "a b"], 50_000), dtype="str")
    s[rng.random(50_000) < 0.1] = None
    values, codes, has_missing = _arrow_factorize(s)
    ref_codes, uniq = pd.factorize(s, sort=True)
    assert values == list(uniq) and has_missing
    assert np.array_equal(codes, np.where(ref_codes < 0, len(values), ref_codes))
    assert _arrow_factorize(s.astype(object)) is None


@pytest.mark.parametrize(("yt", "yp", "labels"), [
    ([0, 1, 1, 0, 1], [1, 1, 0, 0, 0], None),
    ([5, 2, 0, 2, 5], [0, 0, 5, 2, 2], None),  # gaps between the classes
    ([-3, -1, -3, -1], [-1, -1, -3, -3], None),  # negative labels
    ([1, 2, 1, 2], [2, 2, 1, 1], [0, 1, 2, 3]),  # labels given, some absent
    (["no", "yes", "no"], ["yes", "yes", "maybe"], None),
])
def test_cells_are_label_positions(yt, yp, labels):
    cell, labs, n_cells = encode_targets(np.array(yt), np.array(yp), "classification", labels)
    k = len(labs)
    assert n_cells == k * k and labs == sorted(set(yt) | set(yp) | set(labels or []))
    expected = [labs.index(a) * k + labs.index(b) for a, b in zip(yt, yp, strict=True)]
    assert cell.dtype == np.int64 and cell.tolist() == expected


def test_every_pair_is_counted_once():
    data, y, p = _frame(20_000)
    stats = slice_stats(y, p, data, by=["few", "plan", "region"], crosses=2)
    assert set(stats.tables) == {*((c,) for c in ["few", "plan", "region"]),
                                 *itertools.combinations(["few", "plan", "region"], 2)}
    for table in stats.tables.values():
        assert table.sum() == len(data)


@pytest.fixture
def on_disk(tmp_path):
    """Four parquet files of the test frame (30,000 rows) and the frame itself."""
    data, y, p = _frame(30_000, seed=5)
    frame = data[["income", "region", "age", "plan"]].assign(plan=data["plan"].astype(str), y=y, p=p)
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 4)):
        frame.iloc[part].to_parquet(tmp_path / f"p{i}.parquet")
    return str(tmp_path), frame


def _bottom_k_cuts(frame: pd.DataFrame, k: int) -> dict:
    """The cut points of the definition: the rows with the k smallest keys of their position."""
    from diagtools.slices._large import _row_keys

    rows = np.argsort(_row_keys(0, len(frame)))[:k]
    return {c: fit_encoding(frame[c].iloc[rows].rename(c), 5).edges for c in ("income", "age")}


@pytest.mark.parametrize("limit", ["estimated", "too low"])
def test_file_sample_is_the_bottom_k_of_the_row_keys(on_disk, monkeypatch, limit):
    """Above the sample size, the cut points come from exactly the k rows with the smallest keys,
    also when the key limit that skips most rows was set too low (the pass then runs again)."""
    dd = pytest.importorskip("dask.dataframe")
    from diagtools.slices import _large

    folder, frame = on_disk
    monkeypatch.setattr(_large, "SAMPLE_ROWS", 2_000)
    if limit == "too low":
        monkeypatch.setattr(_large, "_key_limit", lambda src, cols: 2**50)
    expected = _bottom_k_cuts(frame, 2_000)
    by = ["income", "region", "age", "plan"]
    files = slice_metrics(None, folder, "y", y_pred="p", by=by, metrics="accuracy", chunk_rows=4_000, progress=False)
    parts = slice_metrics(None, dd.from_pandas(frame, npartitions=5), "y", y_pred="p", by=by, metrics="accuracy",
                          progress=False)
    for res in (files, parts):
        assert res.params["bins"] == expected and res.n_samples == len(frame)
    pd.testing.assert_frame_equal(files.frame, parts.frame, check_exact=True)
    mem = slice_metrics(None, frame[by], frame["y"], y_pred=frame["p"], bins=expected, metrics="accuracy")
    pd.testing.assert_frame_equal(files.frame, mem.frame, check_exact=True)


def test_files_whose_text_levels_add_up_to_too_many_are_refused(tmp_path):
    from diagtools.slices._encode import MAX_LEVELS, TooManyLevels

    for i in range(2):  # each file within the limit, both together above it
        codes = [f"f{i}-{j}" for j in range(MAX_LEVELS - 50)]
        pd.DataFrame({"shop": codes * 3, "y": 1, "p": 1}).to_parquet(tmp_path / f"p{i}.parquet")
    with pytest.raises(TooManyLevels, match="distinct values"):
        slice_metrics(None, str(tmp_path), "y", y_pred="p", by=["shop"], progress=False)
