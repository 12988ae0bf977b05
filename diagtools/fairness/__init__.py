"""Fairness across sensitive groups: group metrics, disparity measures with intervals and tests.

``assess_fairness(model, X, y, sensitive_features=...)`` calls the model and hands over to
``assess_fairness_predictions(y_true, y_pred, sensitive_features=...)`` (two doors, one path).
Both return a :class:`FairnessResult`.
"""

from diagtools.fairness._compute import assess_fairness_predictions
from diagtools.fairness._model import assess_fairness
from diagtools.fairness._result import FairnessResult

__all__ = ["FairnessResult", "assess_fairness", "assess_fairness_predictions"]
