"""Timing loop: perf_counter_ns per call, measured loop overhead, warm-up detection.

The garbage collector is left enabled during timing (production code runs with it), but a
full ``gc.collect()`` is made before each measured series so that earlier garbage is not
charged to the model.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["detect_warmup", "loop_overhead_ns", "thread_limits", "time_calls"]


def loop_overhead_ns(n: int = 20_000) -> float:
    """Median cost in ns of one iteration of the timing loop around a no-op call.

    Examples
    --------
    >>> from diagtools.latency import loop_overhead_ns
    >>> loop_overhead_ns(2000) < 20_000
    True
    """
    wall, _ = time_calls(lambda: None, min_runs=n, min_time=0.0, max_time=5.0)
    return float(np.median(wall))


def time_calls(
    fn: Callable[[], object],
    *,
    min_runs: int = 50,
    min_time: float = 0.2,
    max_time: float = 5.0,
    min_calls: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """Call ``fn`` until both ``min_runs`` calls and ``min_time`` seconds are reached.

    Stops early at ``max_time`` seconds (after at least ``min_calls`` calls). Returns per-call
    wall and CPU (process) times in nanoseconds.

    Examples
    --------
    >>> from diagtools.latency import time_calls
    >>> wall, cpu = time_calls(lambda: sum(range(100)), min_runs=10, min_time=0.0)
    >>> len(wall) >= 10
    True
    """
    gc.collect()
    pc, pt = time.perf_counter_ns, time.process_time_ns
    wall: list[int] = []
    cpu: list[int] = []
    start = pc()
    min_ns, max_ns = int(min_time * 1e9), int(max_time * 1e9)
    while True:
        c0 = pt()
        t0 = pc()
        fn()
        t1 = pc()
        c1 = pt()
        wall.append(t1 - t0)
        cpu.append(c1 - c0)
        elapsed = t1 - start
        n = len(wall)
        if n >= min_runs and elapsed >= min_ns:
            break
        if elapsed >= max_ns and n >= min_calls:
            break
    return np.asarray(wall, dtype=float), np.asarray(cpu, dtype=float)


def detect_warmup(times: np.ndarray, *, window: int = 10, tolerance: float = 0.1) -> int:
    """Index of the first call in steady state (rolling-median rule).

    Steady state starts at the first window whose median lies within ``tolerance`` (relative)
    of the median of the last half of the series; leading calls of that window still slower
    than ``(1 + 2 * tolerance)`` times the steady median are skipped too.

    Examples
    --------
    >>> import numpy as np
    >>> from diagtools.latency import detect_warmup
    >>> detect_warmup(np.r_[[50.0] * 5, [10.0] * 100])
    5
    """
    times = np.asarray(times, dtype=float)
    n = len(times)
    if n < 2 * window:
        return 0
    target = float(np.median(times[n // 2 :]))
    for i in range(0, n - window + 1):
        if abs(np.median(times[i : i + window]) - target) <= tolerance * target:
            while i < n - 1 and times[i] > (1 + 2 * tolerance) * target:
                i += 1
            return i
    return 0


def thread_limits(threads: int | None) -> Any:
    """Context limiting BLAS/OpenMP pools to ``threads`` (a no-op context when None)."""
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)
