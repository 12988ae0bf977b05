"""Benchmark of the history store and the run comparison.

Measures, in one process run:
- ``History.record`` throughput (runs/s) for one writer and for 4 concurrent writer processes,
  and the bytes one run takes on disk (predictions + raw latency samples);
- ``compare_runs`` on a paired accuracy comparison vs a floor: the naive bootstrap (one
  ``rng.integers`` index draw and mean per resample, in a Python loop);
- the peak memory (tracemalloc) of ``compare_runs``.

Usage: python benchmarks/bench_history.py [--rows 10000] [--runs 100] [--n-boot 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from diagtools.history import History, compare_runs


def _metrics(acc: float) -> pd.DataFrame:
    return pd.DataFrame({"metric": ["accuracy"], "estimate": [acc], "ci_low": [acc - 0.01], "ci_high": [acc + 0.01],
                         "n": [1000]})


def _payload(rows: int, seed: int):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, rows)
    pred = np.where(rng.random(rows) < 0.15, 1 - y, y)
    score = rng.random(rows)
    lat = pd.DataFrame({"batch_size": np.repeat([1, 100], 50), "latency_ms": rng.lognormal(0, 0.1, 100)})
    return y, pred, score, lat


def _writer(path: str, n: int, rows: int, seed: int) -> None:
    hist = History(path)
    y, pred, score, lat = _payload(rows, seed)
    for i in range(n):
        hist.record(name=f"w{seed}", metrics=_metrics(0.85), latency=lat, y=y, y_pred=pred, y_score=score,
                    data_fingerprint="d", git_commit=None, environment={"hash": "x"}, n_boot=200, random_state=i)


def _naive_paired(a: np.ndarray, b: np.ndarray, n_boot: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    d = b - a
    boots = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(n_boot)]
    return float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="evaluation rows per run (default: 10000)")
    parser.add_argument("--runs", type=int, default=100, help="runs written per writer (default: 100)")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default: 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats after a warm-up (default: 3)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-history-"))

    # -- record: one writer
    path = root / "one.db"
    History(path)
    _writer(str(path), 2, args.rows, 0)  # warm-up
    t0 = time.perf_counter()
    _writer(str(path), args.runs, args.rows, 1)
    one = args.runs / (time.perf_counter() - t0)
    size = sum(p.stat().st_size for p in root.glob("one.db*")) / (args.runs + 2)

    # -- record: 4 concurrent writer processes
    path4 = root / "four.db"
    History(path4)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path4), args.runs, args.rows, s)) for s in range(4)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    four = 4 * args.runs / (time.perf_counter() - t0)
    stored = len(History(path4).runs())

    # -- compare: paired accuracy bootstrap vs the naive floor
    hist = History(root / "cmp.db")
    y, pred, _score, lat = _payload(args.rows, 0)
    worse = pred.copy()
    worse[: args.rows // 30] = 1 - worse[: args.rows // 30]
    a = hist.get(hist.record(name="a", metrics=_metrics(0.85), latency=lat, y=y, y_pred=pred, data_fingerprint="d",
                             git_commit=None))
    b = hist.get(hist.record(name="b", metrics=_metrics(0.82), latency=lat, y=y, y_pred=worse, data_fingerprint="d",
                             git_commit=None))
    ca, cb = (y == pred).astype(float), (y == worse).astype(float)

    def timed(fn):
        fn()
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    t_cmp = timed(lambda: compare_runs(a, b, n_boot=args.n_boot))
    t_naive = timed(lambda: _naive_paired(ca, cb, args.n_boot))
    tracemalloc.start()
    compare_runs(a, b, n_boot=args.n_boot)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    print(f"rows={args.rows:,} runs/writer={args.runs} n_boot={args.n_boot} repeats={args.repeats}")
    print(f"{'measure':<52}{'value':>14}")
    print(f"{'record, 1 writer (runs/s)':<52}{one:>14.1f}")
    print(f"{'record, 4 writer processes (runs/s, all)':<52}{four:>14.1f}")
    print(f"{'runs stored by 4 writers / written':<52}{stored:>8} / {4 * args.runs}")
    print(f"{'bytes on disk per run':<52}{size:>14,.0f}")
    print(f"{'compare_runs: accuracy paired + 2 latency (s)':<52}{t_cmp:>14.4f}")
    print(f"{'floor: naive loop bootstrap, accuracy only (s)':<52}{t_naive:>14.4f}")
    print(f"{'ratio compare_runs / naive floor':<52}{t_cmp / t_naive:>14.2f}")
    print(f"{'compare_runs peak memory (tracemalloc, MB)':<52}{peak:>14.1f}")


if __name__ == "__main__":
    main()
