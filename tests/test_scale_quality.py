"""Large data: ``find_slices`` and ``check_duplicates`` on pandas, chunked parquet and a dask cluster.

The three back ends must give the same slices, flags, findings and counts as the in-memory
path (and as pandas' own ``duplicated`` / ``merge`` / ``nunique``), for any partitioning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diagtools.errors import DiagnosticInputError
from diagtools.quality import check_duplicates
from diagtools.slices import _search, _search_large, find_slices

N = 200_000
BY = ["region", "channel", "income", "age", "kids"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """Seeded rows with a planted failing slice (north & phone), 400 copied rows, missing incomes."""
    rng = np.random.default_rng(16)
    n = N - 400
    df = pd.DataFrame({
        "region": rng.choice(["north", "south", "east", "west"], n),
        "channel": rng.choice(["web", "phone", "branch"], n),
        "income": rng.lognormal(10, 0.5, n),
        "age": rng.integers(18, 80, n),
        "kids": rng.integers(0, 4, n),
    })
    df.loc[rng.random(n) < 0.03, "income"] = np.nan
    y = rng.integers(0, 2, n)
    wrong = rng.random(n) < np.where((df["region"] == "north") & (df["channel"] == "phone"), 0.35, 0.1)
    df["y"], df["pred"] = y, np.where(wrong, 1 - y, y)
    df["loss"] = rng.gamma(1.0, 1.0, n) * np.where(df["region"] == "east", 1.6, 1.0)
    copies = df.iloc[rng.choice(n, 400, replace=False)]
    return pd.concat([df, copies], ignore_index=True).sample(frac=1, random_state=2).reset_index(drop=True)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask.dataframe")
    # processes=False: worker processes take minutes to start on a loaded 2-core machine;
    # ":0": any free port for the dashboard (another cluster may hold the default one)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as c, distributed.Client(c) as client:
        yield client


def _parquet(df: pd.DataFrame, folder, parts: int) -> str:
    folder.mkdir(exist_ok=True)
    for i, rows in enumerate(np.array_split(np.arange(len(df)), parts)):
        df.iloc[rows].to_parquet(folder / f"part-{i}.parquet")
    return str(folder / "*.parquet")


def _dask(df: pd.DataFrame, folder, parts: int):
    """A dask DataFrame of ``parts`` partitions read from parquet (loaded by dask, as users do)."""
    import dask.dataframe as dd

    ddf = dd.read_parquet(_parquet(df, folder, parts))
    assert ddf.npartitions == parts
    return ddf


# -- find_slices --------------------------------------------------------------------------------
def _same_search(a, b, rtol: float = 1e-12) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame, rtol=rtol, atol=1e-12)
    pd.testing.assert_frame_equal(a.cohorts, b.cohorts, rtol=rtol, atol=1e-12)
    assert a.params == b.params and a.definitions == b.definitions and a.n_samples == b.n_samples
    assert [f.title for f in a.findings()] == [f.title for f in b.findings()]


def _by_rows(*args, **kwargs):
    """``find_slices`` in memory on the rows themselves (not on cells of rows, as from 100k rows)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_search, "CELLS_FROM", 10**12)
        return find_slices(*args, **kwargs)


@pytest.fixture(scope="module")
def searched(table):
    return _by_rows(None, table[BY], table["y"], y_pred=table["pred"])


def test_find_slices_in_memory_on_cells_equals_on_rows(table, searched):
    _same_search(find_slices(None, table[BY], table["y"], y_pred=table["pred"]), searched)


def test_find_slices_in_memory_finds_the_planted_slice(searched):
    top = searched.frame.iloc[0]
    assert top["slice"] == "region=north & channel=phone" and top["reported"]
    assert 0.3 < top["estimate"] < 0.4 and 0.09 < top["reference_estimate"] < 0.11
    assert searched.findings()[0].title.startswith("Slice region=north & channel=phone")


def test_find_slices_on_parquet_chunks_equals_in_memory(table, searched, tmp_path, monkeypatch):
    path = _parquet(table[[*BY, "y", "pred"]], tmp_path / "pq", 4)
    _same_search(find_slices(None, path, "y", y_pred="pred", chunk_rows=45_001, progress=False), searched)
    # cells found by sorting (many possible level combinations) rather than counted densely
    monkeypatch.setattr(_search_large, "_DENSE_CELLS", 0)
    _same_search(find_slices(None, path, "y", y_pred="pred", chunk_rows=45_001, progress=False), searched)


@pytest.mark.parametrize("parts", [1, 3, 8])
def test_find_slices_on_dask_equals_in_memory_for_any_partitioning(table, searched, cluster, parts, tmp_path):
    got = find_slices(None, _dask(table[[*BY, "y", "pred"]], tmp_path / "d", parts), "y", y_pred="pred",
                      progress=False)
    _same_search(got, searched)


def test_find_slices_with_an_error_column_and_a_model(table, tmp_path):
    from sklearn.tree import DecisionTreeClassifier

    mem = _by_rows(None, table[BY], errors=table["loss"].to_numpy())
    assert mem.frame.iloc[0]["slice"] == "region=east" and not mem.params["binary_errors"]
    # squared-style errors are float sums: equal up to the order of additions
    path = _parquet(table[[*BY, "loss"]], tmp_path / "loss", 3)
    _same_search(find_slices(None, path, errors="loss", chunk_rows=30_000, progress=False), mem, rtol=1e-9)

    small = table.iloc[:30_000]
    X = small[["income", "age", "kids"]].fillna(0.0)
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, small["y"])
    files = _parquet(pd.concat([X, small["y"]], axis=1), tmp_path / "model", 2)
    _same_search(find_slices(model, files, "y", chunk_rows=7_000, progress=False),
                 find_slices(model, X, small["y"]))


def test_find_slices_large_errors(table, tmp_path):
    path = _parquet(table.iloc[:500], tmp_path / "bad", 1)
    with pytest.raises(DiagnosticInputError, match="y must name a column"):
        find_slices(None, path, table["y"].iloc[:500], y_pred="pred", progress=False)
    with pytest.raises(DiagnosticInputError, match="Did you mean 'region'"):
        find_slices(None, path, "y", y_pred="pred", by=["regoin"], progress=False)
    with pytest.raises(DiagnosticInputError, match="y_pred= .*a fitted model"):
        find_slices(None, path, "y", progress=False)
    neg = table.iloc[:500].assign(loss=-1.0)
    with pytest.raises(DiagnosticInputError, match="negative"):
        find_slices(None, _parquet(neg, tmp_path / "neg", 1), errors="loss", by=["region"], progress=False)
    with pytest.raises(DiagnosticInputError, match="matches no file"):
        find_slices(None, str(tmp_path / "none-*.parquet"), "y", y_pred="pred", progress=False)


# -- check_duplicates -----------------------------------------------------------------------------
COLS = [*BY, "y"]


@pytest.fixture(scope="module")
def split(table):
    """Train and test halves; 250 test rows planted from training (copies of training rows)."""
    rng = np.random.default_rng(5)
    train, test = table.iloc[: N // 2][COLS], table.iloc[N // 2:][COLS]
    test = pd.concat([test, train.iloc[rng.choice(len(train), 250, replace=False)]], ignore_index=True)
    return train.reset_index(drop=True), test.sample(frac=1, random_state=3).reset_index(drop=True)


def _pandas_truth(test: pd.DataFrame, train: pd.DataFrame) -> dict[str, object]:
    dup = test.duplicated(keep=False)
    firsts = test[dup].reset_index().groupby(COLS, dropna=False)["index"].agg(lambda s: tuple(sorted(s)[:2]))
    pairs = sorted(firsts.tolist(), key=lambda p: p[1])[:5]
    return {"dup": int(test.duplicated().sum()), "train_dup": int(train.duplicated().sum()),
            "overlap": len(test.merge(train.drop_duplicates(), on=COLS, how="inner")),
            "pairs": [(b, a) for a, b in pairs], "missing": test.isna().sum().to_dict(),
            "distinct": test.nunique().to_dict()}


def _same_check(a, b) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.examples, b.examples)
    assert [f.title for f in a.findings()] == [f.title for f in b.findings()]


@pytest.fixture(scope="module")
def checked(split):
    train, test = split
    return check_duplicates(test, reference=train)


def test_check_duplicates_equals_pandas(split, checked):
    train, test = split
    truth = _pandas_truth(test, train)
    assert truth["overlap"] >= 250 and truth["dup"] >= 90  # the planted copies
    assert checked.count("duplicate_rows") == truth["dup"]
    assert checked.count("duplicate_rows", "reference") == truth["train_dup"]
    assert checked.count("train_test_duplicates") == truth["overlap"]
    ex = checked.examples[(checked.examples["check"] == "duplicate_rows") & (checked.examples["split"] == "data")]
    assert list(zip(ex["row"], ex["matches_row"], strict=True)) == truth["pairs"]
    over = checked.examples[checked.examples["check"] == "train_test_duplicates"]
    for row, match in zip(over["row"], over["matches_row"], strict=True):
        assert test.iloc[row].equals(train.iloc[match])
    f = checked.frame[checked.frame["split"] == "data"].set_index(["check", "column"])["count"]
    assert {c: f[("missing", c)] for c in COLS} == truth["missing"]
    # exact up to distinct_cap (10,000), "at least" the cap beyond (the continuous income)
    assert {c: f[("distinct", c)] for c in COLS} == {c: min(v, 10_000) for c, v in truth["distinct"].items()}
    assert [r.severity for r in checked.findings()][:2] == ["high", "medium"]


def test_check_duplicates_on_parquet_chunks_and_hash_passes(split, checked, tmp_path):
    train, test = split
    got = check_duplicates(_parquet(test, tmp_path / "test", 3), reference=_parquet(train, tmp_path / "train", 5),
                           chunk_rows=17_000, progress=False)
    _same_check(got, checked)
    _same_check(check_duplicates(test, reference=train, hash_passes=4), checked)
    test.to_csv(tmp_path / "test.csv", index=False)  # CSV: text and numbers as pyarrow reads them
    csv = check_duplicates(str(tmp_path / "test.csv"), reference=train, chunk_rows=33_333, progress=False)
    _same_check(csv, checked)


@pytest.mark.parametrize("parts", [1, 3, 8])
def test_check_duplicates_on_dask_for_any_partitioning(split, checked, cluster, parts, tmp_path):
    train, test = split
    got = check_duplicates(_dask(test, tmp_path / "test", parts), reference=_dask(train, tmp_path / "train", 8),
                           progress=False)
    _same_check(got, checked)


def test_clean_data_has_no_false_duplicates_and_numbers_match_across_dtypes(tmp_path):
    rng = np.random.default_rng(9)
    clean = pd.DataFrame({"x": rng.normal(size=50_000), "g": rng.choice(["a", "b"], 50_000)})
    res = check_duplicates(clean)
    assert res.count("duplicate_rows") == 0 and res.examples.empty
    assert res.findings()[0].severity == "info"
    # one file reads an int column as int64, the other (with a missing value) as float64:
    # 3 and 3.0 are the same value, as pandas compares them
    pd.DataFrame({"k": [1, 2, 3], "s": ["a", "b", "c"]}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"k": [3.0, np.nan, -0.0], "s": ["c", "d", "e"]}).to_parquet(tmp_path / "b.parquet")
    got = check_duplicates(str(tmp_path / "*.parquet"), progress=False)
    assert got.count("duplicate_rows") == 1
    assert got.examples[["row", "matches_row"]].to_numpy().tolist() == [[3, 2]]
    f = got.frame.set_index(["check", "column"])["count"]
    assert f[("distinct", "k")] == 4 and f[("missing", "k")] == 1  # 1, 2, 3, 0


def test_distinct_counts_are_capped_and_inf_counted():
    df = pd.DataFrame({"x": np.arange(300, dtype=float), "c": 7})
    df.loc[[3, 9], "x"] = np.inf
    res = check_duplicates(df, distinct_cap=100)
    f = res.frame.set_index(["check", "column"])
    assert f.loc[("distinct", "x"), "count"] == 100 and "at least 100" in f.loc[("distinct", "x"), "detail"]
    assert f.loc[("infinite", "x"), "count"] == 2 and f.loc[("constant", "c"), "flagged"]
    assert not f.loc[("constant", "x"), "flagged"]


def test_check_duplicates_bad_inputs(split, tmp_path):
    train, test = split
    with pytest.raises(DiagnosticInputError, match="data must be a pandas DataFrame"):
        check_duplicates([[1, 2]])
    with pytest.raises(DiagnosticInputError, match="Did you mean 'region'"):
        check_duplicates(test, columns=["regoin"])
    with pytest.raises(DiagnosticInputError, match="reference lacks column"):
        check_duplicates(test, reference=train.drop(columns=["age"]))
    with pytest.raises(DiagnosticInputError, match="max_examples must be an integer"):
        check_duplicates(test, max_examples=-1)
    with pytest.raises(DiagnosticInputError, match="confidence"):
        check_duplicates(test, confidence=1.5)
    with pytest.raises(DiagnosticInputError, match="columns must be a non-empty list"):
        check_duplicates(test, columns="region")
    with pytest.raises(DiagnosticInputError, match="matches no file"):
        check_duplicates(str(tmp_path / "nothing-*.csv"))
    with pytest.raises(DiagnosticInputError, match="no rows"):
        check_duplicates(test.iloc[:0])
