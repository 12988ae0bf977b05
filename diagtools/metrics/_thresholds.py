"""Confusion counts and scores of a binary classifier at several decision thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from diagtools._validation import check_no_nan, check_same_length
from diagtools.errors import DiagnosticInputError

__all__ = ["threshold_table"]


def threshold_table(y_true: ArrayLike, y_score: ArrayLike, *, thresholds: ArrayLike = (0.3, 0.4, 0.5, 0.6, 0.7)) -> pd.DataFrame:
    """Confusion counts, precision, recall, F1 and accuracy at each decision threshold.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels (0/1 or two classes; the larger label is positive).
    y_score : array-like of shape (n_samples,)
        Score or probability of the positive class.
    thresholds : array-like of float, default=(0.3, 0.4, 0.5, 0.6, 0.7)
        A row is predicted positive when its score is at least the threshold.

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold, tp, fp, fn, tn, precision, recall, f1, accuracy, predicted_positive_rate``.

    Raises
    ------
    DiagnosticInputError
        When ``y_true`` does not hold exactly two classes, or the lengths differ.

    Examples
    --------
    >>> from diagtools.metrics import threshold_table
    >>> threshold_table([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.55], thresholds=[0.5])[["precision", "recall"]]
       precision  recall
    0   0.666667     1.0
    """
    y = check_no_nan(y_true, "y_true")
    s = check_no_nan(y_score, "y_score").astype(float)
    check_same_length(s, y, name="y_score", ref_name="y_true")
    classes = np.unique(y)
    if len(classes) != 2:
        raise DiagnosticInputError(f"y_true must hold exactly two classes for thresholds, got {len(classes)}: {classes[:5].tolist()}.")
    positive = y == classes[1]
    t = np.asarray(thresholds, dtype=float)[:, None]
    pred = s[None, :] >= t
    tp = (pred & positive).sum(1)
    fp = (pred & ~positive).sum(1)
    fn = (~pred & positive).sum(1)
    tn = (~pred & ~positive).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):  # no predicted positive: precision is undefined (NaN)
        precision = tp / (tp + fp)
        recall = tp / (tp + fn)
        f1 = 2 * precision * recall / (precision + recall)
    return pd.DataFrame(
        {
            "threshold": t.ravel(), "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision,
            "recall": recall, "f1": f1, "accuracy": (tp + tn) / len(y), "predicted_positive_rate": (tp + fp) / len(y),
        }
    )
