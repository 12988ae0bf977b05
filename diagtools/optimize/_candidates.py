"""A candidate variant: how to build it, and what happened when it was built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Candidate", "IterationLimited", "refit"]


@dataclass
class Candidate:
    """One proposed variant of the reference model.

    Attributes
    ----------
    name : str
        Short unique name (``"drop features/embedding"``, ``"onnx"``).
    family : str
        Which generator proposed it: ``runtime``, ``featuriser``, ``vocabulary``, ``sparse``,
        ``trees``, ``features`` or ``user``.
    description : str
        What was changed, in words a reader can act on.
    params : dict
        The exact changes (``set_params`` keys and values, conversion options), enough to
        rebuild the variant.
    build : callable
        Returns the fitted variant; called once, inside the time budget.
    base : str
        Name of the variant it derives from (``"reference"`` or another candidate).
    """

    name: str
    family: str
    description: str
    params: dict[str, Any]
    build: Callable[[], Any] | None = None
    base: str = "reference"
    model: Any = None
    status: str = "pending"
    reason: str = ""
    fit_seconds: float = float("nan")
    extra: dict[str, Any] = field(default_factory=dict)


def refit(template: Any, X_fit: Any, y_fit: Any, **params: Any) -> Any:
    """Clone ``template``, apply ``set_params(**params)`` and fit on the training rows."""
    from sklearn.base import clone

    model = clone(template)
    if params:
        model.set_params(**params)
    return model.fit(X_fit, y_fit)


class IterationLimited:
    """A boosted model predicting with its first ``n_iter`` iterations only (no refit).

    LightGBM takes ``num_iteration``, XGBoost ``iteration_range``; both also work through a
    scikit-learn Pipeline, which passes predict keywords on to its final step.

    Parameters
    ----------
    model : object
        The fitted model (or pipeline ending in a LightGBM / XGBoost estimator).
    n_iter : int
        Number of boosting iterations to use.
    library : {"lightgbm", "xgboost"}
    """

    def __init__(self, model: Any, n_iter: int, library: str) -> None:
        self.model = model
        self.n_iter = int(n_iter)
        self.library = library
        if hasattr(model, "classes_"):
            self.classes_ = model.classes_

    def _kw(self) -> dict[str, Any]:
        if self.library == "lightgbm":
            return {"num_iteration": self.n_iter}
        return {"iteration_range": (0, self.n_iter)}

    def predict(self, X: Any) -> np.ndarray:
        """Predictions from the first ``n_iter`` iterations."""
        return np.asarray(self.model.predict(X, **self._kw()))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities from the first ``n_iter`` iterations."""
        return np.asarray(self.model.predict_proba(X, **self._kw()))

    def __repr__(self) -> str:
        return f"IterationLimited({type(self.model).__name__}, n_iter={self.n_iter})"
