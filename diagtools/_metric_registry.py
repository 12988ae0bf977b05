"""One table of every metric diagtools reports: direction, range, display name and unit.

Every area asks this registry, never a table of its own: which way is better
(:func:`higher_is_better`), the range an interval must stay inside (:func:`metric_bounds`,
:func:`clip_interval`), and how to name and print a value (``display``, ``unit``, ``percent``).

Names are matched exactly after normalisation, never by substring (a substring rule once
made ``"fnr"`` higher-is-better because it contains neither ``"loss"`` nor ``"error"``):

- lower case; a ``neg_`` prefix (scikit-learn scorers) mirrors the range and the direction;
- per-class and averaging suffixes are dropped: ``f1[1]``, ``recall_macro``, ``roc_auc_ovr``;
- latency statistics ``p50_ms``, ``p99`` and ``cpu_p95`` are latencies.

The rule that keeps intervals in range: intervals built from the data themselves (percentile
bootstrap, Wilson) stay inside by construction; intervals built as ``estimate +- t * se`` can
cross a bound when the estimate is near it, and are clipped to the range, so their end is the
bound itself ("the plausible values reach 1.0"). The estimate is left as is. Clipping keeps the
coverage of the unclipped interval (no value outside the range was ever possible) and never
moves an end that is already inside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "METRICS",
    "MetricInfo",
    "clip_interval",
    "higher_is_better",
    "metric_bounds",
    "metric_info",
]

INF = float("inf")
UNIT = (0.0, 1.0)
NONNEGATIVE = (0.0, INF)
UNBOUNDED = (-INF, INF)


@dataclass(frozen=True)
class MetricInfo:
    """What diagtools knows about one metric.

    Attributes
    ----------
    name : str
        Canonical name (``"accuracy"``, ``"log_loss"``, ``"p95_ms"``).
    higher_is_better : bool or None
        ``True`` when a larger value is better, ``False`` when smaller is, ``None`` when the
        metric has no better direction (a share, a base rate, a count).
    bounds : tuple of float
        The metric's range ``(low, high)``; ``(-inf, inf)`` when unbounded.
    display : str
        Name for a reader (``"ROC AUC"``, ``"error rate"``).
    unit : str
        Physical unit (``"ms"``, ``"MB"``, ``"s"``) or ``""`` for a pure number.
    percent : bool
        Whether a reader expects the value as a percentage (rates and proportions).
    """

    name: str
    higher_is_better: bool | None
    bounds: tuple[float, float] = UNBOUNDED
    display: str = ""
    unit: str = ""
    percent: bool = False

    @property
    def direction(self) -> str:
        """``"higher"``, ``"lower"`` or ``""`` (no better direction)."""
        return {True: "higher", False: "lower", None: ""}[self.higher_is_better]


def _add(table: dict[str, MetricInfo], names: tuple[str, ...] | str, better: bool | None,
         bounds: tuple[float, float] = UNBOUNDED, *, display: str = "", unit: str = "", percent: bool = False) -> None:
    for name in (names,) if isinstance(names, str) else names:
        table[name] = MetricInfo(name, better, bounds, display or name.replace("_", " "), unit, percent)


def _build() -> dict[str, MetricInfo]:
    t: dict[str, MetricInfo] = {}
    # classification: rates where more is better
    _add(t, "accuracy", True, UNIT, percent=True)
    _add(t, "balanced_accuracy", True, UNIT, display="balanced accuracy", percent=True)
    _add(t, "top_k_accuracy", True, UNIT, display="top-k accuracy", percent=True)
    _add(t, "f1", True, UNIT, display="F1", percent=True)
    _add(t, ("precision", "recall", "jaccard", "tnr", "specificity", "sensitivity", "coverage"),
         True, UNIT, percent=True)
    _add(t, "tpr", True, UNIT, display="true positive rate", percent=True)
    _add(t, "roc_auc", True, UNIT, display="ROC AUC")
    _add(t, ("pr_auc", "average_precision"), True, UNIT, display="PR AUC")
    _add(t, ("matthews_corrcoef", "mcc"), True, (-1.0, 1.0), display="MCC")
    _add(t, "cohen_kappa", True, (-1.0, 1.0), display="Cohen's kappa")
    # classification: rates and losses where less is better
    _add(t, ("error_rate", "zero_one_loss", "hamming_loss"), False, UNIT, percent=True)
    _add(t, "fpr", False, UNIT, display="false positive rate", percent=True)
    _add(t, "fnr", False, UNIT, display="false negative rate", percent=True)
    _add(t, "ece", False, UNIT, display="calibration error (ECE)")
    _add(t, "log_loss", False, NONNEGATIVE, display="log loss")
    # multiclass Brier sums the squared errors over classes: 0 (perfect) to 2 (sure and wrong)
    _add(t, ("brier", "brier_score", "brier_score_loss"), False, (0.0, 2.0), display="Brier score")
    # rates with no better direction: what the model or the data does, not how well
    _add(t, ("selection_rate", "positive_rate", "base_rate"), None, UNIT, percent=True)
    _add(t, ("share", "missing_rate"), None, UNIT, percent=True)
    # regression
    _add(t, ("r2", "explained_variance"), True, (-INF, 1.0), display="R²")
    _add(t, "d2_absolute_error_score", True, UNIT, display="D² absolute error")
    _add(t, "mae", False, NONNEGATIVE, display="MAE")
    _add(t, "mse", False, NONNEGATIVE, display="MSE")
    _add(t, "rmse", False, NONNEGATIVE, display="RMSE")
    _add(t, "mape", False, NONNEGATIVE, display="MAPE")
    _add(t, "median_ae", False, NONNEGATIVE, display="median absolute error")
    _add(t, ("max_error", "mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
             "mean_absolute_percentage_error", "median_absolute_error", "mean_squared_log_error",
             "root_mean_squared_log_error", "mean_poisson_deviance", "mean_gamma_deviance"),
         False, NONNEGATIVE)
    _add(t, "mean_error", None, UNBOUNDED, display="mean error (bias)")
    # fairness disparities: a gap between two rates, or the smaller rate over the larger
    _add(t, ("demographic_parity_difference", "equalized_odds_difference", "equal_opportunity_difference",
             "predictive_parity_difference"), False, UNIT)
    _add(t, ("demographic_parity_ratio", "equalized_odds_ratio", "equal_opportunity_ratio"), True, UNIT)
    _add(t, "mae_ratio", True, UNIT, display="MAE ratio")
    # largest minus smallest group value: never negative
    _add(t, "mean_error_difference", False, NONNEGATIVE)
    _add(t, "mae_difference", False, NONNEGATIVE, display="MAE difference")
    # speed and size
    _add(t, ("latency", "latency_ms", "mean_ms", "service_ms"), False, NONNEGATIVE, display="latency", unit="ms")
    _add(t, ("throughput", "throughput_rows_per_s", "rows_per_s", "throughput_rps"), True, NONNEGATIVE, display="throughput",
         unit="rows/s")
    _add(t, ("fit_time", "fit_time_s", "time_s", "seconds"), False, NONNEGATIVE, display="time", unit="s")
    _add(t, ("peak_mb", "memory_mb", "size_mb", "rss_mb", "model_size_mb"), False, NONNEGATIVE, display="memory",
         unit="MB")
    # cost of a prediction (diagtools bench): less is better
    _add(t, "cpu_s_per_1k", False, NONNEGATIVE, display="CPU-seconds per 1k predictions", unit="s")
    _add(t, "energy_j_per_1k", False, NONNEGATIVE, display="energy per 1k predictions", unit="J")
    _add(t, "cost_per_million", False, NONNEGATIVE, display="cost per million predictions")
    return t


#: Every metric diagtools knows, by canonical name.
METRICS: dict[str, MetricInfo] = _build()

_SUFFIX = re.compile(r"(\[.*\]|_(macro|micro|weighted|samples|binary|ovr|ovo|ovr_weighted|ovo_weighted))+$")
_LATENCY = re.compile(r"^(cpu_)?(p\d+(\.\d+)?|mean|median|max|min)(_ms)?$")


def metric_info(name: Any) -> MetricInfo:
    """Return what is known about ``name``; an unknown metric has no direction and no bounds.

    Parameters
    ----------
    name : str
        A metric name (``"accuracy"``, ``"f1[1]"``, ``"recall_macro"``, ``"p95_ms"``) or a
        scikit-learn scorer name (``"roc_auc_ovr"``, ``"neg_log_loss"``: a ``neg_`` scorer has the
        mirrored range and the opposite direction).

    Returns
    -------
    MetricInfo

    Examples
    --------
    >>> metric_info("fnr").higher_is_better
    False
    >>> metric_info("f1[yes]").display, metric_info("f1[yes]").percent
    ('F1', True)
    >>> metric_info("neg_log_loss").bounds, metric_info("neg_log_loss").higher_is_better
    ((-inf, -0.0), True)
    >>> metric_info("p99_ms").unit
    'ms'
    >>> metric_info("my_score").higher_is_better is None
    True
    """
    text = str(name).strip().lower()
    negate = text.startswith("neg_")
    if negate:
        text = text[4:]
    info = METRICS.get(text) or METRICS.get(_SUFFIX.sub("", text))
    if info is None and _LATENCY.match(text):
        info = MetricInfo(text, False, NONNEGATIVE, text.replace("_ms", "").replace("_", " "), "ms")
    if info is None:
        info = MetricInfo(text, None, UNBOUNDED, text.replace("_", " "))
    if negate:
        better = None if info.higher_is_better is None else not info.higher_is_better
        return MetricInfo(f"neg_{info.name}", better, (-info.bounds[1], -info.bounds[0]),
                          f"negative {info.display}", info.unit, info.percent)
    return info


def higher_is_better(metric: Any, *, default: bool = True) -> bool:
    """Return whether a larger value of ``metric`` is better.

    Parameters
    ----------
    metric : str
    default : bool, default=True
        Answer for a metric with no better direction (an unknown name, a share).

    Returns
    -------
    bool

    Examples
    --------
    >>> higher_is_better("accuracy"), higher_is_better("fnr"), higher_is_better("p95_ms")
    (True, False, False)
    """
    better = metric_info(metric).higher_is_better
    return default if better is None else better


def metric_bounds(name: Any) -> tuple[float, float]:
    """Return ``(low, high)`` of a metric or scikit-learn scorer name; ``(-inf, inf)`` if unknown.

    Examples
    --------
    >>> metric_bounds("f1[1]"), metric_bounds("r2"), metric_bounds("neg_log_loss")
    ((0.0, 1.0), (-inf, 1.0), (-inf, -0.0))
    """
    return metric_info(name).bounds


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
