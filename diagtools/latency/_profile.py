"""profile_latency: percentile latencies with bootstrap intervals per batch size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools._energy import EnergyMeter
from diagtools._environment import environment_fingerprint
from diagtools._format import metric_value, percent, plain_number, short_number
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
from diagtools.latency._shared import finish_log_axes, quantile_intervals, rows_where
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
        cpu = ", ".join(f"{short_number(self._get(b, 'cpu_s_per_1k')['estimate'])} at batch {b}" for b in sizes)
        peak = max(float(self._get(b, "peak_mb")["estimate"]) for b in sizes)
        energy = [float(self._get(b, "energy_j_per_1k")["estimate"]) for b in sizes]
        energy_text = (", ".join(f"{short_number(e)} J at batch {b}" for e, b in zip(energy, sizes, strict=True))
                       + " per 1k (package energy, other processes included)" if all(np.isfinite(energy))
                       else f"energy not available: {self.energy_note or 'no reading'}")
        text = f"CPU-s per 1k predictions: {cpu}; peak memory of one call {short_number(peak)} MB; {energy_text}"
        if self._has(sizes[0], "cost_per_million"):
            price = self.params.get("cpu_hour_price")
            text += "; " + ", ".join(f"{short_number(self._get(b, 'cost_per_million')['estimate'])} per million at "
                                     f"batch {b}" for b in sizes) + f" (at {plain_number(price)} per CPU-hour)"
        return text

    def _has(self, b: int, stat: str) -> bool:
        f = self.frame
        return bool(((f["batch_size"] == b) & (f["statistic"] == stat)).any())

    def _get(self, b: int, stat: str) -> pd.Series:
        f = self.frame
        return f[(f["batch_size"] == b) & (f["statistic"] == stat)].iloc[0]

    def findings(self) -> list[Finding]:
        """p50/p99 and throughput per batch size, in plain words."""
        out = [self._summary(b) for b in sorted(self.frame["batch_size"].unique())]
        sizes = sorted(self.frame["batch_size"].unique())
        if len(sizes) > 1:
            t0, t1 = self._get(sizes[0], "throughput"), self._get(sizes[-1], "throughput")
            gain = t1["estimate"] / t0["estimate"]
            if t1["ci_low"] > t0["ci_high"]:
                out.append(Finding(
                    "latency", "info",
                    f"Batching pays: batch {sizes[-1]} gives {short_number(gain)}x the throughput of batch "
                    f"{sizes[0]} ({short_number(t1['estimate'])} vs {short_number(t0['estimate'])} rows/s)",
                    "Group requests into batches where the latency budget allows.",
                    {"gain": float(gain)},
                ))
        for b in sizes:
            out += self._cpu_findings(int(b))
        cost = self.cost_text()
        if cost:
            out.append(Finding("latency", "info", f"Cost of a prediction: {cost}",
                               "CPU time is what a prediction costs on a shared machine; set cpu_hour_price for a "
                               "price per million predictions.", {"energy_note": self.energy_note}))
        return rank_findings(out)

    def _summary(self, b: int) -> Finding:
        p50, p99, thr = self._get(b, "p50"), self._get(b, "p99"), self._get(b, "throughput")
        return Finding(
            "latency", "info",
            f"Batch {b}: p50 {metric_value('p50_ms', p50['estimate'], low=p50['ci_low'], high=p50['ci_high'])}, "
            f"p99 {metric_value('p99_ms', p99['estimate'])}, {short_number(thr['estimate'])} rows/s",
            evidence={"batch_size": int(b)},
        )

    def _cpu_findings(self, b: int) -> list[Finding]:
        """Wall time against CPU time: interruptions, several threads, or waiting."""
        out = []
        wall, cpu = self._get(b, "mean")["estimate"], self._get(b, "cpu_mean")["estimate"]
        if self._has(b, "cpu_p99"):
            w50, c50 = self._get(b, "p50")["estimate"], self._get(b, "cpu_p50")["estimate"]
            w99, c99 = self._get(b, "p99")["estimate"], self._get(b, "cpu_p99")["estimate"]
            if abs(w50 - c50) <= 0.2 * w50 and w99 > 1.5 * c99:
                out.append(Finding(
                    "latency", "low",
                    f"Batch {b}: p99 is {metric_value('p99_ms', w99)} of wall time but {metric_value('p99_ms', c99)} "
                    "of CPU time: other processes interrupted the calls, so the tail reflects the machine",
                    "Rerun on a quiet machine (or pin the process to a free core) before trusting the wall-clock tail.",
                    {"batch_size": b, "p99_ms": float(w99), "cpu_p99_ms": float(c99)},
                ))
        ratio = cpu / wall if wall > 0 else float("nan")
        if ratio > 1.5:
            out.append(Finding(
                "latency", "info",
                f"Batch {b}: CPU time is {short_number(ratio)}x wall time, so predict runs on several threads",
                "Latency depends on free cores; compare with threads=1 before deploying several workers on one "
                "machine.", {"batch_size": b, "cpu_wall": float(ratio)},
            ))
        elif ratio < 0.5:
            out.append(Finding(
                "latency", "low",
                f"Batch {b}: CPU time is only {percent(ratio, 0)} of wall time: predict waits (I/O, locks, sleeping) "
                "or the machine is busy",
                "Check what the call waits for; timings on a loaded machine are noisy.",
                {"batch_size": b, "cpu_wall": float(ratio)},
            ))
        return out

    def headline(self) -> list[tuple[str, str]]:
        """p50 and p99 at the smallest batch, peak throughput, CPU-s per 1k predictions."""
        b = int(self.frame["batch_size"].min())
        thr = self.frame[self.frame["statistic"] == "throughput"]["estimate"].max()
        pairs = [(f"p50 (batch {b})", metric_value("p50_ms", self._get(b, "p50")["estimate"])),
                 (f"p99 (batch {b})", metric_value("p99_ms", self._get(b, "p99")["estimate"])),
                 ("peak throughput", f"{short_number(thr)} rows/s"),
                 ("loop overhead", f"{short_number(round(self.overhead_ns))} ns")]
        if self._has(b, "cpu_s_per_1k"):
            big = int(self.frame["batch_size"].max())
            energy = self._get(big, "energy_j_per_1k")["estimate"]
            pairs.append((f"CPU-s per 1k predictions (batch {big})",
                          f"{short_number(self._get(big, 'cpu_s_per_1k')['estimate'])}; energy "
                          + (f"{short_number(energy)} J" if np.isfinite(energy) else "not available")))
        return pairs

    def plot(self, *, ax: Any = None, title: str = "Latency distribution per batch size", **kwargs: Any) -> Any:
        """Latency distribution per batch size (box plot of steady-state calls, log scale).

        ``**kwargs`` style the boxes (``color``, ``linewidth``, ...).
        """
        from diagtools._plotting import empty_panel, get_ax, validate_style_kwargs

        style = validate_style_kwargs({}, kwargs, artist="line")
        ax = get_ax(ax)
        if self.samples.empty:
            return empty_panel(ax, "no timed calls", title=title)
        groups = [(b, g["latency_ms"].to_numpy()) for b, g in self.samples.groupby("batch_size")]
        ax.boxplot([g for _, g in groups], whis=(1, 99), showfliers=False, boxprops=style)
        ax.set_xticks(range(1, len(groups) + 1), [str(b) for b, _ in groups])
        return finish_log_axes(ax, xlabel="batch size", ylabel="latency (ms), whiskers p1-p99", title=title,
                               xlog=False)

    def _series(self, stat: str) -> pd.DataFrame:
        return rows_where(self.frame, "statistic", stat, by="batch_size")

    def plot_batch(self, *, ax: Any = None, per_row: bool = True,
                   title: str = "Latency vs batch size (bands: 95% CI)", **kwargs: Any) -> Any:
        """p50 and p99 latency against batch size with bootstrap bands (log-log).

        With ``per_row=True`` the latency is divided by the batch size (ms per row), which
        shows where batching stops paying. ``**kwargs`` style both lines.
        """
        from diagtools._plotting import band, get_ax, validate_style_kwargs

        validate_style_kwargs({}, kwargs, artist="line")
        ax = get_ax(ax)
        for stat, color in (("p50", "C0"), ("p99", "C3")):
            f = self._series(stat)
            x = f["batch_size"].to_numpy(float)
            scale = x if per_row else 1.0
            band(ax, x, f["estimate"] / scale, f["ci_low"] / scale, f["ci_high"] / scale, band_label=None,
                 **{"color": color, "marker": "o", "label": stat, **kwargs})
        return finish_log_axes(ax, xlabel="batch size", ylabel="ms per row" if per_row else "ms per call",
                               title=title, xticks=x)

    def plot_throughput(self, *, ax: Any = None, title: str = "Throughput vs batch size", **kwargs: Any) -> Any:
        """Throughput (rows/s) against batch size with its bootstrap band; ``**kwargs`` style the line."""
        from diagtools._plotting import band, get_ax

        ax = get_ax(ax)
        f = self._series("throughput")
        x = f["batch_size"].to_numpy(float)
        band(ax, x, f["estimate"], f["ci_low"], f["ci_high"], band_label=None, **{"color": "C2", "marker": "o", **kwargs})
        return finish_log_axes(ax, xlabel="batch size", ylabel="throughput (rows/s)", title=title, xticks=x,
                               legend=False)

    def plot_cpu(self, *, ax: Any = None, title: str = "CPU vs wall time", **kwargs: Any) -> Any:
        """Mean CPU time next to mean wall time per batch size (bars, log scale).

        CPU above wall means several threads work; CPU well below wall means waiting. The wall
        bars carry their bootstrap interval; ``**kwargs`` style the bars.
        """
        from diagtools._plotting import get_ax, interval_bars

        ax = get_ax(ax)
        wall, cpu = self._series("mean"), self._series("cpu_mean")
        xs = np.arange(len(wall))
        for f, shift, label, color in ((wall, -0.2, "wall", "C0"), (cpu, 0.2, "CPU (process)", "C1")):
            interval_bars(ax, xs + shift, f["estimate"], f["ci_low"], f["ci_high"], kind="bar", width=0.4,
                          **{"color": color, "label": label, **kwargs})
        ax.set_xticks(xs, [str(b) for b in wall["batch_size"]])
        return finish_log_axes(ax, xlabel="batch size", ylabel="mean time per call (ms)", title=title, xlog=False)


def _timing_rows(b: int, w: np.ndarray, c: np.ndarray, *, n_boot: int, rng: np.random.Generator,
                 confidence: float) -> list[tuple[Any, ...]]:
    """Rows of the wall-time percentiles, mean, std, CPU statistics and throughput of one batch size."""
    n = len(w)
    low, high, _ = quantile_intervals(w, list(_STATS.values()), n_boot=n_boot, rng=rng, confidence=confidence)
    rows: list[tuple[Any, ...]] = [(b, name, float(np.percentile(w, q)), low[j], high[j], n, "ms")
                                   for j, (name, q) in enumerate(_STATS.items())]
    rows.append((b, "mean", float(w.mean()), low[-1], high[-1], n, "ms"))
    rows.append((b, "std", float(w.std(ddof=1)) if n > 1 else 0.0, np.nan, np.nan, n, "ms"))
    # CPU-time percentiles: what the calls cost this process, without the time other
    # processes held the core (a busy machine inflates the wall-clock tail, not these).
    clow, chigh, _ = quantile_intervals(c, [50, 99], n_boot=n_boot, rng=rng, confidence=confidence)
    rows.append((b, "cpu_mean", float(c.mean()), clow[-1], chigh[-1], n, "ms"))
    rows += [(b, f"cpu_p{q}", float(np.percentile(c, q)), clow[j], chigh[j], n, "ms") for j, q in enumerate((50, 99))]
    # throughput is rows over the mean time: its interval is that of the mean, inverted
    rows.append((b, "throughput", b * 1e3 / float(w.mean()), b * 1e3 / high[-1], b * 1e3 / low[-1], n, "rows/s"))
    return rows


def _cost_rows(b: int, cpu: np.ndarray, joules: float, peak: float,
               cpu_hour_price: float | None) -> list[tuple[Any, ...]]:
    """The cost of a prediction: CPU-seconds and energy per 1k (all calls, warm-up included: the
    energy reading spans them too), the tracemalloc peak of one call, and a price per million."""
    calls = len(cpu)
    cpu_1k = float(cpu.sum()) / 1e9 / (calls * b) * 1000
    rows: list[tuple[Any, ...]] = [
        (b, "cpu_s_per_1k", cpu_1k, np.nan, np.nan, calls, "CPU-s/1k"),
        (b, "peak_mb", peak, np.nan, np.nan, 1, "MB"),
        (b, "energy_j_per_1k", joules / (calls * b) * 1000, np.nan, np.nan, calls, "J/1k"),
    ]
    if cpu_hour_price is not None:
        rows.append((b, "cost_per_million", cpu_1k * 1000 / 3600 * float(cpu_hour_price), np.nan, np.nan, calls,
                     "price/1M"))
    return rows


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
    >>> import time
    >>> from diagtools.latency import profile_latency
    >>> class Sleepy:  # 1 ms per call whatever the batch: batching multiplies the throughput
    ...     def predict(self, X):
    ...         time.sleep(0.001)
    >>> res = profile_latency(Sleepy(), list(range(64)), batch_sizes=(1, 64), min_runs=20, min_time=0.0)
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
        rows += _timing_rows(b, w, c, n_boot=n_boot, rng=rng, confidence=confidence)
        rows += _cost_rows(b, cpu, joules, peak, cpu_hour_price)
        samples.append(pd.DataFrame({"batch_size": b, "run": np.arange(len(w)), "latency_ms": w, "cpu_ms": c}))
    frame = pd.DataFrame(rows, columns=["batch_size", "statistic", "estimate", "ci_low",
                                        "ci_high", "n", "unit"])
    return LatencyResult(
        frame=frame, params={"batch_sizes": list(batch_sizes), "method": method,
                             "min_runs": min_runs, "min_time": min_time, "max_time": max_time,
                             "n_boot": n_boot, "confidence": confidence, "threads": threads,
                             "cpu_hour_price": cpu_hour_price, "random_state": random_state},
        n_samples=n_rows, samples=pd.concat(samples, ignore_index=True),
        overhead_ns=overhead, warmup=warm, environment=env, energy_note=meter.reason)
