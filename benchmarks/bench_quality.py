"""Benchmark: duplicate and cross-split leakage detection vs a plain pandas-hashing floor.

Workload: a train/test pair of ``--rows`` rows in total (80/20) x ``--cols`` feature columns
(60% float, 20% int, 20% string categories) plus a binary target, with 2% of the test rows
copied from training. diagtools runs ``check_data(train, test, target=..., checks="duplicates")``
(within-split duplicates, conflicting labels, test rows found in training, with intervals and
findings). The floor is the simplest pandas code for the same counts:
``hash_pandas_object`` of both feature frames, ``duplicated`` on each and ``isin`` across.

Run: ``python benchmarks/bench_quality.py --rows 1000000 --cols 20 --repeats 3``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd


def make_data(rows: int, cols: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    n_float, n_int = int(cols * 0.6), int(cols * 0.2)
    for i in range(n_float):
        data[f"f{i}"] = np.round(rng.normal(size=rows), 4)
    for i in range(n_int):
        data[f"i{i}"] = rng.integers(0, 1000, size=rows)
    cats = np.array([f"level_{k}" for k in range(50)])
    for i in range(cols - n_float - n_int):
        data[f"c{i}"] = cats[rng.integers(0, 50, size=rows)]
    data["target"] = rng.integers(0, 2, size=rows)
    df = pd.DataFrame(data)
    n_train = int(rows * 0.8)
    train, test = df.iloc[:n_train].reset_index(drop=True), df.iloc[n_train:].reset_index(drop=True)
    k = int(0.02 * len(test))
    pos = rng.choice(len(test), k, replace=False)
    src = rng.choice(len(train), k, replace=False)
    test.iloc[pos] = train.iloc[src].to_numpy()
    test = test.astype(train.dtypes.to_dict())
    return train, test, k


def floor(train: pd.DataFrame, test: pd.DataFrame, target: str) -> tuple[int, int, int]:
    feats = [c for c in train.columns if c != target]
    h_tr = pd.util.hash_pandas_object(train[feats], index=False)
    h_te = pd.util.hash_pandas_object(test[feats], index=False)
    return int(h_tr.duplicated().sum()), int(h_te.duplicated().sum()), int(h_te.isin(h_tr).sum())


def diagtools_run(train: pd.DataFrame, test: pd.DataFrame, target: str, checks: object = "duplicates") -> int:
    from diagtools.quality import check_data

    res = check_data(train, test, target=target, checks=checks)
    res.findings()
    return res.count("train_test_duplicates")


def timed(fn, *args, repeats: int) -> tuple[float, object]:
    fn(*args)  # warm-up
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def peak_mb(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    train, test, k = make_data(args.rows, args.cols)
    print(f"{len(train):,} train + {len(test):,} test rows x {args.cols} columns; {k:,} test rows planted from train")
    t_floor, out_floor = timed(floor, train, test, "target", repeats=args.repeats)
    t_dt, out_dt = timed(diagtools_run, train, test, "target", repeats=args.repeats)
    assert out_dt == out_floor[2] == k, (out_dt, out_floor, k)
    m_floor, m_dt = peak_mb(floor, train, test, "target"), peak_mb(diagtools_run, train, test, "target")
    print(f"{'method':<34}{'median_s':>10}{'ratio':>8}{'peak_mb':>10}")
    print(f"{'floor (hash_pandas_object+isin)':<34}{t_floor:>10.3f}{1.0:>8.2f}{m_floor:>10.1f}")
    print(f"{'diagtools check_data duplicates':<34}{t_dt:>10.3f}{t_dt / t_floor:>8.2f}{m_dt:>10.1f}")
    t_near, _ = timed(diagtools_run, train, test, "target", ["duplicates", "near_duplicates"], repeats=args.repeats)
    m_near = peak_mb(diagtools_run, train, test, "target", ["duplicates", "near_duplicates"])
    print(f"{'  + near duplicates (info)':<34}{t_near:>10.3f}{t_near / t_floor:>8.2f}{m_near:>10.1f}")
    print(f"found {out_dt:,} test rows in train (floor: {out_floor[2]:,}); median of {args.repeats} after a warm-up")


if __name__ == "__main__":
    main()
