"""Seeded examples of the fit area's Result types for the contract test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from diagtools._result import Result


def _data(n: int = 240, seed: int = 0) -> tuple[Any, Any]:
    from sklearn.datasets import make_classification

    return make_classification(n, n_features=6, n_informative=3, flip_y=0.1, random_state=seed)


def _learning_curve() -> Result:
    from sklearn.tree import DecisionTreeClassifier

    from diagtools.fit import learning_curve

    X, y = _data()
    return learning_curve(DecisionTreeClassifier(max_depth=3, random_state=0), X, y, train_sizes=[0.3, 0.6, 1.0],
                          cv=3, progress=False)


def _validation_curve() -> Result:
    from sklearn.tree import DecisionTreeClassifier

    from diagtools.fit import validation_curve

    X, y = _data()
    return validation_curve(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth",
                            param_range=[1, 3, None], cv=3, progress=False)


def _diagnosis() -> Result:
    from sklearn.tree import DecisionTreeClassifier

    from diagtools.fit import diagnose_fit

    X, y = _data()
    return diagnose_fit(DecisionTreeClassifier(random_state=0), X, y, train_sizes=[0.5, 1.0], cv=3, reference=None,
                        progress=False)


def _fitted() -> Result:
    from sklearn.tree import DecisionTreeClassifier

    from diagtools.fit import diagnose_fitted

    X, y = _data(400)
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X[:300], y[:300])
    return diagnose_fitted(model, X[:300], y[:300], X[300:], y[300:], n_boot=50)


def examples() -> list[tuple[str, Callable[[], Result]]]:
    """(label, factory) pairs: both curves, a cross-validated diagnosis and one of a fitted model (no curve)."""
    return [("LearningCurveResult", _learning_curve), ("ValidationCurveResult", _validation_curve),
            ("FitDiagnosis", _diagnosis), ("FitDiagnosis:fitted", _fitted)]
