"""profile_latency: percentile latencies with bootstrap intervals per batch size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools._environment import environment_fingerprint
from diagtools._result import Finding, Result, rank_findings
from diagtools.latency._timing import detect_warmup, loop_overhead_ns, time_calls

__all__ = ["LatencyResult", "profile_latency"]

_STATS = {"p50": 50, "p90": 90, "p95": 95, "p99": 99, "max": 100}


@dataclass(frozen=True)
class LatencyResult(Result):
    """Latency per batch size and statistic.

    ``frame`` columns: ``batch_size, statistic, estimate, ci_low, ci_high, n, unit``
    (``unit`` is ``"ms"`` for latency statistics, ``"rows/s"`` for ``throughput``).
    ``samples``: tidy raw timings ``batch_size, run, latency_ms, cpu_ms`` (steady state).
    """

    area = "latency"
    title = "Latency profile"
    samples: pd.DataFrame = field(default_factory=pd.DataFrame)
    overhead_ns: float = 0.0
    warmup: dict = field(default_factory=dict)
    environment: dict = field(default_factory=dict)

    def _get(self, b: int, stat: str) -> pd.Series:
        f = self.frame
        return f[(f["batch_size"] == b) & (f["statistic"] == stat)].iloc[0]

    def findings(self) -> list[Finding]:
        """p50/p99 and throughput per batch size, in plain words."""
        out = []
        for b in sorted(self.frame["batch_size"].unique()):
            p50, p99 = self._get(b, "p50"), self._get(b, "p99")
            thr = self._get(b, "throughput")
            out.append(Finding(
                "latency", "info",
                f"Batch {b}: p50 {p50['estimate']:.3g} ms (CI {p50['ci_low']:.3g}-"
                f"{p50['ci_high']:.3g}), p99 {p99['estimate']:.3g} ms, "
                f"{thr['estimate']:.3g} rows/s",
                evidence={"batch_size": int(b)},
            ))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """p50 and p99 at the smallest batch, peak throughput."""
        b = int(self.frame["batch_size"].min())
        thr = self.frame[self.frame["statistic"] == "throughput"]["estimate"].max()
        return [(f"p50 (batch {b})", f"{self._get(b, 'p50')['estimate']:.3g} ms"),
                (f"p99 (batch {b})", f"{self._get(b, 'p99')['estimate']:.3g} ms"),
                ("peak throughput", f"{thr:.3g} rows/s"),
                ("loop overhead", f"{self.overhead_ns:.0f} ns")]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Latency distribution per batch size (box plot of steady-state calls, log scale)."""
        from diagtools._plotting import get_ax

        ax = get_ax(ax)
        groups = [(b, g["latency_ms"].to_numpy()) for b, g in self.samples.groupby("batch_size")]
        ax.boxplot([g for _, g in groups], whis=(1, 99), showfliers=False)
        ax.set_xticks(range(1, len(groups) + 1), [str(b) for b, _ in groups])
        ax.set_yscale("log")
        ax.set_xlabel("batch size")
        ax.set_ylabel("latency (ms), whiskers p1-p99")
        return ax


def profile_latency(
    model: Any,
    X: Any,
    *,
    batch_sizes: tuple[int, ...] = (1, 8, 64, 512),
    method: str = "predict",
    min_runs: int = 50,
    min_time: float = 0.2,
    max_time: float = 2.0,
    n_boot: int = 500,
    confidence: float = 0.95,
    random_state: int = 0,
) -> LatencyResult:
    """Measure call latency of ``model.<method>`` per batch size.

    Calls are timed with ``perf_counter_ns`` until ``min_runs`` calls and ``min_time``
    seconds are reached (bounded by ``max_time``); warm-up calls are detected with a
    rolling-median rule and dropped; intervals are percentile bootstraps over calls.

    Examples
    --------
    >>> from diagtools.datasets import make_loans
    >>> from diagtools.demo_models import make_loan_model
    >>> from diagtools.latency import profile_latency
    >>> df = make_loans(2000)
    >>> X, y = df.drop(columns="defaulted"), df["defaulted"]
    >>> res = profile_latency(make_loan_model().fit(X, y), X, batch_sizes=(1,), min_runs=20,
    ...                       min_time=0.0)
    >>> sorted(res.frame["statistic"].unique())[:2]
    ['cpu_mean', 'max']
    """
    rng = np.random.default_rng(random_state)
    fn = getattr(model, method)
    overhead = loop_overhead_ns(5000)
    alpha = (1 - confidence) / 2
    rows, samples, warm = [], [], {}
    for b in batch_sizes:
        Xb = X.iloc[:b] if hasattr(X, "iloc") else X[:b]
        wall, cpu = time_calls(lambda Xb=Xb: fn(Xb), min_runs=min_runs, min_time=min_time,
                               max_time=max_time)
        k = detect_warmup(wall)
        warm[str(b)] = k
        w, c = wall[k:] / 1e6, cpu[k:] / 1e6
        n = len(w)
        idx = rng.integers(0, n, size=(n_boot, n))
        boot = w[idx]
        for name, q in _STATS.items():
            est = float(np.percentile(w, q))
            bq = np.percentile(boot, q, axis=1)
            rows.append((b, name, est, float(np.quantile(bq, alpha)),
                         float(np.quantile(bq, 1 - alpha)), n, "ms"))
        bm = boot.mean(axis=1)
        rows.append((b, "mean", float(w.mean()), float(np.quantile(bm, alpha)),
                     float(np.quantile(bm, 1 - alpha)), n, "ms"))
        rows.append((b, "std", float(w.std(ddof=1)) if n > 1 else 0.0, np.nan, np.nan, n, "ms"))
        rows.append((b, "cpu_mean", float(c.mean()), np.nan, np.nan, n, "ms"))
        thr = b * 1e3 / w.mean()
        rows.append((b, "throughput", float(thr), float(b * 1e3 / np.quantile(bm, 1 - alpha)),
                     float(b * 1e3 / np.quantile(bm, alpha)), n, "rows/s"))
        samples.append(pd.DataFrame({"batch_size": b, "run": np.arange(n), "latency_ms": w,
                                     "cpu_ms": c}))
    frame = pd.DataFrame(rows, columns=["batch_size", "statistic", "estimate", "ci_low",
                                        "ci_high", "n", "unit"])
    return LatencyResult(
        frame=frame, params={"batch_sizes": list(batch_sizes), "method": method,
                             "min_runs": min_runs, "min_time": min_time, "max_time": max_time},
        n_samples=len(X), samples=pd.concat(samples, ignore_index=True),
        overhead_ns=overhead, warmup=warm, environment=environment_fingerprint())
