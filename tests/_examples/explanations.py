"""Seeded examples of the explanations area's Result types for the contract test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from diagtools._result import Result


def _tabular() -> tuple[Any, Any, Any]:
    """A label driven by ``a`` (strongly) and ``b`` (weakly); ``c`` is noise."""
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = (2 * X["a"] + 0.5 * X["b"] + rng.normal(scale=0.5, size=300) > 0).astype(int)
    return X, y, RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(X, y)


def _explanation() -> Result:
    from diagtools.explanations import explain

    X, _, model = _tabular()
    return explain(model, X, max_rows=150, n_boot=30)


def _cross_check() -> Result:
    from diagtools.explanations import cross_check

    X, y, model = _tabular()
    return cross_check(model, X, y, n_repeats=2, max_rows=150)


def _slice() -> Result:
    from diagtools.explanations import explain_slice

    X, _, model = _tabular()
    return explain_slice(model, X, (X["a"] > 0.5).to_numpy(), max_rows=200, n_boot=20)


def _text() -> Result:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from diagtools.datasets import load_intents
    from diagtools.explanations import explain_text

    df = load_intents(60)
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=200)).fit(df["text"], df["intent"])
    return explain_text(model, df["text"], top_k=5, n_boot=30)


def examples() -> list[tuple[str, Callable[[], Result]]]:
    """(label, factory) pairs: SHAP importance, its permutation cross-check, a slice, token contributions."""
    return [("Explanation", _explanation), ("CrossCheck", _cross_check), ("SliceExplanation", _slice),
            ("TextExplanation", _text)]
