"""Input checks of the fairness area (all run before any work).

Sensitive features come in the shapes fairlearn accepts (a Series, a DataFrame, a dict of
arrays, a 1-D or 2-D array) or, in :func:`~diagtools.fairness.assess_fairness`, as column
names of ``X``. Class labels are reduced to *positive* (the outcome whose rate is compared:
selected, approved, hired, flagged) and the rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diagtools import _validation as V
from diagtools.errors import DiagnosticInputError

MSG_POS_LABEL = (
    "pos_label is required: {name} holds the labels {labels!r}, so which one is the positive outcome "
    "(selected, approved, hired) is not obvious. Pass e.g. pos_label={example!r}."
)
MSG_POS_UNKNOWN = "pos_label={pos!r} is not among the labels of y_true and y_pred {labels!r}. Pass one of them."
MSG_SENSITIVE_TYPE = (
    "sensitive_features must be column name(s) of X, a pandas Series or DataFrame, a dict of arrays or an "
    "array with one row per sample, got {got}. Pass e.g. sensitive_features=X['sex'] or ['sex', 'race']."
)


def _looks_like_names(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, str) for v in value)
    )


def sensitive_frame(sensitive: Any, n: int, X: Any = None) -> tuple[pd.DataFrame, list[str] | None]:
    """Return the sensitive features as a DataFrame of ``n`` rows, and the column names of ``X`` used.

    Strings name columns of ``X`` (when ``X`` is given); a Series keeps its name; unnamed arrays
    get fairlearn's names ``sensitive_feature_0, ...``.
    """
    if sensitive is None:
        raise DiagnosticInputError(
            "sensitive_features is required: name the columns whose groups are compared (e.g. ['sex']) or pass "
            "them as a Series/DataFrame. Fairness is only assessed for the groups you name."
        )
    names: list[str] | None = None
    if _looks_like_names(sensitive) and X is not None:
        names = [sensitive] if isinstance(sensitive, str) else list(sensitive)
        if not isinstance(X, pd.DataFrame):
            raise DiagnosticInputError(
                f"sensitive_features names columns {names!r} but X is not a DataFrame. Pass X as a DataFrame, or "
                "pass the sensitive features themselves (a Series or array)."
            )
        if len(names) == n and any(c not in X.columns for c in names) and len(set(names)) < len(names):
            raise DiagnosticInputError(
                f"sensitive_features is a list of {n} strings that are not all columns of X: it looks like one "
                "value per row. Pass it as a pandas Series (pd.Series(values, name='group'))."
            )
        V.check_columns(X, names, name="sensitive_features")
        frame = X[names]
    elif isinstance(sensitive, str) or (_looks_like_names(sensitive) and len(sensitive) != n):
        raise DiagnosticInputError(
            f"sensitive_features names columns ({sensitive!r}) but there is no X to take them from. Pass the "
            "sensitive features themselves: a Series, a DataFrame or an array with one row per sample."
        )
    elif isinstance(sensitive, pd.Series):
        frame = sensitive.to_frame(name=sensitive.name if sensitive.name is not None else "sensitive_feature_0")
    elif isinstance(sensitive, pd.DataFrame):
        frame = sensitive
    elif isinstance(sensitive, dict):
        try:
            frame = pd.DataFrame({str(k): np.asarray(v) for k, v in sensitive.items()})
        except ValueError as exc:
            raise DiagnosticInputError(
                f"sensitive_features: the arrays of the dict have different lengths ({exc}). Pass one value per sample "
                "in each."
            ) from exc
    elif isinstance(sensitive, (np.ndarray, list, tuple, pd.Categorical)):
        arr = np.asarray(sensitive, dtype=object) if not isinstance(sensitive, np.ndarray) else sensitive
        if arr.ndim == 1:
            frame = pd.DataFrame({"sensitive_feature_0": arr})
        elif arr.ndim == 2:
            frame = pd.DataFrame({f"sensitive_feature_{j}": arr[:, j] for j in range(arr.shape[1])})
        else:
            raise DiagnosticInputError(MSG_SENSITIVE_TYPE.format(got=f"an array of shape {arr.shape}"))
    else:
        raise DiagnosticInputError(MSG_SENSITIVE_TYPE.format(got=type(sensitive).__name__))
    if frame.shape[1] == 0:
        raise DiagnosticInputError("sensitive_features has no columns. Name at least one sensitive column.")
    if frame.columns.duplicated().any():
        raise DiagnosticInputError(
            f"sensitive_features repeats a column: {list(frame.columns)!r}. Pass each sensitive column once."
        )
    V.check_same_length(frame, np.empty(n), name="sensitive_features", ref_name="y_true")
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    return frame, names


def binary_labels(y: np.ndarray, pred: np.ndarray, pos_label: Any) -> tuple[np.ndarray, np.ndarray, Any, list[Any]]:
    """Return ``(y == pos, pred == pos)`` as 0/1 arrays, the positive label and every label seen.

    Without ``pos_label`` the labels must be a subset of ``{0, 1}``, ``{-1, 1}`` or booleans
    (fairlearn's rule); then the positive label is 1 (True).
    """
    try:
        labels = sorted(pd.unique(np.concatenate([y, pred])).tolist())
    except TypeError as exc:
        raise DiagnosticInputError(
            "y_true and y_pred hold labels of different types (e.g. str and int). Pass labels of one type."
        ) from exc
    if pos_label is None:
        if set(labels) <= {0, 1} or set(labels) <= {-1, 1}:
            pos_label = 1
        else:
            example = labels[-1] if labels else 1
            raise DiagnosticInputError(MSG_POS_LABEL.format(name="y_true/y_pred", labels=labels[:10], example=example))
    elif pos_label not in labels:
        raise DiagnosticInputError(MSG_POS_UNKNOWN.format(pos=pos_label, labels=labels[:10]))
    return (y == pos_label).astype(np.int64), (pred == pos_label).astype(np.int64), pos_label, labels


def positive_score(y_score: Any, n: int, labels: list[Any], pos_label: Any) -> np.ndarray | None:
    """The score of the positive class, shape ``(n,)``: a 1-D score, or the column of a 2-D one.

    A 2-D score has one column per class in sorted label order (``predict_proba``).
    """
    if y_score is None:
        return None
    s = np.asarray(y_score.to_numpy() if isinstance(y_score, (pd.Series, pd.DataFrame)) else y_score)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s.ravel()
    if s.shape[0] != n:
        raise DiagnosticInputError(V.MSG_LENGTH.format(name="y_score", got=s.shape[0], ref_name="y_true", want=n))
    if s.ndim == 2:
        if s.shape[1] != len(labels):
            raise DiagnosticInputError(
                f"y_score has {s.shape[1]} columns but there are {len(labels)} classes {labels[:10]!r}. Pass the score "
                "of the positive class (shape (n,)) or one column per class in sorted label order."
            )
        s = s[:, labels.index(pos_label)]
    elif s.ndim != 1:
        raise DiagnosticInputError(f"y_score must be 1-D or 2-D, got an array of shape {s.shape}.")
    return V.check_finite(s, "y_score")


def check_threshold(value: Any, name: str, low: float, high: float | None, hint: str) -> float:
    """A number in ``[low, high]`` (``high=None``: no upper bound)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not np.isfinite(v) or v < low or (high is not None and v > high):
        span = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise DiagnosticInputError(f"{name} must be a number {span}, got {value!r}. {hint}")
    return v
