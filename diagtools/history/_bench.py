"""``bench``: evaluate and profile a model, then record the run in a History."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from diagtools._validation import check_fitted, check_not_empty, check_same_length, check_tabular
from diagtools.errors import DiagnosticInputError

__all__ = ["bench"]

DEFAULT_BATCH_SIZES = (1, 100)


def bench(
    model: Any,
    X: Any,
    y: Any,
    *,
    history: Any,
    name: str,
    tags: Sequence[str] = (),
    batch_sizes: Sequence[int] = DEFAULT_BATCH_SIZES,
    n_runs: int = 30,
    n_boot: int = 1000,
    metrics: Sequence[str] | None = None,
    model_path: str | os.PathLike[str] | None = None,
    git_commit: str | None = "auto",
    random_state: int = 0,
) -> Any:
    """Evaluate and profile ``model`` on ``X, y`` and record the run in ``history``.

    Metrics come from :func:`diagtools.metrics.evaluate_predictions` (with bootstrap
    intervals); latency from :func:`diagtools.latency.profile_latency` (raw samples per batch
    size). Per-row predictions are stored too, so a later run on the same data can be
    compared with a paired test.

    Parameters
    ----------
    model : estimator
        A fitted model with ``predict`` (and ``predict_proba`` when available).
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    history : History or str or path-like
        The store (or its path).
    name : str
        Series the run belongs to (``"main"``, a branch name, a variant).
    tags : sequence of str, default=()
    batch_sizes : sequence of int, default=(1, 100)
        Batch sizes to time ``predict`` at. Empty: skip latency.
    n_runs : int, default=30
        Timed calls per batch size.
    n_boot : int, default=1000
        Bootstrap resamples behind every interval.
    metrics : list of str, optional
        Metric names to keep (default: all that apply).
    model_path : str or path-like, optional
        The model file; its bytes give the model fingerprint (else the pickled model).
    git_commit : str or None, default="auto"
        ``"auto"`` asks git for the current commit.
    random_state : int, default=0

    Returns
    -------
    Run
        The stored run.

    Raises
    ------
    DiagnosticInputError
        When the model is unfitted, X and y differ in length, or a batch size is not positive.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.linear_model import LogisticRegression
    >>> from diagtools.datasets import make_loans
    >>> from diagtools.history import History, bench
    >>> df = make_loans(1000, random_state=0)
    >>> X = df[["income", "debt_to_income"]]; y = df["defaulted"]
    >>> hist = History(pathlib.Path(tempfile.mkdtemp()) / "bench.db")
    >>> run = bench(LogisticRegression().fit(X, y), X, y, history=hist, name="main", n_boot=100, n_runs=5)
    >>> run.name, "accuracy" in set(run.metrics["metric"])
    ('main', True)
    """
    from diagtools.history._fingerprint import data_fingerprint, model_fingerprint
    from diagtools.history._store import History

    check_fitted(model)
    X = check_tabular(X)
    check_not_empty(y, "y")
    check_same_length(y, X, name="y", ref_name="X")
    sizes = [int(b) for b in batch_sizes]
    if any(b <= 0 for b in sizes):
        raise DiagnosticInputError(f"batch_sizes must be positive integers, got {list(batch_sizes)}. Pass e.g. (1, 100).")
    if int(n_runs) < 3:
        raise DiagnosticInputError(f"n_runs must be at least 3, got {n_runs}. Pass e.g. n_runs=30.")
    hist = history if isinstance(history, History) else History(history)
    y_arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)

    from diagtools.metrics import evaluate_predictions

    y_pred = np.asarray(model.predict(X))
    y_score = None
    labels = None
    if hasattr(model, "predict_proba"):
        try:
            proba = np.asarray(model.predict_proba(X))
        except (AttributeError, NotImplementedError):
            proba = None
        if proba is not None and proba.ndim == 2:
            if proba.shape[1] == 2:
                y_score = proba[:, 1]
            else:
                y_score = proba
                labels = getattr(model, "classes_", None)
    kwargs: dict[str, Any] = {"y_pred": y_pred, "y_score": y_score, "metrics": metrics, "n_boot": n_boot,
                              "random_state": random_state}
    if labels is not None:
        kwargs["labels"] = labels
    evaluation = evaluate_predictions(y_arr, **kwargs)
    samples = _latency_samples(model, X, sizes, n_runs=int(n_runs), random_state=random_state) if sizes else None
    mfp = model_fingerprint(path=model_path) if model_path is not None else model_fingerprint(model)
    run_id = hist.record(
        name=name, metrics=evaluation, latency=samples, y=y_arr, y_pred=y_pred, y_score=y_score, tags=tags,
        model_fingerprint=mfp, data_fingerprint=data_fingerprint(X, y_arr), git_commit=git_commit,
        params={"model_class": type(model).__name__, "batch_sizes": sizes, "n_runs": int(n_runs),
                "model_name": str(evaluation.frame["model"].iloc[0]) if len(evaluation.frame) else "model"},
        n_boot=n_boot, random_state=random_state,
    )
    return hist.get(run_id)


def _latency_samples(model: Any, X: Any, batch_sizes: list[int], *, n_runs: int, random_state: int) -> pd.DataFrame:
    """Raw latency samples (``batch_size, run, latency_ms, cpu_ms``) from the latency profiler.

    At least ``n_runs`` timed calls per batch size (more while under 50 ms of timing, so fast
    models get enough samples for a stable median), at most 2 s per batch size.
    """
    from diagtools.latency import profile_latency

    result = profile_latency(
        model, X, batch_sizes=tuple(batch_sizes), min_runs=n_runs, min_time=0.05, max_time=2.0,
        n_boot=50, random_state=random_state,
    )
    return result.samples


def time_predict(model: Any, X: Any, batch_sizes: Sequence[int], *, n_runs: int = 30, random_state: int = 0) -> pd.DataFrame:
    """Time ``model.predict`` on random batches: the minimal profiler behind :func:`bench`.

    One untimed warm-up call per batch size, then ``n_runs`` timed calls.

    Parameters
    ----------
    model : estimator
    X : DataFrame or ndarray
    batch_sizes : sequence of int
    n_runs : int, default=30
    random_state : int, default=0

    Returns
    -------
    pandas.DataFrame
        Columns ``batch_size, run, latency_ms``.
    """
    rng = np.random.default_rng(random_state)
    n = len(X)
    rows = []
    for b in batch_sizes:
        for run in range(-1, n_runs):
            idx = rng.integers(0, n, size=b)
            batch = X.iloc[idx] if isinstance(X, pd.DataFrame) else X[idx]
            start = time.perf_counter()
            model.predict(batch)
            elapsed = (time.perf_counter() - start) * 1000.0
            if run >= 0:
                rows.append((int(b), run, elapsed))
    return pd.DataFrame(rows, columns=["batch_size", "run", "latency_ms"])
