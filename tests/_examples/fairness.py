"""Examples of the fairness area's result: a planted selection-rate gap, and regression errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def _classification() -> object:
    from diagtools.fairness import assess_fairness_predictions

    rng = np.random.default_rng(0)
    sex = pd.Series(rng.choice(["female", "male"], 1500), name="sex")
    y = rng.integers(0, 2, 1500)
    pred = np.where(sex == "female", rng.random(1500) < 0.25, rng.random(1500) < 0.5).astype(int)
    return assess_fairness_predictions(y, pred, sensitive_features=sex, y_score=rng.random(1500), n_boot=100)


def _regression() -> object:
    from diagtools.fairness import assess_fairness_predictions

    rng = np.random.default_rng(1)
    site = pd.Series(rng.choice(["a", "b", "c"], 900), name="site")
    y = rng.normal(size=900)
    pred = y + rng.normal(scale=np.where(site == "c", 1.0, 0.3))
    return assess_fairness_predictions(y, pred, sensitive_features=site, task="regression", n_boot=100)


def examples() -> list[tuple[str, Callable[[], object]]]:
    """``(label, factory)`` pairs for ``tests/test_contract.py``."""
    return [("FairnessResult", _classification), ("FairnessResult:regression", _regression)]
