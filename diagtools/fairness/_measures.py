"""Group metrics and disparity measures as functions of group confusion counts.

Every function is vectorized over leading axes: the same code gives the point estimates
(counts of shape ``(G, 4)``) and every bootstrap resample at once (``(B, G, 4)``). The four
cells of a group are ``[tn, fp, fn, tp]`` (index ``2 * y + y_pred`` with the positive label
coded 1).

The disparity measures follow fairlearn's definitions (``method="between_groups"``): a
*difference* is the largest minus the smallest group value, a *ratio* the smallest divided by
the largest; equalized odds takes the worse of the true- and false-positive-rate gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TN, FP, FN, TP = 0, 1, 2, 3

#: Group rates: metric -> (numerator cells, denominator cells, what the denominator counts).
RATES: dict[str, tuple[tuple[int, ...], tuple[int, ...], str]] = {
    "selection_rate": ((FP, TP), (TN, FP, FN, TP), "rows"),
    "base_rate": ((FN, TP), (TN, FP, FN, TP), "rows"),
    "tpr": ((TP,), (FN, TP), "positive labels"),
    "fpr": ((FP,), (TN, FP), "negative labels"),
    "precision": ((TP,), (FP, TP), "predicted positives"),
    "error_rate": ((FP, FN), (TN, FP, FN, TP), "rows"),
}


@dataclass(frozen=True)
class Measure:
    """One disparity measure: its null hypothesis, form and the group metrics it compares."""

    name: str
    hypothesis: str
    form: str  # "difference" | "ratio"
    metrics: tuple[str, ...]


CLASSIFICATION_MEASURES: tuple[Measure, ...] = (
    Measure("demographic_parity_difference", "demographic_parity", "difference", ("selection_rate",)),
    Measure("demographic_parity_ratio", "demographic_parity", "ratio", ("selection_rate",)),
    Measure("equalized_odds_difference", "equalized_odds", "difference", ("tpr", "fpr")),
    Measure("equalized_odds_ratio", "equalized_odds", "ratio", ("tpr", "fpr")),
    Measure("equal_opportunity_difference", "equal_opportunity", "difference", ("tpr",)),
    Measure("equal_opportunity_ratio", "equal_opportunity", "ratio", ("tpr",)),
    Measure("predictive_parity_difference", "predictive_parity", "difference", ("precision",)),
)
REGRESSION_MEASURES: tuple[Measure, ...] = (
    Measure("mean_error_difference", "equal_mean_error", "difference", ("mean_error",)),
    Measure("mae_difference", "equal_mae", "difference", ("mae",)),
    Measure("mae_ratio", "equal_mae", "ratio", ("mae",)),
)

#: What each null hypothesis says, in words (for findings and docs).
HYPOTHESES: dict[str, str] = {
    "demographic_parity": "equal selection rates",
    "equalized_odds": "equal true and false positive rates",
    "equal_opportunity": "equal true positive rates",
    "predictive_parity": "equal precision",
    "equal_mean_error": "equal mean errors",
    "equal_mae": "equal mean absolute errors",
}


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def rate_parts(counts: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of a group rate from cells ``(..., G, 4)``."""
    num_cells, den_cells, _ = RATES[metric]
    c = np.asarray(counts, dtype=float)
    return c[..., list(num_cells)].sum(axis=-1), c[..., list(den_cells)].sum(axis=-1)


def rates(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Every group rate (NaN where its denominator is 0), each of shape ``counts.shape[:-1]``."""
    return {m: _div(*rate_parts(counts, m)) for m in RATES}


def spread(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(max - min, min / max)`` over the groups in ``mask`` (last axis); NaN with < 2 groups."""
    if int(mask.sum()) < 2:
        shape = values.shape[:-1]
        return np.full(shape, np.nan), np.full(shape, np.nan)
    sub = values[..., mask]
    hi, lo = sub.max(axis=-1), sub.min(axis=-1)
    with np.errstate(all="ignore"):
        ratio = np.where(hi > 0, lo / np.where(hi > 0, hi, 1.0), np.nan)  # fairlearn: 0 / 0 is NaN
    return hi - lo, ratio


def measure_value(measure: Measure, values: dict[str, np.ndarray], mask: np.ndarray) -> np.ndarray:
    """The measure from group values ``(..., G)`` over the groups in ``mask``."""
    parts = [spread(values[m], mask) for m in measure.metrics]
    if measure.form == "difference":
        out = parts[0][0]
        for d, _ in parts[1:]:
            out = np.maximum(out, d)
        return out
    out = parts[0][1]
    for _, r in parts[1:]:
        out = np.minimum(out, r)
    return out


def attaining_metric(measure: Measure, values: dict[str, np.ndarray], mask: np.ndarray) -> str:
    """Which compared metric sets the measure's value (equalized odds: TPR or FPR)."""
    if len(measure.metrics) == 1:
        return measure.metrics[0]
    parts = {m: spread(values[m], mask) for m in measure.metrics}
    key = 0 if measure.form == "difference" else 1
    finite = {m: float(p[key]) for m, p in parts.items() if np.isfinite(p[key])}
    if not finite:
        return measure.metrics[0]
    pick = max if measure.form == "difference" else min
    return pick(finite, key=lambda m: finite[m])
