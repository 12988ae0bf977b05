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
    cpu_hour_price: float | None = None,
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
    cpu_hour_price : float, optional
        Price of one CPU-hour, for the estimated cost per million predictions.
    random_state : int, default=0

    Returns
    -------
    Run
        The stored run; ``run.params["cost"]`` holds the cost of a prediction per batch size
        (CPU-seconds per 1,000, peak MB, joules per 1,000 or NaN, cost per million).

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

    evaluation, y_pred, y_score = _evaluate(model, X, y_arr, metrics=metrics, n_boot=n_boot, random_state=random_state)
    profile = _latency_profile(model, X, sizes, n_runs=int(n_runs), cpu_hour_price=cpu_hour_price,
                               random_state=random_state) if sizes else None
    samples = profile.samples if profile is not None else None
    mfp = model_fingerprint(path=model_path) if model_path is not None else model_fingerprint(model)
    run_id = hist.record(
        name=name, metrics=evaluation, latency=samples, y=y_arr, y_pred=y_pred, y_score=y_score, tags=tags,
        model_fingerprint=mfp, data_fingerprint=data_fingerprint(X, y_arr), git_commit=git_commit,
        params={"model_class": type(model).__name__, "batch_sizes": sizes, "n_runs": int(n_runs),
                "model_name": str(evaluation.frame["model"].iloc[0]) if len(evaluation.frame) else "model",
                **(_cost_params(profile, cpu_hour_price) if profile is not None else {})},
        n_boot=n_boot, random_state=random_state,
    )
    return hist.get(run_id)


def _evaluate(model: Any, X: Any, y_arr: np.ndarray, *, metrics: Sequence[str] | None, n_boot: int,
              random_state: int) -> tuple[Any, np.ndarray, np.ndarray | None]:
    """Metrics with intervals, and the per-row predictions and scores they came from."""
    from diagtools.metrics import evaluate_predictions
    from diagtools.models import adapt_model

    ad = adapt_model(model, y=y_arr)
    y_pred = ad.predict(X)
    y_score = None
    labels = None
    if ad.is_classifier and ad.score_method == "predict_proba":
        try:
            proba = ad.probabilities(X)
        except (AttributeError, NotImplementedError):
            proba = None
        if proba is not None and proba.ndim == 2:
            labels = ad.classes if ad.classes is not None and len(ad.classes) == proba.shape[1] else None
            y_score = proba[:, 1] if proba.shape[1] == 2 else proba
    kwargs: dict[str, Any] = {"y_pred": y_pred, "y_score": y_score, "metrics": metrics, "n_boot": n_boot,
                              "random_state": random_state}
    if labels is not None:
        kwargs["labels"] = labels
    return evaluate_predictions(y_arr, **kwargs), y_pred, y_score


def _latency_profile(model: Any, X: Any, batch_sizes: list[int], *, n_runs: int, cpu_hour_price: float | None,
                     random_state: int) -> Any:
    """The latency profile behind a run: raw samples (``batch_size, run, latency_ms, cpu_ms``) and cost.

    At least ``n_runs`` timed calls per batch size (more while under 50 ms of timing, so fast
    models get enough samples for a stable median), at most 2 s per batch size.
    """
    from diagtools.latency import profile_latency

    return profile_latency(
        model, X, batch_sizes=tuple(batch_sizes), min_runs=n_runs, min_time=0.05, max_time=2.0,
        n_boot=50, cpu_hour_price=cpu_hour_price, random_state=random_state,
    )


def _cost_params(profile: Any, cpu_hour_price: float | None) -> dict[str, Any]:
    """The cost of a prediction per batch size, as stored in a run's params."""
    frame = profile.frame
    stats = ["cpu_s_per_1k", "peak_mb", "energy_j_per_1k", "cost_per_million"]
    wide = frame[frame["statistic"].isin(stats)].pivot(index="batch_size", columns="statistic", values="estimate")
    rows = []
    for b, r in wide.iterrows():
        rows.append({"batch_size": int(b), **{k: (float(r[k]) if k in r and np.isfinite(r[k]) else None) for k in stats}})
    return {"cost": rows, "energy_note": profile.energy_note, "cpu_hour_price": cpu_hour_price}


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


def bench_pair(
    history: Any,
    baseline: Any,
    candidate: Any,
    X: Any,
    y: Any = None,
    *,
    baseline_name: str = "baseline",
    name: str = "candidate",
    tags: Sequence[str] = (),
    batch_sizes: Sequence[int] = DEFAULT_BATCH_SIZES,
    n_processes: int = 4,
    n_blocks: int = 10,
    latency_tolerance: float = 0.05,
    metric_tolerance: float = 0.01,
    alpha: float = 0.05,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    cpu_hour_price: float | None = None,
    n_boot: int = 1000,
    load_kwargs: dict[str, Any] | None = None,
    git_commit: str | None = "auto",
    record: bool = True,
    pool: Any = None,
    progress: bool = False,
    random_state: int = 0,
) -> Any:
    """Implementation of :meth:`History.compare_models` (see there)."""
    from dataclasses import replace

    from diagtools.history._compare import COMPARISON_COLUMNS, compare_runs
    from diagtools.history._fingerprint import data_fingerprint, environment_fingerprint, model_fingerprint
    from diagtools.history._measure import paired_latency
    from diagtools.history._store import Run

    X = check_tabular(X)
    sizes = [int(b) for b in batch_sizes]
    paired = paired_latency(
        baseline, candidate, X, batch_sizes=sizes, n_processes=n_processes, n_blocks=n_blocks,
        tolerance=latency_tolerance, confidence=confidence, cpu_hour_price=cpu_hour_price, load_kwargs=load_kwargs,
        pool=pool, progress=progress, random_state=random_state,
    ) if sizes else None
    y_arr = None
    if y is not None:
        check_not_empty(y, "y")
        check_same_length(y, X, name="y", ref_name="X")
        y_arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    runs = []
    env = environment_fingerprint()
    dfp = data_fingerprint(X, y_arr)
    for side, model, series in (("baseline", baseline, baseline_name), ("candidate", candidate, name)):
        path = os.fspath(model) if isinstance(model, (str, os.PathLike)) else None
        if path is not None:
            from diagtools.io import load_model

            model = load_model(path, **dict(load_kwargs or {}))
        evaluation = y_pred = y_score = None
        if y_arr is not None:
            check_fitted(model)
            evaluation, y_pred, y_score = _evaluate(model, X, y_arr, metrics=metrics, n_boot=n_boot,
                                                    random_state=random_state)
        samples = None
        params: dict[str, Any] = {"model_class": type(model).__name__, "batch_sizes": sizes, "paired": side}
        if paired is not None:
            samples = paired.samples[paired.samples["model"] == side].drop(columns="model")
            cost = paired.cost[paired.cost["model"] == side].drop(columns="model")
            params.update({"cost": cost.to_dict(orient="records"), "energy_note": paired.energy_note,
                           "cpu_hour_price": cpu_hour_price, "n_processes": n_processes, "n_blocks": n_blocks})
        if evaluation is not None and len(evaluation.frame):
            params["model_name"] = str(evaluation.frame["model"].iloc[0])
        mfp = model_fingerprint(path=path) if path is not None else model_fingerprint(model)
        kwargs = {"name": series, "metrics": evaluation, "latency": samples, "y": y_arr, "y_pred": y_pred,
                  "y_score": y_score, "tags": [*tags, f"paired-{side}"], "model_fingerprint": mfp,
                  "data_fingerprint": dfp, "git_commit": git_commit, "environment": env, "params": params,
                  "n_boot": n_boot, "random_state": random_state}
        if record:
            hist = history
            runs.append(hist.get(hist.record(**kwargs)))
        else:
            runs.append(_unrecorded_run(Run, kwargs))
    comparison = compare_runs(runs[0], runs[1], metric_tolerance=metric_tolerance,
                              latency_tolerance=latency_tolerance, alpha=alpha, metrics=metrics, n_boot=n_boot,
                              confidence=confidence, random_state=random_state)
    frame = comparison.frame[comparison.frame["kind"] != "latency"]
    if paired is not None:
        # paired rows have a ratio and no difference: reindex gives them the NaN difference columns
        lat = paired.frame.assign(kind="latency", batch_size=paired.frame["batch_size"].astype(float))
        lat = lat.reindex(columns=COMPARISON_COLUMNS)
        frame = pd.concat([frame, lat], ignore_index=True) if len(frame) else lat
    frame = frame.reset_index(drop=True)
    frame["regressed"] = frame["regressed"].astype(bool)
    return replace(comparison, frame=frame, regressed=bool(frame["regressed"].any()), latency_detail=paired,
                   params={**comparison.params, "latency_method": "paired_blocks"})


def _unrecorded_run(run_type: Any, kw: dict[str, Any]) -> Any:
    """A Run built in memory (``record=False``), shaped like one read back from a history."""
    import datetime as _dt

    metrics = kw["metrics"].frame if kw["metrics"] is not None else pd.DataFrame(
        columns=["model", "metric", "estimate", "ci_low", "ci_high", "n"])
    if "model" not in metrics.columns:
        metrics = metrics.assign(model="model")
    samples = {}
    if kw["latency"] is not None:
        samples = {int(b): g["latency_ms"].to_numpy(float) for b, g in kw["latency"].groupby("batch_size")}
    return run_type(
        run_id=0, name=kw["name"], created_at=_dt.datetime.now(_dt.UTC).isoformat(), tags=list(kw["tags"]),
        model_fingerprint=kw["model_fingerprint"], data_fingerprint=kw["data_fingerprint"],
        git_commit=None, environment=kw["environment"], params=kw["params"],
        n_samples=len(kw["y"]) if kw["y"] is not None else 0,
        metrics=metrics[["model", "metric", "estimate", "ci_low", "ci_high", "n"]], samples=samples,
        y_true=kw["y"], y_pred=kw["y_pred"], y_score=kw["y_score"],
    )
