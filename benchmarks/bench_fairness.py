"""Fairness: ``assess_fairness_predictions`` vs fairlearn ``MetricFrame`` with ``n_boot``.

Default: 1,000,000 rows, two sensitive columns (``sex``: 2 levels, ``race``: 5 levels) and
their cross (10 groups); every disparity measure with a 1,000-resample interval.

* **diagtools**: ``assess_fairness_predictions(y, y_pred, sensitive_features=A, y_score=s,
  n_boot=1000)`` - group metrics (selection rate, base rate, TPR, FPR, precision, error rate,
  ECE) with intervals, the seven disparity measures with bootstrap intervals, a permutation test
  per null hypothesis (1,000 permutations) with BH FDR, findings.
* **fairlearn**: one ``MetricFrame(metrics={selection_rate, tpr, fpr, precision}, n_boot=k)``
  per feature (sex, race, sex x race), then ``difference_ci()`` and ``ratio_ci()`` - the
  intervals behind the same measures, no tests. fairlearn recomputes every metric of every
  group on every resample in Python (about 0.6 CPU-s per metric and feature per 100,000 rows
  on this machine, mostly converting columns row by row), so a full run would take hours. It
  runs ``--fairlearn-boot`` resamples (default 2) on the first ``--fairlearn-rows`` rows
  (default 100,000; pass ``--fairlearn-rows 1000000`` to measure at full size) and is
  **extrapolated** linearly in resamples and rows: ``(t(0) + n_boot * (t(k) - t(0)) / k) *
  rows / fairlearn_rows``. The output prints the measured times and says what is extrapolated.
  Linear in rows is conservative: fairlearn's CPU time per resample grew faster than the rows
  on this machine (0.28 / 2.9 / 7.4 s at 20,000 / 50,000 / 100,000 rows).

Peak memory: a fresh process builds the data, resets its RSS high-water mark (Linux
``/proc/self/clear_refs``) and runs one call (fairlearn with 1 resample on its rows); the output
gives the peak RSS and its rise during the call. tracemalloc would slow fairlearn's Python
loops several-fold.

Usage::

    python benchmarks/bench_fairness.py [--rows 1000000] [--n-boot 1000] [--fairlearn-rows 100000]
                                         [--fairlearn-boot 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from diagtools.fairness import assess_fairness_predictions


def make_data(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = pd.DataFrame({
        "sex": rng.choice(["female", "male"], n, p=[0.4, 0.6]),
        "race": rng.choice(["a", "b", "c", "d", "e"], n, p=[0.3, 0.25, 0.2, 0.15, 0.1]),
    })
    y = (rng.random(n) < np.where(A["race"].to_numpy() == "c", 0.45, 0.3)).astype(int)
    score = np.clip(0.25 + 0.4 * y + rng.normal(0, 0.2, n) - 0.05 * (A["sex"].to_numpy() == "female"), 0, 1)
    return A, y, (score > 0.5).astype(int), score


def once(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of one run (CPU time is robust to other processes on a shared machine)."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeats`` runs after one warm-up."""
    fn()
    runs = [once(fn) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def peak_rss_mb(which: str, rows: int, fairlearn_rows: int, n_boot: int) -> tuple[float, float]:
    """Peak RSS (MB) of a fresh process running one call of ``which``, and its rise during the call."""
    out = subprocess.run(
        [sys.executable, __file__, "--peak", which, "--rows", str(rows), "--fairlearn-rows", str(fairlearn_rows),
         "--n-boot", str(n_boot)], capture_output=True, text=True, check=True,
    )
    peak, rise = out.stdout.strip().splitlines()[-1].split()
    return float(peak), float(rise)


def _status_mb(key: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return float(line.split()[1]) / 1e3
    return float("nan")


def _peak_child(which: str, rows: int, fairlearn_rows: int, n_boot: int) -> None:
    A, y, pred, score = make_data(rows)
    m = min(fairlearn_rows, rows)
    Af, yf, pf = A.iloc[:m], y[:m], pred[:m]
    gc.collect()
    try:  # reset the high-water mark (Linux): the peak then covers the call only, not the data generation
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        before = _status_mb("VmRSS")
    except OSError:
        before = float("nan")
    if which == "diagtools":
        assess_fairness_predictions(y, pred, sensitive_features=A, y_score=score, n_boot=n_boot)
    else:
        fairlearn_run(Af, yf, pf, 1)
    peak = _status_mb("VmHWM")
    if not np.isfinite(peak):  # not Linux: the process's lifetime peak (kB on Linux, bytes on macOS)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(peak, peak - before)


def fairlearn_run(A: pd.DataFrame, y: np.ndarray, pred: np.ndarray, n_boot: int | None) -> None:
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
    from sklearn.metrics import precision_score

    metrics = {"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
               "precision": precision_score}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sf in (A["sex"], A["race"], A[["sex", "race"]]):
            mf = MetricFrame(metrics=metrics, y_true=y, y_pred=pred, sensitive_features=sf, n_boot=n_boot,
                             ci_quantiles=[0.025, 0.975] if n_boot else None, random_state=0)
            if n_boot:
                mf.difference_ci()
                mf.ratio_ci()
            else:
                mf.difference()
                mf.ratio()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--fairlearn-boot", type=int, default=2)
    parser.add_argument("--fairlearn-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peak", choices=["diagtools", "fairlearn"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak:
        _peak_child(args.peak, args.rows, args.fairlearn_rows, args.n_boot)
        return

    A, y, pred, score = make_data(args.rows)
    print(f"{args.rows:,} rows; sensitive: sex (2 levels), race (5), sex x race (10 groups); "
          f"{args.n_boot:,} resamples")

    def ours() -> Any:
        return assess_fairness_predictions(y, pred, sensitive_features=A, y_score=score, n_boot=args.n_boot)

    t_ours, c_ours = timed(ours, args.repeats)
    res = ours()
    n_flagged = int(res.frame["flagged"].sum())
    print(f"diagtools assess_fairness_predictions: {t_ours:.2f} s wall, {c_ours:.2f} s CPU (median of {args.repeats}; "
          f"{len(res.frame)} measures with intervals and tests, {len(res.groups)} group metrics, {n_flagged} flagged)")

    m = min(args.fairlearn_rows, args.rows)
    Af, yf, pf = A.iloc[:m], y[:m], pred[:m]
    t0, c0 = once(lambda: fairlearn_run(Af, yf, pf, None))
    tk, ck = once(lambda: fairlearn_run(Af, yf, pf, args.fairlearn_boot))
    scale = args.rows / m
    t_fl = (t0 + args.n_boot * max(tk - t0, 0.0) / args.fairlearn_boot) * scale
    c_fl = (c0 + args.n_boot * max(ck - c0, 0.0) / args.fairlearn_boot) * scale
    print(f"fairlearn MetricFrame x3 on {m:,} rows, no bootstrap: {t0:.2f} s wall, {c0:.2f} s CPU (measured)")
    print(f"fairlearn MetricFrame x3 on {m:,} rows, n_boot={args.fairlearn_boot}: {tk:.2f} s wall, {ck:.2f} s CPU "
          f"(measured; {max(ck - c0, 0.0) / args.fairlearn_boot:.2f} CPU s per resample)")
    what = f"{args.fairlearn_boot} resamples" + (
        f" on {m:,} rows, linearly in rows: conservative, its cost per resample grows faster" if scale != 1 else "")
    print(f"fairlearn MetricFrame x3 on {args.rows:,} rows, n_boot={args.n_boot}: {t_fl:,.0f} s wall, "
          f"{c_fl:,.0f} s CPU (EXTRAPOLATED from {what})")
    print(f"ratio at equal resamples ({args.n_boot:,}) and rows ({args.rows:,}): diagtools is "
          f"{t_fl / t_ours:,.0f}x faster (wall), {c_fl / c_ours:,.0f}x (CPU)")

    p_ours, d_ours = peak_rss_mb("diagtools", args.rows, m, args.n_boot)
    p_fl, d_fl = peak_rss_mb("fairlearn", args.rows, m, args.n_boot)
    print(f"peak RSS during the call (fresh process, data already built): diagtools +{d_ours:,.0f} MB "
          f"(peak {p_ours:,.0f} MB) on {args.rows:,} rows; fairlearn n_boot=1 +{d_fl:,.0f} MB (peak {p_fl:,.0f} MB) "
          f"on {m:,} rows")

if __name__ == "__main__":
    main()
