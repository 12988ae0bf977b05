"""deployment_sweep: latency and throughput over threads x batch size, and the cheapest setting
that meets a p99 target."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import number, short_number
from diagtools._plotting import empty_panel, get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools.errors import DiagnosticInputError
from diagtools.latency._checks import check_batch_sizes, check_method, check_n_rows

__all__ = ["DeploymentSweep", "deployment_sweep"]


@dataclass(frozen=True)
class DeploymentSweep(Result):
    """Latency and throughput of one model per thread count and batch size.

    ``frame`` columns: ``threads, batch_size, metric, estimate, ci_low, ci_high, n``; metrics
    ``p50_ms``, ``p99_ms`` (per call), ``throughput_rps`` and ``cpu_s_per_1k``.
    ``params["p99_target_ms"]`` is the target, if one was given.
    """

    area: ClassVar[str] = "optimize"
    title: ClassVar[str] = "Deployment sweep: threads x batch size"

    def _get(self, metric: str) -> pd.DataFrame:
        f = self.frame[self.frame["metric"] == metric]
        return f.set_index(["threads", "batch_size"])

    def cheapest(self, p99_target_ms: float | None = None) -> dict[str, Any] | None:
        """The cheapest setting whose p99 meets the target (upper 95% bound <= target).

        Cheapest = fewest threads (cores are what a deployment pays for), then the highest
        throughput per thread. None when no setting meets the target.
        """
        target = self.params.get("p99_target_ms") if p99_target_ms is None else p99_target_ms
        if target is None:
            raise DiagnosticInputError("p99_target_ms: no target given. Pass e.g. cheapest(p99_target_ms=20).")
        p99, thr = self._get("p99_ms"), self._get("throughput_rps")
        ok = p99[p99["ci_high"] <= float(target)]
        if not len(ok):
            return None
        cand = thr.loc[ok.index].copy()
        cand["per_thread"] = cand["estimate"] / cand.index.get_level_values("threads")
        cand = cand.reset_index().sort_values(["threads", "per_thread"], ascending=[True, False])
        best = cand.iloc[0]
        t, b = int(best["threads"]), int(best["batch_size"])
        return {"threads": t, "batch_size": b, "p99_ms": float(p99.loc[(t, b), "estimate"]),
                "p99_ci_high_ms": float(p99.loc[(t, b), "ci_high"]), "throughput_rps": float(best["estimate"])}

    def findings(self) -> list[Finding]:
        """The cheapest setting meeting the target (or that none does), and the best throughput."""
        out = []
        thr = self._get("throughput_rps")
        top = thr["estimate"].idxmax()
        out.append(Finding("optimize", "info",
                           f"Highest throughput: {short_number(thr.loc[top, 'estimate'])} rows/s at {top[0]} thread(s), "
                           f"batch {top[1]}",
                           evidence={"threads": int(top[0]), "batch_size": int(top[1])}))
        target = self.params.get("p99_target_ms")
        if target is not None:
            best = self.cheapest()
            if best is None:
                out.append(Finding("optimize", "medium", f"No setting meets the p99 target of {short_number(target)} ms",
                                   "Try smaller batches, a faster variant (optimize) or faster hardware.",
                                   {"p99_target_ms": float(target)}))
            else:
                out.append(Finding(
                    "optimize", "info",
                    f"Cheapest setting meeting p99 <= {short_number(target)} ms: {best['threads']} thread(s), batch "
                    f"{best['batch_size']} (p99 {number(best['p99_ms'])} ms, upper 95% bound "
                    f"{number(best['p99_ci_high_ms'])} ms; {short_number(best['throughput_rps'])} rows/s)",
                    "Fewest threads first, then the most rows per second per thread.", best))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Settings swept and the best throughput."""
        thr = self._get("throughput_rps")
        return [("settings", str(len(thr))), ("best throughput", f"{short_number(thr['estimate'].max())} rows/s")]

    def plot(self, *, ax: Any = None, title: str | None = None, **kwargs: Any) -> Any:
        """p99 latency against throughput, one line per thread count (points = batch sizes).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        title : str, optional
            Replaces the default title.
        **kwargs
            Style of the lines (``linewidth``, ``alpha``, ...), checked by
            :func:`diagtools._plotting.validate_style_kwargs`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        style = validate_style_kwargs({"linestyle": "-"}, kwargs)
        ax = get_ax(ax)
        title = title or "Latency vs throughput per thread count (labels: batch size)"
        p99, thr = self._get("p99_ms"), self._get("throughput_rps")
        if p99.empty or thr.empty:
            return empty_panel(ax, "no setting was timed", title=title)
        for i, t in enumerate(sorted(set(p99.index.get_level_values("threads")))):
            x = thr.loc[t]["estimate"]
            yv = p99.loc[t].reindex(x.index)
            interval_bars(ax, x.to_numpy(), yv["estimate"], yv["ci_low"], yv["ci_high"],
                          **{"color": f"C{i % 10}", "label": f"{t} thread(s)", **style})
            for b, xv, yy in zip(x.index, x.to_numpy(), yv["estimate"].to_numpy(), strict=True):
                ax.annotate(f"b{b}", (xv, yy), textcoords="offset points", xytext=(4, 4), fontsize="x-small")
        target = self.params.get("p99_target_ms")
        if target is not None:
            ax.axhline(float(target), color="C3", ls="--", lw=1, label=f"p99 target {short_number(target)} ms")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("throughput (rows/s, log)")
        ax.set_ylabel("p99 latency per call (ms, log)")
        ax.set_title(title)
        ax.legend(fontsize="small")
        return ax


def deployment_sweep(
    model: Any,
    X: Any,
    *,
    threads: tuple[int, ...] | None = None,
    batch_sizes: tuple[int, ...] = (1, 8, 64, 256),
    p99_target_ms: float | None = None,
    min_runs: int = 30,
    min_time: float = 0.1,
    max_time: float = 1.0,
    n_boot: int = 200,
    random_state: int = 0,
) -> DeploymentSweep:
    """Time a model over thread counts x batch sizes and find the cheapest setting for a p99 target.

    Parameters
    ----------
    model : object
        A fitted model. An :class:`~diagtools.optimize.OnnxModel` gets a session per thread
        count; other models run under a BLAS/OpenMP thread limit (threadpoolctl).
    X : DataFrame, array or sequence of texts
        Rows to predict on (batch ``b`` = the first ``b`` rows; sizes above ``len(X)`` clip).
    threads : tuple of int, optional
        Thread counts; ``(1, os.cpu_count())`` by default.
    batch_sizes : tuple of int, default=(1, 8, 64, 256)
    p99_target_ms : float, optional
        Latency target per call; the result's :meth:`DeploymentSweep.cheapest` and findings
        name the cheapest setting that meets it with 95% confidence.
    min_runs, min_time, max_time : int, float, float
        Timing budget per setting (see :func:`~diagtools.latency.profile_latency`).
    n_boot : int, default=200
    random_state : int, default=0

    Returns
    -------
    DeploymentSweep

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from diagtools.optimize import deployment_sweep
    >>> X = np.random.default_rng(0).normal(size=(300, 4)); y = X[:, 0] > 0
    >>> res = deployment_sweep(LogisticRegression().fit(X, y), X, threads=(1,), batch_sizes=(1, 64),
    ...                        p99_target_ms=1000, min_runs=10, min_time=0.0)
    >>> res.cheapest()["threads"]
    1
    """
    from diagtools.latency import profile_latency
    from diagtools.optimize._onnx import OnnxModel

    check_method(model, "predict")
    n = check_n_rows(X)
    sizes = check_batch_sizes(tuple(dict.fromkeys(min(int(b), n) for b in batch_sizes)), n)
    cores = os.cpu_count() or 1
    threads = tuple(sorted({1, cores})) if threads is None else tuple(threads)
    if not threads or any(not isinstance(t, (int, np.integer)) or t < 1 for t in threads):
        raise DiagnosticInputError(f"threads must be positive integers, got {threads!r}. Use e.g. (1, {cores}).")
    if p99_target_ms is not None and (not isinstance(p99_target_ms, (int, float)) or p99_target_ms <= 0):
        raise DiagnosticInputError(f"p99_target_ms must be a positive number of milliseconds, got {p99_target_ms!r}.")
    rows = []
    for t in threads:
        m = model.with_threads(int(t)) if isinstance(model, OnnxModel) else model
        res = profile_latency(m, X, batch_sizes=sizes, min_runs=min_runs, min_time=min_time, max_time=max_time,
                              n_boot=n_boot, threads=None if isinstance(model, OnnxModel) else int(t),
                              random_state=random_state)
        f = res.frame
        for _, r in f[f["statistic"].isin(["p50", "p99", "throughput"])].iterrows():
            metric = "throughput_rps" if r["statistic"] == "throughput" else f"{r['statistic']}_ms"
            rows.append((int(t), int(r["batch_size"]), metric, r["estimate"], r["ci_low"], r["ci_high"], int(r["n"])))
        for b, g in res.samples.groupby("batch_size"):
            cpu = g["cpu_ms"].to_numpy() / float(b)
            rows.append((int(t), int(b), "cpu_s_per_1k", float(cpu.mean()), np.nan, np.nan, len(cpu)))
    frame = pd.DataFrame(rows, columns=["threads", "batch_size", "metric", "estimate", "ci_low", "ci_high", "n"])
    return DeploymentSweep(frame=frame, n_samples=n,
                           params={"threads": list(threads), "batch_sizes": list(sizes), "p99_target_ms": p99_target_ms,
                                   "min_runs": min_runs, "min_time": min_time, "max_time": max_time,
                                   "random_state": random_state})
