"""Mergeable per-column sketches of a data window: the statistics of large-data drift.

A :class:`WindowSketch` holds, per column, what every drift statistic of
:mod:`diagtools.drift._sketch_stats` needs, and merges by addition:

- **numeric** (datetimes as seconds since the epoch, timedeltas as seconds):
  exact ``n_rows``, ``n_missing``, ``n_infinite``, ``min``, ``max``, sums of ``x - pivot`` and
  of its square (``pivot``: the median of the sample, so the variance does not cancel for
  large offsets such as dates in seconds), and counts on COMMON bin edges: bin ``j`` is
  ``(e[j-1], e[j]]`` (bin 0 ``(-inf, e[0]]``, the last ``(e[-1], inf)``), plus how many
  values fall exactly on each right edge (so columns with fewer distinct values than bins
  are exact);
- **categorical** (strings, bools, categories): value counts, exact up to
  :data:`MAX_CATEGORIES` distinct values; a wider column (IDs, free codes) is hashed into
  :data:`HASH_BUCKETS` buckets (the hash treats both windows alike, as the domain classifier
  already does). The switch happens at the chunk or merge that crosses the limit, so the
  final sketch is the same for any partitioning.

The edges come from a first pass: a sample of the rows with the smallest hash of their
global row position (a bottom-k sample, the same rows whatever the partitioning) of both
windows; the edges are :data:`SKETCH_BINS` + 1 quantiles of the pooled sample (values that
occur in it), so each bin holds about ``1 / SKETCH_BINS`` of the pooled rows (at most about
twice that of either window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools._stats import _splitmix64
from diagtools.drift._profile import VALUE_KINDS, column_kind, numeric_values
from diagtools.errors import DiagnosticInputError

#: Fine bins of a numeric column (their edges are quantiles of the pooled sample).
SKETCH_BINS = 1_000
#: Rows per window of the sample that fixes the bin edges.
SAMPLE_ROWS = 100_000
#: Distinct values of a categorical column kept exactly; above, values are hashed.
MAX_CATEGORIES = 10_000
#: Buckets of a hashed categorical column.
HASH_BUCKETS = 1_024
#: Values sorted at once when binning a numeric column.
_BLOCK = 1 << 16
#: Salt of each window's row hash, so the two windows' samples are independent.
SALTS = {"reference": 1, "current": 2}


def row_keys(first_row: int, n: int, salt: int) -> np.ndarray:
    """A 64-bit hash of each global row position (independent of the partitioning)."""
    rows = np.arange(first_row, first_row + n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _splitmix64(rows * np.uint64(0x9E3779B97F4A7C15) + np.uint64(salt))


def smallest_keys(first_row: int, n: int, salt: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (``0..n``) and keys of the ``k`` smallest :func:`row_keys` of ``n`` rows (all when fewer).

    The keys are uniform on 64 bits, so the ``k`` smallest lie below about ``k / n`` of the
    range. The keys are hashed block by block (in cache) and only those under a cut with
    eight standard deviations to spare are kept: neither all ``n`` keys nor a partition of
    them is needed. Exact: with fewer than ``k`` keys under the cut (odds about 1e-15), all
    keys are taken.
    """
    if n <= k:
        return np.arange(n), row_keys(first_row, n, salt)
    share = (k + 8.0 * np.sqrt(k) + 100.0) / n
    pos, key = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64)
    if share < 0.5:  # else the cut would keep most keys anyway
        cut = np.uint64(int(share * 2.0**64))
        idx, keys = [], []
        for start in range(0, n, _BLOCK):
            block = row_keys(first_row + start, min(_BLOCK, n - start), salt)
            keep = np.flatnonzero(block < cut)
            idx.append(keep + start)
            keys.append(block[keep])
        pos, key = np.concatenate(idx), np.concatenate(keys)
    if len(pos) < k:  # too few under the cut (or no cut): every key
        pos, key = np.arange(n), row_keys(first_row, n, salt)
    best = np.argpartition(key, k - 1)[:k]
    return pos[best], key[best]


def sample_pass(src: Any, columns: list[str], window: str, rows: int, *, progress: bool) -> pd.DataFrame:
    """The ``rows`` rows with the smallest row hash (all rows when fewer), in hash order."""
    salt = SALTS[window]

    def stats(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
        idx, keys = smallest_keys(first_row, len(frame), salt, rows)
        out = frame.iloc[idx].reset_index(drop=True)
        out["__key"] = keys
        return out

    def merge(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
        both = pd.concat([a, b], ignore_index=True)
        return both.nsmallest(rows, "__key") if len(both) > rows else both

    out = src.run(columns, stats, merge, progress=progress, desc=f"detect_drift: {window} sample")
    return out.sort_values("__key", kind="stable").reset_index(drop=True)


def common_edges(samples: list[np.ndarray], bins: int | None = None) -> np.ndarray:
    """``bins + 1`` (default :data:`SKETCH_BINS` + 1) quantiles of the pooled finite sample values
    (values that occur), unique."""
    bins = SKETCH_BINS if bins is None else bins
    v = np.sort(np.concatenate([s[np.isfinite(s)] for s in samples]))
    if len(v) == 0:
        return np.empty(0)
    # the inverted-CDF quantiles of sorted values, by index (np.quantile partitions once per quantile)
    idx = np.ceil(np.linspace(0.0, 1.0, bins + 1) * len(v)).astype(np.int64) - 1
    return np.unique(v[np.clip(idx, 0, len(v) - 1)])


@dataclass(frozen=True)
class ColumnSketch:
    """Mergeable statistics of one column (see the module docstring)."""

    kind: str
    n_rows: int
    n_missing: int
    n_infinite: int = 0
    counts: np.ndarray | None = None  # numeric: per bin (len(edges) + 1)
    at_edge: np.ndarray | None = None  # numeric: values equal to each bin's right edge
    vmin: float = np.inf
    vmax: float = -np.inf
    s1: float = 0.0  # sum of (x - pivot)
    s2: float = 0.0  # sum of (x - pivot) ** 2
    categories: dict[str, int] = field(default_factory=dict)
    hashed: bool = False

    @property
    def n(self) -> int:
        """Finite non-missing values (numeric) or non-missing values (categorical)."""
        return self.n_rows - self.n_missing - self.n_infinite

    def merge(self, other: ColumnSketch) -> ColumnSketch:
        """The sketch of both chunks together."""
        common = {"kind": self.kind, "n_rows": self.n_rows + other.n_rows,
                  "n_missing": self.n_missing + other.n_missing, "n_infinite": self.n_infinite + other.n_infinite}
        if self.kind in VALUE_KINDS:
            return ColumnSketch(**common, counts=self.counts + other.counts, at_edge=self.at_edge + other.at_edge,
                                vmin=min(self.vmin, other.vmin), vmax=max(self.vmax, other.vmax),
                                s1=self.s1 + other.s1, s2=self.s2 + other.s2)
        a, b = self, other
        if a.hashed != b.hashed:  # one side crossed the limit: hash the other the same way
            a, b = hash_categories(a), hash_categories(b)
        cats = dict(a.categories)
        for k, v in b.categories.items():
            cats[k] = cats.get(k, 0) + v
        out = ColumnSketch(**common, categories=cats, hashed=a.hashed)
        return hash_categories(out) if not out.hashed and len(cats) > MAX_CATEGORIES else out


def _bucket(values: np.ndarray) -> np.ndarray:
    return (pd.util.hash_array(values.astype(object)) % np.uint64(HASH_BUCKETS)).astype(np.int64)


def hash_categories(sk: ColumnSketch) -> ColumnSketch:
    """The same categorical sketch with its values hashed into :data:`HASH_BUCKETS` buckets."""
    if sk.hashed:
        return sk
    keys = np.array(list(sk.categories), dtype=object)
    counts = np.array(list(sk.categories.values()), dtype=np.int64)
    per = np.bincount(_bucket(keys), weights=counts, minlength=HASH_BUCKETS) if len(keys) else np.zeros(HASH_BUCKETS)
    cats = {f"#{b:04d}": int(c) for b, c in enumerate(per) if c > 0}
    return ColumnSketch(sk.kind, sk.n_rows, sk.n_missing, sk.n_infinite, categories=cats, hashed=True)


@dataclass(frozen=True)
class WindowSketch:
    """Per-column sketches of one window, in column order; merges by addition."""

    columns: dict[str, ColumnSketch]
    n_rows: int

    def merge(self, other: WindowSketch) -> WindowSketch:
        """The sketch of both chunks together."""
        return WindowSketch({c: s.merge(other.columns[c]) for c, s in self.columns.items()},
                            self.n_rows + other.n_rows)


def _numeric_sketch(values: np.ndarray, kind: str, edges: np.ndarray, pivot: float) -> ColumnSketch:
    counts = np.zeros(len(edges) + 1, dtype=np.int64)
    at_edge = np.zeros(len(edges) + 1, dtype=np.int64)
    n_missing = n_inf = 0
    vmin, vmax, s1, s2 = np.inf, -np.inf, 0.0, 0.0
    # One sorted block at a time (as np.histogram does): cache-friendly, and everything comes out
    # of it: -inf first, then the finite values, +inf, NaN last; the bin counts (e[j-1], e[j]]
    # and the values on each edge by searching the edges in it; min, max and sums on the block.
    for i in range(0, len(values), _BLOCK):
        block = np.sort(values[i:i + _BLOCK])
        lo = int(np.searchsorted(block, -np.inf, side="right"))
        hi = int(np.searchsorted(block, np.inf, side="left"))
        finite_end = int(np.searchsorted(block, np.nan, side="left"))
        n_missing += len(block) - finite_end
        n_inf += lo + finite_end - hi
        x = block[lo:hi]
        if len(x) == 0:
            continue
        right = np.searchsorted(x, edges, side="right")
        counts += np.diff(np.concatenate([[0], right, [len(x)]]))
        at_edge[:-1] += right - np.searchsorted(x, edges, side="left")
        vmin, vmax = min(vmin, float(x[0])), max(vmax, float(x[-1]))
        d = x - pivot
        s1 += float(d.sum())
        s2 += float(np.dot(d, d))
    return ColumnSketch(kind, len(values), n_missing, n_inf, counts=counts, at_edge=at_edge, vmin=vmin, vmax=vmax,
                        s1=s1, s2=s2)


def _categorical_sketch(series: pd.Series, kind: str) -> ColumnSketch:
    if isinstance(series.dtype, pd.CategoricalDtype):  # counts of the codes: one bincount, no hashing
        codes = series.cat.codes.to_numpy()
        counts = np.bincount(codes + np.intp(1), minlength=len(series.cat.categories) + 1)  # code -1 (missing) at 0
        vc = pd.Series(counts[1:], index=series.cat.categories)
        n_missing = int(counts[0])
    else:
        vc = series.value_counts(dropna=True, sort=False)
        n_missing = int(series.isna().sum())
    cats: dict[str, int] = {}
    for k, v in vc.items():
        if v > 0:
            key = str(k)
            cats[key] = cats.get(key, 0) + int(v)
    sk = ColumnSketch(kind, len(series), n_missing, categories=cats)
    return hash_categories(sk) if len(cats) > MAX_CATEGORIES else sk


def window_stats(columns: list[str], kinds: dict[str, str], edges: dict[str, np.ndarray],
                 pivots: dict[str, float], window: str) -> Callable[[pd.DataFrame, int], WindowSketch]:
    """``stats(frame, first_row)`` of one chunk of a window, for :meth:`Source.run`."""

    def stats(frame: pd.DataFrame, first_row: int) -> WindowSketch:
        out = {}
        for c in columns:
            s = frame[c]
            if kinds[c] in VALUE_KINDS:
                try:
                    values = numeric_values(s)
                except (TypeError, ValueError) as exc:
                    raise DiagnosticInputError(
                        f"{window}: column {c!r} holds values that are not {kinds[c]} (near row {first_row:,}) "
                        "but is in the reference. Pass the same column types in both windows."
                    ) from exc
                out[c] = _numeric_sketch(values, kinds[c], edges[c], pivots[c])
            else:
                out[c] = _categorical_sketch(s, kinds[c])
        return WindowSketch(out, len(frame))

    return stats


def sample_kinds(sample: pd.DataFrame, columns: list[str]) -> dict[str, str]:
    """Each column's kind from the dtypes of a window's sample."""
    return {c: column_kind(sample[c]) for c in columns}
