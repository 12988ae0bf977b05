"""Range and shape checks of the arguments of ``explain`` (run before any SHAP work)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diagtools import _validation as V
from diagtools.errors import DiagnosticInputError

MSG_BACKGROUND_NAMES = (
    "background: its columns do not match X's (missing {missing}, unexpected {extra}). Pass background "
    "rows with the same columns as X (their order may differ: columns are matched by name)."
)


def n_classes(model: Any) -> int | None:
    """Number of classes of a fitted classifier (or of a Pipeline's final step), else None."""
    classes = getattr(model, "classes_", None)
    if classes is None and hasattr(model, "steps"):
        classes = getattr(model.steps[-1][1], "classes_", None)
    return None if classes is None else len(classes)


def check_explain_args(model: Any, X: Any, background: Any, *, budget: Any, class_index: Any,
                       random_state: Any) -> Any:
    """Check the numeric options and return ``background`` with its columns in X's order.

    A background DataFrame is matched to X **by name**: the explainers work on positions, so
    a reordered background would otherwise be read under the wrong column names.
    """
    if budget is not None:
        V.check_int(budget, "budget", low=1, hint="Pass e.g. budget=200 model evaluations per row, or None.")
    V.check_random_state(random_state, allow_none=False)
    if class_index is not None:
        k = n_classes(model)
        high = None if k is None else k - 1
        V.check_int(class_index, "class_index", low=0, high=high,
                    hint=f"The model has {k} classes: pass an index from 0 to {k - 1}." if k
                    else "Pass the index of a class in model.classes_.")
    if isinstance(X, pd.DataFrame):
        V.check_unique_columns(X, "X")
        fitted = getattr(model, "feature_names_in_", None)
        if fitted is not None:
            missing = [c for c in fitted if c not in X.columns]
            if missing:
                raise DiagnosticInputError(
                    f"X lacks column(s) {missing[:5]!r} the model was fitted on. Pass X with the model's "
                    f"columns ({len(fitted)}: {list(fitted)[:5]!r}{' ...' if len(fitted) > 5 else ''})."
                )
    if background is None:
        return None
    width = X.shape[1] if hasattr(X, "shape") and len(np.shape(X)) == 2 else None
    if isinstance(background, pd.DataFrame):
        V.check_not_empty(background, "background")
        V.check_unique_columns(background, "background")
        if isinstance(X, pd.DataFrame):
            missing = [c for c in X.columns if c not in background.columns]
            extra = [c for c in background.columns if c not in X.columns]
            if missing or extra:
                raise DiagnosticInputError(MSG_BACKGROUND_NAMES.format(missing=missing, extra=extra))
            return background[list(X.columns)]
        if width is not None and background.shape[1] != width:
            raise DiagnosticInputError(
                f"background has {background.shape[1]} columns but X has {width}. Pass background rows "
                "with the columns of X."
            )
        return background
    arr = np.asarray(background)
    if arr.ndim != 2:
        raise DiagnosticInputError(V.MSG_NOT_TABULAR.format(name="background", got=f"an array of shape {arr.shape}"))
    V.check_not_empty(arr, "background")
    if width is not None and arr.shape[1] != width:
        raise DiagnosticInputError(
            f"background has {arr.shape[1]} columns but X has {width}. Pass background rows with the "
            "columns of X, in X's order (or a DataFrame, matched by name)."
        )
    if isinstance(X, pd.DataFrame):  # positions are X's order: name them so transformers accept them
        return pd.DataFrame(arr, columns=X.columns)
    return arr
