"""The rows one column contributes to a :class:`DriftResult`: tests, distributions, statistics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats as sps

from diagtools._format import DAY, timestamp
from diagtools._stats import wilson_interval
from diagtools.drift._profile import ColumnProfile, DriftProfile
from diagtools.drift._result import frame_row
from diagtools.drift._tests import (
    categorical_stats,
    category_table,
    missing_rate_change,
    numeric_stats,
    safe_mean_var,
    safe_std,
    sorted_quantile,
)

#: Equal-width bins of a numeric column's plotted distribution.
_PLOT_BINS = 30


def row_adder(rows: list[list[Any]], col: str, kind: str, n_r: int, n_c: int) -> Callable[..., None]:
    """``add(statistic, estimate, lo, hi, p, t, note)``: append one frame row of a column to ``rows``."""
    nan = np.nan

    def add(stat: str, est: float, lo: float = nan, hi: float = nan, p: float = nan, t: float = nan, note: str = "") -> None:
        rows.append(frame_row(col, kind, stat, est, lo, hi, p_value=p, threshold=t, n_reference=n_r, n_current=n_c,
                              note=note))

    return add


def add_mean_shift(add: Callable[..., None], means_vars: Callable[[], tuple[tuple[float, float], ...]],
                   n: tuple[int, int], scale: float, confidence: float) -> None:
    """The ``mean_shift_sd`` row: (current - reference mean) / reference SD, with a normal interval."""
    n_r, n_c = n
    if n_r > 1 and n_c > 1:
        (m0, v0), (m1, v1) = means_vars()
        se = np.sqrt(v0 / n_r + v1 / n_c) / scale
        z = sps.norm.ppf(0.5 + confidence / 2)
        est = (m1 - m0) / scale
        add("mean_shift_sd", est, est - z * se, est + z * se)
    else:
        add("mean_shift_sd", np.nan, note="too few values")


def column_rows(col: str, kind: str, ref: ColumnProfile, cur: ColumnProfile, thr: dict[str, float],
                 confidence: float) -> tuple[list[list[Any]], dict[str, Any]]:
    """Frame rows of one column (q-values and flags are filled in later) and extra info."""
    n_r, n_c = ref.n, cur.n
    rows: list[list[Any]] = []
    add = row_adder(rows, col, kind, n_r, n_c)

    extra: dict[str, Any] = {}
    if kind in ("numeric", "prediction", "datetime"):
        s = numeric_stats(ref, cur)
        add("ks_stat", s["ks_stat"], p=s["ks_p"], note=s["note"])
        add("wasserstein_norm", s["wasserstein_norm"], t=thr["numeric"], note=s["note"])
        add("psi", s["psi"])
        add_mean_shift(add, lambda: (safe_mean_var(ref.values), safe_mean_var(cur.values)), (n_r, n_c), s["scale"],
                       confidence)
    else:
        s = categorical_stats(ref, cur)
        add("chi2_stat", s["chi2_stat"], p=s["chi2_p"], note=s["note"])
        add("js_distance", s["js_distance"], t=thr["categorical"], note=s["note"])
        add("psi", s["psi"])
        add("new_category_share", s["new_share"], note=", ".join(s["new"]))
        extra = {"new": s["new"], "missing": s["missing"]}
    if kind == "datetime" and n_r and n_c:
        rows.extend(_datetime_rows(col, ref, cur, confidence))
    if kind in ("numeric", "datetime") and (ref.n_infinite or cur.n_infinite):
        add("nonfinite_count", float(cur.n_infinite),
            note=f"{cur.n_infinite} infinite value(s) in current, {ref.n_infinite} in reference; "
                 "the tests use the finite values")
    if kind != "prediction":
        m = missing_rate_change(ref, cur, confidence)
        add("missing_rate_change", m["estimate"], m["ci_low"], m["ci_high"], m["p_value"], thr["missing"])
    return rows, extra



def _datetime_rows(col: str, ref: ColumnProfile, cur: ColumnProfile, confidence: float) -> list[list[Any]]:
    """Ranges and gaps of a datetime column (in days), next to its tests on the numeric representation.

    ``min_shift_days`` / ``max_shift_days``: how far the first / last date moved;
    ``outside_range_share``: share of current dates outside the reference range (Wilson
    interval); ``start_gap_days``: first current date minus last reference date (> 0: the
    windows do not overlap); ``largest_gap_days``: the longest stretch without any current
    date (an outage, a missing month), the reference's in the note.
    """
    r, c = ref.values, cur.values
    nan = np.nan
    span = float(max(r[-1], c[-1]) - min(r[0], c[0]))
    ranges = (f"reference {timestamp(r[0], span=span)} to {timestamp(r[-1], span=span)}, "
              f"current {timestamp(c[0], span=span)} to {timestamp(c[-1], span=span)}")
    outside = int(np.searchsorted(c, r[0], side="left") + (len(c) - np.searchsorted(c, r[-1], side="right")))
    lo, hi = wilson_interval(np.array([outside]), np.array([len(c)]), confidence)
    gap_r = float(np.diff(r).max()) / DAY if len(r) > 1 else nan
    gap_c = float(np.diff(c).max()) / DAY if len(c) > 1 else nan

    def row(stat: str, est: float, low: float = nan, high: float = nan, note: str = "") -> list[Any]:
        return frame_row(col, "datetime", stat, est, low, high, n_reference=ref.n_rows, n_current=cur.n_rows, note=note)

    return [
        row("min_shift_days", float(c[0] - r[0]) / DAY, note=ranges),
        row("max_shift_days", float(c[-1] - r[-1]) / DAY, note=ranges),
        row("outside_range_share", outside / len(c), float(lo[0]), float(hi[0]), note=ranges),
        row("start_gap_days", float(c[0] - r[-1]) / DAY, note="> 0: current starts after the reference ends"),
        row("largest_gap_days", gap_c, note=f"reference: {gap_r:.3g} days"),
    ]



def distribution_rows(col: str, kind: str, ref: ColumnProfile, cur: ColumnProfile) -> list[tuple[Any, ...]]:
    if kind == "categorical":
        cats, r, c = category_table(ref, cur)
        rs, cs = r / max(r.sum(), 1), c / max(c.sum(), 1)
        return [(col, kind, k, np.nan, np.nan, float(a), float(b)) for k, a, b in zip(cats, rs, cs)]
    r, c = ref.values, cur.values
    if len(r) == 0 or len(c) == 0:
        return []
    lo = float(min(sorted_quantile(r, 0.005), sorted_quantile(c, 0.005)))
    hi = float(max(sorted_quantile(r, 0.995), sorted_quantile(c, 0.995)))
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, _PLOT_BINS + 1)
    rc = np.diff(np.searchsorted(r, edges, side="left")) / len(r)
    cc = np.diff(np.searchsorted(c, edges, side="left")) / len(c)
    if kind == "datetime":  # readable date ranges, not seconds since 1970
        labels = [f"[{timestamp(edges[i], span=hi - lo)}, {timestamp(edges[i + 1], span=hi - lo)})" for i in range(_PLOT_BINS)]
    else:
        labels = [f"[{edges[i]:.4g}, {edges[i + 1]:.4g})" for i in range(_PLOT_BINS)]
    return [(col, kind, labels[i], float(edges[i]), float(edges[i + 1]), float(rc[i]), float(cc[i]))
            for i in range(_PLOT_BINS)]



def stats_rows(col: str, p_ref: ColumnProfile, p_cur: ColumnProfile) -> list[tuple[Any, ...]]:
    rows = []
    for window, p in (("reference", p_ref), ("current", p_cur)):
        v = p.values
        n = len(v)
        rows.append((col, window, safe_mean_var(v)[0] if n else np.nan, safe_std(v) if n else np.nan,
                     float(sorted_quantile(v, 0.5)) if n else np.nan, p.n_missing / max(p.n_rows, 1), n))
    return rows



def column_parts(cols: list[str], kinds: dict[str, str], p_ref: DriftProfile, p_cur: DriftProfile,
                  thr: dict[str, float], confidence: float, *, progress: bool) -> tuple[list[Any], ...]:
    """Rows of the frame, distributions, categories and column statistics of every tested column."""
    iterator: Any = cols
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(cols, desc="drift", unit="column")
    rows: list[list[Any]] = []
    dist_rows: list[tuple[Any, ...]] = []
    cat_rows: list[tuple[Any, ...]] = []
    stat_rows: list[tuple[Any, ...]] = []
    for col in iterator:
        pr, pc = p_ref.columns[str(col)], p_cur.columns[str(col)]
        r, _ = column_rows(str(col), kinds[col], pr, pc, thr, confidence)
        rows.extend(r)
        dist_rows.extend(distribution_rows(str(col), kinds[col], pr, pc))
        if kinds[col] == "categorical":
            cats, rc, cc = category_table(pr, pc)
            for k, a, b in zip(cats, rc, cc, strict=True):
                status = "new" if a == 0 else "missing" if b == 0 else "both"
                cat_rows.append((str(col), k, int(a), int(b), a / max(rc.sum(), 1), b / max(cc.sum(), 1), status))
        else:
            stat_rows.extend(stats_rows(str(col), pr, pc))
    return rows, dist_rows, cat_rows, stat_rows
