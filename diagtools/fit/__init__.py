"""Fit diagnosis: learning curves, validation curves and an over/underfitting verdict.

:func:`learning_curve` and :func:`validation_curve` run scikit-learn's cross-validation
machinery (same scores, joblib parallelism) and return tidy results with intervals across
folds. :func:`diagnose_fit` reads the learning curve against a trivial baseline and a
flexible reference model and says "underfitting", "overfitting", "good fit" or
"inconclusive", with the evidence, whether more data would help, and what to do next.
"""

from __future__ import annotations

from diagtools.fit._curves import learning_curve, validation_curve
from diagtools.fit._diagnose import DEFAULT_THRESHOLDS, diagnose_fit, make_reference_model
from diagtools.fit._fitted import diagnose_fitted
from diagtools.fit._result import VERDICTS, FitDiagnosis, LearningCurveResult, ValidationCurveResult
from diagtools.fit._sweep import CapacitySweepResult, capacity_sweep

__all__ = [
    "DEFAULT_THRESHOLDS",
    "VERDICTS",
    "CapacitySweepResult",
    "FitDiagnosis",
    "LearningCurveResult",
    "ValidationCurveResult",
    "capacity_sweep",
    "diagnose_fit",
    "diagnose_fitted",
    "learning_curve",
    "make_reference_model",
    "validation_curve",
]
