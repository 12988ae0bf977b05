"""Learning and validation curves on scikit-learn's cross-validation machinery.

The fits themselves are scikit-learn's (``sklearn.model_selection.learning_curve`` /
``validation_curve``), so the scores equal scikit-learn's for the same splits and the work is
spread by joblib (``n_jobs``; ``joblib.parallel_config(backend="dask")`` scales it out). What
diagtools adds: input checks with clear errors, one resolved set of splits shared by every
step, a tidy frame, intervals across folds and a progress bar for long sweeps.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from diagtools._validation import (
    check_n_jobs,
    check_probability,
    check_random_state,
    check_same_length,
    check_tabular,
    check_unique_columns,
    closest_hint,
)
from diagtools.errors import DiagnosticInputError
from diagtools.fit._result import LearningCurveResult, ValidationCurveResult

__all__ = ["learning_curve", "validation_curve"]

DEFAULT_TRAIN_SIZES = (0.1, 0.18, 0.32, 0.56, 1.0)  # log-spaced: even steps in doublings

MSG_NO_FIT = "model ({cls}) has no fit method. Pass an unfitted scikit-learn style estimator (with fit and predict)."
MSG_CLONE = "model ({cls}) cannot be cloned ({exc}). Pass a scikit-learn compatible estimator (get_params/set_params)."
MSG_FIT_FAILED = "model ({cls}) failed to fit on the cross-validation folds: {exc}. Check that X, y suit this model (categorical columns need an encoder, e.g. a Pipeline with OrdinalEncoder)."
MSG_TRAIN_SIZES = "train_sizes must be fractions in (0, 1] or row counts in [1, {n_max}] (the smallest training fold), got {got!r}. Pass e.g. train_sizes=(0.1, 0.5, 1.0)."
MSG_PARAM = "param_name: {cls} has no parameter {name!r}{hint} Parameters: {available}."
MSG_PARAM_RANGE = "param_range must hold at least 2 values to sweep, got {got!r}. Pass e.g. param_range=[1, 2, 4, 8]."
MSG_SCORING = "scoring {got!r} is not a scikit-learn scorer ({exc}). Pass a name such as 'accuracy', 'roc_auc' or 'r2', or a callable scorer."
MSG_CV = "cv must be an int >= 2, a scikit-learn splitter or an iterable of (train, test) index pairs, got {got!r}."


# -- shared input handling ------------------------------------------------------------------
def check_model(model: Any) -> Any:
    """Return an unfitted clone of ``model``, raising when it cannot be fitted or cloned."""
    from sklearn.base import clone

    if not hasattr(model, "fit"):
        raise DiagnosticInputError(MSG_NO_FIT.format(cls=type(model).__name__))
    try:
        return clone(model)
    except (TypeError, RuntimeError, AttributeError) as exc:
        raise DiagnosticInputError(MSG_CLONE.format(cls=type(model).__name__, exc=exc)) from exc


def check_numbers(*, confidence: Any, n_jobs: Any, random_state: Any) -> None:
    """Range checks of the numeric options shared by the curves and ``diagnose_fit``."""
    check_probability(confidence, "confidence")
    check_n_jobs(n_jobs)
    check_random_state(random_state)


def check_xy(X: Any, y: Any) -> tuple[Any, np.ndarray]:
    """Check ``X`` is tabular and ``y`` matches it; return ``(X, y)`` with ``y`` an array."""
    X = check_tabular(X, "X")
    if isinstance(X, pd.DataFrame):
        check_unique_columns(X, "X")
    y_arr = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame)) else y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = y_arr.ravel()
    check_same_length(y_arr, X, name="y", ref_name="X")
    if pd.isna(y_arr).any():
        raise DiagnosticInputError(
            f"y contains {int(pd.isna(y_arr).sum())} missing value(s). Drop those rows before diagnosing."
        )
    return X, y_arr


def resolve_cv(cv: Any, model: Any, X: Any, y: np.ndarray, random_state: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Turn ``cv`` into a concrete list of ``(train, test)`` splits, shared by every step.

    An int gives a *shuffled* ``StratifiedKFold`` (classifiers) or ``KFold`` seeded by
    ``random_state``: scikit-learn's unshuffled default would give sorted data biased folds.
    """
    from sklearn.base import is_classifier
    from sklearn.model_selection import KFold, StratifiedKFold

    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        if cv < 2:
            raise DiagnosticInputError(MSG_CV.format(got=cv))
        if cv > len(y):
            raise DiagnosticInputError(
                f"cv={int(cv)} asks for more folds than there are rows ({len(y)}). Pass e.g. cv=5."
            )
        klass = StratifiedKFold if is_classifier(model) else KFold
        splitter: Any = klass(n_splits=int(cv), shuffle=True, random_state=random_state)
    elif hasattr(cv, "split"):
        splitter = cv
    elif cv is not None and not isinstance(cv, (str, bytes)) and hasattr(cv, "__iter__"):
        splits = [(np.asarray(tr), np.asarray(te)) for tr, te in cv]
        if len(splits) < 2:
            raise DiagnosticInputError(MSG_CV.format(got=cv))
        return splits
    else:
        raise DiagnosticInputError(MSG_CV.format(got=cv))
    try:
        return [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y)]
    except ValueError as exc:  # e.g. fewer members of a class than folds
        raise DiagnosticInputError(f"cv could not split the data: {exc}. Use fewer folds or more rows.") from exc


def check_scoring_arg(model: Any, scoring: Any) -> tuple[Callable[..., float], str]:
    """Return the scorer and a readable name for it."""
    from sklearn.base import is_classifier
    from sklearn.metrics import check_scoring

    try:
        scorer = check_scoring(model, scoring=scoring)
    except (ValueError, TypeError) as exc:
        raise DiagnosticInputError(MSG_SCORING.format(got=scoring, exc=exc)) from exc
    if scoring is None:
        name = "accuracy" if is_classifier(model) else "r2"
    elif isinstance(scoring, str):
        name = scoring
    else:
        name = getattr(scoring, "__name__", type(scoring).__name__)
    return scorer, name


def resolve_train_sizes(train_sizes: Any, n_max: int) -> np.ndarray:
    """Check ``train_sizes`` and return absolute, sorted, unique row counts."""
    try:
        sizes = np.asarray(train_sizes, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DiagnosticInputError(MSG_TRAIN_SIZES.format(n_max=n_max, got=train_sizes)) from exc
    if sizes.size == 0 or not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
        raise DiagnosticInputError(MSG_TRAIN_SIZES.format(n_max=n_max, got=train_sizes))
    if np.asarray(train_sizes).dtype.kind == "f" and np.all(sizes <= 1.0):
        absolute = np.clip((sizes * n_max).astype(int), 1, n_max)  # scikit-learn's rounding
    elif np.any(sizes != np.round(sizes)) or np.any(sizes > n_max):
        raise DiagnosticInputError(MSG_TRAIN_SIZES.format(n_max=n_max, got=train_sizes))
    else:
        absolute = sizes.astype(int)
    return np.unique(absolute)


def check_param(model: Any, param_name: str, param_range: Any) -> list[Any]:
    """Check that ``param_name`` is a parameter of ``model`` and ``param_range`` sweepable."""
    params = model.get_params(deep=True)
    if param_name not in params:
        names = sorted(params)
        hint = closest_hint(param_name, names)
        shown = ", ".join(repr(n) for n in names[:15]) + (" ..." if len(names) > 15 else "")
        raise DiagnosticInputError(MSG_PARAM.format(cls=type(model).__name__, name=param_name, hint=hint, available=shown))
    values = list(param_range) if param_range is not None and not isinstance(param_range, (str, bytes)) else []
    if len(values) < 2:
        raise DiagnosticInputError(MSG_PARAM_RANGE.format(got=param_range))
    return values


@contextmanager
def translate_fit_errors(model: Any) -> Iterator[None]:
    """Re-raise a failure inside scikit-learn's fitting loop as ``DiagnosticInputError``."""
    try:
        yield
    except DiagnosticInputError:
        raise
    except (ValueError, TypeError, AttributeError) as exc:
        raise DiagnosticInputError(MSG_FIT_FAILED.format(cls=type(model).__name__, exc=exc)) from exc


def use_progress(progress: bool | None) -> bool:
    """``None`` means: a bar only on an interactive terminal (never in headless runs)."""
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


def _bar(total: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, leave=False)


def _prepare(model: Any, X: Any, y: Any, *, cv: Any, scoring: Any, confidence: Any, n_jobs: Any,
             random_state: Any, param: tuple[str, Any] | None = None) -> tuple[Any, Any, np.ndarray, str, list[Any], list[Any]]:
    """The checks both curves run: ``(estimator, X, y, scoring name, splits, swept values)``."""
    estimator = check_model(model)
    check_numbers(confidence=confidence, n_jobs=n_jobs, random_state=random_state)
    X, y_arr = check_xy(X, y)
    values = check_param(estimator, *param) if param is not None else []
    _, scoring_name = check_scoring_arg(estimator, scoring)
    splits = resolve_cv(cv, estimator, X, y_arr, random_state)
    return estimator, X, y_arr, scoring_name, splits, values


def _in_chunks(items: Any, call: Callable[[Any], Any], *, model: Any, progress: bool | None, desc: str) -> list[Any]:
    """``call`` on all ``items`` at once, or one item at a time behind a progress bar (same numbers)."""
    show = use_progress(progress)
    chunks = [items] if not show else [items[i : i + 1] for i in range(len(items))]
    out = []
    with translate_fit_errors(model), _bar(len(chunks) if show else 0, desc, show) as bar:
        for chunk in chunks:
            out.append(call(chunk))
            bar.update(1)
    return out


def _params(model: Any, scoring_name: str, splits: list[Any], **kwargs: Any) -> dict[str, Any]:
    return {"scoring": scoring_name, "cv": len(splits), "model": type(model).__name__, **kwargs}


# -- public functions -----------------------------------------------------------------------
def learning_curve(
    model: Any,
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    train_sizes: Sequence[float] | np.ndarray = DEFAULT_TRAIN_SIZES,
    cv: Any = 5,
    scoring: str | Callable[..., float] | None = None,
    n_jobs: int | None = None,
    random_state: int | None = 0,
    progress: bool | None = None,
    confidence: float = 0.95,
) -> LearningCurveResult:
    """Score a model on growing training sets: training and validation score per size and fold.

    Parameters
    ----------
    model : estimator
        An (unfitted) scikit-learn style estimator; it is cloned for every fit.
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    train_sizes : array-like, default=(0.1, 0.18, 0.32, 0.56, 1.0)
        Fractions in (0, 1] of the smallest training fold, or absolute row counts.
    cv : int, splitter or iterable of (train, test) pairs, default=5
        An int gives shuffled ``StratifiedKFold`` (classifiers) or ``KFold`` seeded with
        ``random_state``. The same splits serve every training size.
    scoring : str or callable, optional
        A scikit-learn scorer (greater is better); ``None`` uses ``model.score``
        (accuracy for classifiers, R² for regressors).
    n_jobs : int, optional
        Parallel fits through joblib (``-1`` for all cores).
    random_state : int or None, default=0
        Seeds the folds when ``cv`` is an int.
    progress : bool, optional
        Show a tqdm progress bar per training size; ``None`` shows one only on an
        interactive terminal.
    confidence : float, default=0.95
        Level of the intervals across folds in ``.frame``.

    Returns
    -------
    LearningCurveResult
        One row per training size x split in ``.frame`` (mean across folds with an interval),
        one row per training size x fold in ``.folds``.

    Raises
    ------
    DiagnosticInputError
        Bad ``X``/``y`` (length mismatch, missing labels), a model without ``fit`` or one that
        fails to fit, ``train_sizes`` out of range, unknown ``scoring`` or bad ``cv``.

    See Also
    --------
    validation_curve : The same over a hyper-parameter.
    diagnose_fit : A verdict (over- or underfitting) from the learning curve and baselines.

    Notes
    -----
    Intervals are Student-t intervals across folds, which are wide with few folds (t = 4.3
    for 3 folds). For tighter bands, pass a repeated splitter such as
    ``RepeatedStratifiedKFold(n_splits=3, n_repeats=3)``: every split becomes a fold.

    The fits run through ``sklearn.model_selection.learning_curve`` with ``shuffle=False``
    on the resolved splits, so ``train_score``/``validation_score`` equal scikit-learn's for
    the same splits. With a progress bar, scikit-learn is called once per training size
    (same numbers, one joblib dispatch per size).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from diagtools.fit import learning_curve
    >>> X, y = make_classification(300, random_state=0)
    >>> res = learning_curve(LogisticRegression(), X, y, train_sizes=[0.3, 1.0], cv=3)
    >>> list(res.frame.columns)
    ['train_size', 'split', 'estimate', 'ci_low', 'ci_high', 'n']
    >>> list(res.folds.columns)
    ['train_size', 'fold', 'train_score', 'validation_score', 'fit_time_s', 'score_time_s']
    """
    from sklearn.model_selection import learning_curve as sk_learning_curve

    estimator, X, y_arr, scoring_name, splits, _ = _prepare(
        model, X, y, cv=cv, scoring=scoring, confidence=confidence, n_jobs=n_jobs, random_state=random_state)
    sizes = resolve_train_sizes(train_sizes, min(len(tr) for tr, _ in splits))
    parts = _in_chunks(sizes, lambda chunk: sk_learning_curve(
        estimator, X, y_arr, train_sizes=chunk, cv=splits, scoring=scoring, n_jobs=n_jobs,
        shuffle=False, error_score="raise", return_times=True,
    ), model=model, progress=progress, desc="learning curve")
    got = np.concatenate([p[0] for p in parts])
    arrays = [np.vstack([p[i] for p in parts]).ravel() for i in range(1, 5)]
    k = len(splits)
    folds = pd.DataFrame(dict(zip(
        ("train_size", "fold", "train_score", "validation_score", "fit_time_s", "score_time_s"),
        (np.repeat(got, k).astype(int), np.tile(np.arange(k), len(got)), *arrays), strict=True)))
    params = _params(model, scoring_name, splits, random_state=random_state, confidence=confidence, n_jobs=n_jobs)
    return LearningCurveResult.from_folds(folds, params, len(y_arr))


def validation_curve(
    model: Any,
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    param_name: str,
    param_range: Sequence[Any],
    cv: Any = 5,
    scoring: str | Callable[..., float] | None = None,
    n_jobs: int | None = None,
    random_state: int | None = 0,
    progress: bool | None = None,
    confidence: float = 0.95,
) -> ValidationCurveResult:
    """Score a model over a hyper-parameter (a capacity sweep): training and validation scores.

    Parameters
    ----------
    model : estimator
        An (unfitted) scikit-learn style estimator; it is cloned for every fit.
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    param_name : str
        A parameter of ``model`` (``"max_depth"``, or ``"model__max_depth"`` in a Pipeline).
    param_range : sequence
        Values to try (at least two; ``None`` is allowed, e.g. an unlimited depth).
    cv : int, splitter or iterable of (train, test) pairs, default=5
        As in :func:`learning_curve`.
    scoring : str or callable, optional
        A scikit-learn scorer (greater is better); ``None`` uses ``model.score``.
    n_jobs : int, optional
        Parallel fits through joblib.
    random_state : int or None, default=0
        Seeds the folds when ``cv`` is an int.
    progress : bool, optional
        Progress bar per value; ``None`` shows one only on an interactive terminal.
    confidence : float, default=0.95
        Level of the intervals across folds.

    Returns
    -------
    ValidationCurveResult
        One row per value x split in ``.frame``, per value x fold in ``.folds``; the best
        value in ``.best_value``.

    Raises
    ------
    DiagnosticInputError
        Unknown ``param_name`` (with the closest name), fewer than two values, or the
        errors of :func:`learning_curve`.

    See Also
    --------
    learning_curve, diagnose_fit

    Notes
    -----
    Runs ``sklearn.model_selection.validation_curve`` on the resolved splits, so the scores
    equal scikit-learn's. The best value has the highest mean validation score; ties go to
    the first (listed) value, so list simpler models first.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from diagtools.fit import validation_curve
    >>> X, y = make_classification(300, random_state=0)
    >>> res = validation_curve(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth",
    ...                        param_range=[1, 3, None], cv=3)
    >>> res.folds["param_label"].unique().tolist()
    ['1', '3', 'None']
    """
    from sklearn.model_selection import validation_curve as sk_validation_curve

    estimator, X, y_arr, scoring_name, splits, values = _prepare(
        model, X, y, cv=cv, scoring=scoring, confidence=confidence, n_jobs=n_jobs, random_state=random_state,
        param=(param_name, param_range))
    parts = _in_chunks(values, lambda chunk: sk_validation_curve(
        estimator, X, y_arr, param_name=param_name, param_range=chunk, cv=splits,
        scoring=scoring, n_jobs=n_jobs, error_score="raise",
    ), model=model, progress=progress, desc="validation curve")
    k = len(splits)
    numeric = [float(v) if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) else np.nan
               for v in values]
    folds = pd.DataFrame(
        {
            "param_label": np.repeat([str(v) for v in values], k),
            "param_value": np.repeat(numeric, k),
            "fold": np.tile(np.arange(k), len(values)),
            "train_score": np.vstack([p[0] for p in parts]).ravel(),
            "validation_score": np.vstack([p[1] for p in parts]).ravel(),
        }
    )
    params = _params(model, scoring_name, splits, param_name=param_name, random_state=random_state,
                     confidence=confidence, n_jobs=n_jobs)
    return ValidationCurveResult.from_folds(folds, params, len(y_arr))
