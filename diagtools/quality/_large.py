"""``check_duplicates``: duplicate rows, rows shared with a reference, per-column counts, at any size.

Every number comes from statistics of one chunk that merge exactly (the chunks of a
:class:`diagtools._sources.Source`: the pandas frame, file batches or dask partitions):

- **rows**: a 64-bit hash of each row (:mod:`diagtools.quality._hashing` over
  :func:`value_hashes`, so a chunk read as ``int64`` and one read as ``float64`` hash alike) and
  its global position. A chunk keeps its distinct hashes (sorted) with their count and the
  two smallest positions; two such tables merge by sorting their union. Duplicate rows are
  ``rows - distinct hashes``; rows of ``data`` found in ``reference`` are the summed counts of
  the hashes both tables hold. With ``hash_passes=P``, pass ``p`` keeps only the hashes with
  ``hash % P == p``: memory is the distinct rows over ``P``, for ``P`` reads.
- **columns**: missing and infinite values are counted; distinct non-missing values are
  counted exactly as sorted sets of value hashes, up to ``distinct_cap`` (past it, the count is
  "at least the cap": a union only grows, so this does not depend on the chunks either).

Equal values hash equally and different rows collide with probability about
``rows**2 / 2**65`` (below 1e-5 for 10 million rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from diagtools._sources import as_source
from diagtools._validation import check_probability
from diagtools.errors import DiagnosticInputError
from diagtools.quality._dup_result import DuplicateCheckResult, build_frames
from diagtools.quality._hashing import column_hash, combine

_NONE = np.iinfo(np.int64).max  # "no second position"
_NA_HASH = np.uint64(0x9E3779B97F4A7C15)  # every missing value


@dataclass
class RowHashes:
    """Distinct row hashes (sorted) with their row count and two smallest global positions."""

    hash: np.ndarray
    count: np.ndarray
    first: np.ndarray
    second: np.ndarray

    @property
    def rows(self) -> int:
        """Rows behind the table."""
        return int(self.count.sum())


@dataclass
class ColumnCounts:
    """Per column: missing and infinite values, distinct value hashes (``None`` past the cap)."""

    missing: dict[str, int]
    infinite: dict[str, int]
    distinct: dict[str, np.ndarray | None]


def value_hashes(s: pd.Series) -> np.ndarray:
    """A 64-bit hash per value that depends on the value alone, not on the dtype a chunk holds it in.

    Numbers (ints, floats, nullable ints) hash as float64 with one zero (``-0.0`` is ``0.0``);
    dates and durations as themselves; anything else (text, categories, bools) as the Python
    object, hashed once per distinct value. Missing values of any kind share one hash, so a
    chunk reading a column as all-NaN floats and one reading it as text with ``None`` agree.
    """
    na = s.isna().to_numpy()
    if s.dtype.kind in "mM":
        h = column_hash(s)
    elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        h = column_hash(pd.Series(s.to_numpy(dtype=float, na_value=0.0) + 0.0))
    else:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        h = column_hash(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
        h = h[np.maximum(codes, 0)] if len(h) else np.zeros(len(s), dtype=np.uint64)
    return np.where(na, _NA_HASH, h)


def _reduce(h: np.ndarray, count: np.ndarray, first: np.ndarray, second: np.ndarray) -> RowHashes:
    """Group equal hashes: counts add up, the two smallest positions are kept."""
    order = np.lexsort((first, h))
    h, count, first, second = h[order], count[order], first[order], second[order]
    start = np.flatnonzero(np.concatenate([[True], h[1:] != h[:-1]])) if len(h) else np.zeros(0, dtype=np.int64)
    # sorted by first position within a hash: the second smallest is the first one's second
    # or the next entry's first
    nxt = np.append(first[1:], _NONE)
    ends = np.append(start[1:], len(h))
    has_next = ends - start > 1
    second_out = np.where(has_next, np.minimum(second[start], nxt[start]), second[start])
    return RowHashes(h[start], np.add.reduceat(count, start) if len(h) else count, first[start], second_out)


def merge_hashes(a: RowHashes, b: RowHashes) -> RowHashes:
    """Merge the row-hash tables of two chunks.

    Each table holds a hash once and is sorted, so a stable sort of the two is a linear merge
    of two runs and a hash occurs at most twice, side by side.
    """
    h = np.concatenate([a.hash, b.hash])
    order = np.argsort(h, kind="stable")
    h = h[order]
    count, first, second = (np.concatenate([x, y])[order] for x, y in
                            ((a.count, b.count), (a.first, b.first), (a.second, b.second)))
    pair = np.flatnonzero(h[1:] == h[:-1])
    if len(pair):
        nxt = pair + 1
        count[pair] += count[nxt]
        lo, hi = np.minimum(first[pair], first[nxt]), np.maximum(first[pair], first[nxt])
        second[pair] = np.minimum(hi, np.minimum(second[pair], second[nxt]))
        first[pair] = lo
        keep = np.ones(len(h), dtype=bool)
        keep[nxt] = False
        h, count, first, second = h[keep], count[keep], first[keep], second[keep]
    return RowHashes(h, count, first, second)


def chunk_stats(frame: pd.DataFrame, first_row: int, columns: Sequence[str], part: int, passes: int,
                cap: int | None) -> tuple[RowHashes, ColumnCounts | None]:
    """The row-hash table of one chunk (only hashes with ``hash % passes == part``) and, unless
    ``cap`` is None, its column counts: each column is hashed once for both."""
    missing, infinite, distinct = {}, {}, {}

    def hashed(c: str) -> np.ndarray:
        s = frame[c]
        h = value_hashes(s)
        if cap is not None:
            na = s.isna().to_numpy()
            missing[c] = int(na.sum())
            numeric = pd.api.types.is_float_dtype(s)
            infinite[c] = int(np.isinf(s.to_numpy(dtype=float, na_value=0.0)).sum()) if numeric else 0
            values = np.sort(pd.unique(h[~na]))
            distinct[c] = values if len(values) <= cap else None
        return h

    h = combine((hashed(c) for c in columns), len(columns))
    pos = np.arange(first_row, first_row + len(frame), dtype=np.int64)
    if passes > 1:
        keep = h % np.uint64(passes) == np.uint64(part)
        h, pos = h[keep], pos[keep]
    table = _reduce(h, np.ones(len(h), dtype=np.int64), pos, np.full(len(h), _NONE, dtype=np.int64))
    return table, None if cap is None else ColumnCounts(missing, infinite, distinct)


def merge_columns(a: ColumnCounts, b: ColumnCounts, cap: int) -> ColumnCounts:
    """Add counts, unite distinct sets (``None`` once past the cap)."""
    distinct = {}
    for c, va in a.distinct.items():
        vb = b.distinct[c]
        both = None if va is None or vb is None else np.union1d(va, vb)
        distinct[c] = both if both is not None and len(both) <= cap else None
    return ColumnCounts({c: a.missing[c] + b.missing[c] for c in a.missing},
                        {c: a.infinite[c] + b.infinite[c] for c in a.infinite}, distinct)


def _scan(src: Any, columns: list[str], cap: int, passes: int, progress: bool, what: str
          ) -> tuple[list[RowHashes], ColumnCounts]:
    """Row-hash tables (one per pass) and, on the first pass, the column counts of a source."""
    tables: list[RowHashes] = []
    counts = None
    for part in range(passes):
        def stats(frame: pd.DataFrame, first_row: int, part: int = part) -> tuple[RowHashes, ColumnCounts | None]:
            return chunk_stats(frame, first_row, columns, part, passes, cap if part == 0 else None)

        def merge(a: tuple[RowHashes, Any], b: tuple[RowHashes, Any]) -> tuple[RowHashes, Any]:
            return merge_hashes(a[0], b[0]), None if a[1] is None else merge_columns(a[1], b[1], cap)

        table, cols = src.run(columns, stats, merge, progress=progress, desc=f"check_duplicates: {what}")
        tables.append(table)
        counts = cols if part == 0 else counts
    assert counts is not None
    return tables, counts


def _check_int(value: Any, name: str, minimum: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DiagnosticInputError(f"{name} must be an integer >= {minimum}, got {value!r}. Pass e.g. {name}={example}.")
    return int(value)


def check_duplicates(
    data: Any,
    *,
    reference: Any = None,
    columns: Sequence[str] | None = None,
    max_examples: int = 5,
    distinct_cap: int = 10_000,
    hash_passes: int = 1,
    confidence: float = 0.95,
    chunk_rows: int = 250_000,
    progress: bool | None = None,
) -> DuplicateCheckResult:
    """Duplicate rows, rows also in a reference set, and per-column counts, on data of any size.

    Parameters
    ----------
    data : DataFrame, dask DataFrame, or str / path
        The rows to check: in memory, a dask DataFrame (on the active scheduler, a
        ``dask.distributed`` client when one runs), or a parquet / CSV file, folder or glob read
        in chunks.
    reference : DataFrame, dask DataFrame, or str / path, optional
        Rows ``data`` must not share (e.g. ``data`` the test set, ``reference`` the training
        set): rows of ``data`` equal to a row of ``reference`` are counted.
    columns : list of str, optional
        Columns that make a row (and that are counted); every column of ``data`` by default.
        ``reference`` must have them.
    max_examples : int, default=5
        Example row pairs kept per check.
    distinct_cap : int, default=10_000
        Distinct values are counted exactly up to this many per column ("at least" beyond).
    hash_passes : int, default=1
        Read the data this many times, each time keeping a share of the row hashes: memory is
        the number of distinct rows divided by it.
    confidence : float, default=0.95
        Level of the Wilson intervals of the shares.
    chunk_rows : int, default=250_000
        Rows per chunk when reading files.
    progress : bool, optional
        Progress bar over the chunks (dask's on a cluster); files and dask only, on by default.

    Returns
    -------
    DuplicateCheckResult

    Raises
    ------
    DiagnosticInputError
        On data that is not a table or path, a missing column, bad options, or no rows.

    See Also
    --------
    check_data : every data-quality check (model-based ones too) on frames in memory.

    Notes
    -----
    The counts equal those of pandas on the same rows (``data.duplicated().sum()`` and
    ``data.merge(reference.drop_duplicates()).shape[0]``) up to 64-bit hash collisions; see
    the module :mod:`diagtools.quality._large` for how chunks merge. Values equal as numbers
    are equal (``1`` and ``1.0``), as pandas compares them; NaN equals NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"a": [1, 2, 2, 3], "b": ["x", "y", "y", "z"]})
    >>> test = pd.DataFrame({"a": [3, 4], "b": ["z", "w"]})
    >>> res = check_duplicates(test, reference=train)
    >>> res.count("train_test_duplicates"), check_duplicates(train).count("duplicate_rows")
    (1, 1)
    """
    src = as_source(data, "data", chunk_rows=_check_int(chunk_rows, "chunk_rows", 1, "250_000"))
    ref = None if reference is None else as_source(reference, "reference", chunk_rows=int(chunk_rows))
    max_examples = _check_int(max_examples, "max_examples", 0, "5")
    distinct_cap = _check_int(distinct_cap, "distinct_cap", 1, "10_000")
    hash_passes = _check_int(hash_passes, "hash_passes", 1, "4")
    confidence = check_probability(confidence, "confidence")
    if columns is None:
        columns = src.columns
    elif isinstance(columns, str) or not all(isinstance(c, str) for c in columns) or not columns:
        raise DiagnosticInputError(f"columns must be a non-empty list of column names, got {columns!r}. "
                                   "Pass e.g. columns=['age', 'income'].")
    columns = list(dict.fromkeys(columns))
    src.check_columns({f"columns[{i}]": c for i, c in enumerate(columns)})
    if ref is not None:
        missing = [c for c in columns if c not in ref.columns]
        if missing:
            raise DiagnosticInputError(f"reference lacks column(s) {missing!r} of data. Pass a reference with the "
                                       "same columns, or columns=[...] that both have.")
    show = True if progress is None else bool(progress)
    tables, counts = _scan(src, columns, distinct_cap, hash_passes, show and src.backend != "pandas", "data")
    ref_tables, ref_counts = (None, None) if ref is None else _scan(
        ref, columns, distinct_cap, hash_passes, show and ref.backend != "pandas", "reference")
    n = sum(t.rows for t in tables)
    if n == 0:
        raise DiagnosticInputError("data has no rows. Pass a table with at least one row.")
    frame, examples = build_frames(tables, counts, ref_tables, ref_counts, columns, max_examples, distinct_cap,
                                   confidence)
    params = {"columns": columns, "backend": src.backend, "reference_backend": None if ref is None else ref.backend,
              "max_examples": max_examples, "distinct_cap": distinct_cap, "hash_passes": hash_passes,
              "confidence": confidence, "n_reference": None if ref_tables is None else sum(t.rows for t in ref_tables)}
    return DuplicateCheckResult(frame=frame, params=params, n_samples=n, examples=examples)
