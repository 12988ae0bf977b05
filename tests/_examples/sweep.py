"""Example of the fit area's capacity sweep for the contract test (a second fit module, own file)."""

from __future__ import annotations

from collections.abc import Callable

from diagtools._result import Result


def _sweep() -> Result:
    from sklearn.datasets import make_classification
    from sklearn.tree import DecisionTreeClassifier

    from diagtools.fit import capacity_sweep

    X, y = make_classification(300, n_features=6, flip_y=0.2, random_state=0)
    return capacity_sweep(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth", param_range=[1, 3, None],
                          train_sizes=(0.5, 1.0), cv=3)


def examples() -> list[tuple[str, Callable[[], Result]]]:
    """``(label, factory)`` pairs: a three-value depth sweep of a tree on noisy labels."""
    return [("CapacitySweepResult", _sweep)]
