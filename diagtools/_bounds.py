"""The range of each metric, and the rule that keeps intervals inside it.

An interval of a bounded metric must never leave the metric's range: an accuracy interval
ending at 1.025 claims something impossible. Intervals built from the data themselves (the
percentile bootstrap, Wilson) stay inside by construction; intervals built as
``estimate +- t * se`` (across folds, or from the normal approximation of a mean) can cross a
bound when the estimate is near it. **Rule:** such an interval is clipped to the range, so
its end is the bound itself ("the plausible values reach 1.0"); the estimate is left as is.
Clipping keeps the coverage of the unclipped interval (no value outside the range was ever
possible), and it never moves an end that is already inside.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

__all__ = ["METRIC_BOUNDS", "clip_interval", "metric_bounds"]

INF = float("inf")
UNIT = (0.0, 1.0)
NONNEGATIVE = (0.0, INF)

#: Range of each metric by base name (suffixes such as ``[1]``, ``_macro`` or ``_ovr`` and a
#: ``neg_`` prefix are resolved by :func:`metric_bounds`). Metrics not listed are unbounded.
METRIC_BOUNDS: dict[str, tuple[float, float]] = {
    **dict.fromkeys(
        ("accuracy", "balanced_accuracy", "top_k_accuracy", "precision", "recall", "f1", "jaccard", "roc_auc",
         "pr_auc", "average_precision", "ece", "error_rate", "fpr", "fnr", "tpr",
         "tnr", "specificity", "sensitivity", "selection_rate", "coverage", "hamming_loss", "zero_one_loss",
         "positive_rate", "missing_rate", "share", "d2_absolute_error_score", "base_rate"),
        UNIT,
    ),
    # fairness disparity measures: a gap between two rates, or the smaller rate over the larger
    **dict.fromkeys(
        ("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
         "equalized_odds_ratio", "equal_opportunity_difference", "equal_opportunity_ratio",
         "predictive_parity_difference", "mae_ratio"),
        UNIT,
    ),
    # largest minus smallest group value: never negative
    **dict.fromkeys(("mean_error_difference", "mae_difference"), NONNEGATIVE),
    # multiclass Brier sums the squared errors over classes: 0 (perfect) to 2 (sure and wrong)
    **dict.fromkeys(("brier", "brier_score", "brier_score_loss"), (0.0, 2.0)),
    **dict.fromkeys(("r2", "explained_variance"), (-INF, 1.0)),
    **dict.fromkeys(("matthews_corrcoef", "mcc", "cohen_kappa"), (-1.0, 1.0)),
    **dict.fromkeys(
        ("mae", "mse", "rmse", "mape", "median_ae", "max_error", "log_loss", "mean_absolute_error",
         "mean_squared_error", "root_mean_squared_error", "mean_absolute_percentage_error",
         "median_absolute_error", "mean_squared_log_error", "root_mean_squared_log_error",
         "mean_poisson_deviance", "mean_gamma_deviance", "fit_time_s", "latency_ms"),
        NONNEGATIVE,
    ),
}
_SUFFIX = re.compile(r"(\[.*\]|_(macro|micro|weighted|samples|binary|ovr|ovo|ovr_weighted|ovo_weighted|error))+$")


def metric_bounds(name: Any) -> tuple[float, float]:
    """Return ``(low, high)`` of a metric or scikit-learn scorer name; ``(-inf, inf)`` if unknown.

    Parameters
    ----------
    name : str
        A metric name (``"accuracy"``, ``"f1[1]"``, ``"recall_macro"``) or a scorer name
        (``"roc_auc_ovr"``, ``"neg_log_loss"``: a ``neg_`` scorer has the mirrored range).

    Returns
    -------
    tuple of float

    Examples
    --------
    >>> metric_bounds("f1[1]"), metric_bounds("r2"), metric_bounds("neg_log_loss")
    ((0.0, 1.0), (-inf, 1.0), (-inf, -0.0))
    """
    text = str(name).lower()
    negate = text.startswith("neg_")
    if negate:
        text = text[4:]
    bounds = METRIC_BOUNDS.get(text)
    if bounds is None:
        bounds = METRIC_BOUNDS.get(_SUFFIX.sub("", text), (-INF, INF))
    if negate:
        return (-bounds[1], -bounds[0])
    return bounds


def clip_interval(low: Any, high: Any, bounds: tuple[float, float]) -> tuple[Any, Any]:
    """Clip interval ends to ``bounds`` (NaN ends stay NaN); scalars or arrays.

    Examples
    --------
    >>> clip_interval(0.91, 1.025, (0.0, 1.0))
    (0.91, 1.0)
    """
    lo_b, hi_b = bounds
    if np.ndim(low) == 0 and np.ndim(high) == 0:
        lo, hi = float(low), float(high)
        return (min(max(lo, lo_b), hi_b) if lo == lo else lo, max(min(hi, hi_b), lo_b) if hi == hi else hi)
    with np.errstate(invalid="ignore"):
        return np.clip(np.asarray(low, dtype=float), lo_b, hi_b), np.clip(np.asarray(high, dtype=float), lo_b, hi_b)
