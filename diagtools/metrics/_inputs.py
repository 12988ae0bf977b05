"""Input checks of the metrics area: targets, predictions, scores, labels, options."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diagtools import _validation as V
from diagtools.errors import DiagnosticInputError


# -- input checks -----------------------------------------------------------------------
def _as_1d(values: Any, name: str) -> np.ndarray:
    arr = V.check_no_nan(values, name)
    if arr.ndim != 1:
        raise DiagnosticInputError(
            f"{name} must be one-dimensional, got an array of shape {arr.shape}. Pass one value per row."
        )
    return arr


def _check_metrics(metrics: Any) -> list[str] | None:
    if metrics is None:
        return None
    if isinstance(metrics, str):
        metrics = [metrics]
    try:
        return [str(m) for m in metrics]
    except TypeError as exc:
        raise DiagnosticInputError(
            f"metrics must be a list of metric names, got {type(metrics).__name__}. "
            "Pass e.g. metrics=['accuracy', 'roc_auc'] or None for all."
        ) from exc


def _check_confidence(confidence: float, n_boot: int, random_state: Any = 0) -> None:
    V.check_probability(confidence, "confidence")
    # n_boot=0 is allowed here on purpose: point estimates only, intervals NaN
    V.check_n_boot(n_boot, low=0)
    V.check_random_state(random_state)


def _resolve_labels(y: np.ndarray, preds: list[np.ndarray], labels: Any) -> np.ndarray:
    if labels is not None:
        labs = np.asarray(list(labels))
        if len(labs) < 2:
            raise DiagnosticInputError(
                f"labels must hold at least two classes, got {labs.tolist()!r}. Pass every class."
            )
        for arr, name in [(y, "y_true")] + [(p, "y_pred") for p in preds]:
            unknown = pd.Index(pd.unique(arr)).difference(pd.Index(labs))
            if len(unknown):
                raise DiagnosticInputError(
                    f"{name} holds values {unknown.tolist()[:5]!r} that are not in labels "
                    f"{labs.tolist()!r}. Add them to labels, or pass labels=None."
                )
        return labs
    V.check_two_classes(y, "y_true")
    values = [y, *preds]
    try:
        # unique per array first (hashing, linear): the sort then sees only the distinct labels
        return np.unique(np.concatenate([pd.unique(v) for v in values]))
    except TypeError as exc:
        raise DiagnosticInputError(
            "y_true and y_pred hold labels of different types (e.g. str and int). "
            "Pass labels of one type."
        ) from exc


def _encode(arr: np.ndarray, labels: np.ndarray, name: str) -> np.ndarray:
    codes = pd.Index(labels).get_indexer(arr)
    if (codes < 0).any():
        bad = arr[codes < 0][:3].tolist()
        raise DiagnosticInputError(
            f"{name} holds values {bad!r} that are not among the classes {labels.tolist()!r}. "
            "Pass class labels as predictions (use y_score for probabilities or scores)."
        )
    return codes


def _check_classification_pred(y_pred: np.ndarray, name: str) -> None:
    if y_pred.dtype.kind == "f":
        uniq = np.unique(y_pred)
        if not np.all(uniq == np.round(uniq)) or len(uniq) > max(20, len(y_pred) // 2):
            raise DiagnosticInputError(
                V.MSG_TASK.format(
                    name=name,
                    got=f"continuous predictions ({len(uniq)} distinct values, e.g. {uniq[:3].tolist()})",
                    want="classification",
                    fix="Is the model a regressor? Use task='regression', or pass class labels as "
                    "y_pred and probabilities as y_score.",
                )
            )


def _score_kind(score: np.ndarray, k: int) -> str:
    """``"proba"`` when ``score`` looks like probabilities, else ``"score"``."""
    if score.min() < 0 or score.max() > 1:
        return "score"
    if score.ndim == 2 and not np.allclose(score.sum(axis=1), 1.0, atol=1e-6):
        return "score"
    return "proba"


def _prepare_score(y_score: Any, n: int, k: int, name: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Return ``(proba (n, K) or None, score (n,) or (n, K))`` from a user ``y_score``."""
    if y_score is None:
        return None, None
    s = np.asarray(y_score.to_numpy() if isinstance(y_score, (pd.Series, pd.DataFrame)) else y_score)
    s = V.check_finite(s, name) if s.ndim <= 1 or s.shape[1] == 1 else _finite2d(s, name)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s.ravel()
    if s.shape[0] != n:
        raise DiagnosticInputError(V.MSG_LENGTH.format(name=name, got=s.shape[0], ref_name="y_true", want=n))
    if k == 2:
        if s.ndim == 2:
            if s.shape[1] != 2:
                raise DiagnosticInputError(
                    f"{name} has shape {s.shape} but the task has 2 classes. Pass the score of the "
                    "positive class (shape (n,)) or both class probabilities (shape (n, 2))."
                )
            if _score_kind(s, 2) == "proba":
                return s, s[:, 1]
            s = s[:, 1]
        if _score_kind(s, 2) == "proba":
            return np.column_stack([1.0 - s, s]), s
        return None, s
    if s.ndim != 2 or s.shape[1] != k:
        raise DiagnosticInputError(
            f"{name} has shape {s.shape} but the task has {k} classes. Pass one column per class "
            f"(shape ({n}, {k})), in the order of labels."
        )
    if _score_kind(s, k) == "proba":
        return s, s
    return None, s


def _finite2d(s: np.ndarray, name: str) -> np.ndarray:
    if s.ndim != 2:
        raise DiagnosticInputError(f"{name} must be 1-D or 2-D, got an array of shape {s.shape}.")
    try:
        s = s.astype(float)
    except (TypeError, ValueError) as exc:
        raise DiagnosticInputError(f"{name} must be numeric scores or probabilities.") from exc
    if not np.isfinite(s).all():
        raise DiagnosticInputError(f"{name} contains NaN or infinite values. Pass finite scores.")
    return s
