"""profile_latency: percentile latencies with bootstrap intervals per batch size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools._energy import EnergyMeter
from diagtools._environment import environment_fingerprint
from diagtools._result import Finding, Result, rank_findings
from diagtools._validation import check_random_state
from diagtools.latency._checks import (
    check_batch_sizes,
    check_method,
    check_n_rows,
    check_number,
    check_threads,
    check_time_budget,
    take_rows,
)
from diagtools.latency._timing import detect_warmup, loop_overhead_ns, thread_limits, time_calls

__all__ = ["LatencyResult", "profile_latency"]

_STATS = {"p50": 50, "p90": 90, "p95": 95, "p99": 99, "max": 100}


@dataclass(frozen=True)
class LatencyResult(Result):
    """Latency per batch size and statistic.

    ``frame`` columns: ``batch_size, statistic, estimate, ci_low, ci_high, n, unit``
    (``unit`` is ``"ms"`` for latency statistics, ``"rows/s"`` for ``throughput``).
    Statistics: ``p50, p90, p95, p99, max, mean, std`` of the wall-clock time, ``cpu_mean,
    cpu_p50, cpu_p99`` of the process CPU time (ms per call) and ``throughput`` (rows/s);
    intervals are percentile bootstraps over the timed calls. The cost of a prediction:
    ``cpu_s_per_1k`` (CPU-seconds per 1,000 predictions, unit ``"CPU-s/1k"``), ``peak_mb``
    (tracemalloc peak of one call, ``"MB"``), ``energy_j_per_1k`` (package energy per 1,000
    predictions from Linux RAPL, ``"J/1k"``; NaN with the reason in ``energy_note`` when the
    machine does not expose it) and, with ``cpu_hour_price``, ``cost_per_million`` (estimated
    price of a million predictions, ``"price/1M"``). When the calls are CPU-bound
    and single-threaded, a wall p99 well above the CPU p99 means other processes interrupted
    the calls (a finding says so).

    Attributes
    ----------
    samples : pandas.DataFrame
        Tidy raw timings ``batch_size, run, latency_ms, cpu_ms`` (steady state only).
    overhead_ns : float
        Median cost of one iteration of the timing loop around a no-op (already inside every
        measured call; subtract it for calls of a few microseconds).
    warmup : dict
        Batch size (as str) -> number of leading calls detected as warm-up and dropped.
    environment : dict
        :func:`diagtools._environment.environment_fingerprint` taken while timing (so the
        thread pools show the ``threads`` limit in force).
    energy_note : str
        Why energy is not available on this machine (empty when it is).
    """

    area = "latency"
    title = "Latency profile"
    samples: pd.DataFrame = field(default_factory=pd.DataFrame)
    overhead_ns: float = 0.0
    warmup: dict = field(default_factory=dict)
    environment: dict = field(default_factory=dict)
    energy_note: str = ""

    def cost_text(self) -> str:
        """One sentence on the cost of a prediction: CPU-seconds and energy per 1,000, peak memory."""
        sizes = sorted(int(b) for b in self.frame["batch_size"].unique())
        if not sizes or not self._has(sizes[0], "cpu_s_per_1k"):
            return ""
        cpu = ", ".join(f"{self._get(b, 'cpu_s_per_1k')['estimate']:.3g} at batch {b}" for b in sizes)
        peak = max(float(self._get(b, "peak_mb")["estimate"]) for b in sizes)
        energy = [float(self._get(b, "energy_j_per_1k")["estimate"]) for b in sizes]
        energy_text = (", ".join(f"{e:.3g} J at batch {b}" for e, b in zip(energy, sizes, strict=True)) + " per 1k "
                       "(package energy, other processes included)" if all(np.isfinite(energy))
                       else f"energy not available: {self.energy_note or 'no reading'}")
        text = f"CPU-s per 1k predictions: {cpu}; peak memory of one call {peak:.3g} MB; {energy_text}"
        if self._has(sizes[0], "cost_per_million"):
            price = self.params.get("cpu_hour_price")
            text += "; " + ", ".join(f"{self._get(b, 'cost_per_million')['estimate']:.3g} per million at batch {b}"
                                     for b in sizes) + f" (at {price:g} per CPU-hour)"
        return text

    def _has(self, b: int, stat: str) -> bool:
        f = self.frame
        return bool(((f["batch_size"] == b) & (f["statistic"] == stat)).any())

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
        sizes = sorted(self.frame["batch_size"].unique())
        if len(sizes) > 1:
            t0, t1 = self._get(sizes[0], "throughput"), self._get(sizes[-1], "throughput")
            gain = t1["estimate"] / t0["estimate"]
            if t1["ci_low"] > t0["ci_high"]:
                out.append(Finding(
                    "latency", "info",
                    f"Batching pays: batch {sizes[-1]} gives {gain:.3g}x the throughput of batch "
                    f"{sizes[0]} ({t1['estimate']:.3g} vs {t0['estimate']:.3g} rows/s)",
                    "Group requests into batches where the latency budget allows.",
                    {"gain": float(gain)},
                ))
        for b in sizes:
            wall, cpu = self._get(b, "mean")["estimate"], self._get(b, "cpu_mean")["estimate"]
            if self._has(b, "cpu_p99"):
                w50, c50 = self._get(b, "p50")["estimate"], self._get(b, "cpu_p50")["estimate"]
                w99, c99 = self._get(b, "p99")["estimate"], self._get(b, "cpu_p99")["estimate"]
                if abs(w50 - c50) <= 0.2 * w50 and w99 > 1.5 * c99:
                    out.append(Finding(
                        "latency", "low",
                        f"Batch {b}: p99 is {w99:.3g} ms of wall time but {c99:.3g} ms of CPU time: "
                        "other processes interrupted the calls, so the tail reflects the machine",
                        "Rerun on a quiet machine (or pin the process to a free core) before "
                        "trusting the wall-clock tail.",
                        {"batch_size": int(b), "p99_ms": float(w99), "cpu_p99_ms": float(c99)},
                    ))
            ratio = cpu / wall if wall > 0 else float("nan")
            if ratio > 1.5:
                out.append(Finding(
                    "latency", "info",
                    f"Batch {b}: CPU time is {ratio:.2g}x wall time, so predict runs on several "
                    "threads",
                    "Latency depends on free cores; compare with threads=1 before deploying "
                    "several workers on one machine.", {"batch_size": int(b), "cpu_wall": float(ratio)},
                ))
            elif ratio < 0.5:
                out.append(Finding(
                    "latency", "low",
                    f"Batch {b}: CPU time is only {ratio:.0%} of wall time: predict waits (I/O, "
                    "locks, sleeping) or the machine is busy",
                    "Check what the call waits for; timings on a loaded machine are noisy.",
                    {"batch_size": int(b), "cpu_wall": float(ratio)},
                ))
        cost = self.cost_text()
        if cost:
            out.append(Finding("latency", "info", f"Cost of a prediction: {cost}",
                               "CPU time is what a prediction costs on a shared machine; set cpu_hour_price for a "
                               "price per million predictions.", {"energy_note": self.energy_note}))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """p50 and p99 at the smallest batch, peak throughput, CPU-s per 1k predictions."""
        b = int(self.frame["batch_size"].min())
        thr = self.frame[self.frame["statistic"] == "throughput"]["estimate"].max()
        pairs = [(f"p50 (batch {b})", f"{self._get(b, 'p50')['estimate']:.3g} ms"),
                 (f"p99 (batch {b})", f"{self._get(b, 'p99')['estimate']:.3g} ms"),
                 ("peak throughput", f"{thr:.3g} rows/s"),
                 ("loop overhead", f"{self.overhead_ns:.0f} ns")]
        if self._has(b, "cpu_s_per_1k"):
            big = int(self.frame["batch_size"].max())
            energy = self._get(big, "energy_j_per_1k")["estimate"]
            pairs.append((f"CPU-s per 1k predictions (batch {big})",
                          f"{self._get(big, 'cpu_s_per_1k')['estimate']:.3g}; energy "
                          + (f"{energy:.3g} J" if np.isfinite(energy) else "not available")))
        return pairs

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Latency distribution per batch size (box plot of steady-state calls, log scale)."""
        from diagtools._plotting import get_ax, plain_log_ticks

        ax = get_ax(ax)
        groups = [(b, g["latency_ms"].to_numpy()) for b, g in self.samples.groupby("batch_size")]
        ax.boxplot([g for _, g in groups], whis=(1, 99), showfliers=False)
        ax.set_xticks(range(1, len(groups) + 1), [str(b) for b, _ in groups])
        ax.set_yscale("log")
        plain_log_ticks(ax, "y")
        ax.set_xlabel("batch size")
        ax.set_ylabel("latency (ms), whiskers p1-p99")
        ax.set_title(kwargs.get("title", "Latency distribution per batch size"))
        return ax

    def _series(self, stat: str) -> pd.DataFrame:
        f = self.frame[self.frame["statistic"] == stat]
        return f.sort_values("batch_size")

    def plot_batch(self, ax: Any = None, *, per_row: bool = True, **kwargs: Any) -> Any:
        """p50 and p99 latency against batch size with bootstrap bands (log-log).

        With ``per_row=True`` the latency is divided by the batch size (ms per row), which
        shows where batching stops paying.
        """
        from diagtools._plotting import get_ax, plain_log_ticks

        ax = get_ax(ax)
        for stat, color in (("p50", "C0"), ("p99", "C3")):
            f = self._series(stat)
            scale = f["batch_size"].to_numpy(float) if per_row else 1.0
            x = f["batch_size"].to_numpy(float)
            ax.plot(x, f["estimate"] / scale, "o-", color=color, label=stat)
            ax.fill_between(x, f["ci_low"] / scale, f["ci_high"] / scale, color=color, alpha=0.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_ticks(ax, "x", ticks=x)
        plain_log_ticks(ax, "y")
        ax.set_xlabel("batch size")
        ax.set_ylabel("ms per row" if per_row else "ms per call")
        ax.set_title(kwargs.get("title", "Latency vs batch size (bands: 95% CI)"))
        ax.legend()
        return ax

    def plot_throughput(self, ax: Any = None, **kwargs: Any) -> Any:
        """Throughput (rows/s) against batch size with its bootstrap band."""
        from diagtools._plotting import get_ax, plain_log_ticks

        ax = get_ax(ax)
        f = self._series("throughput")
        x = f["batch_size"].to_numpy(float)
        ax.plot(x, f["estimate"], "o-", color=kwargs.get("color", "C2"))
        ax.fill_between(x, f["ci_low"], f["ci_high"], color=kwargs.get("color", "C2"), alpha=0.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_ticks(ax, "x", ticks=x)
        plain_log_ticks(ax, "y")
        ax.set_xlabel("batch size")
        ax.set_ylabel("throughput (rows/s)")
        ax.set_title(kwargs.get("title", "Throughput vs batch size"))
        return ax

    def plot_cpu(self, ax: Any = None, **kwargs: Any) -> Any:
        """Mean CPU time next to mean wall time per batch size (bars, log scale).

        CPU above wall means several threads work; CPU well below wall means waiting.
        """
        from diagtools._plotting import get_ax, plain_log_ticks

        ax = get_ax(ax)
        wall, cpu = self._series("mean"), self._series("cpu_mean")
        xs = np.arange(len(wall))
        ax.bar(xs - 0.2, wall["estimate"], 0.4, label="wall", color="C0")
        ax.bar(xs + 0.2, cpu["estimate"].to_numpy(), 0.4, label="CPU (process)", color="C1")
        ax.set_xticks(xs, [str(b) for b in wall["batch_size"]])
        ax.set_yscale("log")
        plain_log_ticks(ax, "y")
        ax.set_xlabel("batch size")
        ax.set_ylabel("mean time per call (ms)")
        ax.set_title(kwargs.get("title", "CPU vs wall time"))
        ax.legend()
        return ax


def _boot_stats(w: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap percentiles (``_STATS`` order) and means of ``w``, in chunks of resamples so
    that memory stays bounded (about 16 MB) however many calls were timed."""
    n = len(w)
    qs = list(_STATS.values())
    step = max(1, 2_000_000 // max(n, 1))
    pct, mean = [], []
    for start in range(0, n_boot, step):
        boot = w[rng.integers(0, n, size=(min(step, n_boot - start), n))]
        pct.append(np.percentile(boot, qs, axis=1).T)
        mean.append(boot.mean(axis=1))
    return np.concatenate(pct), np.concatenate(mean)


def _time_batch(fn: Any, Xb: Any, min_runs: int, min_time: float, max_time: float,
                meter: EnergyMeter | None = None) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Time ``fn(Xb)``; also the package joules spent meanwhile and the tracemalloc peak (MB) of one call."""
    import tracemalloc

    start = meter.read() if meter is not None else None
    wall, cpu = time_calls(lambda: fn(Xb), min_runs=min_runs, min_time=min_time, max_time=max_time)
    joules = meter.joules(start, meter.read()) if meter is not None else float("nan")
    tracemalloc.start()  # after the timing: tracemalloc slows calls down
    try:
        fn(Xb)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    return wall, cpu, joules, float(peak)


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
    threads: int | None = None,
    cpu_hour_price: float | None = None,
    random_state: int = 0,
) -> LatencyResult:
    """Measure call latency of ``model.<method>`` per batch size.

    Calls are timed with ``perf_counter_ns`` until ``min_runs`` calls and ``min_time``
    seconds are reached (bounded by ``max_time``); warm-up calls are detected with a
    rolling-median rule and dropped; intervals are percentile bootstraps over calls.

    Parameters
    ----------
    model : object
        A fitted model (anything with ``method``).
    X : DataFrame, array or list of rows
        Rows to predict on; batch ``b`` is the first ``b`` rows.
    batch_sizes : tuple of int, default=(1, 8, 64, 512)
        Rows per call; each must be at most ``len(X)``.
    method : str, default="predict"
        Method to time (``"predict_proba"``, ``"transform"``, ...).
    min_runs : int, default=50
        Minimum number of timed calls per batch size (LoadGen's minimum query count).
    min_time : float, default=0.2
        Minimum seconds of timing per batch size.
    max_time : float, default=2.0
        Upper bound in seconds per batch size (at least 3 calls are made).
    n_boot : int, default=500
        Bootstrap resamples for the intervals.
    confidence : float, default=0.95
        Level of the intervals.
    threads : int, optional
        Limit BLAS/OpenMP thread pools to this many threads while timing (threadpoolctl);
        recorded in ``params`` and in ``environment``. None leaves them as they are.
    cpu_hour_price : float, optional
        Price of one CPU-hour (any currency): adds ``cost_per_million``, the estimated price
        of a million predictions at each batch size.
    random_state : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    LatencyResult

    Raises
    ------
    DiagnosticInputError
        When the model lacks ``method``, X is empty, a batch size is not a positive integer
        or exceeds ``len(X)``, or an option is out of range.

    See Also
    --------
    profile_steps : time per pipeline step.
    load_test : latency under a stream of requests (queueing included).

    Examples
    --------
    >>> from diagtools.datasets import make_loans
    >>> from diagtools.demo_models import make_loan_model
    >>> from diagtools.latency import profile_latency
    >>> df = make_loans(2000)
    >>> X, y = df.drop(columns="defaulted"), df["defaulted"]
    >>> res = profile_latency(make_loan_model(overfit=False).fit(X, y), X, batch_sizes=(1, 64),
    ...                       min_runs=20, min_time=0.0)
    >>> res.frame["statistic"].unique()[:5].tolist()
    ['p50', 'p90', 'p95', 'p99', 'max']
    """
    fn = check_method(model, method)
    n_rows = check_n_rows(X)
    batch_sizes = check_batch_sizes(batch_sizes, n_rows)
    check_number(min_runs, "min_runs", low=1, integer=True)
    check_number(min_time, "min_time", low=0.0)
    check_number(max_time, "max_time", low=0.0, inclusive=False)
    check_time_budget(min_time, max_time)
    check_number(n_boot, "n_boot", low=1, integer=True)
    check_random_state(random_state, allow_none=False)
    check_number(confidence, "confidence", low=0.0, inclusive=False, high=1.0)
    threads = check_threads(threads)
    if cpu_hour_price is not None:
        check_number(cpu_hour_price, "cpu_hour_price", low=0.0)
    rng = np.random.default_rng(random_state)
    meter = EnergyMeter()
    alpha = (1 - confidence) / 2
    rows, samples, warm = [], [], {}
    with thread_limits(threads):
        overhead = loop_overhead_ns(5000)
        env = environment_fingerprint()
        timings = [(b, *_time_batch(fn, take_rows(X, slice(0, b)), min_runs, min_time, max_time, meter))
                   for b in batch_sizes]
    for b, wall, cpu, joules, peak in timings:
        k = detect_warmup(wall)
        warm[str(b)] = k
        w, c = wall[k:] / 1e6, cpu[k:] / 1e6
        n = len(w)
        bqs, bm = _boot_stats(w, n_boot, rng)
        for j, (name, q) in enumerate(_STATS.items()):
            est = float(np.percentile(w, q))
            bq = bqs[:, j]
            rows.append((b, name, est, float(np.quantile(bq, alpha)),
                         float(np.quantile(bq, 1 - alpha)), n, "ms"))
        rows.append((b, "mean", float(w.mean()), float(np.quantile(bm, alpha)),
                     float(np.quantile(bm, 1 - alpha)), n, "ms"))
        rows.append((b, "std", float(w.std(ddof=1)) if n > 1 else 0.0, np.nan, np.nan, n, "ms"))
        rows.append((b, "cpu_mean", float(c.mean()), np.nan, np.nan, n, "ms"))
        # CPU-time percentiles: what the calls cost this process, without the time other
        # processes held the core (a busy machine inflates the wall-clock tail, not these).
        cqs, _ = _boot_stats(c, n_boot, rng)
        for j, (name, q) in enumerate(_STATS.items()):
            if name in ("p50", "p99"):
                rows.append((b, f"cpu_{name}", float(np.percentile(c, q)),
                             float(np.quantile(cqs[:, j], alpha)),
                             float(np.quantile(cqs[:, j], 1 - alpha)), n, "ms"))
        thr = b * 1e3 / w.mean()
        rows.append((b, "throughput", float(thr), float(b * 1e3 / np.quantile(bm, 1 - alpha)),
                     float(b * 1e3 / np.quantile(bm, alpha)), n, "rows/s"))
        # the cost of a prediction: CPU-seconds (all calls, warm-up included: the energy spans them too)
        total = len(wall) * b
        cpu_1k = float(cpu.sum()) / 1e9 / total * 1000
        rows.append((b, "cpu_s_per_1k", cpu_1k, np.nan, np.nan, len(wall), "CPU-s/1k"))
        rows.append((b, "peak_mb", peak, np.nan, np.nan, 1, "MB"))
        rows.append((b, "energy_j_per_1k", joules / total * 1000, np.nan, np.nan, len(wall), "J/1k"))
        if cpu_hour_price is not None:
            rows.append((b, "cost_per_million", cpu_1k * 1000 / 3600 * float(cpu_hour_price), np.nan, np.nan,
                         len(wall), "price/1M"))
        samples.append(pd.DataFrame({"batch_size": b, "run": np.arange(n), "latency_ms": w,
                                     "cpu_ms": c}))
    frame = pd.DataFrame(rows, columns=["batch_size", "statistic", "estimate", "ci_low",
                                        "ci_high", "n", "unit"])
    return LatencyResult(
        frame=frame, params={"batch_sizes": list(batch_sizes), "method": method,
                             "min_runs": min_runs, "min_time": min_time, "max_time": max_time,
                             "n_boot": n_boot, "confidence": confidence, "threads": threads,
                             "cpu_hour_price": cpu_hour_price, "random_state": random_state},
        n_samples=n_rows, samples=pd.concat(samples, ignore_index=True),
        overhead_ns=overhead, warmup=warm, environment=env, energy_note=meter.reason)
