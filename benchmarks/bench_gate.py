"""False-alarm and detection rates of three latency gates, on one machine, in one run.

A model with a known CPU cost per row (``ServiceTimeModel``, 0.2 ms) is compared with itself
(every flag is a false alarm) and with a copy 15% slower (every miss is a missed regression),
``--trials`` times each, by three gates at the same 5% tolerance:

- **paired**: ``paired_latency``, both models in the same job, interleaved in randomised blocks
  in two worker processes; regression when the lower bound of the ratio exceeds 1.05;
- **stored baseline**: a baseline run, then a candidate run, each recorded in a ``History``
  and compared with ``History.compare`` (the run-to-run spread is learned from the baseline
  series, which grows by one run per trial);
- **plain two-run medians**: the same two runs compared by a bootstrap of the ratio of their
  medians that treats the calls inside each run as independent (the pre-issue-17 gate).

Each run of the two-run gates times one model alone in a worker process (as two CI
invocations would); the two runs of a trial use different processes. The worker processes are
reused across trials to keep the benchmark short (see ``tests/test_gate.py`` for why that is
fair for this model). Conditions: the machine as it is, then with one extra process burning a
core (``--no-busy`` skips that). Prints one table.

Run: ``python benchmarks/bench_gate.py`` (about 1-2 minutes with the default 20 trials).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import pickle
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from diagtools.history import History, ServiceTimeModel, WorkerPool, paired_latency
from diagtools.history._compare import compare_latency_samples

SERVICE_MS = 0.2
TOLERANCE = 0.05
X = np.zeros((8, 2))
PAIRED = {"batch_sizes": (1,), "n_processes": 2, "n_blocks": 6, "half_time": 0.001, "warmup_time": 0.005,
          "min_calls": 5, "tolerance": TOLERANCE}


def _spin(stop) -> None:
    while not stop.is_set():
        for _ in range(10_000):
            pass


def single_run(pool: WorkerPool, index: int, model: ServiceTimeModel, blocks: int = 4) -> np.ndarray:
    """Latencies (ms) of one model timed alone in worker ``index``: about 40 calls after a warm-up."""
    spec = ("pickle", pickle.dumps(model))
    job = {"models": [spec, spec], "method": "predict", "batches": [(1, X[:1])], "orders": [[(0, 1)] * blocks],
           "warmup_time": 0.005, "half_time": 0.001, "min_calls": 5, "max_calls": 1000}
    out = pool.run(index, job)
    return np.concatenate([h["wall_ns"] for h in out["halves"]]) / 1e6


def trial(pool: WorkerPool, hist: History, i: int, slow: float) -> dict[str, bool]:
    base, cand = ServiceTimeModel(SERVICE_MS), ServiceTimeModel(slow * SERVICE_MS)
    t0 = time.perf_counter()
    paired = paired_latency(base, cand, X, pool=pool, random_state=i, **PAIRED).regressed
    t1 = time.perf_counter()
    a = single_run(pool, i % 2, base)
    b = single_run(pool, (i + 1) % 2, cand)
    plain = compare_latency_samples(a, b, tolerance=TOLERANCE, n_boot=500, random_state=i)
    flagged_plain = plain["p_value"] < 0.05 and plain["estimate"] > 1 + TOLERANCE
    frame = pd.DataFrame({"batch_size": 1, "latency_ms": a})
    hist.record(name="main", latency=frame, git_commit=None, n_boot=200)
    hist.record(name=f"cand-{slow}-{i}", latency=pd.DataFrame({"batch_size": 1, "latency_ms": b}), git_commit=None,
                n_boot=200)
    stored = hist.compare("main", f"cand-{slow}-{i}", latency_tolerance=TOLERANCE, n_boot=500).regressed
    t2 = time.perf_counter()
    return {"paired": bool(paired), "stored baseline": bool(stored), "plain two-run medians": bool(flagged_plain),
            "paired_s": t1 - t0, "two_run_s": t2 - t1}


def measure(pool: WorkerPool, trials: int, label: str) -> list[dict[str, object]]:
    hist = History(Path(tempfile.mkdtemp(prefix="bench-gate-")) / "h.db")
    same, slow, secs = [], [], []
    for i in range(trials):
        same.append(trial(pool, hist, i, 1.0))
        slow.append(trial(pool, hist, i, 1.15))
        secs.append((same[-1]["paired_s"], same[-1]["two_run_s"]))
    rows = []
    for method in ("paired", "stored baseline", "plain two-run medians"):
        fa = sum(t[method] for t in same)
        det = sum(t[method] for t in slow)
        sec = np.median([s[0] if method == "paired" else s[1] for s in secs])
        rows.append({"condition": label, "gate": method, "false alarms": f"{fa}/{trials} ({100 * fa / trials:.0f}%)",
                     "detected 15% slower": f"{det}/{trials} ({100 * det / trials:.0f}%)",
                     "seconds per gate": f"{sec:.2f}"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20, help="gate runs per check (default: 20)")
    parser.add_argument("--no-busy", action="store_true", help="skip the condition with a core burnt")
    args = parser.parse_args()
    rows = []
    with WorkerPool(2) as pool:
        rows += measure(pool, args.trials, "as is")
        if not args.no_busy:
            ctx = mp.get_context("spawn")
            stop = ctx.Event()
            spinner = ctx.Process(target=_spin, args=(stop,), daemon=True)
            spinner.start()
            try:
                time.sleep(0.2)
                rows += measure(pool, args.trials, "one core burnt")
            finally:
                stop.set()
                spinner.join(timeout=10)
    table = pd.DataFrame(rows)
    print(f"Latency gates at {100 * TOLERANCE:.0f}% tolerance, ServiceTimeModel {SERVICE_MS} CPU-ms per call, "
          f"{args.trials} trials per check")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
