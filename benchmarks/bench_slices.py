"""Slices: ``slice_metrics`` vs fairlearn ``MetricFrame`` and a numpy floor; ``find_slices`` vs ``sliceline``.

Part 1 (per-slice metrics; default 1,000,000 rows): three columns with 2 / 5 / 20 levels and
their 3-way cross (200 groups); five metrics (accuracy, precision, recall, F1, selection rate).

* **diagtools**: ``slice_metrics(None, X, y, y_pred=..., crosses=3)`` - every column, every pair
  and the 3-way cross, with intervals (F1 by a 200-resample multinomial bootstrap), tests
  against the rest, q-values and findings.
* **fairlearn** ``MetricFrame`` by each column and by the 3-way cross (four frames; point
  estimates only, no intervals or tests).
* **floor**: ``pd.factorize`` of each column and one ``np.bincount`` of the 3-way cross x
  confusion cell - the counts everything else derives from, and nothing else.

Part 2 (slice search; default 50,000 rows x 10 features, 6 numeric in 5 quantile bins, the
loans generator with its planted slice; errors of a small gradient-boosting model):
``find_slices(k=5, max_predicates=3, score_alpha=...)`` vs ``sliceline.Slicefinder(alpha=...,
k=5, max_l=3)`` on the same binned levels. Peak memory is tracemalloc's peak (numpy and scipy
report their buffers to it), measured in a separate run from the timings.

Each timing is the median of ``--repeats`` runs after a warm-up.

Usage::

    python benchmarks/bench_slices.py [--rows 1000000] [--search-rows 50000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from diagtools.datasets import LOANS_TRUTH, make_loans
from diagtools.slices import find_slices, slice_metrics
from diagtools.slices._search import encode_frame


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``repeats`` runs after one warm-up, and the last result."""
    out = fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def peak_mb(fn: Callable[[], Any]) -> float:
    """tracemalloc peak of one run, in MB."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def metric_data(rows: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "a": rng.choice([f"a{i}" for i in range(2)], rows),
        "b": rng.choice([f"b{i}" for i in range(5)], rows),
        "c": rng.choice([f"c{i:02d}" for i in range(20)], rows),
    })
    y = rng.integers(0, 2, rows)
    pred = np.where(rng.random(rows) < 0.85, y, 1 - y)
    return X, y, pred


def floor(X: pd.DataFrame, y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    group = np.zeros(len(X), dtype=np.int64)
    for col in X.columns:
        codes, uniq = pd.factorize(X[col])
        group = group * len(uniq) + codes
    return np.bincount(group * 4 + y * 2 + pred)


def fairlearn_frames(X: pd.DataFrame, y: np.ndarray, pred: np.ndarray) -> list[Any]:
    from fairlearn.metrics import MetricFrame, selection_rate
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    fns = {"accuracy": accuracy_score, "precision": precision_score, "recall": recall_score, "f1": f1_score,
           "selection_rate": selection_rate}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames = [MetricFrame(metrics=fns, y_true=y, y_pred=pred, sensitive_features=X[c]) for c in X.columns]
        frames.append(MetricFrame(metrics=fns, y_true=y, y_pred=pred, sensitive_features=X))
    return frames


def part1(rows: int, repeats: int, peer_repeats: int) -> None:
    X, y, pred = metric_data(rows)
    metrics = ["accuracy", "precision", "recall", "f1", "selection_rate"]

    def ours() -> Any:
        return slice_metrics(None, X, y, y_pred=pred, metrics=metrics, crosses=3, min_size=1, n_boot=200)

    t_ours, res = timed(ours, repeats)
    t_floor, _ = timed(lambda: floor(X, y, pred), repeats)
    print(f"\n== slice_metrics: {rows:,} rows, columns of 2/5/20 levels + pairs + 3-way cross, 5 metrics ==")
    print(f"diagtools slice_metrics : {t_ours:8.3f} s  ({res.frame['slice'].nunique()} slices, intervals, tests, q)")
    print(f"floor factorize+bincount: {t_floor:8.3f} s  (3-way cross counts only)")
    try:
        t_fl, _ = timed(lambda: fairlearn_frames(X, y, pred), peer_repeats)
    except ImportError:
        print("fairlearn not installed: peer skipped")
        t_fl = float("nan")
    else:
        print(f"fairlearn MetricFrame   : {t_fl:8.3f} s  (each column + 3-way cross, point estimates)")
    print(f"ratio fairlearn / diagtools: {t_fl / t_ours:6.1f}x   diagtools / floor: {t_ours / t_floor:5.2f}x")
    print(f"peak MB  diagtools {peak_mb(ours):8.1f}   floor {peak_mb(lambda: floor(X, y, pred)):8.1f}")


def search_data(rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.preprocessing import OrdinalEncoder

    target = LOANS_TRUTH.target
    train = make_loans(20_000, random_state=1)
    test = make_loans(rows, window="current", random_state=2)
    cats = list(LOANS_TRUTH.categorical_columns)
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(train[cats])

    def matrix(df: pd.DataFrame) -> np.ndarray:
        return np.column_stack([df[list(LOANS_TRUTH.numeric_columns)].to_numpy(float), enc.transform(df[cats])])

    model = HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(matrix(train), train[target])
    errors = (model.predict(matrix(test)) != test[target].to_numpy()).astype(float)
    return test.drop(columns=target), errors


def part2(rows: int, repeats: int, peer_repeats: int, score_alpha: float) -> None:
    X, errors = search_data(rows)
    codes, enc = encode_frame(X, list(X.columns), 5)
    labelled = pd.DataFrame({c: np.asarray(e.labels(), dtype=object)[codes[:, j]]
                             for j, (c, e) in enumerate(zip(X.columns, enc, strict=True))})
    min_sup = max(10, rows // 100)

    def ours() -> Any:
        return find_slices(None, X, errors=errors, k=5, max_predicates=3, min_size=min_sup, score_alpha=score_alpha,
                           tree_depth=0)

    def ours_with_tree() -> Any:
        return find_slices(None, X, errors=errors, k=5, max_predicates=3, min_size=min_sup, score_alpha=score_alpha)

    print(f"\n== find_slices vs sliceline: {rows:,} rows x {X.shape[1]} features, alpha {score_alpha}, max_l 3, "
          f"k 5, min_sup {min_sup} ==")
    t_ours, res = timed(ours, repeats)
    t_tree, _ = timed(ours_with_tree, repeats)
    print(f"diagtools find_slices   : {t_ours:8.3f} s  (+ error tree: {t_tree:.3f} s); "
          f"{res.params['n_tested']:,} slices tested")
    print(res.frame[["slice", "n", "score", "estimate", "q_value"]].to_string(index=False))
    try:
        from sliceline.slicefinder import Slicefinder
    except ImportError:
        print("sliceline not installed: peer skipped")
        return

    def theirs() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Slicefinder(alpha=score_alpha, k=5, max_l=3, min_sup=min_sup, verbose=False).fit(labelled, errors)

    t_sl, sf = timed(theirs, peer_repeats)
    same = [" & ".join(v for v in row if v is not None) for row in sf.top_slices_] == list(res.frame["slice"])
    print(f"sliceline Slicefinder   : {t_sl:8.3f} s  (same top-5: {same})")
    m_ours, m_sl = peak_mb(ours), peak_mb(theirs)
    print(f"ratio sliceline / diagtools: {t_sl / t_ours:6.1f}x")
    print(f"peak MB  diagtools {m_ours:8.1f}   sliceline {m_sl:8.1f}   (diagtools / sliceline: {m_ours / m_sl:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--search-rows", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-repeats", type=int, default=3, help="repeats of the (slow) peers")
    parser.add_argument("--score-alpha", type=float, default=0.99)
    args = parser.parse_args()
    import sklearn

    print(f"numpy {np.__version__}, pandas {pd.__version__}, scikit-learn {sklearn.__version__}")
    part1(args.rows, args.repeats, args.peer_repeats)
    part2(args.search_rows, args.repeats, args.peer_repeats, args.score_alpha)


if __name__ == "__main__":
    main()
