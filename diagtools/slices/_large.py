"""``slice_metrics`` on a dask DataFrame or on parquet / CSV files: merged ``SliceStats``.

Two passes over the chunks of a :class:`diagtools._sources.Source`:

1. a uniform sample of :data:`SAMPLE_ROWS` rows, the same for any partitioning (the rows with
   the smallest hash of their global position: a bottom-k sample, merged by keeping the k
   smallest), which fixes the task and the cut points of numeric columns (with fewer rows, the
   sample is every row, so the cut points are those of the in-memory path). It holds the
   targets, the keys and the numeric slicing columns only, selected on the keys alone;
   In memory, :func:`sampled_bins` takes the same rows, so both give the same slices.
2. :class:`~diagtools.slices._sufficient.SliceStats` of each chunk with those cut points,
   added up (categorical levels and class labels are aligned by ``SliceStats.merge``). A
   large dask partition is counted in ``chunk_rows`` pieces, so the per-row work arrays
   (codes, cells) stay the size of a chunk whatever the partitioning.

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
from diagtools.slices._encode import MAX_LEVELS, TooManyLevels, fit_codes, time_unit
from diagtools.slices._sufficient import SliceStats, encode_targets, slice_stats_arrays

#: Rows of the sample that fixes the numeric cut points.
SAMPLE_ROWS = 200_000
_NO_LIMIT = 2**64 - 1


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

    def sample(frame: pd.DataFrame, first_row: int, limit: int) -> pd.DataFrame:
        yt, yp = targets(frame)
        keys = _row_keys(first_row, len(frame))
        # only rows below the key limit can be in the sample: those rows alone are copied, with
        # the targets and the numeric columns only (text columns need no cut points)
        rows = np.flatnonzero(keys < np.uint64(limit)) if limit < _NO_LIMIT else slice(None)
        out = pd.DataFrame({"__y": yt[rows], "__p": yp[rows], "__key": keys[rows]})
        for c in by:
            if c in frame.columns and _needs_cuts(frame[c]):
                out[c] = frame[c].iloc[rows].array  # the column's own dtype (dates, nullable integers)
        return _bottom(out)

    # the sample pass reads no text column (unless a model needs every column)
    sample_cols = cols if model is not None else [c for c in cols if c in (y, y_pred) or not _text_column(src, c)]

    def draw(limit: int) -> pd.DataFrame:
        return src.run(sample_cols, lambda frame, first_row: sample(frame, first_row, limit),
                       lambda a, b: _bottom(pd.concat([a, b], ignore_index=True)), progress=progress,
                       desc="slice_metrics: sample")

    limit = _key_limit(src, sample_cols)
    smp = draw(limit)
    if len(smp) < SAMPLE_ROWS and limit < _NO_LIMIT:  # the limit was too low (never seen): every key counts
        smp = draw(_NO_LIMIT)
    smp = smp.sort_values("__key", kind="stable")
    task = I.check_task(smp["__y"].to_numpy(), smp["__p"].to_numpy(), task)
    cuts: dict[str, Any] = {}
    for c in by:
        b = bins.get(c, 5) if isinstance(bins, dict) else bins
        enc = fit_codes(smp[c].rename(c), b)[0] if c in smp.columns else None  # text columns have no cuts
        cuts[c] = list(enc.edges) if enc is not None and enc.kind == "numeric" else b

    def stats(frame: pd.DataFrame, first_row: int | None) -> SliceStats:
        total = None
        # a large partition is counted in chunk_rows pieces: the per-row work arrays stay small
        for start in range(0, len(frame), chunk_rows):
            piece = frame.iloc[start:start + chunk_rows] if len(frame) > chunk_rows else frame
            yt, yp = targets(piece)
            target, labs, n_cells = encode_targets(yt, yp, task, None)
            part = slice_stats_arrays(piece, by, target, task, labs, n_cells, bins=cuts, crosses=crosses)
            total = part if total is None else total.merge(part)
        if total is None:  # an empty partition: the encodings of no rows
            target, labs, n_cells = encode_targets(*targets(frame), task, None)
            total = slice_stats_arrays(frame, by, target, task, labs, n_cells, bins=cuts, crosses=crosses)
        return total

    # without a model, text columns may come as sorted categoricals: the same codes, no hashing of strings
    out = src.run(cols, stats, lambda a, b: a.merge(b), progress=progress, desc="slice_metrics: statistics",
                  offsets=False, text_as_categories=model is None)
    for c, enc in out.encodings.items():
        if enc.kind == "categorical" and len(enc.values) > MAX_LEVELS:
            raise TooManyLevels(
                f"slice column {c!r} has {len(enc.values):,} distinct values (at most {MAX_LEVELS} are sliced). "
                "Leave it out of the slice columns, or group its rare values first."
            )
    return out


def _key_limit(src: Any, cols: list[str]) -> int:
    """A key below which the :data:`SAMPLE_ROWS` smallest keys very likely all fall.

    Keys are uniform 64-bit hashes, so the k-th smallest of ``n`` is close to ``k / n * 2**64``
    (relative spread ``1 / sqrt(k)``, 0.2%); 5% above it, a chunk keeps about ``1.05 k / n`` of
    its rows instead of ``k``. Whether the limit held is checked on the merged sample (it holds
    ``k`` rows), so the sample is exactly the bottom-k. No limit when the row count is not known
    without reading the data (CSV files).
    """
    if src.backend == "pandas":
        n = len(src.data)
    elif src.backend == "dask":

        n = sum(src.partition_lengths(cols))  # the sample pass (same columns) needs them anyway: row positions
    elif src.fmt == "parquet":
        import pyarrow.parquet as pq

        n = sum(pq.ParquetFile(f).metadata.num_rows for f in src.files)
    else:
        return _NO_LIMIT
    if n <= SAMPLE_ROWS:
        return _NO_LIMIT
    return min(_NO_LIMIT, int(SAMPLE_ROWS / n * 1.05 * 2.0**64))


def _text_column(src: Any, column: str) -> bool:
    """Whether a column is surely text or bool from the schema (no cut points); unsure is False."""
    if src.backend in ("pandas", "dask"):
        dtype = src.data[column].dtype
        text = isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype, pd.BooleanDtype))
        return text or (isinstance(dtype, np.dtype) and dtype.kind in ("O", "b"))
    if src.fmt != "parquet":
        return False
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pq.read_schema(src.files[0]).field(column).type  # the dataset's schema is the first file's
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_boolean(t)


def _needs_cuts(series: pd.Series) -> bool:
    """Whether ``fit_codes`` may cut this column at quantiles (numeric, datetime or timedelta, not bool)."""
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return numeric or bool(time_unit(series))


def sampled_bins(data: pd.DataFrame, columns: list[str], bins: Any) -> Any:
    """``bins`` with the quantile cut points of numeric columns taken from the bottom-k sample.

    Above :data:`SAMPLE_ROWS` rows the large-data paths cut numeric columns at the quantiles of
    the :data:`SAMPLE_ROWS` rows with the smallest key (``_row_keys`` of the row position): the
    in-memory paths take the same rows, so a frame in memory and the same rows as files or
    dask partitions give the same slices. At or below it, every row (``bins`` unchanged).
    """
    if len(data) <= SAMPLE_ROWS:
        return bins
    rows = np.sort(np.argpartition(_row_keys(0, len(data)), SAMPLE_ROWS - 1)[:SAMPLE_ROWS])
    out = {}
    for c in columns:
        b = bins.get(c, 5) if isinstance(bins, dict) else bins
        if not isinstance(b, (list, tuple, np.ndarray)) and _needs_cuts(data[c]):
            enc = fit_codes(data[c].iloc[rows].rename(c), b)[0]
            b = list(enc.edges) if enc.kind == "numeric" else b
        out[c] = b
    return out


def _bottom(sample: pd.DataFrame) -> pd.DataFrame:
    """The :data:`SAMPLE_ROWS` rows with the smallest keys (all rows when fewer)."""
    if len(sample) <= SAMPLE_ROWS:
        return sample
    keys = sample["__key"].to_numpy()
    return sample.take(np.argpartition(keys, SAMPLE_ROWS - 1)[:SAMPLE_ROWS])
