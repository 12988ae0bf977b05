"""Drift detection: diagtools vs evidently's DataDriftPreset vs a plain scipy-per-column floor.

Data: seeded reference and current windows (default 100,000 rows each x 20 columns: 15
numeric, 5 categorical; 4 numeric and 1 categorical column drift in the current window).

* **diagtools**: ``detect_drift(reference, current)`` without the domain classifier (the
  apples-to-apples comparison: per-column tests, effect sizes, PSI, BH, findings) and with it.
* **floor**: ``scipy.stats.ks_2samp`` per numeric column and ``chi2_contingency`` on the
  2 x k count table (``value_counts``) per categorical column; nothing else.
* **evidently** 0.7.23 ``Report([DataDriftPreset()]).run(current, reference)``. Evidently does
  not install on the newest pandas/numpy, so it runs in a *separate interpreter*
  (``--peer-python``, a virtual environment with ``numpy==1.26.4 pandas==2.3.3
  scikit-learn==1.7.2 "pyarrow<21" evidently==0.7.23``) as a subprocess on the same data,
  written to parquet. Without ``--peer-python`` that peer is skipped, with a message.

Each timing is the median of ``--repeats`` runs after a warm-up. Peak memory: tracemalloc
peak for the in-process runs, peak RSS (``ru_maxrss``) of the evidently subprocess (it
includes the interpreter and its imports, so it is not directly comparable).

Usage::

    python benchmarks/bench_drift.py [--rows 100000] [--repeats 3] [--peer-python PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from diagtools.drift import detect_drift

N_NUMERIC, N_CATEGORICAL = 15, 5


def make_data(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two windows; columns n0..n14 (numeric) and c0..c4 (categorical), n0-n3 and c0 drift."""
    rng = np.random.default_rng(seed)
    frames = []
    for window in (0, 1):
        cols: dict[str, np.ndarray] = {}
        for j in range(N_NUMERIC):
            shift = 0.3 if (window == 1 and j < 4) else 0.0
            if j % 3 == 0:
                cols[f"n{j}"] = rng.normal(shift, 1.0, rows)
            elif j % 3 == 1:
                cols[f"n{j}"] = np.round(rng.lognormal(shift, 0.5, rows), 2)
            else:
                cols[f"n{j}"] = rng.integers(0, 100, rows).astype(float) + (10 if shift else 0)
        for j in range(N_CATEGORICAL):
            k = 4 + 3 * j
            p = np.ones(k) / k
            if window == 1 and j == 0:
                p = np.linspace(1, 2, k)
                p /= p.sum()
            cols[f"c{j}"] = rng.choice([f"v{i}" for i in range(k)], rows, p=p)
        frames.append(pd.DataFrame(cols))
    return frames[0], frames[1]


def floor(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, float]:
    """The plain scipy-per-column floor: one test per column, nothing else."""
    out = {}
    for c in ref.columns:
        if ref[c].dtype.kind == "f":
            out[c] = sps.ks_2samp(ref[c].to_numpy(), cur[c].to_numpy()).pvalue
        else:
            table = pd.concat([ref[c].value_counts(), cur[c].value_counts()], axis=1).fillna(0).to_numpy().T
            out[c] = sps.chi2_contingency(table).pvalue
    return out


def timed(fn, repeats: int) -> tuple[float, float]:
    """Median seconds of ``repeats`` runs after one warm-up, and the tracemalloc peak (MB) of one run."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak


PEER_SCRIPT = r"""
import json, resource, statistics, sys, time
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2]); repeats = int(sys.argv[3])
num = [c for c in ref.columns if c.startswith("n")]; cat = [c for c in ref.columns if c.startswith("c")]
definition = DataDefinition(numerical_columns=num, categorical_columns=cat)

def run():
    r = Dataset.from_pandas(ref, data_definition=definition)
    c = Dataset.from_pandas(cur, data_definition=definition)
    snap = Report([DataDriftPreset()]).run(current_data=c, reference_data=r)
    return snap

snap = run()
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); snap = run(); times.append(time.perf_counter() - t0)
t0 = time.perf_counter(); html = snap.get_html_str(as_iframe=False); html_s = time.perf_counter() - t0
print(json.dumps({"seconds": statistics.median(times), "html_seconds": html_s, "html_mb": len(html) / 2**20,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_peer(peer_python: str, ref: pd.DataFrame, cur: pd.DataFrame, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "reference.parquet", Path(tmp) / "current.parquet"
        ref.to_parquet(a)
        cur.to_parquet(b)
        proc = subprocess.run([peer_python, "-c", PEER_SCRIPT, str(a), str(b), str(repeats)],
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"evidently subprocess failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows per window")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-python", default=None,
                        help="python of a venv with evidently==0.7.23 (numpy 1.26, pandas 2.3); skipped when absent")
    args = parser.parse_args()

    ref, cur = make_data(args.rows)
    print(f"drift benchmark: {args.rows:,} rows per window x {ref.shape[1]} columns "
          f"({N_NUMERIC} numeric, {N_CATEGORICAL} categorical); median of {args.repeats} after a warm-up")

    res = detect_drift(ref, cur, domain_classifier=False)
    print(f"diagtools flags: {sorted(res.drifted_columns)} (planted: n0-n3, c0)")
    rows = []
    t_dt, m_dt = timed(lambda: detect_drift(ref, cur, domain_classifier=False), args.repeats)
    rows.append(("diagtools detect_drift (no domain classifier)", t_dt, m_dt))
    t_dc, m_dc = timed(lambda: detect_drift(ref, cur, domain_classifier=True), args.repeats)
    rows.append(("diagtools detect_drift (+ domain classifier)", t_dc, m_dc))
    t_fl, m_fl = timed(lambda: floor(ref, cur), args.repeats)
    rows.append(("floor: ks_2samp / chi2_contingency per column", t_fl, m_fl))

    peer = None
    if args.peer_python:
        print(f"evidently runs in a separate interpreter ({Path(args.peer_python).name} of its own venv: "
              "numpy 1.26.4, pandas 2.3.3; evidently does not install on the newest pandas/numpy), "
              "same data via parquet")
        peer = run_peer(args.peer_python, ref, cur, args.repeats)
        rows.append(("evidently 0.7.23 DataDriftPreset report (subprocess)", peer["seconds"], float("nan")))
    else:
        print("evidently: SKIPPED (pass --peer-python /path/to/venv-with-evidently/bin/python to time it)")

    print()
    print(f"{'run':<56} {'seconds':>9} {'peak_mb':>9}")
    for name, t, m in rows:
        mem = "" if np.isnan(m) else f"{m:9.1f}"
        print(f"{name:<56} {t:9.3f} {mem:>9}")
    if peer:
        print(f"{'  evidently peak RSS of its process (incl. imports)':<56} {'':>9} {peer['peak_rss_mb']:9.1f}")
        print(f"{'  evidently HTML export (extra, not in the time above)':<56} {peer['html_seconds']:9.3f} "
              f"  {peer['html_mb']:.1f} MB HTML")
    print()
    print("ratios (higher = diagtools faster):")
    print(f"  floor / diagtools (no domain classifier):      {t_fl / t_dt:6.2f}x  (goal: >= 0.5, i.e. within 2x of the floor)")
    print(f"  floor / diagtools (+ domain classifier):       {t_fl / t_dc:6.2f}x")
    if peer:
        print(f"  evidently / diagtools (no domain classifier):  {peer['seconds'] / t_dt:6.2f}x  (goal: >= 5)")
        print(f"  evidently / diagtools (+ domain classifier):   {peer['seconds'] / t_dc:6.2f}x")


if __name__ == "__main__":
    main()
