"""Examples of the optimize area's results: a variant search and a deployment sweep, on a tiny model."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _data() -> tuple[np.ndarray, np.ndarray, object]:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=600) > 0).astype(int)
    return X, y, LogisticRegression().fit(X[:300], y[:300])


def _optimization() -> object:
    from sklearn.linear_model import LogisticRegression

    from diagtools.optimize import optimize

    X, y, model = _data()
    # one variant of our own (a refit on fewer columns), no generators: the statistics, not the search
    fewer = LogisticRegression().fit(X[:300, :1], y[:300])
    variant = _Columns(fewer, 1)
    return optimize(model, X[300:], y[300:], X_train=X[:300], y_train=y[:300], families=(), budget=1.0,
                    batch_sizes=(1,), candidates={"first column": variant}, n_boot=100, progress=False)


class _Columns:
    """A model that predicts from the first ``k`` columns only."""

    def __init__(self, model: object, k: int) -> None:
        self.model, self.k = model, k

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict(np.asarray(X)[:, :self.k])  # type: ignore[attr-defined]


def _sweep() -> object:
    from diagtools.optimize import deployment_sweep

    X, _, model = _data()
    return deployment_sweep(model, X, threads=(1,), batch_sizes=(1, 16), p99_target_ms=1000, min_runs=10,
                            min_time=0.0, max_time=0.05, n_boot=50)


def examples() -> list[tuple[str, Callable[[], object]]]:
    """``(label, factory)`` pairs for ``tests/test_contract.py``."""
    return [("OptimizationResult", _optimization), ("DeploymentSweep", _sweep)]
