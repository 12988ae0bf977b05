"""Latency harness: diagtools' timing loop and profile_latency vs a bare perf_counter_ns floor
and the standard library's timeit, in one process.

* **loop overhead**: cost of one timed iteration around a no-op call. Floor: a bare
  ``perf_counter_ns`` loop (two clock reads and a list append per call). diagtools'
  ``time_calls`` also reads the process CPU clock, so it costs a little more.
* **accuracy on a known service time**: a busy-wait of exactly ``--service-us`` microseconds
  is timed ``--calls`` times by each harness; the error of the p50 (and p99, where the harness
  gives it) against the truth, and the wall time each harness needed in total (diagtools adds
  warm-up detection, bootstrap intervals for 9 statistics and an environment fingerprint).
* **load generator precision**: ``load_test`` at 30% of capacity; mean lateness of query
  starts (``late_mean``), the error of the open-loop schedule itself.

Peak memory: tracemalloc peak of each harness run.

Usage::

    python benchmarks/bench_latency.py [--calls 2000] [--service-us 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import timeit
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from diagtools.latency import load_test, loop_overhead_ns, profile_latency, time_calls


def busy(seconds: float) -> None:
    """Spin for ``seconds`` (a service time that preemption cannot shorten)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


class Busy:
    """A 'model' whose predict busy-waits a fixed service time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def predict(self, X: Any) -> None:
        busy(self.seconds)


def bare_loop(fn: Callable[[], object], n: int) -> np.ndarray:
    """The floor: perf_counter_ns around each call, nothing else."""
    pc = time.perf_counter_ns
    out = []
    append = out.append
    for _ in range(n):
        t0 = pc()
        fn()
        append(pc() - t0)
    return np.asarray(out, dtype=float)


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``fn`` once: (result, wall seconds, tracemalloc peak MB)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, wall, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--service-us", type=float, default=100.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    # 1. loop overhead per call (median over repeats of the per-call median)
    noop = lambda: None  # noqa: E731
    floor = statistics.median(float(np.median(bare_loop(noop, 20_000))) for _ in range(args.repeats))
    ours = statistics.median(loop_overhead_ns(20_000) for _ in range(args.repeats))
    print(f"loop overhead per call: bare perf_counter_ns loop {floor:.0f} ns, "
          f"diagtools time_calls {ours:.0f} ns (ratio {ours / floor:.2f}x; issue bound 2000 ns)")

    # 2. a known service time, timed by each harness
    s = args.service_us / 1e6
    truth_us = args.service_us
    model = Busy(s)
    X = np.zeros((1, 1))
    rows = []
    for name, run in (
        ("bare loop (floor)", lambda: bare_loop(lambda: model.predict(X), args.calls)),
        ("timeit.repeat", lambda: np.asarray(timeit.repeat(lambda: model.predict(X), number=1,
                                                           repeat=args.calls)) * 1e9),
        ("diagtools time_calls", lambda: time_calls(lambda: model.predict(X), min_runs=args.calls,
                                                    min_time=0.0, max_time=60.0)[0]),
        ("diagtools profile_latency", lambda: profile_latency(
            model, X, batch_sizes=(1,), min_runs=args.calls, min_time=0.0, max_time=60.0,
            n_boot=500)),
    ):
        walls, peaks, p50s, p99s = [], [], [], []
        for _ in range(args.repeats):
            out, wall, peak = measured(run)
            if hasattr(out, "frame"):
                f = out.frame.set_index("statistic")["estimate"]
                p50, p99 = f["p50"] * 1e3, f["p99"] * 1e3
            else:
                p50, p99 = np.median(out) / 1e3, np.percentile(out, 99) / 1e3
            walls.append(wall)
            peaks.append(peak)
            p50s.append(p50)
            p99s.append(p99)
        rows.append((name, statistics.median(walls), max(peaks), statistics.median(p50s),
                     statistics.median(p99s)))
    base = rows[0][1]
    print(f"\nknown service time {truth_us:.0f} us, {args.calls} calls, median of {args.repeats} runs")
    print(f"{'harness':28s} {'wall s':>8s} {'ratio':>6s} {'peak MB':>8s} {'p50 err us':>11s} {'p99 err us':>11s}")
    for name, wall, peak, p50, p99 in rows:
        print(f"{name:28s} {wall:8.3f} {wall / base:6.2f} {peak:8.2f} {p50 - truth_us:11.2f} "
              f"{p99 - truth_us:11.2f}")

    # 3. the open-loop generator's precision at light load
    svc = 0.0005
    res, wall, peak = measured(lambda: load_test(Busy(svc), X, rate=0.3 / svc, duration=1.0))
    g = res.frame.set_index("statistic")["estimate"]
    print(f"\nload_test at 30% of capacity (service {svc * 1e6:.0f} us): mean lateness of query "
          f"starts {g['late_mean'] * 1e3:.1f} us, mean wait {g['wait_mean'] * 1e3:.1f} us "
          f"(M/D/1 theory {0.3 * svc / (2 * 0.7) * 1e6:.1f} us); {wall:.2f} s, peak {peak:.2f} MB")


if __name__ == "__main__":
    main()
