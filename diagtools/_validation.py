"""Input checks. Every check raises ``DiagnosticInputError`` with one message template:
argument, what was expected, what was received, how to fix it."""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diagtools.errors import DiagnosticInputError

MSG_LENGTH = "{name} has {got} rows but {ref_name} has {want}. Pass {name} for the same rows, in the same order."
MSG_EMPTY = "{name} is empty (0 rows). Pass at least one row of data."
MSG_NAN = "{name} contains {count} missing value(s) (NaN/None), first at position {first}. Drop or impute those rows before diagnosing."
# {hint} is closest_hint(...): it ends the sentence itself ("; did you mean 'x'?" or ".").
MSG_COLUMN = "{name}: no column {column!r}{hint} Available columns: {available}."
MSG_UNFITTED = "model ({cls}) is not fitted. Fit it first (model.fit(X_train, y_train)) or pass a fitted model."
MSG_NO_PREDICT = "model ({cls}) has no predict method. Pass a fitted estimator with predict (and predict_proba for scores)."
MSG_TASK = "{name} looks like {got} but task={want!r} was requested. {fix}"
MSG_ONE_CLASS = "{name} holds a single class ({label!r}); classification metrics need at least two. Evaluate on data that contains every class."
MSG_OPTION = "{name} must be one of {options}, got {got!r}."
MSG_NOT_TABULAR = "{name} must be a pandas DataFrame or a 2-D array, got {got}. Convert it, e.g. pd.DataFrame(X)."

TASKS = ("classification", "regression")
MSG_DUPLICATE_COLUMNS = (
    "{name} has duplicate column names: {dups}. Each column needs its own name; rename or drop the "
    "duplicates, e.g. {name} = {name}.loc[:, ~{name}.columns.duplicated()]."
)
MSG_COLUMN_CLASH = (
    "{name}: column names {names} become the same text {text!r}. Rename the columns so their "
    "str() differs."
)


# -- numeric arguments ----------------------------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None,
              hint: str = "") -> int:
    """Return ``value`` as an int in ``[low, high]`` (either bound optional).

    Booleans are refused: ``n_boot=True`` is a slip, not a count.
    """
    ok = _is_int(value) and (low is None or value >= low) and (high is None or value <= high)
    if not ok:
        if low is not None and high is not None:
            span = f" in [{low}, {high}]"
        elif low is not None:
            span = f" >= {low}"
        elif high is not None:
            span = f" <= {high}"
        else:
            span = ""
        raise DiagnosticInputError(f"{name} must be an integer{span}, got {value!r}. {hint}".strip())
    return int(value)


def check_real(value: Any, name: str, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False, hint: str = "") -> float:
    """Return ``value`` as a finite float inside the given bounds (closed unless ``*_open``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    v = float(value) if ok else math.nan
    ok = ok and math.isfinite(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        parts = []
        if low is not None:
            parts.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            parts.append(f"{'<' if high_open else '<='} {high:g}")
        span = (" " + " and ".join(parts)) if parts else ""
        raise DiagnosticInputError(f"{name} must be a finite number{span}, got {value!r}. {hint}".strip())
    return v


def check_probability(value: Any, name: str, hint: str = "") -> float:
    """A level or rate strictly between 0 and 1 (``confidence``, ``alpha``)."""
    default = {"confidence": "confidence=0.95", "alpha": "alpha=0.05"}.get(name)
    hint = hint or (f"Pass e.g. {default}." if default else "")
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not ok or not 0.0 < float(value) < 1.0:  # NaN fails both comparisons
        raise DiagnosticInputError(f"{name} must be a number in (0, 1), got {value!r}. {hint}".strip())
    return float(value)


def check_n_boot(value: Any, name: str = "n_boot", *, low: int = 1) -> int:
    """Bootstrap resamples: an integer >= ``low`` (1, or 0 where 0 means point estimates only)."""
    return check_int(value, name, low=low, hint="Pass e.g. n_boot=200.")


def check_random_state(value: Any, name: str = "random_state", *, allow_none: bool = True) -> Any:
    """A seed: None, a non-negative int, or a numpy ``Generator`` / ``RandomState`` / ``SeedSequence``."""
    if value is None and allow_none:
        return value
    if isinstance(value, (np.random.Generator, np.random.RandomState, np.random.SeedSequence)):
        return value
    if _is_int(value) and value >= 0:
        return int(value)
    raise DiagnosticInputError(
        f"{name} must be a non-negative integer seed{' or None' if allow_none else ''}, got {value!r}. "
        f"Pass e.g. {name}=0."
    )


def check_n_jobs(value: Any, name: str = "n_jobs") -> int | None:
    """joblib's ``n_jobs``: None, a positive int, or a negative int (-1 = all cores); never 0."""
    if value is None:
        return None
    if not _is_int(value) or value == 0:
        raise DiagnosticInputError(
            f"{name} must be None, a positive integer or -1 (all cores), got {value!r}. Pass e.g. {name}=1."
        )
    return int(value)


# -- names: "did you mean" -------------------------------------------------------------------
def closest_hint(value: Any, options: Iterable[Any]) -> str:
    """End a "not found" sentence: ``"; did you mean 'x'?"`` for the closest option, else ``"."``.

    Every "no column / parameter / section / run named ..." message puts this right after the
    unknown name and starts its next sentence after it, so the sentence ends exactly once
    (never "did you mean 'income'?." nor a missing stop).

    Examples
    --------
    >>> f"no column 'Income'{closest_hint('Income', ['income', 'age'])} Available: ..."
    "no column 'Income'; did you mean 'income'? Available: ..."
    >>> f"no column 'zzz'{closest_hint('zzz', ['income'])} Available: ..."
    "no column 'zzz'. Available: ..."
    """
    close = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
    return f"; did you mean {close[0]!r}?" if close else "."


# -- column names ---------------------------------------------------------------------------
def column_label(col: Hashable) -> str:
    """The text a column is known by inside diagtools (tuples of a MultiIndex joined with '_')."""
    if isinstance(col, tuple):
        return "_".join(str(part) for part in col if str(part) != "")
    return str(col)


def check_unique_columns(data: pd.DataFrame, name: str) -> None:
    """Raise when ``data`` has two columns of the same name."""
    if data.columns.has_duplicates:
        dups = list(dict.fromkeys(data.columns[data.columns.duplicated()]))
        raise DiagnosticInputError(MSG_DUPLICATE_COLUMNS.format(name=name, dups=", ".join(repr(d) for d in dups)))


def string_columns(data: pd.DataFrame, name: str) -> tuple[pd.DataFrame, dict[str, Hashable]]:
    """Return ``data`` with text column names, and the map back to the user's names.

    Any hashable name works (ints, tuples, a MultiIndex, mixed): each becomes ``str(name)``,
    a tuple ``'_'.join(parts)``. Duplicate names, or names that collide once turned into text
    (``1`` and ``'1'``), raise a ``DiagnosticInputError`` naming them. A frame whose names are
    already unique strings is returned as is (no copy).
    """
    check_unique_columns(data, name)
    cols = list(data.columns)
    if all(type(c) is str for c in cols):
        return data, {c: c for c in cols}
    labels = [column_label(c) for c in cols]
    seen: dict[str, Hashable] = {}
    for col, text in zip(cols, labels):
        if text in seen:
            raise DiagnosticInputError(
                MSG_COLUMN_CLASH.format(name=name, names=f"{seen[text]!r} and {col!r}", text=text)
            )
        seen[text] = col
    out = data.copy(deep=False)
    out.columns = pd.Index(labels, dtype=object)
    return out, seen


def restore_names(values: Iterable[Any], mapping: dict[str, Hashable]) -> list[Any]:
    """Map text column names back to the user's names (unknown values pass through)."""
    return [mapping.get(v, v) if isinstance(v, str) else v for v in values]


def check_option(value: Any, options: Sequence[Any], name: str) -> Any:
    """Check that ``value`` is one of ``options`` and return it."""
    if value not in options:
        raise DiagnosticInputError(MSG_OPTION.format(name=name, options=tuple(options), got=value))
    return value


def check_not_empty(data: Any, name: str) -> None:
    """Raise when ``data`` has no rows."""
    if _n_rows(data) == 0:
        raise DiagnosticInputError(MSG_EMPTY.format(name=name))


def check_same_length(a: Any, b: Any, *, name: str, ref_name: str) -> None:
    """Raise when ``a`` and ``b`` differ in length."""
    na, nb = _n_rows(a), _n_rows(b)
    if na != nb:
        raise DiagnosticInputError(MSG_LENGTH.format(name=name, got=na, ref_name=ref_name, want=nb))


def check_no_nan(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D array, raising if any entry is missing."""
    arr = np.asarray(values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    missing = pd.isna(arr)
    if np.ndim(missing) and missing.any():
        flat = np.flatnonzero(np.ravel(missing))
        raise DiagnosticInputError(MSG_NAN.format(name=name, count=len(flat), first=int(flat[0])))
    return arr


def check_one_per_row(values: Any, name: str, *, like: Any, like_name: str, hint: str) -> np.ndarray:
    """Return ``values`` as a 1-D array as long as ``like``, without missing entries.

    Parameters
    ----------
    values : array-like
        Predictions or labels, one per row.
    name, like_name : str
        Argument names used in the message.
    like : array-like
        What ``values`` must match in length.
    hint : str
        What to pass instead when ``values`` has more than one column.
    """
    check_same_length(values, like, name=name, ref_name=like_name)
    arr = check_no_nan(values, name)
    if arr.ndim != 1:
        raise DiagnosticInputError(f"{name} must hold one value per row, got shape {arr.shape}. {hint}")
    return arr


def check_finite(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a float array, raising on NaN or infinity."""
    arr = check_no_nan(values, name)
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise DiagnosticInputError(
            f"{name} must be numeric, got values such as {arr[:3].tolist()!r}. Pass numeric values."
        ) from exc
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad.ravel())[0])
        raise DiagnosticInputError(
            f"{name} contains {int(bad.sum())} infinite value(s), first at position {first}. "
            "Clip or drop them before diagnosing."
        )
    return arr


def check_columns(data: pd.DataFrame, columns: Iterable[Any], *, name: str) -> list[Any]:
    """Check that every column exists, suggesting the closest name when one does not."""
    if not isinstance(data, pd.DataFrame):
        raise DiagnosticInputError(
            MSG_NOT_TABULAR.format(name=name, got=type(data).__name__) + " Column names need a DataFrame."
        )
    cols = list(columns)
    available = [str(c) for c in data.columns]
    for col in cols:
        if col not in data.columns:
            hint = closest_hint(col, available)
            shown = ", ".join(repr(c) for c in available[:20]) + (" ..." if len(available) > 20 else "")
            raise DiagnosticInputError(MSG_COLUMN.format(name=name, column=col, hint=hint, available=shown))
    return cols


def check_fitted(model: Any, name: str = "model") -> None:
    """Raise when ``model`` lacks ``predict`` or is an unfitted scikit-learn estimator."""
    if not hasattr(model, "predict"):
        raise DiagnosticInputError(MSG_NO_PREDICT.format(cls=type(model).__name__).replace("model", name, 1))
    try:
        from sklearn.base import BaseEstimator
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted
    except ImportError:  # pragma: no cover - scikit-learn is a hard dependency
        return
    if isinstance(model, BaseEstimator):
        try:
            check_is_fitted(model)
        except NotFittedError as exc:
            raise DiagnosticInputError(
                MSG_UNFITTED.format(cls=type(model).__name__).replace("model", name, 1)
            ) from exc
        except TypeError:
            return


def check_tabular(X: Any, name: str = "X") -> pd.DataFrame | np.ndarray:
    """Check that ``X`` is a non-empty DataFrame or 2-D array and return it."""
    if isinstance(X, pd.DataFrame):
        check_not_empty(X, name)
        return X
    if isinstance(X, (list, tuple, np.ndarray)):
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise DiagnosticInputError(MSG_NOT_TABULAR.format(name=name, got=f"an array of shape {arr.shape}"))
        check_not_empty(arr, name)
        return arr
    raise DiagnosticInputError(MSG_NOT_TABULAR.format(name=name, got=type(X).__name__))


def distinct(y: np.ndarray) -> np.ndarray:
    """``np.unique(y)``; for integers in a small range a ``bincount`` (no sort or hash of every value)."""
    if y.dtype.kind in "iu" and y.ndim == 1 and len(y):
        low, high = int(y.min()), int(y.max())
        if high - low < max(1_000_000, len(y) // 4):
            present = np.flatnonzero(np.bincount((y - low).astype(np.intp, copy=False)))
            return (present + low).astype(y.dtype)
    return np.unique(y)


def infer_task(y: np.ndarray) -> str:
    """Guess ``"classification"`` or ``"regression"`` from a target array."""
    if y.dtype.kind in "biuOSUb" or isinstance(y.dtype, pd.CategoricalDtype):
        if y.dtype.kind in "iu" and len(distinct(y)) > max(20, int(0.05 * len(y))):
            return "regression"
        return "classification"
    if y.dtype.kind == "f":
        uniq = np.unique(y)
        if len(uniq) <= 20 and np.all(uniq == np.round(uniq)):
            return "classification"
        return "regression"
    return "classification"


def check_task(y: np.ndarray, task: str | None, name: str = "y") -> str:
    """Resolve the task, raising when ``y`` clearly contradicts the requested one."""
    if task is None:
        return infer_task(y)
    check_option(task, TASKS, "task")
    if task == "classification" and y.dtype.kind == "f":
        uniq = np.unique(y)
        if len(uniq) > 20 or not np.all(uniq == np.round(uniq)):
            raise DiagnosticInputError(
                MSG_TASK.format(
                    name=name,
                    got=f"a continuous target ({len(uniq)} distinct values, e.g. {uniq[:3].tolist()})",
                    want=task,
                    fix="Use task='regression', or pass class labels.",
                )
            )
    if task == "regression" and y.dtype.kind in "OSUb":
        raise DiagnosticInputError(
            MSG_TASK.format(name=name, got=f"class labels (dtype {y.dtype})", want=task,
                            fix="Use task='classification', or pass a numeric target.")
        )
    return task


def check_two_classes(y: np.ndarray, name: str = "y") -> np.ndarray:
    """Return the sorted classes of ``y``, raising when there is only one."""
    classes = distinct(y)
    if len(classes) < 2:
        raise DiagnosticInputError(MSG_ONE_CLASS.format(name=name, label=classes[0] if len(classes) else None))
    return classes


def _n_rows(data: Any) -> int:
    if hasattr(data, "shape") and len(getattr(data, "shape", ())) > 0:
        return int(data.shape[0])
    return len(data)
