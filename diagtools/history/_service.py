"""``ServiceTimeModel``: a model whose predict costs a known CPU time (tests, benchmarks, teaching)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

__all__ = ["ServiceTimeModel"]


class ServiceTimeModel:
    """A stand-in model whose ``predict`` burns a known amount of CPU time per row.

    It spins on the thread's CPU clock, so like real CPU-bound work its wall-clock latency
    grows when other processes take the core, while its CPU time stays at the service time.
    That makes it the ground truth for latency gates: a planted slow-down is exactly
    ``ms_per_row`` larger, whatever the machine does. Importing it pulls in numpy only, so
    worker processes start fast.

    Parameters
    ----------
    ms_per_row : float, default=0.3
        CPU milliseconds per row of ``X``.
    base_ms : float, default=0.0
        CPU milliseconds per call.

    Examples
    --------
    >>> import numpy as np, time
    >>> from diagtools.history import ServiceTimeModel
    >>> model = ServiceTimeModel(ms_per_row=1.0)
    >>> t = time.thread_time(); pred = model.predict(np.zeros((5, 2))); spent = time.thread_time() - t
    >>> pred.tolist(), spent >= 0.005
    ([0, 0, 0, 0, 0], True)
    """

    def __init__(self, ms_per_row: float = 0.3, base_ms: float = 0.0) -> None:
        self.ms_per_row = float(ms_per_row)
        self.base_ms = float(base_ms)
        self.classes_ = np.array([0, 1])

    def __repr__(self) -> str:
        return f"ServiceTimeModel(ms_per_row={self.ms_per_row}, base_ms={self.base_ms})"

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, X: Any, y: Any = None) -> ServiceTimeModel:
        """Do nothing (there is nothing to learn)."""
        return self

    def _spin(self, n: int) -> None:
        clock = time.thread_time_ns
        end = clock() + int((self.base_ms + self.ms_per_row * n) * 1e6)
        while clock() < end:
            pass

    def predict(self, X: Any) -> np.ndarray:
        """Return class 0 for every row, after ``base_ms + ms_per_row * len(X)`` of CPU time."""
        n = len(X)
        self._spin(n)
        return np.zeros(n, dtype=int)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return probability 0.5 for both classes, after the same CPU time as ``predict``."""
        n = len(X)
        self._spin(n)
        return np.full((n, 2), 0.5)
