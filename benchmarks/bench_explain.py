"""Benchmark: diagtools.explanations.explain vs calling shap's TreeExplainer directly (wrapper overhead).

Tree ensembles (``--models``: scikit-learn RandomForestClassifier, LightGBM, XGBoost) on
``--rows`` x ``--cols`` synthetic data; both explain every row. diagtools also asks the model
adapter for the output space, checks additivity on 200 rows against the model's raw output,
groups columns and bootstraps the importance intervals (``--n-boot``). Prints the median of
``--repeats`` timed runs after one warm-up (CPU time by default, ``--clock wall`` for elapsed),
the ratio, and peak memory (tracemalloc), in one run.
Usage: ``python benchmarks/bench_explain.py --rows 10000 --cols 20 --models lightgbm,xgboost``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd


def _timed(fn, repeats, clock=time.process_time):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = clock()
        fn()
        times.append(clock() - t)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return float(np.median(times)), peak


def _model(kind: str, X: pd.DataFrame, y: pd.Series, args: argparse.Namespace):
    if kind == "rf":
        from sklearn.ensemble import RandomForestClassifier

        return (f"RandomForestClassifier({args.trees} trees, depth {args.depth})",
                RandomForestClassifier(n_estimators=args.trees, max_depth=args.depth, n_jobs=1,
                                       random_state=0).fit(X, y))
    if kind == "lightgbm":
        import lightgbm as lgb

        return (f"LGBMClassifier({args.boost_trees} trees, {args.leaves} leaves)",
                lgb.LGBMClassifier(n_estimators=args.boost_trees, num_leaves=args.leaves, n_jobs=1, verbose=-1,
                                   random_state=0).fit(X, y))
    if kind == "xgboost":
        import xgboost as xgb

        return (f"XGBClassifier({args.boost_trees} trees, depth {args.depth})",
                xgb.XGBClassifier(n_estimators=args.boost_trees, max_depth=args.depth, n_jobs=1,
                                  random_state=0).fit(X, y))
    raise SystemExit(f"--models: unknown model {kind!r}; use rf, lightgbm, xgboost")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--models", default="rf,lightgbm,xgboost")
    parser.add_argument("--trees", type=int, default=50, help="random forest trees")
    parser.add_argument("--boost-trees", type=int, default=200, help="LightGBM / XGBoost rounds")
    parser.add_argument("--leaves", type=int, default=31)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="cpu: process CPU time (immune to preemption on a shared machine); wall: elapsed")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    from diagtools.explanations import explain

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(args.rows, args.cols)), columns=[f"c{i}" for i in range(args.cols)])
    y = (X["c0"] + X["c1"] - X["c2"] + rng.normal(size=args.rows) > 0).astype(int)
    print(f"{args.rows} rows x {args.cols} cols, median of {args.repeats} runs after a warm-up, 1 thread, "
          f"{args.clock} clock")
    print(f"{'model':<42}{'shap_s':>9}{'ours_s':>9}{'ratio':>8}{'shap_mb':>9}{'ours_mb':>9}{'output':>10}")
    for kind in [m.strip() for m in args.models.split(",") if m.strip()]:
        label, model = _model(kind, X, y, args)

        def direct(model=model, kind=kind):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sv = np.asarray(shap.TreeExplainer(model).shap_values(X, check_additivity=False))
            return np.abs(sv[:, :, 1] if sv.ndim == 3 else sv).mean(0)

        def ours(model=model):
            return explain(model, X, max_rows=None, n_boot=args.n_boot, progress=False)

        t_shap, m_shap = _timed(direct, args.repeats, clock)
        t_ours, m_ours = _timed(ours, args.repeats, clock)
        ex = ours()
        gap = ex.params["additivity_gap"]
        print(f"{label:<42}{t_shap:>9.3f}{t_ours:>9.3f}{t_ours / t_shap:>7.2f}x{m_shap:>9.1f}{m_ours:>9.1f}"
              f"{ex.params['output']:>10}  (additivity gap {gap:.1e})")
    print("target: ratio <= 1.2x for LightGBM and XGBoost")


if __name__ == "__main__":
    main()
