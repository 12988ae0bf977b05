"""Metrics with bootstrap intervals and baselines: ``evaluate`` and ``evaluate_predictions``.

Every metric gets a percentile interval from a *vectorized* bootstrap (resampling counts,
one sparse matrix product per chunk of resamples, no Python loop over resamples), and the
model is compared with baselines on the same resamples (paired differences, BH q-values).
"""

from __future__ import annotations

from diagtools.metrics._compute import compare_predictions, evaluate_predictions
from diagtools.metrics._evaluate import evaluate
from diagtools.metrics._result import EvaluationResult
from diagtools.metrics._thresholds import threshold_table

__all__ = ["EvaluationResult", "compare_predictions", "evaluate", "evaluate_predictions", "threshold_table"]
