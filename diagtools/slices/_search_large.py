"""``find_slices`` on a dask DataFrame or on parquet / CSV files: the search on merged cells.

Every statistic the search needs (slice sizes, summed errors and squared errors, largest
errors, the error tree's split criteria, the tests of near-duplicate slices) is a sum, or a
maximum, over rows. So the rows are grouped by their combination of slice levels ("cells")
chunk by chunk, the cells of the chunks are merged by summing, and the in-memory search runs
on the cells (:func:`diagtools.slices._search.search_slices`). Two passes over the chunks of a
:class:`diagtools._sources.Source`:

1. a uniform sample of :data:`~diagtools.slices._large.SAMPLE_ROWS` rows that does not depend
   on the partitioning (as ``slice_metrics`` on large data), the distinct values of each
   column (up to the level limit) and whether it has missing values: the task and the
   encodings (categories from every row, numeric cut points from the sample, hence those of
   the in-memory path up to that many rows);
2. the cells: one row per distinct combination of levels with its row count, summed error,
   summed squared error and largest error.

Memory is the number of distinct level combinations (at most the product of the levels, at
most the rows), not the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from diagtools._sources import as_source
from diagtools.errors import DiagnosticInputError
from diagtools.slices import _inputs as I
from diagtools.slices._encode import MAX_LEVELS, Encoding, TooManyLevels, _py, fit_encoding, time_unit
from diagtools.slices._large import SAMPLE_ROWS, _row_keys
from diagtools.slices._sliceline import Cells

#: Distinct values kept per column while reading (one more than the level limit: enough to
#: tell a column that has too many).
_DISTINCT_CAP = MAX_LEVELS + 1
#: Up to this many possible level combinations, cells are counted densely (no sort).
_DENSE_CELLS = 1 << 22


@dataclass
class _Profile:
    """Pass 1: a bottom-k sample, distinct values per column (``None``: too many), missing flags."""

    sample: pd.DataFrame
    distinct: dict[str, set[Any] | None]
    missing: dict[str, bool]


@dataclass
class _CellStats:
    """Pass 2: distinct level combinations (sorted) and their row count, error sums and maxima."""

    codes: np.ndarray
    count: np.ndarray
    err: np.ndarray
    err2: np.ndarray
    max_err: np.ndarray
    binary: bool


def _union(a: set[Any] | None, b: set[Any] | None) -> set[Any] | None:
    if a is None or b is None:
        return None
    out = a | b
    return out if len(out) <= _DISTINCT_CAP else None


def _merge_profiles(a: _Profile, b: _Profile) -> _Profile:
    both = pd.concat([a.sample, b.sample], ignore_index=True)
    return _Profile(both.nsmallest(SAMPLE_ROWS, "__key") if len(both) > SAMPLE_ROWS else both,
                    {c: _union(a.distinct[c], b.distinct[c]) for c in a.distinct},
                    {c: a.missing[c] or b.missing[c] for c in a.missing})


def group_cells(codes: np.ndarray, count: np.ndarray, err: np.ndarray, err2: np.ndarray, mx: np.ndarray,
                domains: np.ndarray, binary: bool) -> _CellStats:
    """Sum rows (or cells) with the same level combination; cells come out in lexicographic order."""
    cells = float(np.prod(domains.astype(float)))
    if cells < 2.0**62:
        key = np.zeros(len(codes), dtype=np.int64)
        for j in range(codes.shape[1]):  # mixed radix: orders like the rows of codes
            key = key * domains[j] + codes[:, j]
        if cells <= _DENSE_CELLS:  # few combinations: one bincount per statistic, no sort
            return _dense(key, count, err, err2, mx, domains, binary)
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        uniq = codes[first]
    else:  # too many combinations for one integer key: sort the rows themselves
        uniq, inv = np.unique(codes, axis=0, return_inverse=True)
    inv = inv.ravel()
    k = len(uniq)
    out_max = np.zeros(k)
    np.maximum.at(out_max, inv, mx)
    return _CellStats(uniq, np.bincount(inv, weights=count, minlength=k), np.bincount(inv, weights=err, minlength=k),
                      np.bincount(inv, weights=err2, minlength=k), out_max, binary)


def _dense(key: np.ndarray, count: np.ndarray, err: np.ndarray, err2: np.ndarray, mx: np.ndarray,
           domains: np.ndarray, binary: bool) -> _CellStats:
    """:func:`group_cells` over every possible combination (``key`` below their number)."""
    total = int(np.prod(domains))
    n = np.bincount(key, weights=count, minlength=total)
    present = np.flatnonzero(n > 0)
    e = np.bincount(key, weights=err, minlength=total)[present]
    if binary:  # 0/1 errors: the largest is 1 where any row erred
        top = (e > 0).astype(float)
    else:
        top = np.zeros(total)
        np.maximum.at(top, key, mx)
        top = top[present]
    codes = np.zeros((len(present), len(domains)), dtype=np.int64)
    rest = present.copy()
    for j in range(len(domains) - 1, -1, -1):
        rest, codes[:, j] = np.divmod(rest, domains[j])
    return _CellStats(codes, n[present], e, np.bincount(key, weights=err2, minlength=total)[present], top, binary)


def _encoding(column: str, sample: pd.Series, distinct: set[Any] | None, missing: bool, bins: Any) -> Encoding:
    """The encoding ``fit_codes`` would choose on every row, from the sample and the distinct values."""
    numeric = pd.api.types.is_numeric_dtype(sample) and not pd.api.types.is_bool_dtype(sample)
    many = distinct is None or len(distinct) > 10  # more than MAX_DISCRETE_VALUES: cut into bins
    if isinstance(bins, (list, tuple, np.ndarray)) or time_unit(sample) or (numeric and many):
        enc = fit_encoding(sample.rename(column), bins)
        if enc.kind != "numeric":  # the sample holds few of many values: cut at each of them
            enc = fit_encoding(sample.rename(column), sorted(float(v) for v in sample.dropna().unique()))
        enc.has_missing = missing
        return enc
    if distinct is None or len(distinct) > MAX_LEVELS:
        raise TooManyLevels(
            f"slice column {column!r} has more than {MAX_LEVELS} distinct values (at most {MAX_LEVELS} are sliced). "
            "Leave it out of the slice columns, or group its rare values first."
        )
    try:
        values = sorted(distinct)
    except TypeError:  # mixed types that do not sort: as fit_encoding
        values = sorted(distinct, key=str)
    return Encoding(column, "categorical", values=[_py(v) for v in values], has_missing=missing)


def find_slices_source(model: Any, X: Any, y: Any, *, y_pred: Any, errors: Any, by: Any, bins: Any, task: str | None,
                       progress: bool, chunk_rows: int) -> tuple[np.ndarray, list[Encoding], np.ndarray, Cells]:
    """Cells of a large table for :func:`~diagtools.slices._search.search_slices` (see the module docstring).

    Returns the level codes of each cell, the encodings, the summed error of each cell and the
    other cell statistics.
    """
    src = as_source(X, "X", chunk_rows=chunk_rows)
    for name, value, example in (("y", y, "label"), ("y_pred", y_pred, "prediction"), ("errors", errors, "loss")):
        if value is not None and not isinstance(value, str):
            raise DiagnosticInputError(
                f"{name} must name a column when X is a dask DataFrame or files, got {type(value).__name__}. "
                f"Pass {name}={example!r}."
            )
    if errors is None and y is None:
        raise DiagnosticInputError("Pass y= (the target column) with y_pred= or a model, or errors= (a loss column).")
    if errors is None and y_pred is None and model is None:
        raise DiagnosticInputError("Pass y_pred= (the column of predictions), a fitted model, or errors=.")
    targets = [c for c in (y, y_pred, errors) if c is not None]
    drop_wide = by is None  # as in memory: without by, columns with too many values are left out
    by = [c for c in src.columns if c not in targets] if by is None else [by] if isinstance(by, str) else list(by)
    if not by:
        raise DiagnosticInputError("by: no column to slice by. Pass by=[...] with columns of X.")
    src.check_columns({**{n: c for n, c in (("y", y), ("y_pred", y_pred), ("errors", errors)) if c is not None},
                       **{f"by[{i}]": c for i, c in enumerate(by)}})
    bins = I.check_bins(bins, by)
    uses_model = errors is None and y_pred is None
    cols = list(dict.fromkeys([*(c for c in src.columns if c != y_pred), y] if uses_model else [*targets, *by]))

    def targets_of(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        if errors is not None:
            err = I.V.check_finite(frame[errors], "errors").ravel()
            if (err < 0).any():
                raise DiagnosticInputError(
                    f"errors holds {int((err < 0).sum())} negative value(s). Pass a non-negative loss per row "
                    "(e.g. 0/1 misclassification or squared error)."
                )
            return err, err
        yt = I.V.check_no_nan(frame[y], "y")
        return yt, frame[y_pred].to_numpy() if y_pred is not None else np.asarray(model.predict(frame.drop(columns=[y])))

    def profile(frame: pd.DataFrame, first_row: int) -> _Profile:
        yt, yp = targets_of(frame)
        smp = frame[by].copy()
        smp["__y"], smp["__p"], smp["__key"] = yt, yp, _row_keys(first_row, len(frame))
        distinct: dict[str, set[Any] | None] = {}
        for c in by:
            values = pd.unique(frame[c].dropna())
            distinct[c] = set(values.tolist()) if len(values) <= _DISTINCT_CAP else None
        return _Profile(smp.nsmallest(SAMPLE_ROWS, "__key") if len(smp) > SAMPLE_ROWS else smp, distinct,
                        {c: bool(frame[c].isna().any()) for c in by})

    prof = src.run(cols, profile, _merge_profiles, progress=progress, desc="find_slices: levels")
    smp = prof.sample.sort_values("__key", kind="stable")
    if errors is None:
        task = I.check_task(smp["__y"].to_numpy(), smp["__p"].to_numpy(), task)
    encodings = []
    for c in by:
        b = bins.get(c, 5) if isinstance(bins, dict) else bins
        try:
            enc = _encoding(c, smp[c], prof.distinct[c], prof.missing[c], b)
        except TooManyLevels:
            if not drop_wide:
                raise
            continue
        if enc.n_levels > 1:  # one level selects every row: no slice (as in memory)
            encodings.append(enc)
    if not encodings:
        raise DiagnosticInputError(
            "by: no column can be sliced (every non-numeric column has too many distinct values). "
            "Pass by=[...] with columns to slice by."
        )
    domains = np.array([e.n_levels for e in encodings], dtype=np.int64)

    def cells(frame: pd.DataFrame, first_row: int) -> _CellStats:
        yt, yp = targets_of(frame)
        if errors is not None:
            err = yt.astype(float)
        elif task == "regression":
            err = (yt.astype(float) - yp.astype(float)) ** 2
        else:
            err = (yt != yp).astype(float)
        codes = np.column_stack([e.codes(frame[e.column]) for e in encodings]).astype(np.int64)
        return group_cells(codes, np.ones(len(err)), err, err * err, err, domains, bool(np.isin(err, (0.0, 1.0)).all()))

    def merge(a: _CellStats, b: _CellStats) -> _CellStats:
        return group_cells(np.vstack([a.codes, b.codes]), np.concatenate([a.count, b.count]),
                      np.concatenate([a.err, b.err]), np.concatenate([a.err2, b.err2]),
                      np.concatenate([a.max_err, b.max_err]), domains, a.binary and b.binary)

    st = src.run(cols, cells, merge, progress=progress, desc="find_slices: cells")
    return st.codes, encodings, st.err, Cells(st.count, st.err2, st.max_err, st.binary)
