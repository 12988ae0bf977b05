"""Data drift between a reference window and a current window, and its effect on the model.

:func:`detect_drift` tests each column (Kolmogorov-Smirnov / chi-square with
Benjamini-Hochberg control and an effect-size threshold), fits a domain classifier for
multivariate drift and, given a model, measures prediction drift and the change of each
metric. :func:`profile_data` computes the mergeable, JSON-serialisable profile that every
statistic is computed from, so a reference profile can be reused against many windows.
"""

from __future__ import annotations

from diagtools.drift._compute import DEFAULT_THRESHOLDS, detect_drift
from diagtools.drift._profile import ColumnProfile, DriftProfile, profile_data
from diagtools.drift._result import FRAME_COLUMNS, DriftResult

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FRAME_COLUMNS",
    "ColumnProfile",
    "DriftProfile",
    "DriftResult",
    "detect_drift",
    "profile_data",
]
