"""Mergeable classification statistics with the Poisson bootstrap keyed by row position.

This is the row-level bootstrap, used for multiclass scores; binary and label-only classifiers
draw the same bootstrap per cell of these statistics after the merge
(:mod:`diagtools.metrics._cells`), at a cost that does not grow with the rows.

The statistics of a chunk of rows are a matrix ``sums`` of shape ``(m, 1 + n_boot)``: column 0
holds the sums under unit weights (the point estimates), column ``r`` the sums under the
Poisson(1) weights of resample ``r`` (:func:`diagtools._stats.poisson_weights`, a pure function
of the seed, the global row position and ``r``). Chunks, files and Dask partitions merge by
adding their matrices, so every result is independent of the partitioning. The rows of
``sums`` follow the block layout of :mod:`diagtools.metrics._engine` (confusion cells, log
loss, Brier, calibration bins, and per scored class the positives and negatives per score
group), so metrics and curves come from the same functions as in memory; the only difference
is that the score groups are :data:`SCORE_BINS` fixed bins instead of the distinct scores.

What is exact and what is binned (against the exact, unbinned value on the same rows):

- accuracy, balanced accuracy, precision / recall / F1 (per class, macro, weighted), log loss,
  Brier score and ECE (10 fixed bins, as in memory) are exact up to floating-point summation;
- ROC-AUC treats two rows in the same score bin as tied (counted one half):
  ``|AUC_binned - AUC| <= 0.5 * sum_b P_b N_b / (P N)`` (``P_b, N_b`` positives and negatives
  in bin ``b``), the mass of cross-class pairs that share a bin;
- average precision (PR-AUC) evaluates the precision once per bin:
  ``|AP_binned - AP| <= sum_b (P_b / P) * n_b / T_b``, ``n_b`` the rows in bin ``b`` and
  ``T_b`` the rows at or above it (within a bin the precision moves by at most
  ``n_b / T_b``).

:func:`binning_bounds` computes both bounds from the statistics; results report them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from diagtools._stats import poisson_weights
from diagtools.metrics import _engine as E

#: Fixed score bins of the ranking metrics (ROC-AUC, PR-AUC) and their curves.
SCORE_BINS = 2000
#: Cells (rows x (1 + resamples)) per chunk of weights: bounds the memory of one chunk.
CHUNK_CELLS = 1_000_000


@dataclass(frozen=True)
class Layout:
    """The fixed row layout of one predictor's statistics (the same for every chunk).

    ``score_range`` is ``None`` for probabilities (bins on [0, 1]) and ``(low, high)`` of
    the decision scores otherwise (from a first pass over the data).
    """

    prep: E.ClassificationPrep
    n_bins: int
    score_range: tuple[float, float] | None

    @property
    def m(self) -> int:
        """Number of statistics (rows of ``sums``)."""
        return max(b.stop for b in self.prep.blocks.values())


def layout(labels: list[str], *, has_proba: bool, has_score: bool,
           score_range: tuple[float, float] | None = None, n_bins: int = SCORE_BINS) -> Layout:
    """The statistics layout of a classifier with ``labels`` (see the module docstring)."""
    k = len(labels)
    blocks: dict[str, slice] = {}
    m = 0

    def add(name: str, width: int) -> None:
        nonlocal m
        blocks[name] = slice(m, m + width)
        m += width

    add("conf", k * k)
    if has_proba:
        add("log_loss", 1)
        add("brier", 1)
        add("bin_n", E.N_BINS)
        add("bin_hit", E.N_BINS)
        add("bin_conf", E.N_BINS)
    scored = ([1] if k == 2 else list(range(k))) if has_score else []
    for cls in scored:
        add(f"auc{cls}", 2 * n_bins)
    curve_starts = None
    if k == 2 and scored and n_bins > E.CURVE_POINTS:
        curve_starts = np.searchsorted(np.arange(n_bins) * E.CURVE_POINTS // n_bins, np.arange(E.CURVE_POINTS))
    prep = E.ClassificationPrep(
        n=0, labels=list(labels), S=None, blocks=blocks, has_proba=has_proba, has_score=has_score,
        groups=[n_bins] * len(scored), scored=scored, curve_starts=curve_starts,
    )
    return Layout(prep=prep, n_bins=n_bins, score_range=None if has_proba else score_range)


def _score_bins(s: np.ndarray, lay: Layout) -> np.ndarray:
    lo, hi = lay.score_range if lay.score_range is not None else (0.0, 1.0)
    scale = lay.n_bins / (hi - lo) if hi > lo else 0.0
    x = (s * scale if lo == 0.0 else (s - lo) * scale).astype(np.int64)  # s - 0.0 is s: the same bins
    return np.clip(x, 0, lay.n_bins - 1, out=x)


def _entries(lay: Layout, y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None,
             score: np.ndarray | None) -> list[tuple[str, np.ndarray | int, np.ndarray | float]]:
    """Each row's contributions, as ``(block, offset in the block, value)`` (see :func:`design`)."""
    prep, k, n = lay.prep, len(lay.prep.labels), len(y)
    out: list[tuple[str, np.ndarray | int, np.ndarray | float]] = [("conf", y * k + pred, 1.0)]
    if prep.has_proba:
        ar = np.arange(n)
        p = np.clip(proba, E._EPS, 1 - E._EPS)
        p = p / p.sum(axis=1, keepdims=True)
        out.append(("log_loss", 0, -np.log(p[ar, y])))
        onehot = np.zeros_like(proba, dtype=float)
        onehot[ar, y] = 1.0
        out.append(("brier", 0, ((onehot - proba) ** 2).sum(axis=1) * (0.5 if k == 2 else 1.0)))
        if k == 2:
            conf, hit = proba[:, 1], (y == 1).astype(float)
        else:
            conf, hit = proba.max(axis=1), (proba.argmax(axis=1) == y).astype(float)
        b = np.minimum((conf * E.N_BINS).astype(np.int64), E.N_BINS - 1)
        out += [("bin_n", b, 1.0), ("bin_hit", b, hit), ("bin_conf", b, conf)]
    if prep.scored:
        if score is None:
            score = proba[:, 1] if k == 2 else proba
        g = lay.n_bins
        for cls in prep.scored:
            s = score if score.ndim == 1 else score[:, cls]
            group = g - 1 - _score_bins(s, lay)  # descending score, as in the engine
            out.append((f"auc{cls}", group + g * (y != cls), 1.0))
    return out


def design(lay: Layout, y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None,
           score: np.ndarray | None) -> sparse.csr_matrix:
    """The chunk's sparse design ``S`` of shape ``(m, n)``: ``sums = S @ weights``.

    Row ``j`` of ``S`` holds each data row's contribution to statistic ``j`` of the layout
    (an indicator for counts, a value for sums), as in :func:`diagtools.metrics._engine.
    prepare_classification`, with fixed score bins in place of the distinct scores.
    """
    n = len(y)
    entries = _entries(lay, y, pred, proba, score)
    r = np.concatenate([lay.prep.blocks[b].start + np.broadcast_to(o, (n,)) for b, o, _ in entries])
    v = np.concatenate([np.broadcast_to(np.asarray(x, dtype=float), (n,)) for _, _, x in entries])
    c = np.tile(np.arange(n), len(entries))
    return sparse.csr_matrix((v, (r, c)), shape=(lay.m, n))


def chunk_sums(lay: Layout, y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None,
               score: np.ndarray | None, rows: np.ndarray, n_boot: int, random_state: int) -> np.ndarray:
    """Statistics of one chunk of rows, shape ``(m, 1 + n_boot)`` (merge chunks by adding them).

    Parameters
    ----------
    lay : Layout
    y, pred : ndarray of int
        Codes of the true and predicted classes.
    proba : ndarray of shape (n, K), optional
        Probabilities (when the layout has them).
    score : ndarray of shape (n,) or (n, K), optional
        Ranking scores (when the layout has them; defaults to ``proba``).
    rows : ndarray of int
        Global row positions of the chunk's rows (they key the bootstrap weights).
    n_boot : int
    random_state : int
    """
    return many_sums([(lay, design(lay, y, pred, proba, score))], rows, n_boot, random_state)[0]


def many_sums(designs: list[tuple[Layout, sparse.csr_matrix]], rows: np.ndarray, n_boot: int,
              random_state: int, progress: Any = None) -> list[np.ndarray]:
    """Statistics of several predictors on the same rows and the same weights (paired).

    The weights are drawn once per block of rows and shared by every predictor's design.
    ``progress`` is an optional tqdm bar updated with the rows done.
    """
    out = [np.zeros((lay.m, 1 + n_boot)) for lay, _ in designs]
    designs = [(lay, S.tocsc()) for lay, S in designs]  # column (row-block) slices of CSC are cheap
    for sl in row_chunks(len(rows), n_boot):
        W = weights(rows[sl], n_boot, random_state)
        for acc, (_, S) in zip(out, designs, strict=True):
            acc += S[:, sl] @ W
        if progress is not None:
            progress.update(sl.stop - sl.start)
    return out


def weights(rows: np.ndarray, n_boot: int, random_state: int) -> np.ndarray:
    """Unit weights and the Poisson bootstrap weights of ``rows``: shape ``(len(rows), 1 + n_boot)``."""
    Wt = np.empty((len(rows), 1 + n_boot))
    Wt[:, 0] = 1.0
    Wt[:, 1:] = poisson_weights(rows, n_boot, random_state=random_state).T
    return Wt


def row_chunks(n: int, n_boot: int, start: int = 0) -> Iterator[slice]:
    """Slices of ``n`` rows sized so that one chunk's weights hold about :data:`CHUNK_CELLS` cells."""
    size = max(1_000, CHUNK_CELLS // (1 + n_boot))
    for a in range(0, n, size):
        yield slice(a, min(n, a + size))


def merge(parts: Iterable[np.ndarray]) -> np.ndarray:
    """Sum statistics matrices (chunks, files or partitions, in any order or grouping)."""
    total = None
    for p in parts:
        total = p.copy() if total is None else total + p
    if total is None:
        raise ValueError("nothing to merge")
    return total


def binning_bounds(lay: Layout, sums: np.ndarray) -> dict[str, float]:
    """Upper bounds of ``|binned - exact|`` for ``roc_auc`` and ``pr_auc`` (see module docstring).

    Computed from the unit-weight column of ``sums``; for several classes the bound of the
    macro average is the mean of the per-class bounds.
    """
    prep = lay.prep
    if not prep.scored:
        return {}
    auc_b, ap_b = [], []
    for cls in prep.scored:
        block = sums[prep.blocks[f"auc{cls}"], 0]
        g = len(block) // 2
        P, N = block[:g], block[g:]
        ptot, ntot = P.sum(), N.sum()
        if ptot > 0 and ntot > 0:
            auc_b.append(0.5 * float((P * N).sum() / (ptot * ntot)))
        n_b = P + N
        T = np.cumsum(n_b)
        with np.errstate(all="ignore"):
            term = np.where(T > 0, (P / max(ptot, 1e-300)) * n_b / np.maximum(T, 1e-300), 0.0)
        if ptot > 0:
            ap_b.append(float(term.sum()))
    out: dict[str, float] = {}
    if auc_b:
        out["roc_auc"] = float(np.mean(auc_b))
    if ap_b:
        out["pr_auc"] = float(np.mean(ap_b))
    return out
