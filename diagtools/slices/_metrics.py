"""Metrics of slices from their sufficient statistics, with intervals and tests against the rest.

* Proportions (accuracy, error rate, precision, recall, selection rate, FPR, FNR): Wilson
  interval, two-sided Fisher exact test against the rest of the rows (the z-test is
  too liberal in small slices and crosses).
* Means (MAE, RMSE via MSE, bias): t interval, Welch's t-test against the rest.
* Others (F1, balanced accuracy): percentile bootstrap where resampling a slice's rows is
  drawing its confusion counts from a multinomial; the slice and the rest are disjoint, so
  they are resampled independently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from diagtools._metric_registry import clip_interval, metric_bounds, metric_info
from diagtools._stats import percentile_interval, wilson_interval

NONE = "none"


def worse_sign(metric: str) -> float:
    """Sign of a difference that is worse: ``-1`` when higher is better, ``+1`` when lower is, else 0.

    Examples
    --------
    >>> worse_sign("accuracy"), worse_sign("fnr"), worse_sign("selection_rate")
    (-1.0, 1.0, 0.0)
    """
    return {True: -1.0, False: 1.0, None: 0.0}[metric_info(metric).higher_is_better]
# Fisher's exact test where the smallest expected cell count is below this; Yates' z above.
EXACT_BELOW = 50


@dataclass(frozen=True)
class MetricDef:
    """How a metric is computed from cells ``(..., C)``; its direction comes from the metric registry."""

    name: str
    kind: str  # "proportion" | "mean" | "bootstrap"
    fn: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]  # -> (numerator, denominator)
    undefined: str = ""
    moment: int = 0  # for "mean": index of the sum in REG_CELLS (1 e, 2 e², 3 |e|)

    @property
    def better(self) -> str:
        """``"higher"``, ``"lower"`` or ``"none"`` (a share or a bias has no better side)."""
        return metric_info(self.name).direction or NONE


def _conf(cells: np.ndarray, k: int) -> np.ndarray:
    return cells.reshape(*cells.shape[:-1], k, k).astype(float)


def classification_metrics(k: int) -> dict[str, MetricDef]:
    """Metric definitions for ``k`` classes (binary ones use the larger label as positive)."""

    def diag(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = _conf(c, k)
        return np.trace(m, axis1=-2, axis2=-1), m.sum(axis=(-2, -1))

    def err(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        num, den = diag(c)
        return den - num, den

    def bal(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = _conf(c, k)
        support = m.sum(axis=-1)
        with np.errstate(all="ignore"):
            rec = np.diagonal(m, axis1=-2, axis2=-1) / support
        present = support > 0
        value = np.where(present, rec, 0.0).sum(axis=-1) / present.sum(axis=-1)
        return np.where(present.sum(axis=-1) >= 2, value, np.nan), np.ones(value.shape)

    out = {
        "accuracy": MetricDef("accuracy", "proportion", diag, "empty slice"),
        "error_rate": MetricDef("error_rate", "proportion", err, "empty slice"),
        "balanced_accuracy": MetricDef("balanced_accuracy", "bootstrap", bal, "one class present"),
    }
    if k == 2:
        def tp(c: np.ndarray) -> np.ndarray:
            return _conf(c, 2)[..., 1, 1]

        def fp(c: np.ndarray) -> np.ndarray:
            return _conf(c, 2)[..., 0, 1]

        def fn(c: np.ndarray) -> np.ndarray:
            return _conf(c, 2)[..., 1, 0]

        def tn(c: np.ndarray) -> np.ndarray:
            return _conf(c, 2)[..., 0, 0]

        out.update({
            "precision": MetricDef("precision", "proportion", lambda c: (tp(c), tp(c) + fp(c)),
                                   "no predicted positives"),
            "recall": MetricDef("recall", "proportion", lambda c: (tp(c), tp(c) + fn(c)), "no positive labels"),
            "f1": MetricDef("f1", "bootstrap", lambda c: (2 * tp(c), 2 * tp(c) + fp(c) + fn(c)),
                            "no positive labels or predictions"),
            "selection_rate": MetricDef("selection_rate", "proportion",
                                        lambda c: (tp(c) + fp(c), c.sum(axis=-1).astype(float)), "empty slice"),
            "fpr": MetricDef("fpr", "proportion", lambda c: (fp(c), fp(c) + tn(c)), "no negative labels"),
            "fnr": MetricDef("fnr", "proportion", lambda c: (fn(c), fn(c) + tp(c)), "no positive labels"),
        })
    return out


def regression_metrics() -> dict[str, MetricDef]:
    """Metric definitions from the residual sums ``count, sum e, sum e², sum |e|, sum e⁴``."""
    def mean_of(j: int) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        return lambda c: (c[..., j], c[..., 0])

    return {
        "mae": MetricDef("mae", "mean", mean_of(3), "empty slice", moment=3),
        "rmse": MetricDef("rmse", "mean", mean_of(2), "empty slice", moment=2),
        "bias": MetricDef("bias", "mean", mean_of(1), "empty slice", moment=1),
    }


DEFAULT_METRICS = {
    "binary": ("accuracy", "precision", "recall", "f1", "selection_rate"),
    "multiclass": ("accuracy", "balanced_accuracy"),
    "regression": ("mae", "rmse", "bias"),
}


def exact_p_value(k1: np.ndarray, n1: np.ndarray, k2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """Two-sided conditional (Fisher) test that two proportions are equal: twice the nearer tail.

    Exact (hypergeometric) where an expected cell count is below ``EXACT_BELOW``: there the
    z-test is too liberal and flags noise in small crosses. Elsewhere the hypergeometric tail
    is summed too slowly over many rows, and its normal approximation with continuity
    correction (Yates) is used; for p in [0.001, 0.05] it is within ~25% of the exact p-value.
    """
    k1, n1, k2, n2 = (np.rint(np.asarray(a, dtype=float)).astype(np.int64) for a in (k1, n1, k2, n2))
    total, hits = n1 + n2, k1 + k2
    with np.errstate(all="ignore"):
        pooled = hits / total
        mean = n1 * pooled
        sd = np.sqrt(mean * (1 - pooled) * n2 / np.maximum(total - 1, 1))
        z = (np.abs(k1 - mean) - 0.5) / sd
        p = np.where(sd > 0, np.minimum(1.0, 2 * sps.norm.sf(np.maximum(z, 0))), 1.0)
        expected = np.minimum(np.minimum(pooled, 1 - pooled) * np.minimum(n1, n2), np.inf)
    exact = (sd > 0) & (expected < EXACT_BELOW)
    up = exact & (k1 > mean)
    down = exact & ~(k1 > mean)
    if up.any():
        p[up] = 2 * sps.hypergeom.sf(k1[up] - 1, total[up], hits[up], n1[up])
    if down.any():
        p[down] = 2 * sps.hypergeom.cdf(k1[down], total[down], hits[down], n1[down])
    return np.where((n1 > 0) & (n2 > 0), np.minimum(p, 1.0), np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def evaluate_metric(
    m: MetricDef, cells: np.ndarray, total: np.ndarray, *, n_boot: int, confidence: float,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Estimate, interval, rest estimate, difference (with interval) and p-value per slice.

    ``cells`` has shape ``(G, C)``; the rest of slice ``g`` is ``total - cells[g]``.
    """
    rest = total[None, :] - cells
    z = sps.norm.ppf(0.5 + confidence / 2)
    if m.kind == "proportion":
        k1, n1 = m.fn(cells)
        k2, n2 = m.fn(rest)
        p1, p2 = _ratio(k1, n1), _ratio(k2, n2)
        lo, hi = wilson_interval(k1, n1, confidence)
        with np.errstate(all="ignore"):
            se_d = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        p = exact_p_value(k1, n1, k2, n2)
        est, rest_est = p1, p2
        d_lo, d_hi = (p1 - p2) - z * se_d, (p1 - p2) + z * se_d
        n_used = n1
    elif m.kind == "mean":
        j = m.moment
        n1, n2 = cells[:, 0], rest[:, 0]
        s2 = 4 if j == 2 else 2  # the sum of squares of the averaged quantity
        m1, m2 = _ratio(cells[:, j], n1), _ratio(rest[:, j], n2)
        with np.errstate(all="ignore"):
            v1 = np.maximum(_ratio(cells[:, s2] - n1 * m1**2, n1 - 1), 0)
            v2 = np.maximum(_ratio(rest[:, s2] - n2 * m2**2, n2 - 1), 0)
            se1, se2 = np.sqrt(v1 / n1), np.sqrt(v2 / n2)
            se = np.sqrt(se1**2 + se2**2)
            df = se**4 / (se1**4 / (n1 - 1) + se2**4 / (n2 - 1))
            t = (m1 - m2) / se
            p = np.where(se > 0, 2 * sps.t.sf(np.abs(t), np.where(np.isfinite(df), df, 1)), np.nan)
            tq = sps.t.ppf(0.5 + confidence / 2, np.maximum(n1 - 1, 1))
            lo, hi = m1 - tq * se1, m1 + tq * se1
        if m.name == "rmse":
            # the test and interval are on the MSE; the difference interval by the delta method
            est, rest_est = np.sqrt(m1), np.sqrt(m2)
            lo, hi = np.sqrt(np.maximum(lo, 0)), np.sqrt(np.maximum(hi, 0))
            with np.errstate(all="ignore"):
                se_d = np.sqrt((se1 / (2 * est)) ** 2 + (se2 / (2 * rest_est)) ** 2)
        else:
            est, rest_est, se_d = m1, m2, se
        d_lo, d_hi = (est - rest_est) - z * se_d, (est - rest_est) + z * se_d
        n_used = n1
    else:
        num, den = m.fn(cells)
        est = _ratio(num, den) if m.name != "balanced_accuracy" else num
        rnum, rden = m.fn(rest)
        rest_est = _ratio(rnum, rden) if m.name != "balanced_accuracy" else rnum
        b1 = _boot(m, cells, n_boot, rng)
        b2 = _boot(m, rest, n_boot, rng)
        lo, hi = percentile_interval(b1, confidence, axis=0)
        diff = b1 - b2
        d_lo, d_hi = percentile_interval(diff, confidence, axis=0)
        from diagtools._stats import bootstrap_p_value

        p = bootstrap_p_value(diff, axis=0)
        n_used = cells.sum(axis=1)
    bad = ~np.isfinite(est)
    for arr in (lo, hi, p, d_lo, d_hi):
        arr[bad] = np.nan
    # normal and t intervals can cross the metric's range near a bound: clip (diagtools._metric_registry)
    lo_b, hi_b = metric_bounds(m.name)
    lo, hi = clip_interval(lo, hi, (lo_b, hi_b))
    d_lo, d_hi = clip_interval(d_lo, d_hi, (lo_b - hi_b, hi_b - lo_b))
    return {
        "estimate": est, "ci_low": lo, "ci_high": hi, "reference_estimate": rest_est,
        "difference": est - rest_est, "difference_ci_low": d_lo, "difference_ci_high": d_hi,
        "p_value": np.clip(p, 0.0, 1.0), "n_used": n_used,
    }


def _boot(m: MetricDef, cells: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap values ``(n_boot, G)``: each slice's cells redrawn from a multinomial."""
    counts = cells.astype(np.int64)
    n = counts.sum(axis=1)
    with np.errstate(all="ignore"):
        pv = np.where(n[:, None] > 0, counts / np.maximum(n, 1)[:, None], 1.0 / counts.shape[1])
    draws = rng.multinomial(n, pv, size=(n_boot, len(n)))
    num, den = m.fn(draws)
    return num if m.name == "balanced_accuracy" else _ratio(num, den)
