"""Per-step profiling of scikit-learn Pipeline / ColumnTransformer / FeatureUnion (nested)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import percent, short_number
from diagtools._result import Finding, Result, rank_findings
from diagtools._validation import check_random_state
from diagtools.errors import DiagnosticInputError
from diagtools.latency._checks import (
    check_batch_sizes,
    check_n_rows,
    check_number,
    check_threads,
    check_time_budget,
    take_rows,
)
from diagtools.latency._shared import quantile_intervals
from diagtools.latency._timing import thread_limits, time_calls

__all__ = ["StepProfile", "profile_steps"]

FRAME_COLUMNS = ["batch_size", "step", "estimate", "ci_low", "ci_high", "n", "share", "unit"]


def _leaves(est: Any, X: Any, prefix: str, out: list[tuple[str, Any, Any]], last: bool) -> Any:
    """Collect (name, callable, input) for each leaf; return the transformed output."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.utils import _safe_indexing

    if isinstance(est, Pipeline):
        Xt = X
        for i, (name, step) in enumerate(est.steps):
            if step is None or step == "passthrough":
                continue
            is_last = last and i == len(est.steps) - 1
            Xt = _leaves(step, Xt, f"{prefix}{name}", out, is_last)
        return Xt
    if isinstance(est, ColumnTransformer):
        for name, trans, cols in est.transformers_:
            if trans in ("drop", "passthrough") or name == "remainder":
                continue
            _leaves(trans, _safe_indexing(X, cols, axis=1), f"{prefix}/{name}", out, False)
        return est.transform(X)
    if isinstance(est, FeatureUnion):
        for name, trans in est.transformer_list:
            if trans in ("drop", "passthrough"):
                continue
            _leaves(trans, X, f"{prefix}/{name}", out, False)
        return est.transform(X)
    name = prefix.lstrip("/")
    if last or not hasattr(est, "transform"):
        out.append((name, est.predict, X))
        return None
    out.append((name, est.transform, X))
    return est.transform(X)


@dataclass(frozen=True)
class StepProfile(Result):
    """Median time and share of total per pipeline step and batch size.

    ``frame`` columns: ``batch_size, step, estimate, ci_low, ci_high, n, share, unit``:
    ``estimate`` is the step's median time per call in ms (``unit`` ``"ms"``) with the
    percentile-bootstrap interval of that median over its ``n`` timed calls; ``share`` is the
    median over the sum of the step medians at that batch size.
    """

    area: ClassVar[str] = "latency"
    title: ClassVar[str] = "Per-step latency"

    def _slowest(self, b: int, *, preprocessing: bool = False) -> pd.Series | None:
        sub = self.frame[self.frame["batch_size"] == b]
        if preprocessing:
            sub = sub[sub["step"] != self.params.get("final_step")]
        return sub.loc[sub["share"].idxmax()] if len(sub) else None

    def bottleneck(self, batch_size: int | None = None) -> str:
        """Name of the step with the largest share (at the largest batch size by default)."""
        b = int(self.frame["batch_size"].max()) if batch_size is None else batch_size
        return str(self._slowest(b)["step"])

    def findings(self) -> list[Finding]:
        """Name the bottleneck step per batch size.

        Preprocessing should cost little next to the model: a preprocessing step taking at
        least 30% of the time is a bottleneck worth fixing first (medium; it is usually cheaper
        to vectorise or cache than the model is to shrink). Otherwise the slowest step is named
        as information, the model itself being the expected one.
        """
        final = self.params.get("final_step")
        out = []
        for b in sorted(self.frame["batch_size"].unique()):
            slow = self._slowest(b, preprocessing=True)
            if slow is not None and slow["share"] >= 0.3:
                out.append(Finding(
                    "latency", "medium",
                    f"Batch {int(b)}: preprocessing step {slow['step']} takes {percent(slow['share'], 0)} of the time "
                    f"({_ms_text(slow['estimate'])})",
                    "Preprocessing should cost little next to the model: optimise (vectorise, cache) or replace this "
                    "step first.",
                    {"batch_size": int(b), "step": str(slow["step"]), "share": float(slow["share"])},
                ))
                continue
            row = self._slowest(b)
            what = f"the model itself ({row['step']})" if row["step"] == final else f"step {row['step']}"
            out.append(Finding(
                "latency", "info",
                f"Batch {int(b)}: {what} takes {percent(row['share'], 0)} of the time ({_ms_text(row['estimate'])})",
                "No preprocessing step stands out; a smaller or pruned model is the way to go faster."
                if row["step"] == final else "",
                {"batch_size": int(b), "step": str(row["step"]), "share": float(row["share"])},
            ))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Bottleneck step and its share at the largest batch size."""
        b = int(self.frame["batch_size"].max())
        row = self._slowest(b)
        return [("bottleneck", str(row["step"])), ("share", percent(row["share"], 0)), ("batch size", str(b))]

    def plot(self, *, ax: Any = None, title: str = "Time per pipeline step", **kwargs: Any) -> Any:
        """Stacked bars of each step's share of the time per batch size, labelled in milliseconds.

        Each segment is a step's share of the summed step times at that batch size; segments of
        at least 8% carry the step's median time per call in ms, and each bar is topped by the
        total (ms per call and per row), so a share can be read as a cost. ``**kwargs`` style
        the bars (``edgecolor``, ``alpha``, ...).
        """
        from diagtools._plotting import empty_panel, get_ax, validate_style_kwargs

        style = validate_style_kwargs({}, kwargs, artist="patch")
        ax = get_ax(ax)
        if self.frame.empty:
            return empty_panel(ax, "no pipeline step was timed", title=title)
        wide = self.frame.pivot(index="batch_size", columns="step", values="share")
        ms = self.frame.pivot(index="batch_size", columns="step", values="estimate").reindex_like(wide)
        bottom = np.zeros(len(wide))
        xs = [str(b) for b in wide.index]
        for step in wide.columns:
            vals = wide[step].to_numpy()
            ax.bar(xs, vals, bottom=bottom, **{"label": step, **style})
            for i, (v, t) in enumerate(zip(vals, ms[step].to_numpy(), strict=True)):
                if v >= 0.08:
                    ax.text(i, bottom[i] + v / 2, _ms_text(t), ha="center", va="center", fontsize="x-small")
            bottom += vals
        totals = ms.sum(axis=1).to_numpy()
        for i, (b, t) in enumerate(zip(wide.index, totals, strict=True)):
            ax.text(i, 1.01, f"{_ms_text(t)}\n{_ms_text(t / b)}/row", ha="center", va="bottom", fontsize="x-small")
        ax.set_ylim(0, 1.15)
        ax.set_xlabel("batch size")
        ax.set_ylabel("share of total time (labels: ms per call)")
        ax.set_title(title)
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return ax


def _ms_text(ms: float) -> str:
    """A step time in ms, or in µs below 0.01 ms (three significant digits either way)."""
    return f"{short_number(ms)} ms" if ms >= 0.01 else f"{short_number(ms * 1e3)} µs"


def profile_steps(
    pipeline: Any,
    X: Any,
    *,
    batch_sizes: tuple[int, ...] = (1, 64, 512),
    min_runs: int = 5,
    min_time: float = 0.05,
    max_time: float = 1.0,
    threads: int | None = None,
    n_boot: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
) -> StepProfile:
    """Time each step of a fitted pipeline per batch size and name the bottleneck.

    Each leaf step (through Pipeline, ColumnTransformer and FeatureUnion, nested) is timed on
    the input it receives inside the pipeline; its share is its median time over the sum of
    the medians at that batch size.

    Parameters
    ----------
    pipeline : object
        A fitted scikit-learn Pipeline (any fitted estimator is one step).
    X : DataFrame, array or list of rows
        Batch ``b`` is the first ``b`` rows (clipped to ``len(X)``).
    batch_sizes : tuple of int, default=(1, 64, 512)
        Rows per call.
    min_runs, min_time, max_time : int, float, float
        Timing budget per step and batch size (see ``time_calls``).
    threads : int, optional
        BLAS/OpenMP thread limit while timing (threadpoolctl); recorded in ``params``.
    n_boot : int, default=200
        Bootstrap resamples for the interval of each step's median time.
    confidence : float, default=0.95
        Level of the intervals.
    random_state : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    StepProfile

    Raises
    ------
    DiagnosticInputError
        When the pipeline is unfitted or has neither predict nor transform, X is empty, or
        an option is out of range.

    Examples
    --------
    >>> from diagtools.datasets import make_loans
    >>> from diagtools.demo_models import make_loan_model
    >>> from diagtools.latency import profile_steps
    >>> df = make_loans(2000)
    >>> X, y = df.drop(columns="defaulted"), df["defaulted"]
    >>> model = make_loan_model(overfit=False).fit(X, y)
    >>> res = profile_steps(model, X, batch_sizes=(2000,), threads=1)
    >>> res.bottleneck()
    'features/repayment'
    """
    if not hasattr(pipeline, "predict") and not hasattr(pipeline, "transform"):
        raise DiagnosticInputError(
            f"pipeline ({type(pipeline).__name__}) has neither predict nor transform. "
            "Pass a fitted scikit-learn Pipeline (or any fitted estimator)."
        )
    if hasattr(pipeline, "predict"):
        from diagtools._validation import check_fitted

        check_fitted(pipeline, "pipeline")
    n_avail = check_n_rows(X)
    # Batch sizes above len(X) are clipped to all rows (the per-step split is what matters).
    batch_sizes = check_batch_sizes(tuple(min(int(b), n_avail) if isinstance(b, int) and b > 0 else b
                                          for b in (batch_sizes if isinstance(batch_sizes, tuple | list) else (batch_sizes,))),
                                    n_avail)
    check_number(min_runs, "min_runs", low=1, integer=True)
    check_number(min_time, "min_time", low=0.0)
    check_number(max_time, "max_time", low=0.0, inclusive=False)
    check_time_budget(min_time, max_time)
    threads = check_threads(threads)
    check_number(n_boot, "n_boot", low=1, integer=True)
    check_number(confidence, "confidence", low=0.0, inclusive=False, high=1.0)
    check_random_state(random_state, allow_none=False)
    rng = np.random.default_rng(random_state)
    rows: list[dict[str, Any]] = []
    with thread_limits(threads):
        for b in batch_sizes:
            leaves: list[tuple[str, Any, Any]] = []
            _leaves(pipeline, take_rows(X, slice(0, b)), "", leaves, True)
            rows += _step_rows(b, leaves, min_runs=min_runs, min_time=min_time, max_time=max_time, n_boot=n_boot,
                               rng=rng, confidence=confidence)
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    final = leaves[-1][0] if leaves and hasattr(pipeline, "predict") else None
    return StepProfile(frame=frame, params={"batch_sizes": list(batch_sizes), "final_step": final, "min_runs": min_runs,
                                           "min_time": min_time, "max_time": max_time, "threads": threads,
                                           "n_boot": n_boot, "confidence": confidence, "random_state": random_state},
                       n_samples=n_avail)


def _step_rows(b: int, leaves: list[tuple[str, Any, Any]], *, min_runs: int, min_time: float, max_time: float,
               n_boot: int, rng: np.random.Generator, confidence: float) -> list[dict[str, Any]]:
    """Time every leaf on its own input: median ms per call with its interval, and its share."""
    rows = []
    for name, fn, xin in leaves:
        wall, _ = time_calls(lambda fn=fn, xin=xin: fn(xin), min_runs=min_runs, min_time=min_time, max_time=max_time)
        ms = wall / 1e6
        low, high, _ = quantile_intervals(ms, [50], n_boot=n_boot, rng=rng, confidence=confidence)
        rows.append({"batch_size": int(b), "step": name, "estimate": float(np.median(ms)), "ci_low": low[0],
                     "ci_high": high[0], "n": len(ms), "unit": "ms"})
    total = sum(r["estimate"] for r in rows) or 1.0
    for r in rows:
        r["share"] = r["estimate"] / total
    return rows
