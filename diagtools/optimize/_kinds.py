"""What kind of model is this, for choosing which variants to try.

Only the questions the generators need: the final estimator of a pipeline, whether it is a
tree ensemble (and which library), linear (has ``coef_``), and where the text vectorisers and
feature unions sit. Everything is read from the fitted objects, never from a class name alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["final_estimator", "param_path", "tree_library", "vectorizer_blocks"]


def final_estimator(model: Any) -> Any:
    """The estimator that predicts (the last step of a Pipeline, else the model itself)."""
    from diagtools.models import adapt_model

    try:
        return adapt_model(model).final_estimator
    except Exception:  # no predict (a bare transformer): walk the steps ourselves
        while hasattr(model, "steps"):
            model = model.steps[-1][1]
        return model


def final_param_prefix(model: Any) -> str:
    """``set_params`` prefix of the final estimator (``"model__"`` in a Pipeline, else ``""``)."""
    prefix = ""
    while hasattr(model, "steps"):
        name, model = model.steps[-1]
        prefix += f"{name}__"
    return prefix


def tree_library(est: Any) -> str | None:
    """``"lightgbm"``, ``"xgboost"``, ``"catboost"``, ``"sklearn-hgb"``, ``"sklearn-forest"``,
    ``"sklearn-gb"`` or None (not a tree ensemble)."""
    from diagtools.models import adapt_model

    family = adapt_model(est).family
    if family in ("lightgbm", "xgboost", "catboost"):
        return family
    if hasattr(est, "_predictors") and hasattr(est, "n_iter_"):
        return "sklearn-hgb"
    if hasattr(est, "estimators_") and hasattr(est, "n_estimators"):
        first = np.ravel(est.estimators_)[0] if len(np.ravel(est.estimators_)) else None
        if hasattr(first, "tree_"):
            return "sklearn-gb" if hasattr(est, "init_") else "sklearn-forest"
    return None


def param_path(model: Any, step: str) -> str | None:
    """The ``set_params`` key of a step named like :func:`profile_steps` names it.

    ``"features/embedding"`` becomes ``"features__embedding"`` when the model has that
    parameter (a FeatureUnion or ColumnTransformer branch); None otherwise.
    """
    key = step.replace("/", "__")
    try:
        return key if key in model.get_params(deep=True) else None
    except Exception:  # not an sklearn estimator: nothing can be swapped
        return None


def vectorizer_blocks(model: Any) -> list[tuple[str, Any, int, int]]:
    """Text vectorisers feeding the final linear model and their output columns.

    Returns ``(param_key, vectorizer, start, stop)`` for each fitted CountVectorizer /
    TfidfVectorizer whose output columns ``start:stop`` reach the final estimator: the
    features step itself, or the branches of a FeatureUnion in that step (other branches,
    such as an embedding, occupy the columns in between).
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import FeatureUnion

    if not hasattr(model, "steps") or len(model.steps) != 2:
        return []
    name, features = model.steps[0]
    if isinstance(features, CountVectorizer):
        return [(name, features, 0, len(features.vocabulary_))]
    if not isinstance(features, FeatureUnion):
        return []
    out, start = [], 0
    for branch, trans in features.transformer_list:
        if trans in ("drop", None):
            continue
        width = len(trans.get_feature_names_out())
        if isinstance(trans, CountVectorizer):
            out.append((f"{name}__{branch}", trans, start, start + width))
        start += width
    return out
