"""``slice_metrics`` on a dask DataFrame or on parquet / CSV files: merged ``SliceStats``.

Two passes over the chunks of a :class:`diagtools._sources.Source`:

1. a uniform sample of :data:`SAMPLE_ROWS` rows, the same for any partitioning (the rows with
   the smallest hash of their global position: a bottom-k sample, merged by keeping the k
   smallest), which fixes the task and the cut points of numeric columns (with fewer rows, the
   sample is every row, so the cut points are those of the in-memory path);
2. :class:`~diagtools.slices._sufficient.SliceStats` of each chunk with those cut points,
   added up (categorical levels and class labels are aligned by ``SliceStats.merge``).

The result comes from :func:`~diagtools.slices.metrics_from_stats`, as in memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diagtools._sources import as_source
from diagtools._stats import _splitmix64
from diagtools.errors import DiagnosticInputError
from diagtools.slices import _inputs as I
from diagtools.slices._encode import fit_codes
from diagtools.slices._sufficient import SliceStats, encode_targets, slice_stats_arrays

#: Rows of the sample that fixes the numeric cut points.
SAMPLE_ROWS = 200_000


def _row_keys(first_row: int, n: int) -> np.ndarray:
    rows = np.arange(first_row, first_row + n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _splitmix64(rows * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1))


def slice_stats_source(
    model: Any, data: Any, y: Any, y_pred: Any, *, by: Any, bins: Any, crosses: int, task: str | None,
    progress: bool, chunk_rows: int,
) -> SliceStats:
    """Merged per-slice statistics of a large table (see the module docstring)."""
    src = as_source(data, "X", chunk_rows=chunk_rows)
    if not isinstance(y, str):
        raise DiagnosticInputError(
            f"y must name the target column when X is a dask DataFrame or files, got {type(y).__name__}. "
            "Pass y='label'."
        )
    if y_pred is not None and not isinstance(y_pred, str):
        raise DiagnosticInputError(
            f"y_pred must name the prediction column when X is a dask DataFrame or files, got "
            f"{type(y_pred).__name__}. Pass y_pred='prediction', or a model to predict each chunk."
        )
    if y_pred is None and model is None:
        raise DiagnosticInputError("Pass y_pred= (the column of predictions) or a fitted model.")
    if by is None:
        raise DiagnosticInputError(
            "by is required when X is a dask DataFrame or files (the columns to slice by). Pass by=['region', ...]."
        )
    by = [by] if isinstance(by, str) else list(by)
    needed = {"y": y, **({"y_pred": y_pred} if y_pred else {}), **{f"by[{i}]": c for i, c in enumerate(by)}}
    src.check_columns(needed)
    if model is None:
        cols = list(dict.fromkeys([y, y_pred, *by]))
    else:
        cols = list(dict.fromkeys([*(c for c in src.columns if c != y_pred), y]))

    def targets(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        yt = I.V.check_no_nan(frame[y], "y")
        if y_pred is not None:
            return yt, frame[y_pred].to_numpy()
        X = frame.drop(columns=[y])
        return yt, np.asarray(model.predict(X))

    def sample(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
        yt, yp = targets(frame)
        out = frame[by].copy()
        out["__y"], out["__p"], out["__key"] = yt, yp, _row_keys(first_row, len(frame))
        return out.nsmallest(SAMPLE_ROWS, "__key") if len(out) > SAMPLE_ROWS else out

    def merge_sample(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
        both = pd.concat([a, b], ignore_index=True)
        return both.nsmallest(SAMPLE_ROWS, "__key") if len(both) > SAMPLE_ROWS else both

    smp = src.run(cols, sample, merge_sample, progress=progress, desc="slice_metrics: sample")
    smp = smp.sort_values("__key", kind="stable")
    task = I.check_task(smp["__y"].to_numpy(), smp["__p"].to_numpy(), task)
    cuts: dict[str, Any] = {}
    for c in by:
        b = bins.get(c, 5) if isinstance(bins, dict) else bins
        enc, _ = fit_codes(smp[c].rename(c), b)
        cuts[c] = list(enc.edges) if enc.kind == "numeric" else b

    def stats(frame: pd.DataFrame, first_row: int) -> SliceStats:
        yt, yp = targets(frame)
        target, labs, n_cells = encode_targets(yt, yp, task, None)
        return slice_stats_arrays(frame, by, target, task, labs, n_cells, bins=cuts, crosses=crosses)

    return src.run(cols, stats, lambda a, b: a.merge(b), progress=progress, desc="slice_metrics: statistics")
