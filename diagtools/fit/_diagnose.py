"""``diagnose_fit``: an over/underfitting verdict from the learning curve, baselines and a reference."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from diagtools._format import percent, signed
from diagtools._metric_registry import metric_bounds
from diagtools._validation import check_real
from diagtools.errors import DiagnosticInputError
from diagtools.fit._curves import (
    DEFAULT_TRAIN_SIZES,
    check_model,
    check_numbers,
    check_scoring_arg,
    check_xy,
    learning_curve,
    resolve_cv,
    translate_fit_errors,
)
from diagtools.fit._result import FitDiagnosis, difference_bounds, evidence_frame, fold_interval

__all__ = ["DEFAULT_THRESHOLDS", "diagnose_fit", "make_reference_model"]

#: Thresholds of the verdict rules (see :func:`diagnose_fit`).
DEFAULT_THRESHOLDS: dict[str, float] = {
    "gap_share_overfit": 0.5,
    "gap_share_mild": 0.35,
    "min_shortfall": 0.1,
    "steep_gain": 0.02,
}

_MEANINGS = {
    "train_score": "score on the rows the model was fitted on",
    "validation_score": "score on held-out rows of each fold",
    "baseline_score": "validation score of a trivial model (majority class / mean)",
    "reference_score": "validation score of a flexible, self-regularising reference model",
    "gap": "training minus validation score: what does not generalise",
    "gap_share": "gap / (training score - baseline): share of what was learned that does not generalise",
    "lift_over_baseline": "validation minus baseline score: what the model learned that generalises",
    "reference_minus_validation": "how far the validation score is below the reference's",
    "reference_minus_train": "how far even the training score is below the reference's validation score",
    "gain_per_doubling": "validation score gained per doubling of the training data (curve's end)",
}


def make_reference_model(X: Any, *, classification: bool, random_state: int | None = 0) -> Any:
    """Return the default reference: gradient boosting with early stopping, categories encoded.

    Parameters
    ----------
    X : DataFrame or array-like
        Used only to find the non-numeric columns, which get an ``OrdinalEncoder`` and are
        declared categorical to the booster.
    classification : bool
        ``HistGradientBoostingClassifier`` or ``HistGradientBoostingRegressor``.
    random_state : int or None, default=0

    Returns
    -------
    estimator
        An unfitted estimator (a Pipeline when ``X`` has non-numeric columns).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
    booster = dict(max_iter=200, learning_rate=0.1, early_stopping=True, validation_fraction=0.15,
                   n_iter_no_change=10, random_state=random_state)
    if not isinstance(X, pd.DataFrame):
        return cls(**booster)
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or isinstance(X[c].dtype, pd.CategoricalDtype)]
    if not categorical:
        return cls(**booster)
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    numeric = [c for c in X.columns if c not in categorical]
    encode = ColumnTransformer(
        [("categories", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                       encoded_missing_value=np.nan), categorical),
         ("numeric", "passthrough", numeric)],
    )
    # Many-valued columns (more than the booster's bins) stay ordinal codes, not categories.
    mask = [X[c].nunique() <= 250 for c in categorical] + [False] * len(numeric)
    return Pipeline([("encode", encode), ("model", cls(categorical_features=mask, **booster))])


def check_thresholds(thresholds: Any) -> dict[str, float]:
    """:data:`DEFAULT_THRESHOLDS` updated by ``thresholds``, refusing unknown keys and values outside [0, 1]."""
    if thresholds is not None and not isinstance(thresholds, dict):
        raise DiagnosticInputError(
            f"thresholds must be a dict such as {{'gap_share_overfit': 0.5}}, got {type(thresholds).__name__}."
        )
    unknown = set(thresholds or {}) - set(DEFAULT_THRESHOLDS)
    if unknown:
        raise DiagnosticInputError(
            f"thresholds: unknown key(s) {sorted(unknown)}; expected some of {sorted(DEFAULT_THRESHOLDS)}.")
    for key, value in (thresholds or {}).items():  # every rule compares a share: [0, 1]
        check_real(value, f"thresholds[{key!r}]", low=0.0, high=1.0, hint="Thresholds are shares, e.g. 0.5.")
    return {**DEFAULT_THRESHOLDS, **(thresholds or {})}


def _reference_model(reference: Any, X: Any, *, classification: bool, random_state: int | None) -> Any:
    """The reference estimator ``reference`` asks for ("auto", an estimator, or None for none)."""
    if isinstance(reference, str):
        if reference != "auto":
            raise DiagnosticInputError(f"reference must be 'auto', an estimator or None, got {reference!r}.")
        return make_reference_model(X, classification=classification, random_state=random_state)
    return None if reference is None else check_model(reference)


def _baseline(classification: bool) -> Any:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    return DummyClassifier(strategy="prior") if classification else DummyRegressor(strategy="mean")


def _cv_scores(model: Any, X: Any, y: np.ndarray, splits: list[Any], scoring: Any, n_jobs: int | None) -> np.ndarray:
    from sklearn.model_selection import cross_validate

    with translate_fit_errors(model):
        out = cross_validate(model, X, y, cv=splits, scoring=scoring, n_jobs=n_jobs, error_score="raise")
    return np.asarray(out["test_score"], dtype=float)


def diagnose_fit(
    model: Any,
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    train_sizes: Sequence[float] | np.ndarray = DEFAULT_TRAIN_SIZES,
    cv: Any = 5,
    scoring: str | Callable[..., float] | None = None,
    reference: Any = "auto",
    n_jobs: int | None = None,
    random_state: int | None = 0,
    progress: bool | None = None,
    confidence: float = 0.95,
    thresholds: dict[str, float] | None = None,
) -> FitDiagnosis:
    """Say whether a model over- or underfits, with the evidence and what to do next.

    The learning curve, a trivial baseline and a flexible reference model are scored on the
    same cross-validation splits; the verdict reads them with the rules below.

    Parameters
    ----------
    model : estimator
        An (unfitted) scikit-learn style estimator, e.g. a Pipeline; it is cloned.
    X : DataFrame or array-like of shape (n_samples, n_features)
        Training data (subsample large tables: every fold refits the model several times).
    y : array-like of shape (n_samples,)
    train_sizes : array-like, default=(0.1, 0.18, 0.32, 0.56, 1.0)
        As in :func:`learning_curve`.
    cv : int, splitter or iterable of (train, test) pairs, default=5
        As in :func:`learning_curve`; shared by the model, the baseline and the reference.
    scoring : str or callable, optional
        A scikit-learn scorer (greater is better); ``None`` uses accuracy / R².
    reference : "auto", estimator or None, default="auto"
        A flexible model that shows what is achievable on these data. ``"auto"`` uses
        :func:`make_reference_model` (gradient boosting with early stopping); ``None`` skips
        it (underfitting can then only be called when the model is not better than the baseline).
    n_jobs : int, optional
        Parallel fits through joblib.
    random_state : int or None, default=0
        Seeds the folds (int ``cv``) and the reference model.
    progress : bool, optional
        Progress bar for the learning curve; ``None`` only on an interactive terminal.
    confidence : float, default=0.95
        Level of the intervals across folds ("significant" means the interval excludes 0).
    thresholds : dict, optional
        Override :data:`DEFAULT_THRESHOLDS` (keys ``gap_share_overfit=0.5``,
        ``gap_share_mild=0.35``, ``min_shortfall=0.1``, ``steep_gain=0.02``).

    Returns
    -------
    FitDiagnosis
        ``verdict``, ``reason``, ``next_steps``, the evidence in ``.frame`` and ``curve``.

    Raises
    ------
    DiagnosticInputError
        As :func:`learning_curve`, and for unknown ``thresholds`` keys or a bad ``reference``.

    See Also
    --------
    learning_curve, validation_curve

    Notes
    -----
    All quantities are read at the largest training size, per fold, with a Student-t interval
    across folds; *significant* means the interval excludes zero. With T, V, B, R the training,
    validation, baseline and reference (validation) scores, ``gap = T - V``, ``gap_share =
    gap / (T - B)`` and ``lift = V - B``. A *shortfall* of X below R counts when ``R - X`` is
    significant and larger than ``min_shortfall * (R - B)``. Rules, first match wins:

    1. **overfitting** if the gap is significant and ``gap_share > gap_share_overfit``: most
       of what the model learned on its training rows does not carry over to new rows.
    2. **underfitting** if even the training score T falls short of R: the model cannot fit
       its own training data as well as a flexible model predicts unseen data.
    3. **overfitting** if V falls short of R, the gap is significant and ``gap_share >
       gap_share_mild``: a milder gap that costs validation score.
    4. **inconclusive** if the lift over the baseline is not significant: nothing learnable
       was found (check the labels and features; with ``reference=None`` also rule 2 is off).
    5. **underfitting** if V falls short of R and T does not exceed R (the estimate; the
       shortfall of T itself need not be significant).
    6. **inconclusive** if V falls short of R and neither the gap nor T explains it.
    7. **data-limited** if the validation curve still gains at least ``steep_gain`` (0.02) per
       doubling of data, with an interval above 0: the model generalises and more data helps.
    8. **good fit** otherwise: better than the baseline, no large gap ("as good as the
       reference" is said only when the reference beats the baseline).

    The gain per doubling of data (:meth:`LearningCurveResult.data_gain`, the slope of a
    log-linear fit to the validation score over the last two doublings of the training size, the local form
    of a power-law learning curve) does not change the verdict; it decides whether the next
    steps recommend more data. Unlike a check of the train/test gap against a dummy baseline
    alone, the reference model separates "the model is too simple" from "the data hold no
    more signal", and the slope says whether collecting data would pay off.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from diagtools.fit import diagnose_fit
    >>> X, y = make_classification(600, flip_y=0.3, random_state=0)  # 30% noisy labels
    >>> diagnose_fit(DecisionTreeClassifier(random_state=0), X, y, cv=3).verdict
    'overfitting'
    """
    from sklearn.base import clone, is_classifier

    limits = check_thresholds(thresholds)
    estimator = check_model(model)
    check_numbers(confidence=confidence, n_jobs=n_jobs, random_state=random_state)
    X, y_arr = check_xy(X, y)
    check_scoring_arg(estimator, scoring)
    classification = is_classifier(estimator)
    ref_model = _reference_model(reference, X, classification=classification, random_state=random_state)
    splits = resolve_cv(cv, estimator, X, y_arr, random_state)

    def scores() -> tuple[np.ndarray, np.ndarray | None]:
        base = _cv_scores(_baseline(classification), X, y_arr, splits, scoring, n_jobs)
        ref = _cv_scores(clone(ref_model), X, y_arr, splits, scoring, n_jobs) if ref_model is not None else None
        return base, ref

    return diagnose_on_splits(
        estimator, X, y_arr, splits, scores=scores, train_sizes=train_sizes,
        scoring=scoring, n_jobs=n_jobs, random_state=random_state, progress=progress, confidence=confidence,
        thresholds=limits, reference_name=None if ref_model is None else type(ref_model).__name__,
    )


def reference_scores(
    X: Any, y: np.ndarray, splits: list[Any], *, classification: bool, scoring: Any = None,
    n_jobs: int | None = None, random_state: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Validation scores per fold of the trivial baseline and the default reference model.

    Used to diagnose many capacities of one model on the same splits without refitting them.
    """
    base = _cv_scores(_baseline(classification), X, y, splits, scoring, n_jobs)
    ref = _cv_scores(make_reference_model(X, classification=classification, random_state=random_state),
                     X, y, splits, scoring, n_jobs)
    return base, ref


def diagnose_on_splits(
    estimator: Any, X: Any, y_arr: np.ndarray, splits: list[Any], *,
    scores: Callable[[], tuple[np.ndarray, np.ndarray | None]], train_sizes: Any = DEFAULT_TRAIN_SIZES, scoring: Any = None,
    n_jobs: int | None = None, random_state: int | None = 0, progress: bool | None = None,
    confidence: float = 0.95, thresholds: dict[str, float] | None = None, reference_name: str | None = "reference",
) -> FitDiagnosis:
    """Diagnose ``estimator`` on resolved splits.

    ``scores()`` returns the baseline's and the reference's validation scores per fold; it is
    called after the learning curve, so a model that cannot fit fails before the extra fits.
    """
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    curve = learning_curve(
        estimator, X, y_arr, train_sizes=train_sizes, cv=splits, scoring=scoring, n_jobs=n_jobs,
        random_state=random_state, progress=progress, confidence=confidence,
    )
    last = curve.at_size().sort_values("fold")
    t = last["train_score"].to_numpy(float)
    v = last["validation_score"].to_numpy(float)
    b, r = scores()

    # intervals stay inside the score's range; a difference of two scores in [a, b] lies in [a - b, b - a]
    bounds = metric_bounds(curve.scoring)
    diff_b = difference_bounds(bounds)
    rows: dict[str, tuple[float, float, float, int]] = {
        "train_score": fold_interval(t, confidence, bounds),
        "validation_score": fold_interval(v, confidence, bounds),
        "baseline_score": fold_interval(b, confidence, bounds),
    }
    if r is not None:
        rows["reference_score"] = fold_interval(r, confidence, bounds)
    rows["gap"] = fold_interval(t - v, confidence, diff_b)
    learned = t - b
    share = rows["gap"][0] / learned.mean() if learned.mean() > 0 else np.nan
    share_ci = fold_interval((t - v) / learned, confidence) if np.all(learned > 0) else (np.nan,) * 3 + (len(t),)
    rows["gap_share"] = (share, share_ci[1], share_ci[2], len(t))
    rows["lift_over_baseline"] = fold_interval(v - b, confidence, diff_b)
    if r is not None:
        rows["reference_minus_validation"] = fold_interval(r - v, confidence, diff_b)
        rows["reference_minus_train"] = fold_interval(r - t, confidence, diff_b)
    gain = curve.data_gain()
    rows["gain_per_doubling"] = (gain["estimate"], gain["ci_low"], gain["ci_high"], int(gain["n"]))

    verdict, reason, flagged = _decide(rows, limits)
    steps = _next_steps(verdict, rows, curve.scoring)
    frame = evidence_frame(rows, flagged, _MEANINGS)
    params = {
        "scoring": curve.scoring, "cv": len(splits), "random_state": random_state, "confidence": confidence,
        "thresholds": limits, "reference": reference_name, "model": type(estimator).__name__,
    }
    return FitDiagnosis(frame=frame, params=params, n_samples=len(y_arr), verdict=verdict, reason=reason,
                        next_steps=steps, curve=curve)


def _significant(row: tuple[float, float, float, int] | None) -> bool:
    return row is not None and np.isfinite(row[1]) and row[1] > 0


def _decide(rows: dict[str, tuple[float, float, float, int]], limits: dict[str, float]) -> tuple[str, str, set[str]]:
    """Apply the documented rules in order; return verdict, reason and the evidence used."""
    gap_sig = _significant(rows["gap"])
    share = rows["gap_share"][0]
    has_ref = "reference_score" in rows
    ref_lift = rows["reference_score"][0] - rows["baseline_score"][0] if has_ref else np.nan
    floor = limits["min_shortfall"] * max(ref_lift, 0.0) if has_ref else np.inf

    def short(name: str) -> bool:
        return has_ref and _significant(rows[name]) and rows[name][0] > floor

    if gap_sig and share > limits["gap_share_overfit"]:
        return ("overfitting", f"Rule 1: the training-validation gap is significant and {percent(share, 0)} of what the model "
                f"learned on its training rows does not carry over (threshold {percent(limits['gap_share_overfit'], 0)}).",
                {"gap", "gap_share"})
    if short("reference_minus_train"):
        return ("underfitting", "Rule 2: even the training score is significantly below the validation score of a "
                "flexible reference model: the model is too simple for these data.",
                {"reference_minus_train", "train_score", "reference_score"})
    if short("reference_minus_validation") and gap_sig and share > limits["gap_share_mild"]:
        return ("overfitting", f"Rule 3: the validation score is significantly below the reference's and {percent(share, 0)} "
                f"of what was learned does not carry over (threshold {percent(limits['gap_share_mild'], 0)}).",
                {"gap", "gap_share", "reference_minus_validation"})
    if not _significant(rows["lift_over_baseline"]):
        return ("inconclusive", "Rule 4: the validation score is not significantly better than a trivial baseline, "
                "and no capacity problem explains it: the features may hold no learnable signal for this target.",
                {"lift_over_baseline", "baseline_score"})
    if short("reference_minus_validation"):
        if rows["reference_minus_train"][0] >= 0:
            return ("underfitting", "Rule 5: the validation score is significantly below the reference's and even the "
                    "training score does not reach the reference's validation score.",
                    {"reference_minus_validation", "reference_minus_train"})
        return ("inconclusive", "Rule 6: the validation score is below the reference's, but neither the gap nor the "
                "training score explains why.", {"reference_minus_validation"})
    gain = rows["gain_per_doubling"]
    if np.isfinite(gain[1]) and gain[1] > 0 and gain[0] >= limits.get("steep_gain", 0.02):
        return ("data-limited", f"Rule 7: better than the baseline without a large training-validation gap ({percent(share, 0)} of "
                f"what was learned does not carry over), but the validation score still rises {signed(gain[0])} per doubling "
                "of data: more data would help.", {"lift_over_baseline", "gap_share", "gain_per_doubling"})
    ref_ok = has_ref and rows["reference_score"][1] > rows["baseline_score"][0]
    tail = "."
    if ref_ok:
        tail = ", and as good as the reference model."
    elif has_ref:
        tail = " (the reference model is no better than the baseline here, so it says nothing about capacity)."
    return ("good fit", f"Rule 8: better than the baseline, and {percent(share, 0)} of what was learned does not carry over"
            + tail, {"lift_over_baseline", "gap_share"})


def _next_steps(verdict: str, rows: dict[str, tuple[float, float, float, int]], scoring: str) -> list[str]:
    gain, lo = rows["gain_per_doubling"][0], rows["gain_per_doubling"][1]
    helps = np.isfinite(lo) and lo > 0
    data = (f"More data would likely help: about {signed(gain)} {scoring} per doubling of data."
            if helps else "More data alone is unlikely to help much (the validation curve is flat at its end).")
    steps = {
        "overfitting": ["Regularise: limit depth or leaves, raise the minimum samples per leaf, use early "
                        "stopping or stronger L2, or drop noisy features.", data],
        "underfitting": ["Add capacity: deeper trees, more iterations or leaves, less regularisation, or a "
                         "more flexible model family.", "Engineer better features (interactions, encodings).", data],
        "good fit": [data, ("Beyond that, gains" if helps else "Gains") + " need better features or a better model "
                     "family; fine-tune around the current capacity with validation_curve."],
        "data-limited": [data, "Label more data first; tune capacity once the curve flattens."],
        "inconclusive": ["Check the labels and features first: is the target predictable from these columns "
                         "(leakage, label noise, wrong join)?", "Compare a few capacities with validation_curve.", data],
    }
    return steps[verdict]
