"""``assess_fairness``: call the model, then hand over to ``assess_fairness_predictions``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diagtools import _validation as V
from diagtools.errors import DiagnosticInputError
from diagtools.fairness import _inputs as I
from diagtools.fairness._compute import assess_fairness_predictions
from diagtools.fairness._result import FairnessResult


def _call(adapter: Any, X: Any, method: str, sensitive: list[str] | None, dropped: bool) -> np.ndarray | None:
    """``adapter.<method>(X)``, with a hint about ``drop_sensitive`` when the columns do not match."""
    model = adapter.model
    try:
        return getattr(adapter, method)(X)
    except DiagnosticInputError:
        raise
    except Exception as exc:  # translate the model's own error at one point
        hint = "Pass the columns the model was fitted on, or pass y_pred= (and y_score=)."
        known = getattr(model, "feature_names_in_", None)
        if sensitive and not dropped and known is not None and any(c not in set(known) for c in sensitive):
            unused = [c for c in sensitive if c not in set(known)]
            hint = (f"The model was not fitted on {unused!r}: pass drop_sensitive=True to keep the sensitive columns "
                    "away from the model, or pass them separately as a Series.")
        call = "predict" if method == "predict" else "predict_proba"
        raise DiagnosticInputError(f"model.{call}(X) failed: {type(exc).__name__}: {str(exc)[:300]} {hint}") from exc


def assess_fairness(
    model: Any,
    X: Any,
    y: Any,
    *,
    sensitive_features: Any,
    y_pred: Any = None,
    y_score: Any = None,
    drop_sensitive: bool = False,
    pos_label: Any = None,
    task: str | None = None,
    bins: int = 5,
    min_group_size: int = 30,
    ratio_threshold: float = 0.8,
    difference_threshold: float = 0.1,
    n_boot: int = 1000,
    confidence: float = 0.95,
    alpha: float = 0.05,
    random_state: int = 0,
    name: str = "model",
) -> FairnessResult:
    """Assess a fitted model's fairness across sensitive groups, with intervals and tests.

    Calls ``model.predict`` (and ``predict_proba`` for the calibration error), then hands over
    to :func:`assess_fairness_predictions`.

    Parameters
    ----------
    model : fitted model or None
        Anything with ``predict``; ``None`` when ``y_pred`` is given.
    X : DataFrame or array of shape (n_samples, n_features)
        The model's input rows.
    y : array-like of shape (n_samples,)
        True labels (or values).
    sensitive_features : str, list of str, Series, DataFrame, dict or array-like
        Column name(s) of ``X``, or the sensitive features themselves, one row per sample (as
        in fairlearn's ``sensitive_features``; they need not be model inputs). Each column and
        each pair of columns (their intersections) is assessed.
    y_pred : array-like of shape (n_samples,), optional
        Predictions, for a model that is not in Python (``predict`` is then not called).
    y_score : array-like, optional
        Probabilities of the positive class (or ``predict_proba`` output); by default taken
        from ``model.predict_proba`` when the model has it and ``y_pred`` is not given.
    drop_sensitive : bool, default=False
        When ``sensitive_features`` names columns of ``X``: drop them from ``X`` before calling
        the model. By default the model receives ``X`` unchanged, since a model trained with
        those columns needs them. Set it for a model trained without them, or pass the
        sensitive features separately (a Series) and ``X`` without them, as fairlearn users do.
    pos_label, task, bins, min_group_size, ratio_threshold, difference_threshold, n_boot, confidence, alpha, random_state, name
        See :func:`assess_fairness_predictions`.

    Returns
    -------
    FairnessResult

    Raises
    ------
    DiagnosticInputError
        On an unfitted model, mismatched lengths, an unknown column, string labels without
        ``pos_label``, or a model that fails on ``X`` (with a hint on ``drop_sensitive``).

    See Also
    --------
    assess_fairness_predictions : the same from predictions.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from diagtools.datasets import make_loans
    >>> df = make_loans(4000, plant_bias=True)
    >>> X = df[["credit_score", "income", "debt_to_income"]]
    >>> model = LogisticRegression(max_iter=1000).fit(X, df["defaulted"])
    >>> res = assess_fairness(model, X, df["defaulted"], sensitive_features=df["sex"], pos_label=0, n_boot=200)
    >>> res.frame.loc[0, "measure"]
    'demographic_parity_difference'
    """
    if not isinstance(X, pd.DataFrame):
        X = V.check_tabular(X, "X")
    else:
        V.check_not_empty(X, "X")
    if y is None:
        raise DiagnosticInputError("y is required. Pass the true labels, one per row of X.")
    V.check_same_length(y, X, name="y", ref_name="X")
    n = len(X)
    frame, names = I.sensitive_frame(sensitive_features, n, X)
    if drop_sensitive and names is None:
        raise DiagnosticInputError(
            "drop_sensitive=True needs sensitive_features given as column names of X (e.g. ['sex']). The sensitive "
            "features you passed are not columns of X, so there is nothing to drop."
        )
    if y_pred is None:
        if model is None:
            raise DiagnosticInputError("model is None and y_pred is missing. Pass a fitted model, or y_pred=predictions.")
        V.check_fitted(model)
        from diagtools.models import adapt_model

        # the adapter knows the model's classes and score method; X goes to the model unchanged
        ad = adapt_model(model, y=np.asarray(y))
        X_model = X.drop(columns=names) if drop_sensitive and names else X
        y_pred = _call(ad, X_model, "predict", names, drop_sensitive)
        y = ad.align_labels(y)
        if y_score is None and ad.is_classifier and ad.score_method == "predict_proba" and ad.classes is not None:
            try:
                proba = _call(ad, X_model, "probabilities", names, drop_sensitive)
            except DiagnosticInputError:
                proba = None
            if proba is not None and proba.ndim == 2 and proba.shape[1] == len(ad.classes):
                classes = [c.item() if isinstance(c, np.generic) else c for c in ad.classes]
                y_score = _score_for(proba, classes, np.asarray(y), np.asarray(y_pred), pos_label)
    return assess_fairness_predictions(
        y, y_pred, sensitive_features=frame, y_score=y_score, pos_label=pos_label, task=task, bins=bins,
        min_group_size=min_group_size, ratio_threshold=ratio_threshold, difference_threshold=difference_threshold,
        n_boot=n_boot, confidence=confidence, alpha=alpha, random_state=random_state, name=name,
    )


def _score_for(proba: np.ndarray, classes: list[Any], y: np.ndarray, pred: np.ndarray, pos_label: Any) -> np.ndarray | None:
    """The model's probability of the positive label (None when the positive label is not decidable here)."""
    if pos_label is None:
        labels = set(pd.unique(np.concatenate([y, pred])).tolist()) | set(classes)
        if not (labels <= {0, 1} or labels <= {-1, 1}):
            return None  # the shared path raises the pos_label error
        pos_label = 1
    if pos_label not in classes:
        return None
    return proba[:, classes.index(pos_label)]
