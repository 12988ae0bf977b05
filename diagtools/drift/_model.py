"""The model's side of drift: prediction drift, metric change, metrics inside shifted regions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diagtools._stats import bootstrap_counts, bootstrap_p_value, percentile_interval
from diagtools.drift._domain import auc_from_counts
from diagtools.drift._profile import ColumnProfile
from diagtools.drift._tests import binned_counts, category_table, psi_edges

#: Metrics compared per task.
TASK_METRICS = {"binary": ("accuracy", "roc_auc"), "multiclass": ("accuracy",), "regression": ("mae", "rmse")}
#: A bin / category belongs to a column's shifted region when its current share exceeds
#: the reference share by this factor.
REGION_RATIO = 1.1


#: Columns of :attr:`DriftResult.metrics`: the current window against the reference.
METRICS_COLUMNS = ["metric", "estimate", "ci_low", "ci_high", "n", "reference_estimate", "reference_ci_low",
                   "reference_ci_high", "reference_n", "difference", "difference_ci_low", "difference_ci_high",
                   "p_value"]


def model_outputs(model: Any, X: pd.DataFrame, task: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(prediction, score)`` from the model adapter, X passed to the model as given.

    Classification: the prediction is the class *position* in the model's classes (so labels of
    any dtype compare and ``y`` encoded with :func:`encode_labels` matches), the score is the
    positive class's score (binary) or the top probability. Regression: the prediction twice.
    """
    from diagtools.models import adapt_model

    ad = adapt_model(model)
    pred = ad.predict(X)
    if task == "regression":
        return pred.astype(float), pred.astype(float)
    idx = ad.label_index(pred) if ad.classes is not None else pred
    score = ad.positive_score(X) if task == "binary" else None
    if score is None:
        proba = ad.probabilities(X)
        score = proba.max(axis=1) if proba is not None else np.asarray(idx, dtype=float)
    return idx, np.asarray(score, dtype=float)


def encode_labels(model: Any, y: np.ndarray, task: str) -> np.ndarray:
    """Targets as class positions in the model's classes (-1: a label the model never saw)."""
    from diagtools.models import adapt_model

    ad = adapt_model(model)
    if task == "regression" or ad.classes is None:
        return y
    return ad.label_index(y)


def _boot_metrics(y: np.ndarray, pred: np.ndarray, score: np.ndarray, task: str, n_boot: int,
                  random_state: int) -> dict[str, tuple[float, np.ndarray]]:
    """Point estimate and bootstrap replicates of each metric of ``task`` on one window."""
    n = len(y)
    out: dict[str, tuple[float, np.ndarray]] = {}
    if n == 0:
        return {m: (np.nan, np.full(max(n_boot, 1), np.nan)) for m in TASK_METRICS[task]}
    ones = np.ones(n)
    if task == "regression":
        err = pred.astype(float) - y.astype(float)
        rows = {"mae": np.abs(err), "rmse": err**2}
    else:
        rows = {"accuracy": (pred == y).astype(float)}
    chunks = list(bootstrap_counts(n, n_boot, random_state=random_state))
    for name, v in rows.items():
        boots = np.concatenate([c @ v for c in chunks]) / n
        est = float(v.mean())
        if name == "rmse":
            est, boots = float(np.sqrt(est)), np.sqrt(boots)
        out[name] = (est, boots)
    if task == "binary":
        yb = (y == 1).astype(int)  # y holds class positions: 1 is the positive class
        est = float(auc_from_counts(score, yb, ones)[0]) if 0 < yb.sum() < n else np.nan
        boots = np.concatenate([auc_from_counts(score, yb, c) for c in chunks])
        out["roc_auc"] = (est, boots)
    return out


def metric_change(y_ref: np.ndarray, out_ref: tuple[np.ndarray, np.ndarray], y_cur: np.ndarray,
                  out_cur: tuple[np.ndarray, np.ndarray], task: str, *, n_boot: int, random_state: int,
                  confidence: float = 0.95) -> pd.DataFrame:
    """Each metric on current against reference, and the change (current - reference), with intervals.

    Returns one row per metric: ``metric, estimate, ci_low, ci_high, n`` (current window),
    ``reference_estimate, reference_ci_low, reference_ci_high, reference_n``, ``difference,
    difference_ci_low, difference_ci_high`` (current - reference) and ``p_value`` (the test of
    difference = 0 with the two windows resampled independently).
    """
    a = _boot_metrics(y_ref, out_ref[0], out_ref[1], task, n_boot, random_state)
    b = _boot_metrics(y_cur, out_cur[0], out_cur[1], task, n_boot, random_state + 1)
    rows = []
    for m in TASK_METRICS[task]:
        (ea, ba), (eb, bb) = a[m], b[m]
        intervals = [percentile_interval(x, confidence) for x in (bb, ba, bb - ba)]
        (lo, hi), (r_lo, r_hi), (d_lo, d_hi) = ((float(x), float(y)) for x, y in intervals)
        rows.append((m, eb, lo, hi, len(y_cur), ea, r_lo, r_hi, len(y_ref), eb - ea, d_lo, d_hi,
                     float(bootstrap_p_value(bb - ba))))
    return pd.DataFrame(rows, columns=METRICS_COLUMNS)


def shifted_region(ref: ColumnProfile, cur: ColumnProfile) -> tuple[str, Any]:
    """Describe the region a column's current values moved into, and a membership spec.

    Numeric: the reference-decile bins whose current share exceeds the reference share by
    :data:`REGION_RATIO`, merged into intervals. Categorical: the categories that grew by that
    factor (new categories included). Returns ``(description, spec)``; ``spec`` is a list of
    ``(low, high]`` intervals or a list of categories.
    """
    if ref.kind == "numeric":
        edges = psi_edges(ref.values)
        r, c = binned_counts(ref.values, edges), binned_counts(cur.values, edges)
        grow = (c / max(c.sum(), 1)) > REGION_RATIO * (r / max(r.sum(), 1))
        bounds = np.concatenate([[-np.inf], edges, [np.inf]])
        intervals: list[tuple[float, float]] = []
        for i in np.flatnonzero(grow):
            lo, hi = float(bounds[i]), float(bounds[i + 1])
            if intervals and intervals[-1][1] == lo:
                intervals[-1] = (intervals[-1][0], hi)
            else:
                intervals.append((lo, hi))
        parts = []
        for lo, hi in intervals:
            if np.isinf(lo):
                parts.append(f"{ref.name} <= {hi:.4g}")
            elif np.isinf(hi):
                parts.append(f"{ref.name} > {lo:.4g}")
            else:
                parts.append(f"{lo:.4g} < {ref.name} <= {hi:.4g}")
        return " or ".join(parts) or "(none)", intervals
    cats, r, c = category_table(ref, cur)
    grow = (c / max(c.sum(), 1)) > REGION_RATIO * (r / max(r.sum(), 1))
    chosen = [k for k, g in zip(cats, grow) if g]
    return (f"{ref.name} in {{{', '.join(chosen)}}}" if chosen else "(none)"), chosen


def region_mask(values: pd.Series, kind: str, spec: Any) -> np.ndarray:
    """Rows of ``values`` inside a region spec from :func:`shifted_region`."""
    if kind == "numeric":
        v = values.to_numpy(dtype=float, na_value=np.nan)
        mask = np.zeros(len(v), dtype=bool)
        for lo, hi in spec:
            mask |= (v > lo) & (v <= hi)
        return mask
    return values.astype("string").isin(list(spec)).to_numpy(dtype=bool, na_value=False)


def region_metrics(column: str, region: str, masks: dict[str, np.ndarray], y: dict[str, np.ndarray],
                   outs: dict[str, tuple[np.ndarray, np.ndarray]], task: str, *, n_boot: int,
                   random_state: int, confidence: float = 0.95) -> list[tuple[Any, ...]]:
    """Metrics of the rows inside the region, per window, with bootstrap intervals."""
    rows = []
    for k, window in enumerate(("reference", "current")):
        m = masks[window]
        res = _boot_metrics(y[window][m], outs[window][0][m], outs[window][1][m], task, n_boot, random_state + k)
        for metric in TASK_METRICS[task]:
            est, boots = res[metric]
            lo, hi = percentile_interval(boots, confidence)
            rows.append((column, region, metric, window, est, float(lo), float(hi), int(m.sum())))
    return rows
