"""Input checks shared by ``slice_metrics`` and ``find_slices`` (all run before any work)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diagtools import _validation as V
from diagtools.errors import DiagnosticInputError


def check_frame(X: Any, name: str = "X") -> pd.DataFrame:
    """Return ``X`` as a non-empty DataFrame (slices need column names)."""
    if not isinstance(X, pd.DataFrame):
        raise DiagnosticInputError(
            V.MSG_NOT_TABULAR.format(name=name, got=type(X).__name__) + " Slices are named by columns, so pass a DataFrame."
        )
    V.check_not_empty(X, name)
    X, _ = V.string_columns(X, name)  # int / tuple / MultiIndex names become text, once, here
    return X


def predictions(model: Any, X: pd.DataFrame, y: Any, y_pred: Any,
                X_model: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(y_true, y_pred)``: from ``y_pred`` when given, else from ``model.predict(X)``.

    ``X_model`` is the user's own frame (original column names) that the model is called on;
    ``X`` may be the copy with text column names.
    """
    if y is None:
        raise DiagnosticInputError("y is required. Pass the true targets, one per row of X.")
    V.check_same_length(y, X, name="y", ref_name="X")
    y_true = V.check_no_nan(y, "y")
    if y_true.ndim != 1:
        raise DiagnosticInputError(f"y must be one-dimensional, got shape {y_true.shape}. Pass one target per row.")
    if y_pred is None:
        if model is None:
            raise DiagnosticInputError("model is None and y_pred is missing. Pass a fitted model, or y_pred=predictions.")
        V.check_fitted(model)
        try:
            y_pred = model.predict(X if X_model is None else X_model)
        except Exception as exc:  # translate the model's own error at one point
            raise DiagnosticInputError(
                f"model.predict(X) failed: {type(exc).__name__}: {exc}. Pass the columns the model was fitted on, "
                "or pass y_pred=predictions."
            ) from exc
    pred = V.check_one_per_row(y_pred, "y_pred", like=X, like_name="X",
                               hint="Pass predict() output, not predict_proba().")
    return y_true, pred


def check_task(y_true: np.ndarray, y_pred: np.ndarray, task: str | None) -> str:
    """Resolve classification or regression from the targets."""
    if task is None and y_true.dtype.kind in "iu" and len(y_true) and int(y_true.max()) - int(y_true.min()) < 1024:
        # small integer labels: count the classes with a bincount (same rule as infer_task, no sort)
        n_classes = int(np.count_nonzero(np.bincount(y_true.astype(np.int64) - int(y_true.min()))))
        task = "classification" if n_classes <= max(20, int(0.05 * len(y_true))) else "regression"
    task = V.check_task(y_true, task, "y")
    if task == "regression":
        V.check_finite(y_pred, "y_pred")
    return task


def check_int(value: Any, name: str, low: int, high: int | None = None, hint: str = "") -> int:
    """An integer in ``[low, high]``."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise DiagnosticInputError(f"{name} must be an integer {span}, got {value!r}. {hint}".strip())
    return int(value)


def check_fraction(value: Any, name: str, hint: str) -> float:
    """A number strictly between 0 and 1."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not 0.0 < v < 1.0:
        raise DiagnosticInputError(f"{name} must be between 0 and 1, got {value!r}. {hint}")
    return v


def check_bins(bins: Any, columns: list[str]) -> Any:
    """``bins`` is an int >= 1 or a dict of column to int or cut points."""
    if isinstance(bins, dict):
        bins = {V.column_label(c): b for c, b in bins.items()}
        unknown = [c for c in bins if c not in columns]
        if unknown:
            raise DiagnosticInputError(
                f"bins names columns {unknown!r} that are not sliced. Slice columns: {columns!r}."
            )
        for c, b in bins.items():
            if not isinstance(b, (list, tuple, np.ndarray)):
                check_int(b, f"bins[{c!r}]", 1, hint="Pass a number of quantile bins or a list of cut points.")
        return bins
    return check_int(bins, "bins", 1, hint="Pass e.g. bins=5 (quantile bins) or a dict of cut points per column.")


def resolve_columns(X: pd.DataFrame, by: Any, name: str = "by") -> list[str]:
    """The slicing columns: ``by`` checked against ``X``, or every column of ``X``.

    Without ``by``, the encoders later leave out non-numeric columns with too many values
    (identifiers, free text, timestamps) instead of failing (see ``drop_wide``).
    """
    if by is None:
        return list(X.columns)
    if isinstance(by, str) or not isinstance(by, (list, tuple, pd.Index, np.ndarray)):
        by = [by]
    # the frame's names are text now (check_frame): look the user's names up the same way
    cols = V.check_columns(X, [V.column_label(c) for c in by], name=name)
    if not cols:
        raise DiagnosticInputError(f"{name} is empty. Pass at least one column to slice by, or {name}=None for all.")
    if len(set(cols)) != len(cols):
        raise DiagnosticInputError(f"{name} repeats a column: {cols!r}. Pass each column once.")
    return cols
