"""The data sources of the large-data paths: one pass where no row position is needed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diagtools._sources import as_source, near
from diagtools.errors import DiagnosticInputError
from diagtools.metrics import evaluate_predictions

dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 20_000
    y = rng.integers(0, 2, n)
    score = np.clip(0.3 * y + 0.7 * rng.random(n), 0.0, 1.0)
    return pd.DataFrame({"y": y, "pred": (score > 0.5).astype(int), "score": score})


def _rows_and_first(frame: pd.DataFrame, first_row: int | None) -> dict:
    return {"n": len(frame), "firsts": [first_row], "sum": int(frame["y"].sum())}


def _merge(a: dict, b: dict) -> dict:
    return {"n": a["n"] + b["n"], "firsts": a["firsts"] + b["firsts"], "sum": a["sum"] + b["sum"]}


def test_a_dask_pass_without_offsets_learns_the_lengths_for_the_next(table):
    """offsets=False: no separate length pass (first_row is None), lengths recorded; the next
    pass gets the true global first rows of the partitions from them."""
    import dask

    ddf = dd.from_pandas(table, npartitions=5)
    src = as_source(ddf)
    with dask.config.set(scheduler="sync"):
        first = src.run(["y"], _rows_and_first, _merge, offsets=False)
        assert first["firsts"] == [None] * 5 and first["n"] == len(table)
        assert src.lengths[("y",)] == [len(p) for p in ddf.partitions] and sum(src.lengths[("y",)]) == len(table)
        second = src.run(["y"], _rows_and_first, _merge)
    expected = np.concatenate([[0], np.cumsum(src.lengths[("y",)])[:-1]]).tolist()
    assert second["firsts"] == expected
    assert second["sum"] == first["sum"] == int(table["y"].sum())


def test_pandas_and_files_always_pass_the_first_row(table, tmp_path):
    table.to_parquet(tmp_path / "t.parquet", row_group_size=3_000)
    for data in (table, str(tmp_path / "t.parquet")):
        src = as_source(data, chunk_rows=4_000)
        out = src.run(["y"], _rows_and_first, _merge, offsets=False)
        assert None not in out["firsts"] and out["firsts"][0] == 0
        assert out["n"] == len(table)


def test_dask_evaluate_equals_memory_after_the_single_length_pass(table):
    mem = evaluate_predictions(table["y"].to_numpy(), y_pred=table["pred"].to_numpy(),
                               y_score=table["score"].to_numpy(), n_boot=0)
    res = evaluate_predictions("y", y_pred="pred", y_score="score", data=dd.from_pandas(table, npartitions=4),
                               n_boot=0, progress=False)
    a, b = mem.frame.set_index("metric")["estimate"], res.frame.set_index("metric")["estimate"]
    binned = ["roc_auc", "pr_auc"]  # from fine score bins on the data path (exact in memory)
    exact = a.index.difference(binned)
    assert len(exact) >= 10
    np.testing.assert_allclose(b.loc[exact], a.loc[exact], rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.loc[binned], a.loc[binned], rtol=0, atol=1e-3)


def test_an_error_in_a_dask_first_pass_names_the_partition(table):
    bad = table.assign(y=table["y"].astype(float))
    bad.loc[7_000, "y"] = np.nan
    with pytest.raises(DiagnosticInputError, match="missing values \\(in one of the partitions\\)"):
        evaluate_predictions("y", y_pred="pred", data=dd.from_pandas(bad, npartitions=4), n_boot=0, progress=False)
    with pytest.raises(DiagnosticInputError, match="missing values \\(near row 0\\)"):
        evaluate_predictions("y", y_pred="pred", data=bad, n_boot=0, progress=False)
    assert near(1_234_567) == "near row 1,234,567"


def test_lengths_are_kept_per_column_set_and_relearned_when_the_partitioning_differs(table):
    """dask may split a read of other columns differently (row groups by size): lengths learned for
    one set of columns are not used for another, and a stale list is learned again."""
    import dask

    ddf = dd.from_pandas(table, npartitions=5)
    src = as_source(ddf)
    src.lengths[("y",)] = [len(table) // 2, len(table) - len(table) // 2]  # as if from a 2-partition read
    with dask.config.set(scheduler="sync"):
        out = src.run(["y"], _rows_and_first, _merge)
        other = src.run(["y", "pred"], _rows_and_first, _merge, offsets=False)
    sizes = [len(p) for p in ddf.partitions]
    assert src.lengths[("y",)] == sizes and src.lengths[("y", "pred")] == sizes
    assert out["firsts"] == np.concatenate([[0], np.cumsum(sizes)[:-1]]).tolist()
    assert other["firsts"] == [None] * 5


def test_text_as_categories_gives_the_codes_of_the_text(tmp_path):
    """Parquet text read as sorted categoricals: per chunk, pd.factorize gives the codes and levels
    of the strings themselves (missing values included); slice_metrics equals memory."""
    from diagtools.slices import slice_metrics

    rng = np.random.default_rng(8)
    n = 9_000
    text = rng.choice(np.array(["west", "East", "north", "Ünter", "south", None], dtype=object), n)
    frame = pd.DataFrame({"region": pd.array(text, dtype="str"), "y": rng.integers(0, 2, n)})
    frame["pred"] = np.where(rng.random(n) < 0.8, frame["y"], 1 - frame["y"])
    # two files, row groups whose dictionaries hold different values in different orders
    frame.iloc[:4_000].to_parquet(tmp_path / "a.parquet", row_group_size=1_500)
    frame.iloc[4_000:].sort_values("region", ascending=False).to_parquet(tmp_path / "b.parquet", row_group_size=2_000)
    src = as_source(str(tmp_path / "*.parquet"), chunk_rows=1_000)
    plain = list(src.chunks(["region", "y"]))
    cats = list(src.chunks(["region", "y"], text_as_categories=True))
    assert len(plain) == len(cats) > 4
    for (a, _), (b, _) in zip(plain, cats, strict=True):
        assert isinstance(b["region"].dtype, pd.CategoricalDtype)
        codes_a, uniq_a = pd.factorize(a["region"], sort=True)
        codes_b, uniq_b = pd.factorize(b["region"], sort=True)
        np.testing.assert_array_equal(codes_a, codes_b)
        assert list(uniq_a) == list(np.asarray(uniq_b, dtype=object))
    on_files = slice_metrics(None, str(tmp_path / "*.parquet"), "y", y_pred="pred", by=["region"], progress=False,
                             chunk_rows=1_000)
    both = pd.concat([pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")],
                     ignore_index=True)
    in_memory = slice_metrics(None, both[["region"]], both["y"], y_pred=both["pred"], by=["region"])
    pd.testing.assert_frame_equal(on_files.frame, in_memory.frame)
    assert in_memory.frame["slice"].str.contains("missing").any()  # the missing level is in play


def _count_runs(monkeypatch):
    import diagtools._sources as S

    calls = []
    orig = S.Source.run

    def run(self, columns, stats, merge, **kw):
        calls.append(kw.get("desc"))
        return orig(self, columns, stats, merge, **kw)

    monkeypatch.setattr(S.Source, "run", run)
    return calls


@pytest.mark.parametrize("late", [None, "label", "score"])
def test_one_pass_when_the_first_rows_tell_the_layout(table, tmp_path, monkeypatch, late):
    """The labels and score kind are guessed from the first rows and verified on every row: one
    pass over the files when the guess holds; when a later row breaks it (a new label, a score
    outside [0, 1]) a second pass counts again, and the result is the in-memory one either way."""
    from diagtools.metrics import _large

    monkeypatch.setattr(_large, "TASK_ROWS", 1_000)
    data = table.copy()
    if late == "label":  # a third class appears after the first rows
        data.loc[15_000:, "y"] = np.where(data.loc[15_000:, "y"] == 1, 2, data.loc[15_000:, "y"])
    if late == "score":  # ranking scores, which the first rows do not show
        data.loc[15_000:, "score"] = data.loc[15_000:, "score"] * 3.0
    data.to_parquet(tmp_path / "t.parquet", row_group_size=4_000)
    kw = {"n_boot": 30} if late != "label" else {"n_boot": 30, "y_score": None}
    calls = _count_runs(monkeypatch)
    args = {"y_pred": "pred", "y_score": "score", **kw}
    res = evaluate_predictions("y", data=str(tmp_path / "t.parquet"), progress=False, chunk_rows=3_000, **args)
    assert len(calls) == (1 if late is None else 2), calls
    mem_args = {"y_pred": data["pred"].to_numpy(), "n_boot": 0,
                "y_score": None if args["y_score"] is None else data["score"].to_numpy()}
    mem = evaluate_predictions(data["y"].to_numpy(), **mem_args)
    a, b = mem.frame.set_index("metric")["estimate"], res.frame.set_index("metric")["estimate"]
    exact = a.index.difference(["roc_auc", "pr_auc"])
    assert list(a.index) == list(b.index) and len(exact) >= 5
    np.testing.assert_allclose(b.loc[exact], a.loc[exact], rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(res.confusion, mem.confusion)


def test_a_categorical_with_its_own_order_slices_alike_in_memory_and_on_files(tmp_path):
    """Levels in value order on every path: a categorical whose categories are not sorted gives
    the same frame (same rows, same order, same bootstrap streams) in memory, on files and on dask."""
    from diagtools.slices import slice_metrics

    rng = np.random.default_rng(0)
    n = 30_000
    t = pd.DataFrame({"c": pd.Categorical(rng.choice(["x", "y", "z"], n), categories=["z", "x", "y"]),
                      "s": rng.choice(["b", "a"], n), "y": rng.integers(0, 2, n)})
    t["p"] = rng.integers(0, 2, n)
    t.to_parquet(tmp_path / "t.parquet", row_group_size=7_000)
    mem = slice_metrics(None, t[["c", "s"]], t["y"], y_pred=t["p"], by=["c", "s"])
    assert list(mem.frame["slice"])[:3] == ["c=x", "c=y", "c=z"]
    on_files = slice_metrics(None, str(tmp_path / "t.parquet"), "y", y_pred="p", by=["c", "s"], progress=False,
                             chunk_rows=5_000)
    on_dask = slice_metrics(None, dd.from_pandas(t, npartitions=3), "y", y_pred="p", by=["c", "s"], progress=False)
    pd.testing.assert_frame_equal(on_files.frame, mem.frame)
    pd.testing.assert_frame_equal(on_dask.frame, mem.frame)
