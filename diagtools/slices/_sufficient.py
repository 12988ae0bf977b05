"""Per-slice sufficient statistics: one pass over the rows, mergeable across chunks.

A classifier's statistics in a slice are its confusion counts (``k x k`` cells); a
regressor's are ``count, sum e, sum e², sum |e|, sum e⁴`` of the residual ``e``. Every metric,
interval and test of a slice (and of *the rest of the data*, which is the total minus the
slice) is a function of these numbers, so statistics computed on chunks or on several
workers are simply added (:meth:`SliceStats.merge`) and give the same result as one pass.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools.errors import DiagnosticInputError
from diagtools.slices._encode import Encoding, TooManyLevels, fit_codes

REG_CELLS = ("count", "sum_e", "sum_e2", "sum_abs", "sum_e4")
# One bincount of the full cross (then sums over axes) when it has at most this many cells.
_FULL_CROSS_CELLS = 4_000_000

Feature = tuple[str, ...]


@dataclass
class SliceStats:
    """Sufficient statistics of every slice of some columns and of their crosses.

    Build with :func:`slice_stats`; add chunks with :meth:`merge` (or ``+``); turn into a
    :class:`~diagtools.slices.SliceResult` with :func:`~diagtools.slices.metrics_from_stats`.

    Attributes
    ----------
    task : {"classification", "regression"}
    labels : list
        Sorted class labels (classification).
    encodings : dict of str to Encoding
        Levels of each slicing column (pass ``bins=stats.bins`` to cut the next chunk alike).
    tables : dict of tuple of str to ndarray
        For each feature (one column or a cross), an array of shape ``(*levels, cells)``:
        confusion counts ``y * k + y_pred`` (classification) or ``REG_CELLS`` (regression).
    total : ndarray
        The cells of all rows.
    """

    task: str
    labels: list[Any]
    encodings: dict[str, Encoding]
    tables: dict[Feature, np.ndarray] = field(default_factory=dict)
    total: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_samples(self) -> int:
        """Number of rows counted."""
        return round(float(self.total[0] if self.task == "regression" else self.total.sum()))

    @property
    def bins(self) -> dict[str, Any]:
        """Cut points of the numeric columns (``bins=`` for the next chunk)."""
        return {c: list(e.edges) for c, e in self.encodings.items() if e.kind == "numeric"}

    def merge(self, other: SliceStats) -> SliceStats:
        """Return the statistics of both sets of rows together.

        Parameters
        ----------
        other : SliceStats
            Statistics of other rows over the same columns, crosses and numeric cut points.

        Returns
        -------
        SliceStats
        """
        if not isinstance(other, SliceStats) or other.task != self.task or set(other.tables) != set(self.tables):
            raise DiagnosticInputError(
                "merge: the statistics cover different tasks, columns or crosses. Compute every chunk with the "
                "same by=, crosses= and bins=stats.bins."
            )
        for c, e in self.encodings.items():
            o = other.encodings[c]
            if e.kind != o.kind or (e.kind == "numeric" and e.edges != o.edges):
                raise DiagnosticInputError(
                    f"merge: column {c!r} is cut differently in the two chunks ({e.edges} vs {o.edges}). "
                    "Cut every chunk alike: slice_stats(..., bins=first.bins)."
                )
        labels = self.labels if other.labels == self.labels else sorted(set(self.labels) | set(other.labels))
        encodings = {c: _union_encoding(e, other.encodings[c]) for c, e in self.encodings.items()}
        tables = {}
        for feat in self.tables:
            a = _realign(self, feat, encodings, labels)
            b = _realign(other, feat, encodings, labels)
            tables[feat] = a + b
        total = _realign_cells(self, self.total, labels) + _realign_cells(other, other.total, labels)
        return SliceStats(self.task, labels, encodings, tables, total)

    __add__ = merge


def _union_encoding(a: Encoding, b: Encoding) -> Encoding:
    if a.kind == "numeric":
        return Encoding(a.column, "numeric", edges=list(a.edges), has_missing=a.has_missing or b.has_missing)
    values = list(a.values) + [v for v in b.values if v not in a.values]
    try:
        values = sorted(values)
    except TypeError:
        values = sorted(values, key=str)
    return Encoding(a.column, "categorical", values=values, has_missing=a.has_missing or b.has_missing)


def _level_map(old: Encoding, new: Encoding) -> np.ndarray:
    """Position in ``new`` of each level of ``old``."""
    if old.kind == "numeric":
        body = np.arange(len(old.edges) + 1)
    else:
        body = np.array([new.values.index(v) for v in old.values], dtype=np.int64)
    if old.has_missing:
        body = np.append(body, new.n_levels - 1)
    return body


def _realign_cells(stats: SliceStats, cells: np.ndarray, labels: list[Any]) -> np.ndarray:
    """Re-index the trailing cell axis to the classes ``labels``."""
    if stats.task == "regression" or stats.labels == labels:
        return cells
    k_old, k_new = len(stats.labels), len(labels)
    pos = np.array([labels.index(v) for v in stats.labels])
    src = cells.reshape(*cells.shape[:-1], k_old, k_old)
    out = np.zeros((*cells.shape[:-1], k_new, k_new), dtype=cells.dtype)
    out[..., pos[:, None], pos[None, :]] = src
    return out.reshape(*cells.shape[:-1], k_new * k_new)


def _realign(stats: SliceStats, feat: Feature, encodings: dict[str, Encoding], labels: list[Any]) -> np.ndarray:
    table = _realign_cells(stats, stats.tables[feat], labels)
    shape = (*tuple(encodings[c].n_levels for c in feat), table.shape[-1])
    out = np.zeros(shape, dtype=table.dtype)
    index = np.ix_(*[_level_map(stats.encodings[c], encodings[c]) for c in feat])
    out[index] = table
    return out


def features_of(columns: list[str], crosses: int) -> list[Feature]:
    """Every single column and every cross of up to ``crosses`` columns, in a fixed order."""
    out: list[Feature] = []
    for order in range(1, min(crosses, len(columns)) + 1):
        out.extend(itertools.combinations(columns, order))
    return out


def encode_targets(
    y_true: np.ndarray, y_pred: np.ndarray, task: str, labels: list[Any] | None
) -> tuple[np.ndarray, list[Any], int]:
    """Return the per-row cell index (classification) or residuals, the labels and cell count."""
    if task == "regression":
        return (np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)), [], len(REG_CELLS)
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    n = len(yt)
    if yt.dtype.kind in "iu" and yp.dtype.kind in "iu" and n and \
            max(int(yt.max()), int(yp.max())) - min(int(yt.min()), int(yp.min())) < 1024:
        # small integer labels: a bincount finds them, an offset encodes them (no hashing)
        low = min(int(yt.min()), int(yp.min()))
        yt, yp = yt.astype(np.int64, copy=False), yp.astype(np.int64, copy=False)
        if low:
            yt, yp = yt - low, yp - low
        width = max(int(yt.max()), int(yp.max())) + 1
        present = np.flatnonzero(np.bincount(yt, minlength=width) + np.bincount(yp, minlength=width))
        found = [int(v) + low for v in present]
        lookup = np.zeros(int(present[-1]) + 1, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        contiguous = len(present) == present[-1] + 1
    else:
        both, uniq = pd.factorize(np.concatenate([yt, yp]), sort=True)
        found = list(uniq.tolist()) if hasattr(uniq, "tolist") else list(uniq)
        yt, yp = both[:n].astype(np.int64), both[n:].astype(np.int64)
        lookup, contiguous = np.arange(len(found), dtype=np.int64), True
    if labels is not None:
        extra = [v for v in found if v not in labels]
        labels = sorted(list(labels) + extra, key=_sort_key) if extra else list(labels)
        pos = np.array([labels.index(v) for v in found], dtype=np.int64)
        lookup, contiguous = pos[lookup], False
    else:
        labels = found
    k = len(labels)
    # the cell of a row is code(y_true) * k + code(y_pred); codes are the values themselves when
    # the classes are 0 .. k-1 (the common case: no lookup pass over the rows)
    cell = yt * k + yp if contiguous else lookup[yt] * k + lookup[yp]
    return cell, labels, k * k


def _sort_key(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, (int, float, np.number)) else (1, str(v))


def slice_stats_arrays(
    data: pd.DataFrame,
    columns: list[str],
    target: np.ndarray,
    task: str,
    labels: list[Any],
    n_cells: int,
    *,
    bins: Any,
    crosses: int,
    encodings: dict[str, Encoding] | None = None,
    drop_wide: bool = False,
) -> SliceStats:
    """Count the cells of every slice in one pass (validated inputs; see ``slice_stats``)."""
    if encodings is None:
        encodings, codes = {}, {}
        for c in list(columns):
            b = bins.get(c, 5) if isinstance(bins, dict) else bins
            try:
                encodings[c], codes[c] = fit_codes(data[c], b)
            except TooManyLevels:
                if not drop_wide:
                    raise
                columns = [x for x in columns if x != c]
        if not columns:
            raise DiagnosticInputError(
                "by: no column can be sliced (every non-numeric column has too many distinct values). "
                "Pass by=[...] with columns to slice by."
            )
    else:
        codes = {c: encodings[c].codes(data[c]) for c in columns}
    # codes are -1 only for a level that given encodings do not know; rows with one leave the features of that column
    unknown = {c for c in columns if len(codes[c]) and int(codes[c].min()) < 0}
    if task == "regression":
        e = target
        weights = np.column_stack([np.ones_like(e), e, e * e, np.abs(e), (e * e) ** 2])
    else:
        weights = None
    feats = features_of(columns, crosses)
    levels = {c: encodings[c].n_levels for c in columns}
    full = int(np.prod([levels[c] for c in columns], dtype=float)) * n_cells
    tables: dict[Feature, np.ndarray] = {}
    # Counts are integers, so summing the full cross over axes gives every feature exactly; float
    # regression sums would change in the last bits, so there it stays for all columns crossed at once.
    if (weights is None or len(columns) <= crosses) and full <= _FULL_CROSS_CELLS and not unknown:
        # one bincount of the full cross; every smaller feature is a sum over its axes
        big = _count(codes, tuple(columns), levels, target, weights, n_cells)
        for feat in feats:
            drop = tuple(i for i, c in enumerate(columns) if c not in feat)
            tables[feat] = big.sum(axis=drop) if drop else big
        total = big.reshape(-1, n_cells).sum(axis=0)
    else:
        cells: dict[str, np.ndarray] = {}  # per column, codes * n_cells + target: a pair is one multiply-add
        for feat in feats:
            if weights is None and not unknown.intersection(feat):
                last = feat[-1]
                if last not in cells:
                    cells[last] = codes[last] * n_cells + target
                tables[feat] = _count_cells(codes, cells[last], feat, levels, n_cells)
                continue
            sub, t, w = codes, target, weights
            if unknown.intersection(feat):
                keep = np.ones(len(data), dtype=bool)
                for c in unknown.intersection(feat):
                    keep &= codes[c] >= 0
                sub = {c: codes[c][keep] for c in feat}
                t, w = target[keep], None if weights is None else weights[keep]
            tables[feat] = _count(sub, feat, levels, t, w, n_cells)
        total = _count({}, (), levels, target, weights, n_cells)
    return SliceStats(task, labels, encodings, tables, total)


def _count_cells(
    codes: dict[str, np.ndarray], last: np.ndarray, feat: Feature, levels: dict[str, int], n_cells: int,
) -> np.ndarray:
    """``_count`` of integer cells, given ``last = codes[feat[-1]] * n_cells + target`` (every code known)."""
    shape = (*[levels[c] for c in feat], n_cells)
    if len(feat) == 1:
        index = last
    else:
        group = codes[feat[0]]
        for c in feat[1:-1]:
            group = group * levels[c] + codes[c]
        index = group * (levels[feat[-1]] * n_cells) + last
    return np.bincount(index, minlength=int(np.prod(shape))).reshape(shape)


def _count(
    codes: dict[str, np.ndarray], feat: Feature, levels: dict[str, int], target: np.ndarray,
    weights: np.ndarray | None, n_cells: int,
) -> np.ndarray:
    """Cells of every level combination of ``feat``: one ``np.bincount`` per weight column."""
    n_groups = 1
    group = np.zeros(len(target), dtype=np.int64) if not feat else codes[feat[0]]
    for i, c in enumerate(feat):
        if i:
            group = group * levels[c] + codes[c]
        n_groups *= levels[c]
    shape = (*[levels[c] for c in feat], n_cells)
    if weights is None:
        flat = np.bincount(group * n_cells + target, minlength=n_groups * n_cells)
        return flat.reshape(shape)
    out = np.empty((n_groups, n_cells))
    for j in range(n_cells):
        out[:, j] = np.bincount(group, weights=weights[:, j], minlength=n_groups)
    return out.reshape(shape)
