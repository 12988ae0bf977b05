"""One-column predictive power: a cross-validated binned model per column, scored with intervals.

Each column is cut into at most ``n_bins`` bins (quantile bins for numbers, one bin per value
otherwise, missing values in a bin of their own). The one-column model predicts, for a row of
fold ``k``, the smoothed target mean (class shares) of its bin in the *other* folds: an
out-of-fold target encoding, equivalent to a one-split-per-bin tree. It needs one
``np.bincount`` per column, so every column of a wide table is scored in milliseconds, and an
ID-like column scores at chance (its values never repeat out of fold).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from diagtools._stats import bootstrap_counts, bootstrap_p_value, percentile_interval


def bin_codes(s: pd.Series, n_bins: int) -> np.ndarray:
    """Return integer bin codes ``0..B-1`` of a column (missing values get their own code)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(x)
        uniq = np.unique(x[finite])
        if len(uniq) <= n_bins:
            codes = np.searchsorted(uniq, x)
        else:
            edges = np.unique(np.quantile(x[finite], np.linspace(0, 1, n_bins + 1)[1:-1]))
            codes = np.searchsorted(edges, x, side="right")
        codes = np.where(finite, codes, codes.max(initial=0) + 1)
        return codes.astype(np.int64)
    codes, _ = pd.factorize(s, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    return np.where(codes < 0, codes.max(initial=-1) + 1, codes)


def oof_bin_predictions(codes: np.ndarray, targets: np.ndarray, folds: np.ndarray, n_folds: int,
                        smoothing: float = 1.0) -> np.ndarray:
    """Out-of-fold smoothed bin means of ``targets`` (shape ``(n, k)``), one fold left out at a time."""
    n_codes = int(codes.max()) + 1
    key = folds * n_codes + codes
    counts = np.bincount(key, minlength=n_folds * n_codes).reshape(n_folds, n_codes).astype(float)
    out = np.empty_like(targets, dtype=float)
    for j in range(targets.shape[1]):
        sums = np.bincount(key, weights=targets[:, j], minlength=n_folds * n_codes).reshape(n_folds, n_codes)
        tot_n, tot_s = counts.sum(0), sums.sum(0)
        other_n = tot_n[None, :] - counts
        other_s = tot_s[None, :] - sums
        prior = (tot_s[None, :].sum() - sums.sum(1, keepdims=True)) / (len(codes) - counts.sum(1, keepdims=True))
        pred = (other_s + smoothing * prior) / (other_n + smoothing)
        out[:, j] = pred[folds, codes]
    return out


def weighted_auc(score: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC-AUC (ties count one half) for each row of ``weights`` (shape ``(b, n)``)."""
    order = np.argsort(score, kind="stable")
    s = score[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    w = weights[:, order]
    pos = positive[order].astype(float)
    gp = np.add.reduceat(w * pos, starts, axis=1)
    gn = np.add.reduceat(w * (1.0 - pos), starts, axis=1)
    below = np.cumsum(gn, axis=1) - gn
    num = (gp * (below + 0.5 * gn)).sum(1)
    den = gp.sum(1) * gn.sum(1)
    with np.errstate(all="ignore"):
        return np.where(den > 0, num / den, np.nan)


def score_matrix(pred: np.ndarray, y: np.ndarray, task: str, weights: np.ndarray) -> np.ndarray:
    """Score out-of-fold predictions under each weighting (rows of ``weights``).

    Classification: ROC-AUC (binary, ``pred[:, 1]``) or macro one-vs-rest ROC-AUC
    (multiclass, ``y`` holds class indices). Regression: R^2.
    """
    if task == "regression":
        p = pred[:, 0]
        wsum = weights.sum(1)
        mean = (weights @ y) / wsum
        sst = weights @ (y**2) - wsum * mean**2
        sse = weights @ ((y - p) ** 2)
        with np.errstate(all="ignore"):
            return np.where(sst > 0, 1.0 - sse / sst, np.nan)
    k = pred.shape[1]
    if k == 2:
        return weighted_auc(pred[:, 1], y == 1, weights)
    return np.nanmean(np.stack([weighted_auc(pred[:, j], y == j, weights) for j in range(k)]), axis=0)


def score_with_interval(preds: list[np.ndarray], y: np.ndarray, task: str, *, n_boot: int, confidence: float,
                        random_state: int, reference: int | None = None) -> list[dict[str, float]]:
    """Score each prediction set with a bootstrap interval; paired difference to ``preds[reference]``.

    All prediction sets share the same resamples, so differences are paired.
    """
    n = len(y)
    ones = np.ones((1, n))
    point = [float(score_matrix(p, y, task, ones)[0]) for p in preds]
    boots: list[list[np.ndarray]] = [[] for _ in preds]
    counts: Iterator[np.ndarray] = bootstrap_counts(n, n_boot, random_state=random_state)
    for c in counts:
        cf = c.astype(float)
        for i, p in enumerate(preds):
            boots[i].append(score_matrix(p, y, task, cf))
    samples = [np.concatenate(b) for b in boots]
    out = []
    for i, b in enumerate(samples):
        lo, hi = percentile_interval(b, confidence)
        row = {"estimate": point[i], "ci_low": float(lo), "ci_high": float(hi), "p_value": np.nan}
        if reference is not None and i != reference:
            row["p_value"] = float(bootstrap_p_value(b - samples[reference]))
        out.append(row)
    return out
