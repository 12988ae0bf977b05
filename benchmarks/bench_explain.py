"""Benchmark: diagtools.explanations.explain vs calling shap's TreeExplainer directly (wrapper overhead).

Tree ensemble (RandomForestClassifier) on ``--rows`` x ``--cols`` synthetic data; both explain every
row. diagtools also groups columns and bootstraps the importance intervals (``--n-boot``).
Prints the median of ``--repeats`` timed runs after one warm-up, the ratio, and peak memory
(tracemalloc). Usage: ``python benchmarks/bench_explain.py --rows 10000 --cols 20``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd


def _timed(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return float(np.median(times)), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--trees", type=int, default=50)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from sklearn.ensemble import RandomForestClassifier

    from diagtools.explanations import explain

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(args.rows, args.cols)), columns=[f"c{i}" for i in range(args.cols)])
    y = (X["c0"] + X["c1"] - X["c2"] + rng.normal(size=args.rows) > 0).astype(int)
    model = RandomForestClassifier(n_estimators=args.trees, max_depth=args.depth, n_jobs=1, random_state=0).fit(X, y)

    def direct():
        sv = shap.TreeExplainer(model).shap_values(X.to_numpy(), check_additivity=False)
        return np.abs(sv[:, :, 1]).mean(0)

    def ours():
        return explain(model, X, max_rows=None, n_boot=args.n_boot, progress=False)

    t_shap, m_shap = _timed(direct, args.repeats)
    t_ours, m_ours = _timed(ours, args.repeats)
    print(f"tree ensemble: RandomForestClassifier({args.trees} trees, depth {args.depth}), "
          f"{args.rows} rows x {args.cols} cols, median of {args.repeats}")
    print(f"{'method':<28}{'time_s':>10}{'peak_mb':>10}")
    print(f"{'shap.TreeExplainer direct':<28}{t_shap:>10.3f}{m_shap:>10.1f}")
    print(f"{'diagtools explain':<28}{t_ours:>10.3f}{m_ours:>10.1f}")
    print(f"ratio explain / shap: {t_ours / t_shap:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
