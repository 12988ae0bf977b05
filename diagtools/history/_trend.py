"""Trends: every stored run compared with the previous run of its series."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps

from diagtools._metric_registry import higher_is_better
from diagtools.history._compare import DEFAULT_RUN_SPREAD, _spread_from_differences, interval_test

__all__ = ["build_trend"]


def build_trend(frame: pd.DataFrame, *, metric: str, tolerance: float | None, alpha: float) -> Any:
    """Compare every run with the previous run of its series, flag regressions, wrap in a :class:`Trend`.

    Latency is compared as a ratio (relative tolerance, with the series' run-to-run spread),
    everything else as a difference (absolute tolerance, :func:`interval_test`).
    """
    from diagtools.history._results import Trend

    is_latency = metric == "latency_ms"
    stat = "ratio" if is_latency else "difference"
    tol = (0.10 if is_latency else 0.01) if tolerance is None else float(tolerance)
    out = frame.copy()
    out.insert(3, "metric", metric)
    out["batch_size"] = pd.to_numeric(out["batch_size"], errors="coerce").astype(float)
    for col in ("reference_estimate", stat, f"{stat}_ci_low", f"{stat}_ci_high", "p_value"):
        out[col] = np.nan
    out["regressed"] = False
    for _, group in out.groupby(["name", "batch_size"], sort=False, dropna=False):
        idx = group.index.to_list()
        est = group["estimate"].to_numpy(float)
        diffs = np.diff(np.log(np.where(est > 0, est, np.nan)))
        for j, (prev, cur) in enumerate(itertools.pairwise(idx)):
            a, b = out.loc[prev], out.loc[cur]
            if is_latency:
                # the spread from the series' other run-to-run differences: the change under test
                # must not widen its own yardstick
                others = np.delete(diffs, j)
                res = _ratio_step(a, b, _spread_from_differences(others[np.isfinite(others)], DEFAULT_RUN_SPREAD), tol)
                worse = res["ratio"] - 1.0
            else:
                hib = higher_is_better(metric)
                res = interval_test((a.estimate, a.ci_low, a.ci_high), (b.estimate, b.ci_low, b.ci_high),
                                    higher_better=hib, tolerance=tol)
                worse = -res["difference"] if hib else res["difference"]
            res["regressed"] = bool(np.isfinite(res["p_value"]) and res["p_value"] < alpha and worse > tol)
            out.loc[cur, ["reference_estimate", *res]] = [a.estimate, *res.values()]
    out["regressed"] = out["regressed"].astype(bool)
    return Trend(frame=out.reset_index(drop=True), params={"metric": metric, "tolerance": tol, "alpha": alpha},
                 n_samples=int(out["n"].fillna(0).max()) if len(out) else 0)


def _ratio_step(a: pd.Series, b: pd.Series, sigma: float, tolerance: float) -> dict[str, float]:
    """Ratio of two runs' median latencies, tested against ``1 + tolerance`` on the log scale.

    The run-to-run spread ``sigma`` of the series is added to both runs' own uncertainty (from
    their stored 95% intervals).
    """
    z = _sps.norm.ppf(0.975)
    logs = [tuple(np.log(max(float(r[c]), 1e-12)) for c in ("estimate", "ci_low", "ci_high")) for r in (a, b)]
    se = float(np.sqrt(sum(((hi - lo) / (2 * z)) ** 2 for _, lo, hi in logs) + 2 * sigma**2))
    log_ratio = logs[1][0] - logs[0][0]
    return {"ratio": float(np.exp(log_ratio)), "ratio_ci_low": float(np.exp(log_ratio - z * se)),
            "ratio_ci_high": float(np.exp(log_ratio + z * se)),
            "p_value": float(_sps.norm.sf((log_ratio - np.log1p(tolerance)) / se))}
