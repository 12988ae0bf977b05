"""profile_memory: peak memory of a prediction call per batch size, and serialised model size."""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import short_number
from diagtools._result import Finding, Result, rank_findings
from diagtools.latency._checks import check_batch_sizes, check_method, check_n_rows, check_number, take_rows
from diagtools.latency._shared import finish_log_axes, rows_where
from diagtools.latency._size import model_size

__all__ = ["MemoryProfile", "model_size", "profile_memory"]

_MB = 1024.0 * 1024.0
FRAME_COLUMNS = ["batch_size", "measure", "estimate", "ci_low", "ci_high", "n", "unit", "per_row_kb"]


class _RssSampler:
    """Poll the process RSS in a thread (every ``interval`` s) and keep the maximum."""

    def __init__(self, interval: float = 0.0005) -> None:
        import psutil

        self.proc = psutil.Process()
        self.interval = interval
        self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


@dataclass(frozen=True)
class MemoryProfile(Result):
    """Peak memory of one prediction call per batch size, and the model's serialised size.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``batch_size, measure, estimate, ci_low, ci_high, n, unit, per_row_kb``.
        ``estimate`` is the peak memory of one call in MB (``unit`` ``"MB"``), the largest of
        ``n`` calls measured; ``ci_low``/``ci_high`` are NaN (a maximum of a few calls has no
        interval). ``measure`` is ``"tracemalloc"`` (peak of Python and numpy allocations
        during the call, above the start) or ``"rss"`` (peak resident set size of the process
        during the call above the RSS just before it, sampled every 0.5 ms; allocator caching
        can hide reuse, and memory released during the call can make it negative).
    pickle_bytes, skops_bytes, file_bytes : int or None
        Model size by pickle, by skops and of the model file given (None when not measured).
    size_bytes : int or None
        The size reported (file, else skops, else pickle); None when it cannot be known, e.g.
        a wrapper around an onnxruntime session without its file.
    size_note : str
        Where ``size_bytes`` came from, or why it is unknown.
    """

    pickle_bytes: int | None = None
    skops_bytes: int | None = None
    file_bytes: int | None = None
    size_bytes: int | None = None
    size_source: str | None = None
    size_note: str = ""

    area: ClassVar[str] = "latency"
    title: ClassVar[str] = "Memory profile"

    def _peak(self, measure: str) -> pd.DataFrame:
        return rows_where(self.frame, "measure", measure, by="batch_size")

    def findings(self) -> list[Finding]:
        """Peak memory at the largest batch and the model size, in plain words."""
        out: list[Finding] = []
        t = self._peak("tracemalloc")
        if len(t):
            last = t.iloc[-1]
            out.append(Finding(
                "latency", "medium" if last["per_row_kb"] > 1024 else "info",
                f"Batch {int(last['batch_size'])}: predict allocates up to {short_number(last['estimate'])} MB "
                f"({short_number(last['per_row_kb'])} KB per row)",
                "Memory grows with the batch size; cap the batch where memory is tight.",
                {"batch_size": int(last["batch_size"]), "peak_mb": float(last["estimate"])},
            ))
        if self.size_bytes:
            mb = self.size_bytes / _MB
            out.append(Finding(
                "latency", "medium" if mb > 200 else "info",
                f"The model is {short_number(mb)} MB ({self.size_note})",
                evidence={"pickle_bytes": self.pickle_bytes, "skops_bytes": self.skops_bytes,
                          "file_bytes": self.file_bytes},
            ))
        elif self.size_note:
            out.append(Finding("latency", "info", "Model size unknown", self.size_note,
                               {"pickle_bytes": self.pickle_bytes}))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Peak at the largest batch and serialised size."""
        t = self._peak("tracemalloc")
        out = []
        if len(t):
            out.append((f"peak (batch {int(t.iloc[-1]['batch_size'])})", f"{short_number(t.iloc[-1]['estimate'])} MB"))
        if self.size_bytes:
            out.append((f"size ({self.size_source})", f"{short_number(self.size_bytes / _MB)} MB"))
        else:
            out.append(("size", "unknown"))
        return out

    def plot(self, *, ax: Any = None, title: str = "Peak memory per call", **kwargs: Any) -> Any:
        """Peak memory (MB) against batch size, one line per measure (log-log); ``**kwargs`` style the lines."""
        from diagtools._plotting import empty_panel, get_ax, validate_style_kwargs

        validate_style_kwargs({}, kwargs, artist="line")
        ax = get_ax(ax)
        if self.frame.empty:
            return empty_panel(ax, "no call was measured", title=title)
        for i, measure in enumerate(("tracemalloc", "rss")):
            f = self._peak(measure)
            if len(f):  # a peak at or below zero (memory released) sits on the axis floor of a log scale
                ax.plot(f["batch_size"], f["estimate"].clip(lower=1e-3),
                        **{"marker": "o", "color": f"C{i}", "label": measure, **kwargs})
        return finish_log_axes(ax, xlabel="batch size", ylabel="peak memory above start (MB)", title=title,
                               xticks=sorted(self.frame["batch_size"].dropna().unique()))


def _traced_peak(fn: Any, Xb: Any) -> int:
    """Bytes tracemalloc sees allocated at the peak of one call, above the start."""
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    try:
        fn(Xb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - start


def _rss_peak(fn: Any, Xb: Any) -> int:
    """Peak RSS of the process during one call, above the RSS just before it (may be negative)."""
    gc.collect()
    with _RssSampler() as sampler:
        before = sampler.proc.memory_info().rss
        fn(Xb)
    return sampler.peak - before


def profile_memory(
    model: Any,
    X: Any,
    *,
    batch_sizes: tuple[int, ...] = (1, 64, 1024),
    method: str = "predict",
    repeats: int = 2,
    model_path: Any = None,
) -> MemoryProfile:
    """Measure peak memory of ``model.<method>`` per batch size and the model's size.

    Parameters
    ----------
    model : object
        A fitted model.
    X : DataFrame, array or list of rows
        Batch ``b`` is the first ``b`` rows.
    batch_sizes : tuple of int, default=(1, 64, 1024)
        Rows per call; each at most ``len(X)``.
    method : str, default="predict"
        Method to measure.
    repeats : int, default=2
        Calls per batch size and measure; the maximum peak is kept.
    model_path : str or path-like, optional
        The model's file as deployed (e.g. ``model.onnx``): its size is the model size. Without
        it the size is measured with skops or pickle, or reported unknown (with the reason) for a
        model whose weights live in a native runtime (see :func:`model_size`).

    Returns
    -------
    MemoryProfile

    Raises
    ------
    DiagnosticInputError
        When the model lacks ``method``, X is empty or a batch size is invalid.

    Notes
    -----
    tracemalloc sees Python and numpy allocations (numpy reports to it) but not memory of
    native libraries that bypass it; RSS sees everything in the process but is coarse
    (pages, allocator caches) and is sampled, so a very short spike can be missed. The two
    bracket the truth from different sides. tracemalloc slows pure-Python code while tracing,
    so it runs in separate calls from the RSS sampling.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from diagtools.latency import profile_memory
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> res = profile_memory(LinearRegression().fit(X, X[:, 0]), X, batch_sizes=(1, 200))
    >>> sorted(res.frame["measure"].unique())
    ['rss', 'tracemalloc']
    """
    fn = check_method(model, method)
    n_rows = check_n_rows(X)
    batch_sizes = check_batch_sizes(batch_sizes, n_rows)
    check_number(repeats, "repeats", low=1, integer=True)
    sizes = model_size(model, path=model_path)  # first: a bad model_path fails before any work
    rows = []
    fn(take_rows(X, slice(0, 1)))  # warm-up: lazy imports and caches are not per-call memory
    for b in sorted(batch_sizes):
        Xb = take_rows(X, slice(0, b))
        # tracemalloc slows pure-Python code, so the RSS is sampled in calls of its own
        peaks = [(_traced_peak(fn, Xb), _rss_peak(fn, Xb)) for _ in range(repeats)]
        for j, measure in enumerate(("tracemalloc", "rss")):
            value = max(p[j] for p in peaks)
            rows.append({"batch_size": b, "measure": measure, "estimate": value / _MB, "ci_low": np.nan,
                         "ci_high": np.nan, "n": repeats, "unit": "MB", "per_row_kb": value / 1024.0 / b})
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    return MemoryProfile(frame=frame, params={"batch_sizes": list(batch_sizes), "method": method,
                                              "repeats": repeats},
                         n_samples=n_rows, **sizes)
