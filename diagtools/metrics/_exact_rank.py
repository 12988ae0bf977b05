"""Exact ROC-AUC and average precision of a binary score from two sorts (no per-call label checks).

scikit-learn's ``roc_auc_score`` and ``average_precision_score`` each sort the scores (an
``argsort``) and re-check the labels (several ``np.unique``); on millions of rows that is most
of ``evaluate_predictions``. Here the scores of the positives and of the negatives are sorted
once each (``np.sort``, cheaper than ``argsort``) and both metrics follow from searches of one
sorted array in the other: the same values as scikit-learn (ties count one half in the AUC;
the average precision steps at each distinct score, as ``average_precision_score``).
"""

from __future__ import annotations

import numpy as np


def auc_ap(positive: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """ROC-AUC and average precision of ``score`` for the boolean labels ``positive``.

    As scikit-learn when a class is absent: the AUC is undefined (NaN), the average precision
    is 0 without positives and 1 without negatives.

    Examples
    --------
    >>> import numpy as np
    >>> auc_ap(np.array([False, True, False, True]), np.array([0.1, 0.4, 0.45, 0.8]))
    (0.75, 0.8333333333333333)
    """
    sp = np.sort(score[positive])
    sn = np.sort(score[~positive])
    P, N = len(sp), len(sn)
    if P == 0 or N == 0:
        return float("nan"), (0.0 if P == 0 else 1.0)
    # AUC: per negative, the positives above it plus half the tied ones (sorted queries: cache friendly)
    left = np.searchsorted(sp, sn, side="left")
    right = np.searchsorted(sp, sn, side="right")
    auc = float((P - right).sum() + 0.5 * (right - left).sum()) / (P * N)
    # AP: at each distinct positive score v, recall steps by (positives at v) / P and the
    # precision is (positives >= v) / (rows >= v)
    starts = np.flatnonzero(np.r_[True, sp[1:] != sp[:-1]])
    counts = np.diff(np.r_[starts, P])
    values = sp[starts]
    tp = P - starts
    fp = N - np.searchsorted(sn, values, side="left")
    ap = float((counts * (tp / (tp + fp))).sum() / P)
    return auc, ap
