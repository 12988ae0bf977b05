"""Examples of the metrics area's results: classification with a baseline, and regression."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _classification() -> object:
    from diagtools.metrics import evaluate_predictions

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    score = np.clip(0.35 * y + 0.65 * rng.random(400), 0, 1)
    return evaluate_predictions(y, y_pred=(score > 0.5).astype(int), y_score=score, n_boot=100,
                                baselines={"majority_class": {"y_pred": np.zeros(400, int)}})


def _regression() -> object:
    from diagtools.metrics import evaluate_predictions

    rng = np.random.default_rng(1)
    y = rng.normal(size=300)
    return evaluate_predictions(y, y_pred=y + rng.normal(scale=0.5, size=300), n_boot=100,
                                baselines={"mean": {"y_pred": np.full(300, y.mean())}})


def examples() -> list[tuple[str, Callable[[], object]]]:
    """``(label, factory)`` pairs for ``tests/test_contract.py``."""
    return [("EvaluationResult", _classification), ("EvaluationResult:regression", _regression)]
