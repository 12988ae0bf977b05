"""Large data: ``check_duplicates`` and ``find_slices`` on the three back ends, against numpy / pandas floors.

One run, one table (step, rows, back end, seconds, peak RSS, ratio to the floor). Seeded data:
the table of ``bench_scale.py`` (a binary target and a model's label, three categorical and two
numeric columns) with a planted failing slice and 1% of its rows copied (planted duplicates).

* **duplicates floor**: pandas ``DataFrame.duplicated()`` on the same columns in memory (the
  count only: no reference, no column counts).
* **check_duplicates**: duplicate rows, per-column missing / infinite / distinct / constant
  counts: in memory, ``chunked`` (8 parquet files read in chunks of 250,000 rows) and ``dask``
  (the files through ``dask.dataframe`` on a ``LocalCluster(n_workers=2, threads_per_worker=1,
  processes=False)``).
* **slices floor**: one ``np.bincount`` of the cells of the five slicing columns (level codes
  combined into one integer, weighted by the 0/1 error): the statistics the search needs,
  without the search.
* **find_slices** on the five columns (SliceLine up to 3 predicates, tests, error tree): the
  same three back ends.

Each step runs in a fresh process (``multiprocessing`` spawn) that reports its own peak RSS
(``VmHWM``). Times are wall-clock on whatever machine runs it; compare the ratios.

Usage::

    python benchmarks/bench_scale_quality.py [--rows 2000000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bench_scale import BY, _rss_mb
from bench_scale import make_table as _base_table
from bench_scale import run as run_fresh

COLUMNS = [*BY, "y", "pred"]


def make_table(n: int, seed: int = 0) -> pd.DataFrame:
    """``bench_scale``'s table of ``n`` rows with a failing slice (north & phone: 30% more labels
    flipped) and 1% of its rows copies of other rows (planted duplicates)."""
    n_copies = n // 100
    base = _base_table(n - n_copies, seed)[COLUMNS]
    rng = np.random.default_rng(seed + 1)
    flip = (base["region"] == "north").to_numpy() & (base["channel"] == "phone").to_numpy() & (rng.random(len(base)) < 0.3)
    base.loc[flip, "pred"] = 1 - base.loc[flip, "pred"]
    return pd.concat([base, base.iloc[rng.choice(len(base), n_copies, replace=False)]], ignore_index=True)


def _data(backend: str, args: dict[str, Any]) -> Any:
    if backend == "dask":
        import dask.dataframe as dd

        return dd.read_parquet(args["files"])
    return args["files"] if backend == "chunked" else make_table(args["rows"])


def _step(kind: str, backend: str, args: dict[str, Any]) -> tuple[float, float, str]:
    """Run one step in this (fresh) process: (seconds, peak RSS MB, note)."""
    import warnings

    warnings.filterwarnings("ignore")
    client = cluster = None
    if backend == "dask":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
        client = Client(cluster)
    data = _data(backend, args)
    from sklearn import tree  # noqa: F401  (imported before the clock starts, as in a session)

    from diagtools.quality import check_duplicates
    from diagtools.slices import find_slices

    t = time.perf_counter()
    if kind == "duplicates floor":
        note = f"{int(data.duplicated().sum()):,} duplicate rows"
    elif kind == "check_duplicates":
        res = check_duplicates(data, progress=False)
        note = f"{res.count('duplicate_rows'):,} duplicate rows"
    elif kind == "slices floor":
        codes = [pd.factorize(data[c])[0] if data[c].dtype == object else
                 np.minimum((data[c].rank(pct=True).to_numpy() * 5).astype(np.int64), 4) for c in BY]
        t = time.perf_counter()  # the bincount alone: encoding is not part of the floor
        key = np.zeros(len(data), dtype=np.int64)
        for code in codes:
            key = key * (int(code.max()) + 1) + code
        cells = np.bincount(key, weights=(data["y"].to_numpy() != data["pred"].to_numpy()).astype(float))
        note = f"{int((cells > 0).sum()):,} cells with errors"
    else:  # find_slices
        if backend == "memory":
            res = find_slices(None, data[BY], data["y"], y_pred=data["pred"])
        else:
            res = find_slices(None, data, "y", y_pred="pred", by=BY, progress=False)
        note = f"top: {res.frame['slice'].iloc[0]}" if len(res.frame) else "no slice"
    sec = time.perf_counter() - t
    if client is not None:
        client.close()
        cluster.close()
    return sec, _rss_mb(), note




def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    ns = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        table = make_table(ns.rows)
        for i, part in enumerate(np.array_split(np.arange(ns.rows), 8)):
            table.iloc[part].to_parquet(Path(tmp) / f"part-{i}.parquet")
        del table
        args = {"rows": ns.rows, "files": str(Path(tmp) / "*.parquet")}
        steps = [("duplicates floor", "memory")] + [("check_duplicates", b) for b in ("memory", "chunked", "dask")]
        steps += [("slices floor", "memory")] + [("find_slices", b) for b in ("memory", "chunked", "dask")]
        rows, floor = [], float("nan")
        for kind, backend in steps:
            sec, rss, note = run_fresh(kind, backend, args, _step)
            floor = sec if kind.endswith("floor") else floor
            ratio = "" if kind.endswith("floor") else f"{sec / floor:,.1f}x"
            rows.append((kind, f"{ns.rows:,}", backend, f"{sec:.2f}", f"{rss:,.0f}", ratio, note))
            print(f"  done: {kind} / {backend}: {sec:.2f} s", file=sys.stderr, flush=True)
    frame = pd.DataFrame(rows, columns=["step", "rows", "back end", "seconds", "peak RSS MB", "vs floor", "note"])
    print(f"bench_scale_quality: --rows {ns.rows:,}")
    print(frame.to_string(index=False))


if __name__ == "__main__":
    main()
