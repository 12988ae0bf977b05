"""Vectorized bootstrap of accuracy, F1 and ROC-AUC vs a naive loop of scikit-learn calls.

Both run in this process on the same seeded data (default: 100,000 rows, 1,000 resamples).
The naive loop draws row indices and calls ``accuracy_score``, ``f1_score`` and
``roc_auc_score`` once per resample. By default it is timed on ``--loop-boot`` resamples and
extrapolated linearly to ``--n-boot`` (the loop's cost is linear in resamples); ``--full``
runs it completely. Prints median times of ``--repeats`` runs after a warm-up, the ratio and
the peak traced memory (tracemalloc) of each side.

Usage::

    python benchmarks/bench_bootstrap.py [--rows 100000] [--n-boot 1000] [--repeats 3] [--full]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from diagtools._stats import bootstrap_counts, percentile_interval
from diagtools.metrics import _engine as E
from diagtools.metrics import evaluate_predictions


def make_data(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.4).astype(int)
    score = 1.0 / (1.0 + np.exp(-(rng.normal(size=rows) + 1.2 * y - 0.5)))
    return y, (score > 0.5).astype(int), score


def diagtools_engine(y, pred, score, n_boot):
    """The bootstrap core: counts -> one sparse product per chunk -> all three metrics."""
    prep = E.prepare_classification(y, pred, ["0", "1"], score=score)
    acc, f1, auc = [], [], []
    for counts in bootstrap_counts(len(y), n_boot, random_state=0):
        sums = E.weighted_sums(prep.S, np.ascontiguousarray(counts.T, dtype=float))
        m = E.classification_metrics(prep, sums, ap=False)
        acc.append(m["accuracy"])
        f1.append(m["f1[1]"])
        auc.append(m["roc_auc"])
    return [percentile_interval(np.concatenate(v)) for v in (acc, f1, auc)]


def diagtools_public(y, pred, score, n_boot):
    """The public door: evaluate_predictions restricted to the three metrics (adds point estimates)."""
    return evaluate_predictions(y, y_pred=pred, y_score=score, metrics=["accuracy", "f1", "roc_auc"],
                                n_boot=n_boot, random_state=0)


def naive_loop(y, pred, score, n_boot):
    rng = np.random.default_rng(0)
    n = len(y)
    out = np.empty((n_boot, 3))
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        out[b] = (accuracy_score(y[idx], pred[idx]), f1_score(y[idx], pred[idx]), roc_auc_score(y[idx], score[idx]))
    return percentile_interval(out)


def timed(fn, *args, repeats: int) -> tuple[float, float]:
    fn(*args)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--loop-boot", type=int, default=50, help="resamples timed in the naive loop")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="run the naive loop on all resamples")
    args = parser.parse_args()

    y, pred, score = make_data(args.rows)
    loop_boot = args.n_boot if args.full else min(args.loop_boot, args.n_boot)
    t_engine, m_engine = timed(diagtools_engine, y, pred, score, args.n_boot, repeats=args.repeats)
    t_public, m_public = timed(diagtools_public, y, pred, score, args.n_boot, repeats=args.repeats)
    t_loop, m_loop = timed(naive_loop, y, pred, score, loop_boot, repeats=args.repeats)
    t_loop_full = t_loop * args.n_boot / loop_boot
    note = "measured" if loop_boot == args.n_boot else f"extrapolated linearly from {loop_boot} resamples"

    print(f"95% bootstrap CI of accuracy, F1, ROC-AUC: {args.rows:,} rows, {args.n_boot:,} resamples "
          f"(median of {args.repeats} after a warm-up)")
    print(f"{'method':<52}{'time_s':>10}{'ratio':>10}{'peak_mb':>10}")
    rows = [
        ("diagtools vectorized bootstrap (engine)", t_engine, m_engine),
        ("diagtools evaluate_predictions (3 metrics)", t_public, m_public),
        (f"naive loop of sklearn calls ({note})", t_loop_full, m_loop),
    ]
    for name, t, m in rows:
        print(f"{name:<52}{t:>10.2f}{t_loop_full / t:>9.1f}x{m:>10.1f}")
    print("ratio = naive loop time / method time; peak_mb = tracemalloc peak of one run")


if __name__ == "__main__":
    main()
