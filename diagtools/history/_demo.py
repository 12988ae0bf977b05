"""A demo benchmark history with planted regressions, for the dashboard template and teaching."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

__all__ = ["DEMO_RUNS", "PacedModel", "demo_history"]

#: The demo runs, oldest first: (tag, what changed, planted effect).
DEMO_RUNS: tuple[tuple[str, str, str], ...] = (
    ("v1", "baseline: the regularised loan model", "none"),
    ("v2", "refactor: the same model, rebuilt", "none (the gate must stay quiet)"),
    ("v3", "credit_score lost in the feature pipeline", "accuracy drop"),
    ("v4", "credit_score restored, slower post-processing", "latency +50%"),
    ("v5", "post-processing fixed", "none: back to v1"),
)


class PacedModel(BaseEstimator):
    """Wrap a model so that ``predict`` takes a fixed time (busy-wait): demo latency that is stable.

    A call returns no sooner than ``base_ms + per_row_ms * len(X)`` after it started, so the
    demo history shows the same latencies on an idle or a busy machine, and a planted
    slow-down (a larger ``base_ms``) is the only latency change.

    Parameters
    ----------
    model : estimator
        A fitted model.
    base_ms : float, default=2.0
        Fixed cost of one call.
    per_row_ms : float, default=0.02
        Extra cost per row.
    """

    def __init__(self, model: Any = None, base_ms: float = 2.0, per_row_ms: float = 0.02) -> None:
        self.model = model
        self.base_ms = base_ms
        self.per_row_ms = per_row_ms

    def fit(self, X: Any, y: Any = None) -> PacedModel:
        """Do nothing: the wrapped model is already fitted."""
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    @property
    def classes_(self) -> np.ndarray:
        """Classes of the wrapped model."""
        return self.model.classes_

    def _paced(self, call: Any, X: Any) -> Any:
        start = time.perf_counter()
        out = call(X)
        end = start + (self.base_ms + self.per_row_ms * len(X)) / 1000.0
        while time.perf_counter() < end:
            pass
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Predict with the wrapped model, at the set pace."""
        return self._paced(self.model.predict, X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Predict probabilities with the wrapped model, at the set pace."""
        return self._paced(self.model.predict_proba, X)


class _DropColumn(BaseEstimator):
    """A fitted model fed a constant in place of one column (a planted feature-pipeline bug)."""

    def __init__(self, model: Any = None, column: str = "", value: float = 0.0) -> None:
        self.model = model
        self.column = column
        self.value = value

    def fit(self, X: Any, y: Any = None) -> _DropColumn:
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def _broken(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.assign(**{self.column: self.value})

    @property
    def classes_(self) -> np.ndarray:
        return self.model.classes_

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict(self._broken(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(self._broken(X))


def demo_history(
    path: str | os.PathLike[str] | None = None,
    *,
    n_rows: int = 4000,
    n_boot: int = 300,
    n_runs: int = 20,
    batch_sizes: tuple[int, ...] = (1, 100),
    random_state: int = 0,
) -> Any:
    """Build a benchmark history of five runs of a demo loan model with planted regressions.

    The runs (``DEMO_RUNS``) form the series ``"main"``, tagged ``v1`` ... ``v5``: a baseline,
    an unchanged rebuild, a feature-pipeline bug that costs accuracy, a slower
    post-processing step (+50% latency), and the fix. The model is a logistic regression on
    the numeric loan columns, paced by :class:`PacedModel` so its latency is the same on a
    busy machine. All runs use the same evaluation rows, so metric comparisons are paired.

    Parameters
    ----------
    path : str or path-like, optional
        Database file (default: a new temporary file).
    n_rows : int, default=4000
        Training rows; the evaluation set has half as many.
    n_boot : int, default=300
        Bootstrap resamples behind the intervals.
    n_runs : int, default=20
        Timed ``predict`` calls per batch size.
    batch_sizes : tuple of int, default=(1, 100)
    random_state : int, default=0

    Returns
    -------
    History

    Examples
    --------
    >>> from diagtools.history import demo_history
    >>> hist = demo_history(n_rows=1000, n_boot=100, n_runs=5, batch_sizes=(1,))
    >>> hist.runs()["tags"].str[0].tolist()
    ['v1', 'v2', 'v3', 'v4', 'v5']
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from diagtools.datasets import LOANS_TRUTH, make_loans
    from diagtools.history._bench import bench
    from diagtools.history._store import History

    if path is None:
        path = Path(tempfile.mkdtemp(prefix="diagtools-history-")) / "bench.db"
    hist = History(path)
    target = LOANS_TRUTH.target
    train = make_loans(n_rows, random_state=random_state, plant_slice=False, plant_drift=False)
    test = make_loans(max(200, n_rows // 2), random_state=random_state + 1, plant_slice=False, plant_drift=False)
    numeric = [c for c in train.columns if c != target and pd.api.types.is_numeric_dtype(train[c])]
    X, y = train[numeric], train[target]
    X_test, y_test = test[numeric], test[target]
    fitted = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    model = PacedModel(fitted)
    variants = {
        "v1": model,
        "v2": PacedModel(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)),
        "v3": PacedModel(_DropColumn(fitted, "credit_score", float(X["credit_score"].median()))),
        "v4": PacedModel(fitted, base_ms=3.0, per_row_ms=0.03),
        "v5": model,
    }
    for tag, what, _effect in DEMO_RUNS:
        bench(variants[tag], X_test, y_test, history=hist, name="main", tags=[tag, what], batch_sizes=batch_sizes,
              n_runs=n_runs, n_boot=n_boot, git_commit=None, random_state=random_state)
    return hist
