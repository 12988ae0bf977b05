"""Turn slicing columns into integer level codes with readable labels.

Numeric columns with many values are cut at quantiles; the edges are rounded to three
significant digits first, so a label such as ``income in [43.3, 55)`` is exactly the rule
the rows follow. Missing values get their own level. Every level also has a *predicate*
(a JSON-safe list) from which a boolean row mask is rebuilt on any data frame.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools._format import DAY, duration, short_number, timestamp
from diagtools.errors import DiagnosticInputError

# A numeric column with at most this many distinct values is sliced by value, not by bin.
MAX_DISCRETE_VALUES = 10
MAX_LEVELS = 200
# Rows of the strided sample that tells a many-valued numeric column without hashing every row.
_PROBE_ROWS = 65_536
# From this many rows, quantiles come from a bracketed selection (see ``quantiles``), and the
# sample brackets each order statistic within this many sample ranks either side (about 8 standard errors).
_SELECT_ROWS = 1_000_000
_BRACKET = 1024
# Up to this many cut points, bins are found by comparisons rather than a binary search.
_FEW_EDGES = 16


class TooManyLevels(DiagnosticInputError):
    """A non-numeric column has more distinct values than can be sliced."""


@dataclass
class Encoding:
    """How one column maps to level codes ``0 .. len(labels) - 1``.

    ``kind`` is ``"categorical"`` (``values`` lists the level values) or ``"numeric"``
    (``edges`` are the interior cut points; bin ``i`` holds ``edges[i-1] <= x < edges[i]``).
    When ``has_missing`` the last level is "missing".
    """

    column: str
    kind: str
    values: list[Any] = field(default_factory=list)
    edges: list[float] = field(default_factory=list)
    has_missing: bool = False
    #: ``"datetime"`` (edges in seconds since the epoch, shown as dates) or ``"timedelta"``
    #: (edges in seconds, shown as durations) for a numeric encoding of a time column.
    unit: str = ""

    @property
    def n_levels(self) -> int:
        """Number of levels, the missing level included."""
        body = len(self.values) if self.kind == "categorical" else len(self.edges) + 1
        return body + int(self.has_missing)

    def labels(self) -> list[str]:
        """Readable label of each level (``"region=north"``, ``"income in [20k, 35k)"``)."""
        c = self.column
        if self.kind == "categorical":
            out = [f"{c}={_value_text(v)}" for v in self.values]
        else:
            e = self.edges
            if not e:
                out = [f"{c} (all values)"]
            else:
                f = self._edge_text
                out = [f"{c} < {f(e[0])}"]
                out += [f"{c} in [{f(lo)}, {f(hi)})" for lo, hi in itertools.pairwise(e)]
                out.append(f"{c} ≥ {f(e[-1])}")
        if self.has_missing:
            out.append(f"{c} is missing")
        return out

    def _edge_text(self, edge: float) -> str:
        if self.unit == "datetime":  # dates alone when every edge is at midnight
            return timestamp(edge, span=DAY * 3 if all(x % DAY == 0 for x in self.edges) else 0.0)
        if self.unit == "timedelta":
            return duration(edge)
        return short_number(edge)

    def predicates(self) -> list[list[Any]]:
        """JSON-safe rule of each level: ``[col, "==", v]``, ``[col, "range", lo, hi]``, ``[col, "missing"]``."""
        c = self.column
        if self.kind == "categorical":
            out = [[c, "==", _py(v)] for v in self.values]
        else:
            bounds = [None, *self.edges, None]
            out = [[c, "range", bounds[i], bounds[i + 1]] for i in range(len(self.edges) + 1)]
        if self.has_missing:
            out.append([c, "missing"])
        return out

    def codes(self, series: pd.Series) -> np.ndarray:
        """Level code of every row (``-1`` for a category this encoding does not know)."""
        missing = series.isna().to_numpy()
        if self.kind == "numeric":
            codes = _bin_codes(_numbers(series), self.edges, missing)
        else:
            index = pd.Index(self.values)
            codes = index.get_indexer(series.where(~missing, None)) if len(index) else np.full(len(series), -1)
        codes = np.asarray(codes, dtype=np.int64)
        if missing.any():
            codes[missing] = self.n_levels - 1 if self.has_missing else -1
        return codes


def _bin_codes(x: np.ndarray, edges: list[float], missing: np.ndarray) -> np.ndarray:
    """Bin of every value, ``searchsorted(edges, x, side="right")`` (codes of ``missing`` rows are set later).

    With a few edges, one comparison per edge beats a binary search per row several times over;
    counting the edges *not above* a value also puts a NaN that is not missing (text in a numeric
    column) in the last bin, as the binary search does.
    """
    if len(edges) > _FEW_EDGES:
        return np.searchsorted(np.asarray(edges, dtype=float), np.where(missing, 0.0, x), side="right")
    codes = np.full(len(x), len(edges), dtype=np.int8)  # small codes: a quarter of the memory traffic
    for e in edges:
        np.subtract(codes, x < e, out=codes, casting="unsafe")
    return codes.astype(np.int64)


def time_unit(series: pd.Series) -> str:
    """``"datetime"``, ``"timedelta"`` or ``""`` for the dtype of ``series``."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or dtype.kind == "M":
        return "datetime"
    return "timedelta" if dtype.kind == "m" else ""


def _numbers(series: pd.Series) -> np.ndarray:
    """Float values of a column: seconds for datetimes and timedeltas, NaN where not a number."""
    if time_unit(series):
        from diagtools.drift._profile import numeric_values

        return numeric_values(series)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def round_sig(x: np.ndarray, digits: int = 3) -> np.ndarray:
    """Round to ``digits`` significant digits (zeros stay zero)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore"):
        mag = np.where(x == 0, 0, np.floor(np.log10(np.abs(np.where(x == 0, 1, x)))))
    factor = 10.0 ** (digits - 1 - mag)
    return np.round(x * factor) / factor


def _value_text(v: Any) -> str:
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v)


def _py(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def fit_encoding(series: pd.Series, bins: int | list[float] | tuple[float, ...]) -> Encoding:
    """Choose levels for one column: categories, or quantile bins for numeric columns."""
    name = str(series.name)
    missing = series.isna()
    present = series[~missing] if missing.any() else series  # no copy of a complete column
    unit = time_unit(series)
    if unit and not isinstance(bins, (list, tuple, np.ndarray)):
        return _time_encoding(name, _numbers(present), bins, unit, bool(missing.any()))
    numeric = (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)) or bool(unit)
    if isinstance(bins, (list, tuple, np.ndarray)):
        if not numeric:
            raise DiagnosticInputError(
                f"bins[{name!r}] gives cut points but column {name!r} is not numeric. "
                "Give cut points only for numeric columns."
            )
        edges = sorted({float(e) for e in bins})
        return Encoding(name, "numeric", edges=edges, has_missing=bool(missing.any()), unit=unit)
    uniq = _distinct(present, numeric)
    if uniq is None:
        x = present.to_numpy(dtype=float)
        lo, hi = x.min(), x.max()
        qs = quantiles(x, np.arange(1, bins) / bins, (lo, hi)) if bins > 1 else np.array([])
        edges = np.unique(round_sig(qs))
        # an edge at or below the minimum would leave the first bin empty
        edges = edges[(edges > lo) & (edges <= hi)]
        if len(edges) == 0:
            edges = _mode_edges(x)
        return Encoding(name, "numeric", edges=[float(e) for e in edges], has_missing=bool(missing.any()))
    try:
        values = sorted(uniq.tolist())
    except TypeError:
        values = sorted(uniq.tolist(), key=str)
    if len(values) > MAX_LEVELS:
        raise TooManyLevels(
            f"slice column {name!r} has {len(values):,} distinct values (at most {MAX_LEVELS} are sliced). "
            "Leave it out of the slice columns, or group its rare values first."
        )
    return Encoding(name, "categorical", values=[_py(v) for v in values], has_missing=bool(missing.any()))


def _distinct(present: pd.Series, numeric: bool) -> np.ndarray | None:
    """``pd.unique(present)``, or ``None`` for a numeric column with more than ``MAX_DISCRETE_VALUES`` values.

    A strided sample of at most ``_PROBE_ROWS`` rows is hashed first: when it already holds more
    values, the column is cut into bins without hashing every row (the costly part on millions of
    rows); otherwise the full column decides, so the answer is the same as hashing it all.
    """
    if numeric and len(present) > _PROBE_ROWS:
        probe = present.iloc[:: len(present) // _PROBE_ROWS]
        if len(pd.unique(probe)) > MAX_DISCRETE_VALUES:
            return None
    uniq = pd.unique(present)
    return None if numeric and len(uniq) > MAX_DISCRETE_VALUES else uniq


def quantiles(x: np.ndarray, q: np.ndarray, bounds: tuple[float, float] | None = None) -> np.ndarray:
    """``np.quantile(x, q)`` (linear method), the same to the bit, without partitioning all of ``x``.

    ``bounds`` are ``(x.min(), x.max())`` when the caller has them already.

    Each quantile needs two order statistics of ``x``. A strided sample brackets each one in a
    narrow value range; the rows below the range are counted and only the rows inside it are
    partitioned. When a bracket misses (counted, so never silently), or ``x`` is small or holds
    NaN or infinities, ``np.quantile`` itself runs. The interpolation repeats numpy's own steps.
    """
    n = len(x)
    lo_x, hi_x = bounds if bounds is not None else (x.min(), x.max())
    if n < _SELECT_ROWS or not (np.isfinite(lo_x) and np.isfinite(hi_x)):
        return np.quantile(x, q)
    vi = (n - 1) * np.asarray(q, dtype=float)  # numpy's virtual index of the linear method
    prev = np.floor(vi)
    nxt = prev + 1
    prev[vi >= n - 1], nxt[vi >= n - 1] = n - 1, n - 1
    prev[vi < 0], nxt[vi < 0] = 0, 0
    prev, nxt = prev.astype(np.intp), nxt.astype(np.intp)
    sample = np.sort(x[:: n // _PROBE_ROWS])
    m = len(sample)
    lows, highs = np.empty(len(vi)), np.empty(len(vi))
    for j, (k0, k1) in enumerate(zip(prev, nxt, strict=True)):
        r = k0 / (n - 1) * (m - 1)  # where the order statistic falls in the sample, give or take
        lo, hi = sample[max(0, int(r) - _BRACKET)], sample[min(m - 1, int(r) + 1 + _BRACKET)]
        below = x < lo
        n_below = int(np.count_nonzero(below))
        inside = x[~below & (x <= hi)]
        if not n_below <= k0 <= k1 < n_below + len(inside):
            return np.quantile(x, q)
        part = np.partition(inside, [k0 - n_below, k1 - n_below])
        lows[j], highs[j] = part[k0 - n_below], part[k1 - n_below]
    gamma = np.asanyarray(vi - prev, dtype=vi.dtype)
    diff = highs - lows  # numpy's _lerp, step by step
    out = np.add(lows, diff * gamma)
    np.subtract(highs, diff * (1 - gamma), out=out, where=gamma >= 0.5, casting="unsafe", dtype=type(out.dtype))
    return out


def _time_encoding(name: str, x: np.ndarray, bins: int, unit: str, has_missing: bool) -> Encoding:
    """Quantile bins of a datetime or timedelta column with readable edges.

    Datetime edges fall on midnight when the column spans three days or more (labels are
    dates), else on the minute; timedelta edges are rounded to three significant digits of
    seconds and shown in the largest fitting unit. The label is exactly the rule the rows follow.
    """
    if len(x) == 0:
        return Encoding(name, "numeric", has_missing=has_missing, unit=unit)
    qs = np.quantile(x, np.arange(1, bins) / bins) if bins > 1 else np.array([])
    if unit == "datetime":
        step = DAY if x.max() - x.min() >= 3 * DAY else 60.0
        edges = np.unique(np.ceil(qs / step) * step)
    else:
        edges = np.unique(round_sig(qs))
    edges = edges[(edges > x.min()) & (edges <= x.max())]
    return Encoding(name, "numeric", edges=[float(e) for e in edges], has_missing=has_missing, unit=unit)


def _mode_edges(x: np.ndarray) -> np.ndarray:
    """Cut points around a value that holds most rows (0 capital gain), when every quantile falls on it.

    Quantile bins then collapse into one level, "(all values)", a slice that selects every row.
    Splitting at the dominant value instead gives readable levels: below it (when any), at it,
    and above it.
    """
    values, counts = np.unique(x, return_counts=True)
    mode = values[counts.argmax()]
    above = values[values > mode]
    edges = [mode] if (values < mode).any() else []
    if len(above):
        edges.append(above[0])
    return np.asarray(edges, dtype=float)


def fit_codes(series: pd.Series, bins: int | list[float] | tuple[float, ...]) -> tuple[Encoding, np.ndarray]:
    """``fit_encoding`` and the codes of the same rows, with one hash pass for categories."""
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if numeric or time_unit(series) or isinstance(bins, (list, tuple, np.ndarray)):
        enc = fit_encoding(series, bins)
        return enc, enc.codes(series)
    if isinstance(series.dtype, pd.CategoricalDtype):
        # levels in value order, as for text and as the merge of chunks orders them (files, dask):
        # a categorical's own category order would give the same slices in another order, and
        # other bootstrap streams, in memory than on the large-data paths
        with contextlib.suppress(TypeError):  # categories that do not sort keep their own order
            if not series.cat.categories.is_monotonic_increasing:  # (the chunked reader's are sorted already)
                series = series.cat.set_categories(sorted(series.cat.categories))
    fast = _arrow_factorize(series)
    if fast is not None:
        values, codes, has_missing = fast
    else:
        try:
            codes, uniq = pd.factorize(series, sort=True)
        except TypeError:  # mixed types that do not sort: the slower, general path
            enc = fit_encoding(series, bins)
            return enc, enc.codes(series)
        values = [_py(v) for v in np.asarray(uniq, dtype=object)]
        codes = np.asarray(codes, dtype=np.int64)
        has_missing = bool((codes < 0).any())
        if has_missing:
            codes[codes < 0] = len(values)
    if len(values) > MAX_LEVELS:
        fit_encoding(series, bins)  # raises the error that explains the limit
    return Encoding(str(series.name), "categorical", values=values, has_missing=has_missing), codes


def _arrow_factorize(series: pd.Series) -> tuple[list[Any], np.ndarray, bool] | None:
    """Sorted distinct values, codes (missing: one past the last value) and whether any is missing, of
    a pyarrow-backed text column; ``None`` for other columns.

    The same as ``pd.factorize(series, sort=True)`` (arrow sorts text by code point, as Python does),
    in about half its time: pyarrow's own hash pass, then the few distinct values are sorted and the
    codes remapped by a lookup table, instead of pandas sorting through a generic path.
    """
    dtype = series.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(series.array)
    if isinstance(arr, pa.ChunkedArray):  # one dictionary for all rows
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    # missing values get a dictionary entry of their own, which sorts last: the missing level
    encoded = pc.dictionary_encode(arr, null_encoding="encode")
    order = np.asarray(pc.sort_indices(encoded.dictionary), dtype=np.int64)  # nulls last (the default)
    has_missing = encoded.dictionary.null_count > 0
    lookup = np.empty(len(order), dtype=np.int64)
    lookup[order] = np.arange(len(order))
    body = order[:-1] if has_missing else order
    values = [_py(v) for v in encoded.dictionary.take(pa.array(body)).to_pylist()]
    return values, lookup[np.asarray(encoded.indices)], has_missing


def predicate_mask(data: pd.DataFrame, predicates: list[list[Any]]) -> np.ndarray:
    """Boolean mask of the rows of ``data`` that satisfy every predicate."""
    mask = np.ones(len(data), dtype=bool)
    for pred in predicates:
        col, op = pred[0], pred[1]
        if col not in data.columns:
            raise DiagnosticInputError(
                f"data: no column {col!r}, which the slice uses. Pass data with the columns the slices were found on."
            )
        s = data[col]
        if op == "missing":
            mask &= s.isna().to_numpy()
        elif op == "==":
            mask &= (s == pred[2]).to_numpy(dtype=bool, na_value=False)
        elif op == "range":
            x = _numbers(s)  # datetimes and timedeltas in seconds, as their edges
            lo = -math.inf if pred[2] is None else float(pred[2])
            hi = math.inf if pred[3] is None else float(pred[3])
            with np.errstate(invalid="ignore"):
                mask &= (x >= lo) & (x < hi) & ~np.isnan(x)
        else:  # pragma: no cover - predicates are built by this module
            raise DiagnosticInputError(f"unknown predicate {pred!r}.")
    return mask
