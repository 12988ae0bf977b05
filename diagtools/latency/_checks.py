"""Input checks shared by the latency functions (one message template: argument, expected,
received, fix)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from diagtools.errors import DiagnosticInputError

__all__ = ["check_batch_sizes", "check_method", "check_n_rows", "check_number", "check_threads", "check_time_budget",
           "take_rows"]


def check_n_rows(X: Any, name: str = "X") -> int:
    """Return the number of rows of ``X`` (DataFrame, array, list), raising when it has none."""
    try:
        n = len(X)
    except TypeError as exc:
        raise DiagnosticInputError(
            f"{name} must be a DataFrame, an array or a list of rows, got {type(X).__name__}. "
            "Pass the rows the model predicts on."
        ) from exc
    if n == 0:
        raise DiagnosticInputError(f"{name} is empty (0 rows). Pass at least one row of data.")
    return int(n)


def take_rows(X: Any, idx: Any) -> Any:
    """Rows ``idx`` (a slice or integer array) of a DataFrame, array or list."""
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if isinstance(idx, slice) or hasattr(X, "shape"):
        return X[idx]
    return [X[i] for i in idx]


def check_method(model: Any, method: str, name: str = "model") -> Callable[..., Any]:
    """Return ``model.<method>``, raising when the model does not have it."""
    if not isinstance(method, str):
        raise DiagnosticInputError(f"method must be a string such as 'predict', got {method!r}.")
    fn = getattr(model, method, None)
    if callable(getattr(model, "predict", None)):
        from diagtools._validation import check_fitted

        check_fitted(model, name)
    if not callable(fn):
        avail = [m for m in ("predict", "predict_proba", "decision_function", "transform")
                 if callable(getattr(model, m, None))]
        raise DiagnosticInputError(
            f"{name} ({type(model).__name__}) has no method {method!r}. "
            f"Pass method= one of {avail or ['predict']} or a fitted model that has it."
        )
    return fn


def check_batch_sizes(batch_sizes: Any, n_rows: int, name: str = "batch_sizes") -> tuple[int, ...]:
    """Return the batch sizes as a tuple of positive ints no larger than ``n_rows``."""
    if isinstance(batch_sizes, numbers.Integral):
        batch_sizes = (batch_sizes,)
    if not isinstance(batch_sizes, Sequence) or isinstance(batch_sizes, str) or not batch_sizes:
        raise DiagnosticInputError(
            f"{name} must be a non-empty sequence of positive integers, got {batch_sizes!r}. "
            "Pass e.g. batch_sizes=(1, 64)."
        )
    out = []
    for b in batch_sizes:
        if isinstance(b, bool) or not isinstance(b, numbers.Integral) or b < 1:
            raise DiagnosticInputError(
                f"{name} must hold positive integers, got {b!r}. Pass e.g. batch_sizes=(1, 64)."
            )
        if b > n_rows:
            raise DiagnosticInputError(
                f"{name}: batch size {int(b)} is larger than X ({n_rows} rows). "
                f"Pass more rows or batch sizes of at most {n_rows}."
            )
        out.append(int(b))
    return tuple(out)


def check_number(value: Any, name: str, *, low: float = 0.0, inclusive: bool = True,
                 integer: bool = False, high: float | None = None) -> Any:
    """Check a numeric option lies in range (``> low`` or ``>= low``; ``< high``)."""
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = value >= low if inclusive else value > low
        if high is not None:
            ok = ok and value < high
    if not ok:
        what = "an integer" if integer else "a number"
        rng = f"{'>=' if inclusive else '>'} {low:g}" + (f" and < {high:g}" if high is not None else "")
        raise DiagnosticInputError(f"{name} must be {what} {rng}, got {value!r}.")
    return value


def check_time_budget(min_time: float, max_time: float) -> None:
    """``min_time`` must fit inside ``max_time`` (a longer minimum could never be reached)."""
    if min_time > max_time:
        raise DiagnosticInputError(
            f"min_time={min_time:g} s is longer than max_time={max_time:g} s. Pass min_time <= max_time, "
            "e.g. min_time=0.2, max_time=2.0."
        )


def check_threads(threads: Any) -> int | None:
    """``threads`` is None (leave the BLAS/OpenMP pools alone) or a positive int."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise DiagnosticInputError(
            f"threads must be None or a positive integer, got {threads!r}. "
            "Pass threads=1 to time single-threaded BLAS/OpenMP, None to leave them as they are."
        )
    return int(threads)
