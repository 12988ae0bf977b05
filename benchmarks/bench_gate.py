"""False-alarm and detection rates of three latency gates, on one machine, in one run.

Two models: one with a known CPU cost per call (``ServiceTimeModel``, 0.2 ms), and a fitted
scikit-learn logistic regression at batch size 100 (the model of the issue's false alarm), made
15% slower by burning 15% more CPU time after each call. Each is compared with itself (every
flag is a false alarm) and with its 15% slower copy (every miss is a missed regression),
``--trials`` times each, by three gates at the same 5% tolerance:

- **paired**: ``paired_latency``, both models in the same job, interleaved in randomised blocks
  in two worker processes; regression when the lower bound of the ratio exceeds 1.05;
- **stored baseline**: a baseline run, then a candidate run, each recorded in a ``History``
  and compared with ``History.compare`` (the run-to-run spread is learned from the baseline
  series, which grows by one run per trial);
- **plain two-run medians**: the same two runs compared by a bootstrap of the ratio of their
  medians that treats the calls inside each run as independent (the pre-issue-17 gate).

Each run of the two-run gates times one model alone in a worker process (as two CI
invocations would); the two runs of a trial use two different processes drawn from a pool of
four, so process-level differences (memory layout) vary from trial to trial without starting
hundreds of interpreters. Conditions: the machine as it is and, with ``--busy``, with one
extra process burning a core. Prints one table.

Run: ``python benchmarks/bench_gate.py`` (about 2 minutes on a busy 2-core machine; ``--trials 15
--busy`` for the figures in the issue note, about 5 minutes).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from diagtools.history import History, ServiceTimeModel, WorkerPool, paired_latency
from diagtools.history._compare import compare_latency_samples

SERVICE_MS = 0.2
TOLERANCE = 0.05
PAIRED = {"n_processes": 2, "n_blocks": 6, "half_time": 0.002, "warmup_time": 0.01, "min_calls": 5,
          "tolerance": TOLERANCE}


class Slowed:
    """A fitted model whose predict burns ``factor - 1`` times its own CPU time on top (a planted slow-down)."""

    def __init__(self, model, factor: float = 1.0) -> None:
        self.model = model
        self.factor = factor

    def predict(self, X):
        clock = time.thread_time_ns
        start = clock()
        out = self.model.predict(X)
        end = clock() + int((clock() - start) * (self.factor - 1.0))
        while clock() < end:
            pass
        return out


def make_cases() -> dict[str, tuple[object, object, object, int]]:
    """name -> (baseline, 15% slower candidate, X, batch size)."""
    from sklearn.linear_model import LogisticRegression

    from diagtools.datasets import make_loans

    df = make_loans(2000, random_state=0)
    cols = ["income", "debt_to_income", "credit_score", "loan_amount", "age", "employment_years"]
    logreg = LogisticRegression(max_iter=1000).fit(df[cols], df["defaulted"])
    Xs = np.zeros((8, 2))
    return {
        f"ServiceTimeModel {SERVICE_MS} ms, batch 1": (ServiceTimeModel(SERVICE_MS), ServiceTimeModel(1.15 * SERVICE_MS),
                                                      Xs, 1),
        "LogisticRegression, batch 100": (Slowed(logreg, 1.0), Slowed(logreg, 1.15), df[cols].iloc[:100], 100),
    }


def _spin(stop) -> None:
    while not stop.is_set():
        for _ in range(10_000):
            pass


def single_run(pool: WorkerPool, index: int, model: object, X: object, b: int, blocks: int = 4) -> np.ndarray:
    """Latencies (ms) of one model timed alone in worker ``index``: about 40 calls after a warm-up."""
    import cloudpickle

    spec = ("pickle", cloudpickle.dumps(model))
    job = {"models": [spec, spec], "method": "predict", "batches": [(b, X[:b] if not hasattr(X, "iloc") else X.iloc[:b])],
           "orders": [[(0, 1)] * blocks], "warmup_time": 0.01, "half_time": 0.002, "min_calls": 5, "max_calls": 1000}
    out = pool.run(index, job)
    return np.concatenate([h["wall_ns"] for h in out["halves"]]) / 1e6


def trial(pool: WorkerPool, hist: History, rng: np.random.Generator, i: int, case: tuple, planted: bool,
          key: str) -> dict[str, object]:
    base, slow, X, b = case
    cand = slow if planted else base
    t0 = time.perf_counter()
    paired = paired_latency(base, cand, X, batch_sizes=(b,), pool=pool, random_state=i, **PAIRED).regressed
    t1 = time.perf_counter()
    w_a, w_b = rng.choice(len(pool), size=2, replace=False)
    a = single_run(pool, int(w_a), base, X, b)
    c = single_run(pool, int(w_b), cand, X, b)
    plain = compare_latency_samples(a, c, tolerance=TOLERANCE, n_boot=500, random_state=i)
    flagged_plain = plain["p_value"] < 0.05 and plain["ratio"] > 1 + TOLERANCE
    hist.record(name=f"main-{key}", latency=pd.DataFrame({"batch_size": b, "latency_ms": a}), git_commit=None,
                n_boot=200)
    name = f"cand-{key}-{int(planted)}-{i}"
    hist.record(name=name, latency=pd.DataFrame({"batch_size": b, "latency_ms": c}), git_commit=None, n_boot=200)
    stored = hist.compare(f"main-{key}", name, latency_tolerance=TOLERANCE, n_boot=500).regressed
    t2 = time.perf_counter()
    return {"paired": bool(paired), "stored baseline": bool(stored), "plain two-run medians": bool(flagged_plain),
            "paired_s": t1 - t0, "two_run_s": t2 - t1}


def measure(pool: WorkerPool, trials: int, label: str, cases: dict[str, tuple]) -> list[dict[str, object]]:
    rows = []
    for k, (name, case) in enumerate(cases.items()):
        hist = History(Path(tempfile.mkdtemp(prefix="bench-gate-")) / "h.db")
        rng = np.random.default_rng(k)
        same = [trial(pool, hist, rng, i, case, False, str(k)) for i in range(trials)]
        slow = [trial(pool, hist, rng, i, case, True, str(k)) for i in range(trials)]
        for method in ("paired", "stored baseline", "plain two-run medians"):
            fa = sum(t[method] for t in same)
            det = sum(t[method] for t in slow)
            sec = np.median([t["paired_s"] if method == "paired" else t["two_run_s"] for t in same])
            rows.append({"condition": label, "model": name, "gate": method,
                         "false alarms": f"{fa}/{trials} ({100 * fa / trials:.0f}%)",
                         "detected 15% slower": f"{det}/{trials} ({100 * det / trials:.0f}%)",
                         "s per gate": f"{sec:.2f}"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12, help="gate runs per check (default: 12)")
    parser.add_argument("--busy", action="store_true", help="also measure with one extra process burning a core")
    args = parser.parse_args()
    rows = []
    cases = make_cases()
    with WorkerPool(4) as pool:
        rows += measure(pool, args.trials, "as is", cases)
        if args.busy:
            ctx = mp.get_context("spawn")
            stop = ctx.Event()
            spinner = ctx.Process(target=_spin, args=(stop,), daemon=True)
            spinner.start()
            try:
                time.sleep(0.2)
                rows += measure(pool, args.trials, "one core burnt", cases)
            finally:
                stop.set()
                spinner.join(timeout=10)
    table = pd.DataFrame(rows)
    print(f"Latency gates at {100 * TOLERANCE:.0f}% tolerance, {args.trials} trials per check")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
