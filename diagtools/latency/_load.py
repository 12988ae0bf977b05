"""load_test: latency under an open-loop stream of requests (MLPerf LoadGen's scenarios).

Server scenario: queries arrive as a Poisson process at a target rate whatever the state of
the model (open loop), are served one at a time in arrival order, and each query's latency is
its waiting time in the queue plus its service time. The arrival schedule is fixed in advance
and one in-process scheduler waits for each arrival with ``perf_counter`` (sleep, then spin),
which is exact for a single FIFO server: a query starts at ``max(arrival, previous end)``.
Offline scenario: every query is available at once; the model is fed back to back and the
result is the maximum throughput.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._environment import environment_fingerprint
from diagtools._format import metric_value, percent, plain_number, short_number
from diagtools._result import Finding, Result, rank_findings
from diagtools._validation import check_option, check_random_state
from diagtools.errors import DiagnosticInputError
from diagtools.latency._checks import check_method, check_n_rows, check_number, check_threads, take_rows
from diagtools.latency._shared import finish_log_axes, quantile_intervals, rows_where
from diagtools.latency._timing import thread_limits, time_calls

__all__ = ["LoadTestResult", "load_test", "md1_mean_wait", "mg1_mean_wait"]

SCENARIOS = ("server", "offline")
_QUANTILES = {"p50": 50, "p90": 90, "p99": 99, "max": 100}
_N_BATCHES = 64  # distinct pre-built inputs cycled through (no slicing inside the timed loop)
#: Most queries one run may issue: the per-query arrays stay small (a few MB) whatever the rate.
MAX_QUERIES = 1_000_000


def md1_mean_wait(rate: float, service: float) -> float:
    """Mean queueing delay of an M/D/1 queue: :func:`mg1_mean_wait` with ``E[S^2] = S^2``.

    Pollaczek-Khinchine for a deterministic service time ``S`` (seconds) at ``rate`` queries
    per second: ``rho * S / (2 (1 - rho))`` seconds, ``inf`` when ``rho >= 1``.

    Examples
    --------
    >>> md1_mean_wait(500.0, 0.001)
    0.0005
    """
    return mg1_mean_wait(rate, service, service**2)


def mg1_mean_wait(rate: float, mean_service: float, second_moment: float) -> float:
    """Mean queueing delay of an M/G/1 queue (Pollaczek-Khinchine): ``rate E[S^2] / (2 (1 - rho))``.

    With a constant service time ``E[S^2] = S^2`` and this equals :func:`md1_mean_wait`.

    Parameters
    ----------
    rate : float
        Arrival rate (queries per second).
    mean_service : float
        Mean service time ``E[S]`` (seconds).
    second_moment : float
        ``E[S^2]`` (seconds squared).

    Returns
    -------
    float
        Mean waiting time in seconds (``inf`` when ``rho >= 1``).

    Examples
    --------
    >>> mg1_mean_wait(500.0, 0.001, 0.001 ** 2) == md1_mean_wait(500.0, 0.001)
    True
    """
    rho = rate * mean_service
    return float("inf") if rho >= 1 else rate * second_moment / (2 * (1 - rho))


@dataclass(frozen=True)
class LoadTestResult(Result):
    """Latency under load (server scenario) or maximum throughput (offline scenario).

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``offered_rate_qps, statistic, estimate, ci_low, ci_high, n, unit``; one row
        per offered rate and statistic. Server statistics: ``p50, p90, p99, max, mean`` of the
        latency (ms, queueing + service), ``wait_mean`` and ``service_mean`` (ms),
        ``achieved_rate`` (queries/s), ``utilisation`` (busy share of the run),
        ``completed`` (share of issued queries served before the run's time cap),
        ``late_mean`` (ms the generator started queries after they were due while the model
        was free: near 0 on a quiet machine, it is charged to waiting). Offline:
        ``throughput`` (rows/s) and batch latency quantiles; ``offered_rate_qps`` is NaN.
        Intervals are circular block bootstraps over queries (queueing delays are
        autocorrelated, so an iid bootstrap would be too narrow).
    samples : pandas.DataFrame
        Per query ``offered_rate_qps, query, arrival_ms, wait_ms, service_ms, late_ms,
        latency_ms``.
    scenario : str
        ``"server"`` or ``"offline"``.
    p99_bound_ms : float or None
        The latency bound searched against.
    max_rate_qps : float or None
        Highest offered rate whose p99 met the bound; 0 when even 5% of capacity missed it;
        None without a bound or when ``max_time`` ran out before any rate could be tested.
    capacity_qps : float
        ``1 / median service time`` measured before the runs (queries per second).
    environment : dict
        Machine and thread pools at measurement time.
    """

    samples: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenario: str = "server"
    p99_bound_ms: float | None = None
    max_rate_qps: float | None = None
    capacity_qps: float = float("nan")
    environment: dict = field(default_factory=dict)

    area: ClassVar[str] = "latency"
    title: ClassVar[str] = "Load test"

    def _stat(self, stat: str) -> pd.DataFrame:
        return rows_where(self.frame, "statistic", stat, by="offered_rate_qps")

    def findings(self) -> list[Finding]:
        """Rate meeting the bound, how latency grows with load, or the offline throughput."""
        out: list[Finding] = []
        if self.scenario == "offline":
            t = self._stat("throughput").iloc[0]
            out.append(Finding(
                "latency", "info",
                f"Offline: maximum throughput {metric_value('throughput', t['estimate'], low=t['ci_low'], high=t['ci_high'])}"
                f" at batch size {self.params.get('batch_size')}",
                evidence={"throughput_rps": float(t["estimate"])},
            ))
            return out
        if self.p99_bound_ms is not None:
            out.append(self._bound_finding())
        p99 = self._stat("p99")
        if len(p99) > 1:
            lo, hi = p99.iloc[0], p99.iloc[-1]
            if hi["estimate"] > 2 * lo["estimate"]:
                out.append(Finding(
                    "latency", "low",
                    f"p99 grows from {metric_value('p99_ms', lo['estimate'])} at {_qps(lo['offered_rate_qps'])}/s "
                    f"to {metric_value('p99_ms', hi['estimate'])} at {_qps(hi['offered_rate_qps'])}/s: queueing "
                    "dominates near capacity",
                    evidence={"rates": [float(lo["offered_rate_qps"]), float(hi["offered_rate_qps"])]},
                ))
        late, svc = self._stat("late_mean"), self._stat("service_mean")
        if len(late) and (late["estimate"].to_numpy() > 0.1 * svc["estimate"].to_numpy()).any():
            out.append(Finding(
                "latency", "low",
                f"The load generator started queries up to {short_number(late['estimate'].max())} ms late "
                "on average: the machine is busy, so the latencies are pessimistic",
                "Rerun on a quiet machine for figures to rely on.",
                {"late_mean_ms": float(late["estimate"].max())},
            ))
        cut = self.params.get("cut_by_max_time") or []
        if cut:
            shown = ", ".join(f"{_qps(c['rate'])}/s ({c['served']:.0f} of {c['issued']:.0f} queries)" for c in cut)
            out.append(Finding(
                "latency", "low",
                f"max_time={self.params.get('max_time')} s ran out: runs cut short at {shown}",
                "Their latencies rest on fewer queries than asked; raise max_time or lower min_queries "
                "and duration.",
                {"cut_rates_qps": [c["rate"] for c in cut]},
            ))
        cut_rates = {c["rate"] for c in cut}
        done = self._stat("completed")
        done = done[~done["offered_rate_qps"].isin(cut_rates)]
        if len(done) and (done["estimate"] < 1).any():
            r = float(done[done["estimate"] < 1]["offered_rate_qps"].min())
            out.append(Finding(
                "latency", "medium",
                f"Overload from {_qps(r)} queries/s: the queue kept growing and some queries were "
                "not served before the time cap",
                evidence={"rate_qps": r},
            ))
        return rank_findings(out)

    def _bound_finding(self) -> Finding:
        """The rate meeting the p99 bound, or why none was found."""
        cap = self.capacity_qps
        if self.max_rate_qps:
            return Finding(
                "latency", "info",
                f"Highest rate meeting p99 <= {plain_number(self.p99_bound_ms)} ms: {_qps(self.max_rate_qps)} "
                f"queries/s ({percent(self.max_rate_qps / cap, 0)} of the capacity {_qps(cap)}/s)",
                "Above it queueing pushes the p99 over the bound; add workers or speed up "
                "the model to serve more.",
                {"max_rate_qps": self.max_rate_qps, "capacity_qps": cap},
            )
        if self.max_rate_qps is None and self.frame.empty:
            # Not even the first run of the search fits in max_time: undetermined, not an error.
            first = 0.3 * cap
            need = max(float(self.params.get("duration", 0)), float(self.params.get("min_queries", 0)) / first)
            return Finding(
                "latency", "low",
                f"Undetermined: no rate was tested; the first run ({_qps(first)} queries/s, 30% of the "
                f"capacity) needs about {short_number(need)} s, more than max_time={self.params.get('max_time')} s",
                "Raise max_time, or lower min_queries or duration.", {"p99_bound_ms": self.p99_bound_ms},
            )
        if self.max_rate_qps is None:
            return Finding(
                "latency", "low",
                f"The rate meeting p99 <= {plain_number(self.p99_bound_ms)} ms was not found within "
                f"max_time={self.params.get('max_time')} s",
                "Raise max_time or lower min_queries.", {"p99_bound_ms": self.p99_bound_ms},
            )
        return Finding(
            "latency", "high",
            f"No rate meets p99 <= {plain_number(self.p99_bound_ms)} ms: it was missed at the lowest rate tested "
            "(or by the service time alone)",
            "The service time alone is too slow for the bound: speed up the model.",
            {"p99_bound_ms": self.p99_bound_ms},
        )

    def headline(self) -> list[tuple[str, str]]:
        """Capacity, the rate meeting the bound, or the offline throughput."""
        if self.scenario == "offline":
            return [("throughput", metric_value("throughput", self._stat("throughput").iloc[0]["estimate"]))]
        out = [("capacity", f"{_qps(self.capacity_qps)} q/s"),
               ("rates tested", str(self.frame["offered_rate_qps"].nunique()))]
        if self.p99_bound_ms is not None:
            out += [("p99 bound", f"{plain_number(self.p99_bound_ms)} ms"),
                    ("max rate", f"{_qps(self.max_rate_qps or 0)} q/s")]
        return out

    def plot(self, *, ax: Any = None, title: str | None = None, **kwargs: Any) -> Any:
        """Latency against offered load (server) or the batch latency histogram (offline).

        Server: p50, p99 and mean latency with their block-bootstrap bands, the M/D/1 mean
        latency for the measured service time (dotted), the capacity (vertical) and the p99
        bound (horizontal); ``**kwargs`` style the three measured lines. Offline: ``**kwargs``
        style the histogram bars.
        """
        from diagtools._plotting import band, empty_panel, get_ax, validate_style_kwargs

        ax = get_ax(ax)
        if self.scenario == "offline":
            ax.hist(self.samples["service_ms"], bins=30, **validate_style_kwargs({"color": "C0"}, kwargs, artist="patch"))
            ax.set_xlabel("batch latency (ms)")
            ax.set_ylabel("batches")
            ax.set_title(title or "Offline scenario: batch latencies")
            return ax
        validate_style_kwargs({}, kwargs, artist="line")
        title = title or "Latency vs offered load"
        if self.frame.empty:  # undetermined: no rate fitted in max_time
            return empty_panel(ax, "no rate tested within max_time", title=title)
        for stat, color in (("p50", "C0"), ("p99", "C3"), ("mean", "C2")):
            f = self._stat(stat)
            band(ax, f["offered_rate_qps"].to_numpy(float), f["estimate"], f["ci_low"], f["ci_high"], band_label=None,
                 alpha=0.2, **{"color": color, "marker": "o", "label": f"{stat} latency", **kwargs})
        s = self._stat("service_mean")
        if len(s):
            svc = float(np.median(s["estimate"])) / 1e3
            grid = np.linspace(0, 0.97 / svc, 60)
            ax.plot(grid, [1e3 * (svc + md1_mean_wait(r, svc)) for r in grid], ":", color="C2",
                    label="M/D/1 mean (theory)")
        ax.axvline(self.capacity_qps, color="grey", ls="--", lw=1, label="capacity")
        if self.p99_bound_ms is not None:
            ax.axhline(self.p99_bound_ms, color="C3", ls="--", lw=1, label="p99 bound")
        return finish_log_axes(ax, xlabel="offered load (queries/s)", ylabel="latency (ms)", title=title, xlog=False)


def _qps(rate: float) -> str:
    """A rate in queries per second, to four significant digits (``1,234`` or ``12.5``)."""
    return plain_number(float(f"{float(rate):.4g}")) if np.isfinite(rate) else "n/a"


FRAME_COLUMNS = ["offered_rate_qps", "statistic", "estimate", "ci_low", "ci_high", "n", "unit"]
_SAMPLE_COLUMNS = ["offered_rate_qps", "query", "arrival_ms", "wait_ms", "service_ms", "late_ms", "latency_ms"]


def _wait_until(target: float) -> None:
    """Sleep until ~5 ms before ``target`` (perf_counter seconds), then spin to it.

    Spinning keeps this thread on its core: on a busy machine a thread that sleeps can wake
    milliseconds late, which would be charged to the model as waiting time.
    """
    pc = time.perf_counter
    gap = target - pc()
    if gap > 0.01:
        time.sleep(gap - 0.005)
    while pc() < target:
        pass


def _server_run(fn: Any, batches: list[Any], rate: float, duration: float, min_queries: int,
                rng: np.random.Generator, deadline: float = float("inf")) -> dict[str, np.ndarray | float]:
    """One open-loop run at ``rate``; returns per-query arrays (seconds) and the run length.

    No query starts after ``deadline`` (perf_counter seconds): the run is then cut short
    (``timed_out``), so the whole test ends within ``max_time`` plus one service time.
    """
    n = max(min_queries, int(np.ceil(rate * duration)))
    arrivals = np.cumsum(rng.exponential(1.0 / rate, size=n))
    cap = 2.0 * arrivals[-1] + 1.0  # overload: stop issuing once the queue has clearly diverged
    wait, service, late = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    pc = time.perf_counter
    t0 = pc() + 0.002
    done = 0
    prev_end = 0.0
    nb = len(batches)
    timed_out = False
    for i in range(n):
        target = t0 + arrivals[i]
        if max(target, pc()) >= deadline:
            timed_out = True
            break
        _wait_until(target)
        start = pc()
        fn(batches[i % nb])
        end = pc()
        wait[i], service[i] = start - target, end - start
        late[i] = start - max(target, prev_end)  # the generator's own delay (busy machine)
        prev_end = end
        done = i + 1
        if end - t0 > cap:
            break
    elapsed = pc() - t0
    return {"arrivals": arrivals[:done], "wait": wait[:done], "service": service[:done],
            "late": late[:done], "timed_out": timed_out,
            "issued": float(n), "elapsed": float(elapsed)}


def _server_rows(rate: float, run: dict[str, Any], n_boot: int, rng: np.random.Generator,
                 confidence: float) -> list[tuple[Any, ...]]:
    lat = (run["wait"] + run["service"]) * 1e3
    wait, svc = run["wait"] * 1e3, run["service"] * 1e3
    n = len(lat)
    if n == 0:  # max_time ran out before the first arrival
        return []
    # queueing delays are autocorrelated: a circular block bootstrap (blocks of ~sqrt(n) queries)
    kw = {"n_boot": n_boot, "rng": rng, "confidence": confidence, "block": max(1, int(np.sqrt(n)))}
    low, high, _ = quantile_intervals(lat, list(_QUANTILES.values()), **kw)
    rows = [(rate, k, float(np.percentile(lat, q)), low[j], high[j], n, "ms") for j, (k, q) in enumerate(_QUANTILES.items())]
    rows.append((rate, "mean", float(lat.mean()), low[-1], high[-1], n, "ms"))
    for name, values in (("wait_mean", wait), ("service_mean", svc)):
        low, high, _ = quantile_intervals(values, [], **kw)
        rows.append((rate, name, float(values.mean()), low[-1], high[-1], n, "ms"))
    el = run["elapsed"]
    rows.append((rate, "achieved_rate", n / el, np.nan, np.nan, n, "queries/s"))
    rows.append((rate, "utilisation", float(run["service"].sum() / el), np.nan, np.nan, n, "share"))
    rows.append((rate, "completed", n / run["issued"], np.nan, np.nan, n, "share"))
    rows.append((rate, "late_mean", float(run["late"].mean() * 1e3), np.nan, np.nan, n, "ms"))
    return rows


def _check_rates(rate: Any, duration: float, min_queries: int, max_time: float) -> list[float]:
    """Offered rates that give a bounded number of queries and fit in ``max_time``."""
    if min_queries > MAX_QUERIES:
        raise DiagnosticInputError(
            f"min_queries must be at most {MAX_QUERIES:,}, got {min_queries!r}. Pass e.g. min_queries=100."
        )
    if duration > max_time:
        raise DiagnosticInputError(
            f"duration={duration:g} s per rate is longer than max_time={max_time:g} s for the whole test. "
            "Lower duration or raise max_time."
        )
    if rate is None:
        return []
    if isinstance(rate, (list, tuple)) and not rate:
        raise DiagnosticInputError("rate is an empty list. Pass one or more rates in queries/s, or rate=None.")
    rates: list[float] = []
    for r in (rate if isinstance(rate, (list, tuple)) else [rate]):
        check_number(r, "rate", low=0.0, inclusive=False)
        if r * duration > MAX_QUERIES:
            raise DiagnosticInputError(
                f"rate={r:g} queries/s for duration={duration:g} s would issue {r * duration:.3g} queries, "
                f"more than {MAX_QUERIES:,} per run. Offer a lower rate or a shorter duration (a single "
                "in-process model serves far fewer queries per second)."
            )
        if min_queries / r > max_time:
            raise DiagnosticInputError(
                f"rate={r:g} queries/s needs {min_queries / r:.3g} s to issue min_queries={min_queries}, more "
                f"than max_time={max_time:g} s. Offer at least {min_queries / max_time:.3g} queries/s, lower "
                "min_queries or raise max_time."
            )
        rates.append(float(r))
    return rates


def load_test(
    model: Any,
    X: Any,
    *,
    rate: float | list[float] | tuple[float, ...] | None = None,
    duration: float = 2.0,
    scenario: str = "server",
    p99_bound: float | None = None,
    batch_size: int = 1,
    method: str = "predict",
    min_queries: int = 100,
    max_time: float = 30.0,
    n_boot: int = 200,
    confidence: float = 0.95,
    threads: int | None = None,
    random_state: int = 0,
) -> LoadTestResult:
    """Measure latency under a Poisson stream of requests, or the maximum throughput.

    Parameters
    ----------
    model : object
        A fitted model (anything with ``method``).
    X : DataFrame, array or list of rows
        Rows queries are drawn from (each query holds ``batch_size`` random rows).
    rate : float or sequence of float, optional
        Offered load in queries per second (server scenario). When None, and ``p99_bound`` is
        None too, 30%, 60% and 90% of the measured capacity are tested.
    duration : float, default=2.0
        Seconds of arrivals per rate (at least ``min_queries`` queries are issued).
    scenario : {"server", "offline"}, default="server"
        ``"server"``: open-loop Poisson arrivals, latency = queueing + service.
        ``"offline"``: all queries at once, back to back, maximum throughput.
    p99_bound : float, optional
        Latency bound in ms: the highest rate whose p99 latency meets it is searched by
        bisection up to 99% of the capacity, starting from 30% (then 5%) of it (server
        scenario).
    batch_size : int, default=1
        Rows per query.
    method : str, default="predict"
        Method to call.
    min_queries : int, default=100
        Minimum queries per rate (LoadGen's minimum query count).
    max_time : float, default=30.0
        Bound in seconds of the whole test, warm-up and calibration included: no query starts
        after it, so the call returns within ``max_time`` plus one service time (runs cut
        short are listed in ``params["cut_by_max_time"]`` and in a finding). The bisection
        stops when the next run would exceed it, and a run stops issuing at twice its arrival
        span + 1 s (overload).
    n_boot : int, default=200
        Block-bootstrap resamples for the intervals.
    confidence : float, default=0.95
        Level of the intervals.
    threads : int, optional
        BLAS/OpenMP thread limit while testing (threadpoolctl); recorded in ``params``.
    random_state : int, default=0
        Seed of the arrival times, the rows drawn and the bootstrap.

    Returns
    -------
    LoadTestResult

    Raises
    ------
    DiagnosticInputError
        On an unknown scenario, a non-positive or non-finite rate, duration or bound, a rate
        that would issue more than ``MAX_QUERIES`` (1e6) queries per run, a rate too low to
        issue ``min_queries`` within ``max_time``, a ``duration`` longer than ``max_time``, a
        model without ``method`` or an empty X. All checks run before the model is called.

    Notes
    -----
    One FIFO server in this process and loopback only: no network and no worker pool, so the
    result is the latency of one model instance. For Poisson arrivals and a constant service
    time ``S`` the mean waiting time follows Pollaczek-Khinchine,
    ``Wq = rho S / (2 (1 - rho))`` with ``rho = rate * S`` (:func:`md1_mean_wait`).
    Reference: MLPerf Inference LoadGen, Server and Offline scenarios.

    Examples
    --------
    >>> import numpy as np
    >>> from diagtools.latency import load_test
    >>> class Model:
    ...     def predict(self, X):
    ...         return np.zeros(len(X))
    >>> res = load_test(Model(), np.zeros((10, 2)), rate=200.0, duration=0.2, min_queries=20)
    >>> res.scenario, int(res.frame["offered_rate_qps"].iloc[0])
    ('server', 200)
    """
    check_option(scenario, SCENARIOS, "scenario")
    fn = check_method(model, method)
    n_rows = check_n_rows(X)
    check_number(duration, "duration", low=0.0, inclusive=False)
    check_number(batch_size, "batch_size", low=1, integer=True)
    check_number(min_queries, "min_queries", low=1, integer=True)
    check_number(max_time, "max_time", low=0.0, inclusive=False)
    check_number(n_boot, "n_boot", low=1, integer=True)
    check_number(confidence, "confidence", low=0.0, inclusive=False, high=1.0)
    threads = check_threads(threads)
    if p99_bound is not None:
        check_number(p99_bound, "p99_bound", low=0.0, inclusive=False)
    check_random_state(random_state, allow_none=False)
    rates = _check_rates(rate, duration, min_queries, max_time)
    if batch_size > n_rows:
        raise DiagnosticInputError(
            f"batch_size {batch_size} is larger than X ({n_rows} rows). Pass more rows or a "
            "smaller batch_size."
        )
    rng = np.random.default_rng(random_state)
    batches = [take_rows(X, rng.choice(n_rows, size=batch_size, replace=False))
               for _ in range(_N_BATCHES)]
    deadline = time.perf_counter() + max_time
    params = {"scenario": scenario, "duration": duration, "batch_size": batch_size,
              "method": method, "min_queries": min_queries, "max_time": max_time,
              "n_boot": n_boot, "confidence": confidence, "threads": threads,
              "random_state": random_state, "rate": rates or None, "p99_bound": p99_bound}
    with thread_limits(threads):
        env = environment_fingerprint()
        capacity = 1.0 / max(_calibrate(fn, batches, deadline), 1e-9)
        if scenario == "offline":
            params["cut_by_max_time"] = []
            return _offline(fn, batches, duration, rng, n_boot, confidence, params, n_rows,
                            capacity, env, deadline)
        runs = _ServerRuns(fn, batches, duration=duration, min_queries=min_queries, rng=rng, deadline=deadline,
                           n_boot=n_boot, confidence=confidence)
        params["cut_by_max_time"] = runs.cut
        for r in rates or ([] if p99_bound is not None else [0.3 * capacity, 0.6 * capacity, 0.9 * capacity]):
            runs.run(r)
        max_rate = None if p99_bound is None else runs.search(float(p99_bound), capacity)
    frame = pd.DataFrame(runs.rows, columns=FRAME_COLUMNS)
    frame = frame.sort_values(["offered_rate_qps"], kind="stable").reset_index(drop=True)
    return LoadTestResult(
        frame=frame, params=params, n_samples=n_rows,
        samples=pd.concat(runs.samples, ignore_index=True) if runs.samples else pd.DataFrame(columns=_SAMPLE_COLUMNS),
        scenario="server",
        p99_bound_ms=None if p99_bound is None else float(p99_bound), max_rate_qps=max_rate,
        capacity_qps=capacity, environment=env,
    )


def _calibrate(fn: Any, batches: list[Any], deadline: float) -> float:
    """Warm the model up, then its median service time in seconds, all within ``deadline``."""
    pc = time.perf_counter
    first = pc()
    fn(batches[0])  # warm-up: caches, lazy imports, first-call allocations
    first = pc() - first
    for b in batches[1:5]:
        if pc() + first >= deadline:  # a slow model: keep the warm-up inside max_time
            break
        fn(b)
    remaining = deadline - pc()
    if remaining <= 2 * first:
        return first  # no time left to calibrate: the warm-up call is the estimate
    svc, _ = time_calls(lambda: fn(batches[0]), min_runs=20, min_time=0.05, max_time=min(1.0, remaining / 4),
                        min_calls=1)
    return float(np.median(svc)) / 1e9  # median: robust to preemption spikes


class _ServerRuns:
    """The server-scenario runs of one test: their rows, samples, p99 per rate and runs cut short."""

    def __init__(self, fn: Any, batches: list[Any], *, duration: float, min_queries: int, rng: np.random.Generator,
                 deadline: float, n_boot: int, confidence: float) -> None:
        self.fn, self.batches, self.duration, self.min_queries = fn, batches, duration, min_queries
        self.rng, self.deadline, self.n_boot, self.confidence = rng, deadline, n_boot, confidence
        self.rows: list[tuple[Any, ...]] = []
        self.samples: list[pd.DataFrame] = []
        self.p99_at: dict[float, float] = {}
        self.cut: list[dict[str, float]] = []
        # p99 of the service time alone, per run: a query's latency is its wait plus its service,
        # so no rate can bring the latency p99 below it
        self.service_p99: list[float] = []

    def run_time(self, rate: float) -> float:
        """Seconds a run at ``rate`` is expected to take (for the ``max_time`` budget)."""
        return max(self.duration, self.min_queries / rate) * 1.1 + 0.05

    def run(self, rate: float) -> None:
        """One run at ``rate``: its rows and samples, and its p99 (inf on overload) for the search."""
        if time.perf_counter() >= self.deadline:
            self.cut.append({"rate": rate, "served": 0.0,
                             "issued": float(max(self.min_queries, np.ceil(rate * self.duration)))})
            return
        res = _server_run(self.fn, self.batches, rate, self.duration, self.min_queries, self.rng, self.deadline)
        new = _server_rows(rate, res, self.n_boot, self.rng, self.confidence)
        self.rows.extend(new)
        if len(res["service"]):
            self.service_p99.append(float(np.percentile(res["service"], 99)) * 1e3)
        if res["timed_out"]:  # cut by max_time: neither a p99 to search with nor an overload
            self.cut.append({"rate": rate, "served": float(len(res["wait"])), "issued": float(res["issued"])})
            if not new:
                return
        else:
            stat = {x[1]: x[2] for x in new}
            self.p99_at[rate] = stat["p99"] if stat["completed"] >= 1 else float("inf")
        self.samples.append(pd.DataFrame({
            "offered_rate_qps": rate, "query": np.arange(len(res["wait"])),
            "arrival_ms": res["arrivals"] * 1e3, "wait_ms": res["wait"] * 1e3,
            "service_ms": res["service"] * 1e3, "late_ms": res["late"] * 1e3,
            "latency_ms": (res["wait"] + res["service"]) * 1e3}))

    def _fits(self, rate: float) -> bool:
        return time.perf_counter() + self.run_time(rate) < self.deadline

    def search(self, bound: float, capacity: float) -> float | None:
        """Highest rate whose p99 meets ``bound`` (bisection up to 99% of capacity).

        0 when even 5% of capacity misses it, or when the service time alone misses it (its p99
        in any run exceeds ``bound``: waiting only adds to it); None when ``max_time`` ran out first.
        """
        p99_at = self.p99_at
        # Start at 30% of capacity, then fall back to 5% (long runs at low rates:
        # min_queries / rate seconds), as far as max_time allows.
        for start in (0.3 * capacity, 0.05 * capacity):
            if any(p <= bound for p in p99_at.values()) or (self.service_p99 and min(self.service_p99) > bound):
                break
            if start not in p99_at and not any(r <= start for r in p99_at) and self._fits(start):
                self.run(start)
        ok = [r for r, p in p99_at.items() if p <= bound]
        if not ok:
            # even a light load misses the bound (or the service alone does, at any rate);
            # otherwise undetermined within max_time
            if self.service_p99 and min(self.service_p99) > bound:
                return 0.0
            return 0.0 if p99_at and min(p99_at) <= 0.05 * capacity * 1.0001 else None
        lo = max(ok)
        hi = min([0.99 * capacity, *[r for r, p in p99_at.items() if p > bound and r > lo]])
        for _ in range(6):
            mid = 0.5 * (lo + hi)
            if hi - lo < 0.03 * capacity or not self._fits(mid):
                break
            self.run(mid)
            if mid not in p99_at:  # cut short by max_time: no p99 to bisect on
                break
            lo, hi = (mid, hi) if p99_at[mid] <= bound else (lo, mid)
        return max(r for r, p in p99_at.items() if p <= bound)


def _offline(fn: Any, batches: list[Any], duration: float, rng: np.random.Generator, n_boot: int,
             confidence: float, params: dict[str, Any], n_rows: int, capacity: float,
             env: dict[str, Any], deadline: float = float("inf")) -> LoadTestResult:
    """Back-to-back calls for ``duration`` seconds: throughput = rows served / busy time."""
    b = params["batch_size"]
    counter = itertools.count()
    budget = max(0.0, min(duration * 2, deadline - time.perf_counter()))
    wall, _ = time_calls(lambda: fn(batches[next(counter) % len(batches)]), min_runs=10,
                         min_time=min(duration, budget), max_time=budget, min_calls=1)
    svc = wall / 1e6
    n = len(svc)
    low, high, _ = quantile_intervals(svc, list(_QUANTILES.values()), n_boot=n_boot, rng=rng, confidence=confidence,
                                      block=max(1, int(np.sqrt(n))))
    # throughput is rows over the mean batch time: its interval is the mean's, inverted
    rows = [(np.nan, "throughput", b * 1e3 / svc.mean(), b * 1e3 / high[-1], b * 1e3 / low[-1], n, "rows/s")]
    rows += [(np.nan, k, float(np.percentile(svc, q)), low[j], high[j], n, "ms") for j, (k, q) in enumerate(_QUANTILES.items())]
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    samples = pd.DataFrame({"offered_rate_qps": np.nan, "query": np.arange(n), "arrival_ms": 0.0,
                            "wait_ms": 0.0, "service_ms": svc, "late_ms": 0.0, "latency_ms": svc})
    return LoadTestResult(frame=frame, params=params, n_samples=n_rows, samples=samples,
                          scenario="offline", capacity_qps=capacity, environment=env)
