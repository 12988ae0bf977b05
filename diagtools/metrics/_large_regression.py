"""``evaluate_predictions(data=..., task="regression")``: regression metrics of a large table.

Two passes over the chunks of a :class:`diagtools._sources.Source`, none keeping rows:

1. the row count and, per predictor, the range of the absolute errors (finite values checked);
2. per predictor the sums of ``|e|``, ``e**2``, ``|e| / max(|y|, eps)`` (and of ``y``, ``y**2``)
   in :data:`GROUPS` groups of rows chosen by a hash of the global row position, a histogram
   of ``|e|`` on :data:`AE_BINS` log-spaced bins, and a bottom-k hash sample of rows for the
   residual plots.

MAE, RMSE, R² and MAPE are exact (to floating-point summation order). The median absolute
error comes from the histogram: the bin that holds the middle order statistics, whose
half-width is the stated bound (``params["large"]["binning_bounds"]``); its interval is the
distribution-free order-statistic interval of a median (binomial ranks), widened to the
bins' edges, so it holds whatever the histogram hides.

Intervals of the sums come from a Poisson bootstrap over the groups: each replicate weighs
every group by a Poisson(1) draw. For means and ratios of sums over randomly assigned groups
this has the row-level bootstrap's variance (a group's sum is a sum of independent rows), with
``GROUPS`` instead of ``n`` draws per replicate; every predictor gets the same weights, so
differences are paired. Groups and the sample depend on the row position and the seed only:
the same result for any partitioning and back end.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as st

from diagtools._sources import Source, near
from diagtools.errors import DiagnosticInputError

#: Hash groups of rows whose sums the bootstrap reweighs.
GROUPS = 4096
#: Log-spaced bins of the absolute-error histogram (the median's resolution).
AE_BINS = 20_000
#: Rows kept for the residual sample (as in memory).
SAMPLE_ROWS = 2000
_EPS = np.finfo(float).eps


def _row_hash(first_row: int, n: int, random_state: int, salt: int) -> np.ndarray:
    from diagtools.metrics._evaluate import row_hash

    return row_hash(np.arange(first_row, first_row + n), random_state, salt)


def _floats(frame: pd.DataFrame, col: str, arg: str, first_row: int | None) -> np.ndarray:
    try:
        x = frame[col].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DiagnosticInputError(f"{arg} column {col!r} is not numeric ({near(first_row)}). "
                                   "Regression needs numeric targets and predictions.") from exc
    if not np.isfinite(x).all():
        raise DiagnosticInputError(f"{arg} column {col!r} contains NaN or infinite values ({near(first_row)}). "
                                   "Drop or fill those rows first.")
    return x


def run_large_regression(src: Source, y_col: str, preds: dict[str, str], *, metrics: list[str] | None, n_boot: int,
                         confidence: float, random_state: int, show: bool) -> dict[str, Any]:
    """The regression half of :func:`diagtools.metrics._large.run_large` (same output as in memory)."""
    from diagtools.metrics._compute import _assemble, _check_known

    _check_known(metrics, ["mae", "rmse", "r2", "mape", "median_ae"], "regression")
    names = list(preds)
    args = {nm: "y_pred" if i == 0 else f"baselines[{nm!r}]['y_pred']" for i, nm in enumerate(names)}
    cols = list(dict.fromkeys([y_col, *preds.values()]))

    def ranges(frame: pd.DataFrame, first_row: int | None) -> dict[str, Any]:
        y = _floats(frame, y_col, "y_true", first_row)
        out = {"n": len(frame)}
        for nm, c in preds.items():
            ae = np.abs(y - _floats(frame, c, args[nm], first_row))
            pos = ae[ae > 0]
            out[nm] = (float(pos.min()) if len(pos) else np.inf, float(ae.max()) if len(ae) else 0.0)
        return out

    def merge_ranges(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        return {"n": a["n"] + b["n"], **{nm: (min(a[nm][0], b[nm][0]), max(a[nm][1], b[nm][1])) for nm in names}}

    info = src.run(cols, ranges, merge_ranges, progress=show, desc="evaluate_predictions: ranges", offsets=False)
    n = info["n"]
    if n < 2:
        raise DiagnosticInputError("regression metrics need at least two rows. Pass more data.")
    edges = {nm: _log_edges(*info[nm]) for nm in names}

    def stats(frame: pd.DataFrame, first_row: int) -> dict[str, Any]:
        y = _floats(frame, y_col, "y_true", first_row)
        group = (_row_hash(first_row, len(frame), random_state, salt=11) % GROUPS).astype(np.int64)
        columns = [np.ones(len(y)), y, y * y]  # then per predictor |e|, e**2, ape
        hists = {}
        for nm, c in preds.items():
            e = y - _floats(frame, c, args[nm], first_row)
            ae = np.abs(e)
            columns += [ae, e * e, ae / np.maximum(np.abs(y), _EPS)]
            hists[nm] = np.bincount(np.searchsorted(edges[nm], ae, side="right"), minlength=len(edges[nm]) + 1)
        sums = np.column_stack([np.bincount(group, weights=v, minlength=GROUPS) for v in columns])
        key = _row_hash(first_row, len(frame), random_state, salt=12)
        take = np.argpartition(key, SAMPLE_ROWS)[:SAMPLE_ROWS] if len(key) > SAMPLE_ROWS else np.arange(len(key))
        sample = pd.DataFrame({"row": first_row + take, "__key": key[take], "y_true": y[take],
                               "y_pred": frame[preds[names[0]]].to_numpy(dtype=float)[take]})
        return {"sums": sums, "hists": hists, "sample": sample}

    def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        both = pd.concat([a["sample"], b["sample"]], ignore_index=True)
        return {"sums": a["sums"] + b["sums"], "hists": {nm: a["hists"][nm] + b["hists"][nm] for nm in names},
                "sample": both.nsmallest(SAMPLE_ROWS, "__key", keep="first")}

    merged = src.run(cols, stats, merge, progress=show, desc="evaluate_predictions: statistics")
    S = merged["sums"]
    points, samples, bounds, medians = {}, {}, {}, {}
    weights = _group_weights(n_boot, random_state)
    for j, nm in enumerate(names):
        block = S[:, [0, 1, 2, 3 + 3 * j, 4 + 3 * j, 5 + 3 * j]]
        med, half, ci = _median(merged["hists"][nm], edges[nm], n, confidence)
        points[nm] = {m: float(v[0]) for m, v in _metrics(block.sum(axis=0, keepdims=True)).items()}
        points[nm]["median_ae"] = med
        if n_boot > 0:
            samples[nm] = _metrics(weights @ block)
        bounds[nm] = {"median_ae": half}
        medians[nm] = ci
    smp = merged["sample"].sort_values("row", kind="stable")
    sample = pd.DataFrame({"row": smp["row"].to_numpy(), "y_true": smp["y_true"].to_numpy(),
                           "y_pred": smp["y_pred"].to_numpy()})
    sample["residual"] = sample["y_true"] - sample["y_pred"]
    out = _assemble("regression", [], n, points, samples, metrics, confidence, sample=sample.reset_index(drop=True))
    frame = out["frame"]
    for nm, (lo, hi) in medians.items():  # the order-statistic interval (no bootstrap replicates of a median)
        at = (frame["model"] == nm) & (frame["metric"] == "median_ae")
        frame.loc[at, ["ci_low", "ci_high"]] = [lo, hi]
    out["large"] = {"backend": src.backend, "bootstrap": "poisson", "bootstrap_cells": "groups",
                    "bootstrap_groups": GROUPS, "ae_bins": AE_BINS,
                    "binning_bounds": {nm: b for nm, b in bounds.items() if b}}
    return out


def _log_edges(lo: float, hi: float) -> np.ndarray:
    """Bin edges for |e| (``searchsorted(edges, x, "right")``): bin 0 holds exact zeros, then
    :data:`AE_BINS` log-spaced bins from the smallest positive to just above the largest error."""
    tiny = np.nextafter(0.0, 1.0)
    if not np.isfinite(lo):  # every error is 0
        return np.array([tiny])
    return np.concatenate([[tiny], np.geomspace(lo, np.nextafter(max(hi, lo), np.inf), AE_BINS + 1)])


def _bin_range(edges: np.ndarray, b: int) -> tuple[float, float]:
    """Value range of histogram bin ``b`` (``searchsorted(edges, x, "right")``); bin 0 holds 0."""
    if b == 0:
        return 0.0, 0.0
    lo = edges[b - 1]
    hi = edges[b] if b < len(edges) else edges[-1]
    return float(lo), float(max(hi, lo))


def _order_stat(counts: np.ndarray, edges: np.ndarray, rank: int) -> tuple[float, float]:
    """Range of the ``rank``-th smallest value (1-based) from the histogram."""
    b = int(np.searchsorted(np.cumsum(counts), rank, side="left"))
    return _bin_range(edges, b)


def _median(counts: np.ndarray, edges: np.ndarray, n: int, confidence: float
            ) -> tuple[float, float, tuple[float, float]]:
    """Median of |e| (centre of the range of the two middle order statistics), its bound, and
    the order-statistic interval at ``confidence`` widened to bin edges."""
    lo_a, lo_b = _order_stat(counts, edges, (n + 1) // 2)
    hi_a, hi_b = _order_stat(counts, edges, n // 2 + 1)
    low, high = (lo_a + hi_a) / 2.0, (lo_b + hi_b) / 2.0  # the median lies in [low, high]
    alpha = 1.0 - confidence
    j = max(int(st.binom.ppf(alpha / 2.0, n, 0.5)), 1)
    k = min(int(st.binom.ppf(1.0 - alpha / 2.0, n, 0.5)) + 1, n)
    return (low + high) / 2.0, (high - low) / 2.0, (_order_stat(counts, edges, j)[0], _order_stat(counts, edges, k)[1])


def _metrics(block: np.ndarray) -> dict[str, np.ndarray]:
    """MAE, RMSE, R², MAPE from sums (columns: rows, y, y², |e|, e², ape) per row of ``block``."""
    tot = block[:, 0]
    ss_tot = block[:, 2] - block[:, 1] ** 2 / np.maximum(tot, _EPS)
    with np.errstate(all="ignore"):
        r2 = np.where(ss_tot > 0, 1.0 - block[:, 4] / ss_tot, np.nan)
        return {"mae": block[:, 3] / tot, "rmse": np.sqrt(block[:, 4] / tot), "r2": r2, "mape": block[:, 5] / tot}


def _group_weights(n_boot: int, random_state: int) -> np.ndarray:
    """Poisson(1) weights per replicate x group (seeded; the same for every predictor)."""
    rng = np.random.default_rng([int(random_state), 0x5EED])
    return rng.poisson(1.0, size=(max(int(n_boot), 0), GROUPS)).astype(float)
