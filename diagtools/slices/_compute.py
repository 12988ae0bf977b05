"""``slice_metrics``, ``slice_stats`` and ``metrics_from_stats``: per-slice metrics with tests."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from diagtools._stats import benjamini_hochberg
from diagtools.errors import DiagnosticInputError
from diagtools.slices import _inputs as I
from diagtools.slices._metrics import (
    DEFAULT_METRICS,
    NONE,
    MetricDef,
    classification_metrics,
    evaluate_metric,
    regression_metrics,
    worse_sign,
)
from diagtools.slices._result import FRAME_COLUMNS, OVERALL_COLUMNS, SliceResult
from diagtools.slices._sufficient import SliceStats, encode_targets, slice_stats_arrays


def slice_stats(
    y_true: Any,
    y_pred: Any,
    data: pd.DataFrame,
    *,
    by: list[str] | None = None,
    bins: int | dict[str, Any] = 5,
    crosses: int = 2,
    task: str | None = None,
    labels: list[Any] | None = None,
) -> SliceStats:
    """Count the sufficient statistics of every slice in one pass over the rows.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels (or values, for regression).
    data : DataFrame of shape (n_samples, n_columns)
        The columns to slice by.
    by : list of str, optional
        Slicing columns; every column of ``data`` by default.
    bins : int or dict, default=5
        Quantile bins of numeric columns; a dict gives per column a number of bins or cut
        points. Pass ``bins=first_chunk.bins`` so every chunk is cut alike.
    crosses : int, default=2
        Largest number of columns crossed (1: single columns only).
    task : {"classification", "regression"}, optional
        Inferred from ``y_true`` by default.
    labels : list, optional
        All class labels, so chunks that miss a class still line up.

    Returns
    -------
    SliceStats
        Add chunks with ``a.merge(b)`` (or ``a + b``); turn into a result with
        :func:`metrics_from_stats`.

    Examples
    --------
    >>> import numpy as np
    >>> from diagtools.datasets import load_loans
    >>> df = load_loans("current")
    >>> y = df["defaulted"].to_numpy()
    >>> a = slice_stats(y[:5000], y[:5000], df[:5000], by=["region", "income"])
    >>> b = slice_stats(y[5000:], y[5000:], df[5000:], by=["region", "income"], bins=a.bins)
    >>> (a + b).n_samples
    10000
    """
    data = I.check_frame(data, "data")
    columns = I.resolve_columns(data, by)
    y_t, y_p = I.predictions(None, data, y_true, y_pred)
    task = I.check_task(y_t, y_p, task)
    bins = I.check_bins(bins, columns)
    crosses = I.check_int(crosses, "crosses", 1, 3, "Pass 1 (single columns), 2 (pairs) or 3.")
    target, labs, n_cells = encode_targets(y_t, y_p, task, labels)
    return slice_stats_arrays(data, columns, target, task, labs, n_cells, bins=bins, crosses=crosses,
                              drop_wide=by is None)


def _metric_defs(stats: SliceStats, metrics: Any) -> list[MetricDef]:
    if stats.task == "regression":
        available, kind = regression_metrics(), "regression"
    else:
        k = len(stats.labels)
        available, kind = classification_metrics(k), ("binary" if k == 2 else "multiclass")
    if metrics is None:
        names = list(DEFAULT_METRICS[kind])
    else:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in names if m not in available]
        if unknown or not names:
            raise DiagnosticInputError(
                f"metrics: {unknown or names!r} not available for this {kind} task. Available: {sorted(available)}."
            )
    return [available[m] for m in names]


def metrics_from_stats(
    stats: SliceStats,
    *,
    metrics: list[str] | str | None = None,
    min_size: int = 30,
    n_boot: int = 200,
    confidence: float = 0.95,
    alpha: float = 0.05,
    random_state: int = 0,
) -> SliceResult:
    """Turn sufficient statistics into per-slice metrics, intervals, tests and q-values.

    Parameters
    ----------
    stats : SliceStats
        From :func:`slice_stats` (possibly merged from chunks).
    metrics : list of str, optional
        Binary classification: ``accuracy, error_rate, precision, recall, f1, selection_rate,
        fpr, fnr, balanced_accuracy`` (default the first five); multiclass: ``accuracy,
        error_rate, balanced_accuracy``; regression: ``mae, rmse, bias``.
    min_size : int, default=30
        Slices with fewer rows are left out (not shown, not tested).
    n_boot : int, default=200
        Resamples for F1 and balanced accuracy (the others have analytic intervals).
    confidence : float, default=0.95
    alpha : float, default=0.05
        False discovery rate of the flagged slices.
    random_state : int, default=0

    Returns
    -------
    SliceResult
    """
    defs = _metric_defs(stats, metrics)
    min_size = I.check_int(min_size, "min_size", 1, hint="Pass e.g. min_size=30.")
    n_boot = I.check_int(n_boot, "n_boot", 1, hint="Pass e.g. n_boot=200.")
    confidence = I.check_fraction(confidence, "confidence", "Pass e.g. confidence=0.95.")
    alpha = I.check_fraction(alpha, "alpha", "Pass e.g. alpha=0.05.")
    rng = np.random.default_rng(random_state)

    labels, preds, feats, orders, cells, sizes = [], [], [], [], [], []
    n_small = 0
    for feat, table in stats.tables.items():
        flat = table.reshape(-1, table.shape[-1])
        n = flat[:, 0] if stats.task == "regression" else flat.sum(axis=1)
        level_labels = [stats.encodings[c].labels() for c in feat]
        level_preds = [stats.encodings[c].predicates() for c in feat]
        idx = np.flatnonzero(n >= min_size)
        n_small += int(((n > 0) & (n < min_size)).sum())
        for g in idx:
            pos = np.unravel_index(g, table.shape[:-1])
            labels.append(" & ".join(level_labels[j][p] for j, p in enumerate(pos)))
            preds.append([level_preds[j][p] for j, p in enumerate(pos)])
        feats += [" & ".join(feat)] * len(idx)
        orders += [len(feat)] * len(idx)
        cells.append(flat[idx])
        sizes.append(n[idx])
    n_cells = stats.total.shape[0]
    G = np.vstack(cells) if cells else np.zeros((0, n_cells))
    sizes_arr = np.concatenate(sizes) if sizes else np.zeros(0)

    blocks, overall = [], []
    for m in defs:
        r = evaluate_metric(m, G.astype(float), stats.total.astype(float), n_boot=n_boot, confidence=confidence, rng=rng)
        note = np.where(np.isfinite(r["estimate"]), "", f"undefined: {m.undefined}")
        blocks.append(pd.DataFrame({
            "slice": labels, "feature": feats, "order": orders, "metric": m.name, "n": sizes_arr.astype(int),
            **{k: r[k] for k in ("estimate", "ci_low", "ci_high", "reference_estimate", "difference",
                                 "difference_ci_low", "difference_ci_high", "p_value")},
            "note": note,
        }))
        o = evaluate_metric(m, stats.total[None, :].astype(float), stats.total.astype(float) * 2,
                            n_boot=n_boot, confidence=confidence, rng=rng)
        overall.append({"metric": m.name, "estimate": float(o["estimate"][0]), "ci_low": float(o["ci_low"][0]),
                        "ci_high": float(o["ci_high"][0]), "n": stats.n_samples})
    frame = pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame(columns=FRAME_COLUMNS)
    frame["q_value"] = benjamini_hochberg(frame["p_value"].to_numpy(dtype=float))
    better = {m.name: m.better for m in defs}
    sign = frame["metric"].map(worse_sign).astype(float)
    frame["worse"] = (frame["q_value"] < alpha) & (frame["difference"] * sign > 0)
    primary = next((m for m in defs if m.better != NONE), defs[0])
    frame["reported"] = _dedupe(frame, primary, G, preds, stats.total, alpha, n_boot, confidence, rng)
    frame = frame[FRAME_COLUMNS]
    definitions = {lab: p for lab, p in zip(labels, preds, strict=True)}
    params = {
        "columns": list(stats.encodings), "metrics": [m.name for m in defs], "primary_metric": primary.name,
        "better": better, "min_size": min_size, "n_boot": n_boot, "confidence": confidence, "alpha": alpha,
        "random_state": random_state, "task": stats.task, "labels": [str(v) for v in stats.labels],
        "crosses": max((len(f) for f in stats.tables), default=1), "slices_below_min_size": n_small,
        "bins": stats.bins,
    }
    return SliceResult(frame=frame, params=params, n_samples=stats.n_samples,
                       overall=pd.DataFrame(overall, columns=OVERALL_COLUMNS), definitions=definitions)


def _dedupe(
    frame: pd.DataFrame, m: MetricDef, G: np.ndarray, preds: list[list[Any]], total: np.ndarray,
    alpha: float, n_boot: int, confidence: float, rng: np.random.Generator,
) -> np.ndarray:
    """Mark the slices to report: significantly worse on the primary metric, without near-duplicates.

    Candidates go most significant first. One nested in a reported slice is kept only when it
    is significantly worse than the rest of that parent; one containing a reported slice only
    when what is left of it after removing that slice is still significantly worse than the rows
    outside it.
    """
    reported = np.zeros(len(frame), dtype=bool)
    rows = frame.index[(frame["metric"] == m.name) & frame["worse"]]
    if len(rows) == 0:
        return reported
    offset = int(frame.index[frame["metric"] == m.name][0])
    sub = frame.loc[rows]
    order = sub.assign(_e=-(sub["difference"].abs() * sub["n"])).sort_values(["p_value", "_e"], kind="stable").index
    keys = [frozenset(map(str, p)) for p in preds]
    kept: list[int] = []
    sign = worse_sign(m.name) or 1.0
    for row in order:
        g = int(row) - offset
        ok = True
        for h in kept:
            if keys[h] < keys[g]:  # g is nested in reported h
                ok = _worse(m, G[g], G[h] - G[g], sign, alpha, n_boot, confidence, rng)
            elif keys[g] < keys[h]:  # g contains reported h
                ok = _worse(m, G[g] - G[h], total - G[g], sign, alpha, n_boot, confidence, rng)
            if not ok:
                break
        if ok:
            kept.append(g)
            reported[row] = True
    return reported


def _worse(m: MetricDef, a: np.ndarray, b: np.ndarray, sign: float, alpha: float, n_boot: int,
           confidence: float, rng: np.random.Generator) -> bool:
    """Whether rows with cells ``a`` are significantly worse than rows with cells ``b``."""
    r = evaluate_metric(m, a[None, :].astype(float), (a + b).astype(float), n_boot=n_boot, confidence=confidence, rng=rng)
    d, p = float(r["difference"][0]), float(r["p_value"][0])
    return bool(np.isfinite(p) and p < alpha and d * sign > 0)


def slice_metrics(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    y_pred: Any = None,
    by: list[str] | str | None = None,
    metrics: list[str] | str | None = None,
    bins: int | dict[str, Any] = 5,
    crosses: int = 2,
    min_size: int = 30,
    n_boot: int = 200,
    confidence: float = 0.95,
    alpha: float = 0.05,
    task: str | None = None,
    random_state: int = 0,
    chunk_rows: int = 250_000,
    progress: bool | None = None,
) -> SliceResult:
    """Compute metrics per slice (each column and crosses of columns), tested against the rest.

    Parameters
    ----------
    model : fitted model or None
        Anything with ``predict``; ``None`` when ``y_pred`` is given.
    X : DataFrame of shape (n_samples, n_columns), dask DataFrame, or str / path
        The model's input (and the columns to slice by). For data larger than memory: a dask
        DataFrame or a parquet / CSV file, folder or glob; then ``y`` and ``y_pred`` name
        columns, ``by`` is required, and a model is applied chunk by chunk (on every column
        but ``y``). See Notes.
    y : array-like of shape (n_samples,), or str
        True targets (the column name for a dask DataFrame or files).
    y_pred : array-like of shape (n_samples,), or str, optional
        Predictions, for a model that is not in Python (then ``model`` may be ``None``).
    by : list of str, optional
        Columns to slice by; every column of ``X`` by default. Numeric columns with more
        than 10 values are cut into ``bins`` quantile bins; missing values form a slice.
        Datetimes are cut on day boundaries (on the minute when they span under three days;
        time-zone-aware ones in UTC) and labelled with dates, timedeltas in readable units,
        bools are categories. Column names may be any hashable (ints, tuples, a MultiIndex):
        slices name them as text, ``str(name)`` or a tuple joined with ``"_"``.
    metrics : list of str, optional
        See :func:`metrics_from_stats`.
    bins : int or dict, default=5
        Quantile bins per numeric column, or per column a number of bins or cut points.
    crosses : int, default=2
        Cross up to this many columns (2: each column and every pair).
    min_size : int, default=30
        Slices with fewer rows are left out.
    n_boot : int, default=200
        Resamples for the bootstrapped metrics (F1, balanced accuracy).
    confidence : float, default=0.95
    alpha : float, default=0.05
        False discovery rate (Benjamini-Hochberg over every slice x metric tested).
    task : {"classification", "regression"}, optional
    random_state : int, default=0
    chunk_rows : int, default=250_000
        Rows per chunk when reading files.
    progress : bool, optional
        Progress bar over the chunks (dask's on a cluster); files and dask only, on by default.

    Returns
    -------
    SliceResult

    Raises
    ------
    DiagnosticInputError
        On a missing column, mismatched lengths, missing targets, unknown metrics.

    See Also
    --------
    find_slices : search for failing slices over conjunctions of many columns.

    Notes
    -----
    Everything comes from per-slice sufficient statistics counted in one pass
    (:func:`slice_stats`); the rest of the data is the total minus the slice. Proportions get
    Wilson intervals and a two-sided Fisher exact test, means a Welch t-test, F1 and balanced
    accuracy a multinomial bootstrap. Benjamini & Hochberg (1995) controls the FDR.

    Large data: the per-slice statistics of every chunk (file batch or dask partition) are
    added up (:meth:`SliceStats.merge`), so the result equals the in-memory one with the same
    cut points. Numeric cut points are the quantiles of a uniform sample of 200,000 rows
    (every row below that) that does not depend on the partitioning: the rows with the
    smallest hash of their position, which the in-memory path uses above 200,000 rows too,
    so memory, files and dask give the same slices.

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> df = load_loans("current")
    >>> res = slice_metrics(None, df, df["defaulted"], y_pred=df["defaulted"], by=["region", "channel"],
    ...                     metrics="accuracy")
    >>> float(res.frame["estimate"].min())
    1.0
    """
    from diagtools._sources import is_dask_frame

    if isinstance(X, (str, os.PathLike)) or is_dask_frame(X):
        from diagtools.slices._large import slice_stats_source

        I.V.check_random_state(random_state)
        crosses = I.check_int(crosses, "crosses", 1, 3, "Pass 1 (single columns), 2 (pairs) or 3.")
        I.check_int(chunk_rows, "chunk_rows", 1, None, "Pass a positive number of rows.")
        stats = slice_stats_source(model, X, y, y_pred, by=by, bins=bins, crosses=crosses, task=task,
                                   progress=True if progress is None else bool(progress),
                                   chunk_rows=int(chunk_rows))
        return metrics_from_stats(stats, metrics=metrics, min_size=min_size, n_boot=n_boot,
                                  confidence=confidence, alpha=alpha, random_state=random_state)
    X_user, X = X, I.check_frame(X)
    I.V.check_random_state(random_state)
    columns = I.resolve_columns(X, by)
    I.check_bins(bins, columns)
    y_true, pred = I.predictions(model, X, y, y_pred, X_user)
    task = I.check_task(y_true, pred, task)
    crosses = I.check_int(crosses, "crosses", 1, 3, "Pass 1 (single columns), 2 (pairs) or 3.")
    target, labs, n_cells = encode_targets(y_true, pred, task, None)
    from diagtools.slices._large import sampled_bins  # the large-data paths' cut points, on the same rows

    stats = slice_stats_arrays(X, columns, target, task, labs, n_cells, bins=sampled_bins(X, columns, bins),
                               crosses=crosses, drop_wide=by is None)
    return metrics_from_stats(stats, metrics=metrics, min_size=min_size, n_boot=n_boot, confidence=confidence,
                              alpha=alpha, random_state=random_state)


__all__ = ["metrics_from_stats", "slice_metrics", "slice_stats"]
