"""Learning curve: diagtools vs scikit-learn's ``learning_curve`` on the same splits, n_jobs=2.

Data: ``make_classification`` (default 50,000 rows x 20 features, seeded). Model: a fast
``LogisticRegression`` (default) or ``HistGradientBoostingClassifier(max_iter=20)``.

* **scikit-learn**: ``sklearn.model_selection.learning_curve(model, X, y, cv=splits,
  train_sizes=..., n_jobs=2, return_times=True)`` on a pre-computed list of 5 shuffled
  stratified splits.
* **diagtools**: ``diagtools.fit.learning_curve`` with the same splits, sizes and n_jobs. It
  runs scikit-learn's function, plus input checks and the tidy frame: the ratio is its overhead.
* For context, ``diagnose_fit`` (adds the baseline and the reference model) on the same data.

The two are interleaved (A, B, A, B, ...) after a warm-up of the joblib workers, so load
from other processes affects both alike; each figure is the median of ``--repeats`` runs.
Peak memory: tracemalloc peak of the calling process (the fits run in joblib workers, whose
memory is the same for both), plus the process's peak RSS at the end.

Usage::

    python benchmarks/bench_fit.py [--rows 50000] [--features 20] [--repeats 5] [--model logreg|hgb]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.model_selection import learning_curve as sk_learning_curve

from diagtools.fit import diagnose_fit, learning_curve

SIZES = (0.1, 0.325, 0.55, 0.775, 1.0)


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Run ``fn`` once; return seconds, tracemalloc peak in MB and the output."""
    tracemalloc.start()
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", choices=("logreg", "hgb"), default="logreg")
    args = parser.parse_args()

    X, y = make_classification(args.rows, n_features=args.features, n_informative=10, flip_y=0.05, random_state=0)
    model: Any = (LogisticRegression(max_iter=200) if args.model == "logreg"
                  else HistGradientBoostingClassifier(max_iter=20, early_stopping=False, random_state=0))
    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))

    def run_sklearn() -> Any:
        return sk_learning_curve(model, X, y, cv=splits, train_sizes=SIZES, n_jobs=2, return_times=True)

    def run_diagtools() -> Any:
        return learning_curve(model, X, y, cv=splits, train_sizes=SIZES, n_jobs=2, progress=False)

    run_sklearn()  # warm up the joblib workers
    times: dict[str, list[float]] = {"scikit-learn": [], "diagtools": []}
    peaks: dict[str, list[float]] = {"scikit-learn": [], "diagtools": []}
    for _ in range(args.repeats):
        for name, fn in (("scikit-learn", run_sklearn), ("diagtools", run_diagtools)):
            seconds, peak, out = timed(fn)
            times[name].append(seconds)
            peaks[name].append(peak)
            if name == "scikit-learn":
                sk_out = out
            else:
                dt_out = out
    same = np.array_equal(dt_out.frame["validation_score"].to_numpy().reshape(sk_out[2].shape), sk_out[2])
    t_diag, p_diag, diag = timed(lambda: diagnose_fit(model, X, y, cv=splits, train_sizes=SIZES, n_jobs=2, progress=False))

    print(f"learning curve, {args.rows:,} rows x {args.features} features, {type(model).__name__}, "
          f"5 folds x {len(SIZES)} sizes, n_jobs=2, median of {args.repeats}")
    print(f"{'':14s}{'median s':>10s}{'min s':>9s}{'peak MB':>9s}")
    for name in times:
        print(f"{name:14s}{statistics.median(times[name]):10.3f}{min(times[name]):9.3f}{max(peaks[name]):9.1f}")
    ratio = statistics.median(times["diagtools"]) / statistics.median(times["scikit-learn"])
    print(f"ratio diagtools / scikit-learn: {ratio:.3f} (median), "
          f"{min(times['diagtools']) / min(times['scikit-learn']):.3f} (min); target <= 1.10")
    print(f"scores identical to scikit-learn: {same}")
    print(f"diagnose_fit (adds baseline + reference model): {t_diag:.3f} s, peak {p_diag:.1f} MB, verdict {diag.verdict!r}")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
