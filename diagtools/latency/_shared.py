"""What the latency results share: intervals from the one quantile bootstrap, and log axes.

Every interval of the area comes from :func:`diagtools._stats.quantile_bootstrap` (percentiles
and the mean of resampled calls) read by :func:`diagtools._stats.percentile_interval`, so a
p99 has the same meaning in ``profile_latency``, ``load_test``, ``profile_steps`` and
``compare_variants``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from diagtools._stats import percentile_interval, quantile_bootstrap

__all__ = ["finish_log_axes", "quantile_intervals", "rows_where"]


def quantile_intervals(values: np.ndarray, qs: Sequence[float], *, n_boot: int, rng: np.random.Generator,
                       confidence: float, block: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intervals of the ``qs`` percentiles and of the mean of ``values``, and the mean's draws.

    Parameters
    ----------
    values : array-like of shape (n,)
        Timed calls (or any sample).
    qs : sequence of float
        Percentiles in [0, 100]; may be empty when only the mean is wanted.
    n_boot : int
        Resamples.
    rng : numpy Generator
        Source of the resampling (shared across calls, so each call draws afresh).
    confidence : float
        Level of the intervals.
    block : int, default=1
        Block length of a moving-block bootstrap (autocorrelated series, e.g. queueing delays).

    Returns
    -------
    low, high : ndarray of shape (len(qs) + 1,)
        Interval ends, the mean's last; NaN when fewer than two values.
    mean_draws : ndarray of shape (n_boot,)
        The resampled means (for statistics derived from the mean, such as a throughput).

    Examples
    --------
    >>> x = np.random.default_rng(0).exponential(size=400)
    >>> low, high, _ = quantile_intervals(x, [50], n_boot=200, rng=np.random.default_rng(1), confidence=0.95)
    >>> bool(low[0] < np.median(x) < high[0]) and bool(low[1] < x.mean() < high[1])
    True
    """
    x = np.asarray(values, dtype=float)
    width = len(qs) + 1
    if len(x) < 2:  # one call: no spread to resample
        nan = np.full(width, np.nan)
        return nan, nan.copy(), np.full(n_boot, np.nan)
    draws = quantile_bootstrap(x, np.asarray(qs, dtype=float), n_boot=n_boot, random_state=rng, block=block,
                               with_mean=True)
    low, high = percentile_interval(draws, confidence)
    return np.atleast_1d(low), np.atleast_1d(high), draws[:, -1]


def rows_where(frame: Any, column: str, value: Any, *, by: str) -> Any:
    """The rows of ``frame`` whose ``column`` equals ``value``, sorted by ``by`` (one series to draw)."""
    return frame[frame[column] == value].sort_values(by)


def finish_log_axes(ax: Any, *, xlabel: str, ylabel: str, title: str, xticks: Sequence[float] | None = None,
                    xlog: bool = True, legend: bool = True) -> Any:
    """Log-scale a per-batch-size view with plain tick labels, label it and return ``ax``."""
    from diagtools._plotting import plain_log_ticks

    if xlog:
        ax.set_xscale("log")
        plain_log_ticks(ax, "x", ticks=xticks)
    ax.set_yscale("log")
    plain_log_ticks(ax, "y")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    return ax
