"""The Poisson bootstrap drawn per cell of merged statistics, for binary and label-only classifiers.

The row-level Poisson bootstrap gives each row a Poisson(1) weight per resample. Every
statistic of :mod:`diagtools.metrics._mergeable` is a sum over rows, and for the counts
(confusion cells, calibration bins, score bins) a row's contribution depends only on its
*cell*: the true class, and per predictor the predicted class and the score bin. The total
weight of a cell of ``n_c`` rows is Poisson(``n_c``), independent across cells, so drawing one
Poisson(``n_c``) per cell and resample (:func:`diagtools._stats.poisson_cell_draws`) gives
exactly the distribution of the row-level bootstrap, at a cost of cells x resamples instead of
rows x resamples. The cells are joint over all predictors, so comparisons stay paired.

What is drawn per cell, and what is approximated:

- counts (accuracy, precision / recall / F1, balanced accuracy, the calibration bins' counts and
  hits, the score-bin counts of ROC-AUC / PR-AUC): exactly the row-level distribution;
- per-row sums (log loss, Brier, the mean confidence of each calibration bin): each cell
  carries the sum and the sum of squares of the per-row value. Given the cell's draw ``M_c``,
  the row bootstrap's sum has mean ``M_c * mean_c`` and variance ``M_c * var_c`` (``var_c``
  the spread of the values inside the cell); the resample is
  ``sum_c M_c mean_c + sqrt(sum_c M_c var_c) * Z`` with ``Z`` standard normal, exact in mean
  and variance (the within-cell part, normal by the central limit theorem, is a small share:
  the cells are narrow score bins);
- the joint cells of several predictors multiply: when ``k * prod(k * bins)`` exceeds
  :data:`CELL_SPACE`, the resampled score bins are coarsened (``bins`` from
  :data:`BOOT_BINS`, nested in the :data:`~diagtools.metrics._mergeable.SCORE_BINS` fine bins).
  The resampled ROC-AUC / PR-AUC (and their curves) are then shifted by the difference
  between the fine and the coarse point value, so the interval sits on the fine point
  estimate; its width is that of the coarse-bin statistic, whose own binning error (the
  ``binning_bounds`` at ``bins``) moves little from resample to resample.

Multiclass scores (one binning per class) keep the row-level bootstrap of
:func:`diagtools.metrics._mergeable.many_sums`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from diagtools._stats import poisson_cell_draws
from diagtools.metrics import _engine as E
from diagtools.metrics import _mergeable as G

#: Largest joint cell space (true class x per predictor: predicted class x score bin).
CELL_SPACE = 1 << 16
#: Resampling score bins tried in turn: divisors of SCORE_BINS, multiples of the 10 calibration bins.
BOOT_BINS = (2000, 1000, 500, 400, 250, 200, 100, 50, 40, 20, 10)
#: Per-row values carried per cell (sum and sum of squares of each) by predictors with probabilities.
VALUES = ("log_loss", "brier", "bin_conf")


@dataclass(frozen=True)
class Plan:
    """The joint cells of a set of predictors: fine layouts (points) and resampling layouts."""

    fine: list[G.Layout]
    boot: list[G.Layout]
    radix: list[int]
    space: int
    values: bool = True

    @property
    def bins(self) -> int:
        """Score bins of the resamples (the fine bins when the cell space allows)."""
        scored = [b.n_bins for b, f in zip(self.boot, self.fine, strict=True) if f.prep.scored]
        return min(scored) if scored else G.SCORE_BINS

    @property
    def n_stats(self) -> int:
        """Rows of the chunk statistics: the count, then per predictor with probabilities the
        sum and sum of squares of each of :data:`VALUES` (when ``values``)."""
        return 1 + sum(2 * len(VALUES) for f in self.fine if f.prep.has_proba and self.values)


def plan(layouts: list[G.Layout], *, values: bool = True) -> Plan | None:
    """The cell plan of ``layouts``, or ``None`` when the row-level bootstrap must be used.

    ``values=False`` skips the per-row sums (log loss, Brier, the calibration bins' mean
    confidence) when none of ``log_loss``, ``brier``, ``ece`` is asked for: those statistics
    are then zero and their metrics meaningless.

    ``None`` for multiclass scores or probabilities (one binning per class), and when even
    the coarsest resampling bins leave more than :data:`CELL_SPACE` joint cells.
    """
    k = len(layouts[0].prep.labels)
    if any(k > 2 and (lay.prep.scored or lay.prep.has_proba) for lay in layouts):
        return None
    scored = [bool(lay.prep.scored) for lay in layouts]
    fine_bins = [lay.n_bins for lay in layouts]
    for bins in BOOT_BINS:
        if any(s and (fb % bins or bins > fb) for s, fb in zip(scored, fine_bins, strict=True)):
            continue
        radix = [k * (bins if s else 1) for s in scored]
        space = k * int(np.prod(radix, dtype=np.int64))
        if space <= CELL_SPACE:
            break
    else:
        return None
    boot = [G.layout(lay.prep.labels, has_proba=lay.prep.has_proba, has_score=bool(lay.prep.scored),
                     score_range=lay.score_range, n_bins=bins) if s else lay
            for lay, s in zip(layouts, scored, strict=True)]
    return Plan(fine=list(layouts), boot=boot, radix=radix, space=space, values=values)


def _values(y: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row log loss, Brier score and confidence of a binary classifier, as in
    :func:`diagtools.metrics._mergeable.design` (two columns that sum to one: the clipped
    probability of the true class, ``(y - p)**2``, and ``p`` itself)."""
    if proba.ndim == 1:  # the positive class's probability alone: the first column is 1 - p
        s = proba
        p0, p1 = np.clip(1.0 - s, E._EPS, 1 - E._EPS), np.clip(s, E._EPS, 1 - E._EPS)
    else:
        s = proba[:, 1]
        p0, p1 = np.clip(proba[:, 0], E._EPS, 1 - E._EPS), np.clip(s, E._EPS, 1 - E._EPS)
    p1 = p1 / (p0 + p1)
    log_loss = -np.log(np.where(y == 1, p1, 1.0 - p1))
    return log_loss, (y - s) ** 2, s


def chunk_stats(pl: Plan, y: np.ndarray, inputs: list[tuple[np.ndarray, Any, Any]]) -> dict[str, Any]:
    """Statistics of one chunk (merge chunks by adding them, see :func:`merge`).

    ``cells`` (shape ``(n_stats, space)``): per joint cell the rows, and the sums / sums of
    squares of the per-row values; ``fine``: per predictor whose resampling bins are coarser
    than its score bins, the counts of positives / negatives per fine score bin (the exact
    point ROC-AUC / PR-AUC), else ``None``. ``inputs`` holds per predictor the codes of the
    predicted class, the probabilities (or None; for two classes also the positive class's
    column alone, 1-D) and the scores (or None).
    """
    key = y.astype(np.int64)  # a copy: updated in place below
    vals, fine = [], []
    for lay, blay, radix, (pred, proba, score) in zip(pl.fine, pl.boot, pl.radix, inputs, strict=True):
        cell = pred.astype(np.int64, copy=False)
        fine.append(None)
        if lay.prep.scored:
            s = score if score is not None else proba if proba.ndim == 1 else proba[:, 1]
            fbin = G._score_bins(s, lay)
            coarse = fbin // (lay.n_bins // blay.n_bins)  # nested bins: the same as binning s coarsely
            coarse += cell * blay.n_bins  # the joint (class, bin) cell, in place
            cell = coarse
            if blay.n_bins != lay.n_bins:
                g = lay.n_bins
                fine[-1] = np.bincount((g - 1 - fbin) + g * (y != 1), minlength=2 * g).astype(float)
        key *= radix
        key += cell
        if lay.prep.has_proba and pl.values:
            vals += _values(y, proba)
    cells = np.empty((pl.n_stats, pl.space))
    cells[0] = np.bincount(key, minlength=pl.space)
    for j, v in enumerate(vals):
        cells[1 + 2 * j] = np.bincount(key, weights=v, minlength=pl.space)
        cells[2 + 2 * j] = np.bincount(key, weights=v * v, minlength=pl.space)
    return {"cells": cells, "fine": fine}


def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Sum the statistics of two chunks (any order or grouping)."""
    return {"cells": a["cells"] + b["cells"],
            "fine": [None if x is None else x + z for x, z in zip(a["fine"], b["fine"], strict=True)]}


def array_stats(pl: Plan, y: np.ndarray, inputs: list[tuple[np.ndarray, Any, Any]], *, block: int = 1_000_000,
                progress: Any = None) -> dict[str, Any]:
    """:func:`chunk_stats` of in-memory arrays, by blocks of ``block`` rows (bounds the temporaries).

    ``progress`` is an optional tqdm bar updated with the rows done.
    """
    total = None
    for a in range(0, len(y), block):
        sl = slice(a, a + block)
        part = [(pc[sl], None if p is None else p[sl], None if s is None else s[sl]) for pc, p, s in inputs]
        st = chunk_stats(pl, y[sl], part)
        total = st if total is None else merge(total, st)
        if progress is not None:
            progress.update(len(y[sl]))
    return total


def _maps(pl: Plan, occupied: np.ndarray, cells: np.ndarray) -> list[tuple[Any, ...]]:
    """Per predictor the sparse maps from occupied cells to the resampling layout's statistics:
    counts (``A``), cell means (``mean``) and within-cell variances (``var``) of the values."""
    k = len(pl.fine[0].prep.labels)
    digits = []
    rest = occupied.copy()
    for radix in reversed(pl.radix):
        digits.append(rest % radix)
        rest //= radix
    y = rest
    digits.reverse()
    n = np.maximum(cells[0, occupied], 1.0)
    u = np.arange(len(occupied))
    out, v = [], 0
    for lay, blay, cell in zip(pl.fine, pl.boot, digits, strict=True):
        prep, bins = blay.prep, blay.n_bins
        pred, sbin = (cell // bins, cell % bins) if lay.prep.scored else (cell, None)
        rows, cols, w = [prep.blocks["conf"].start + y * k + pred], [u], [np.ones(len(u))]
        mrows, mcols, means, vars_ = [], [], [], []
        if prep.has_proba:
            calib = np.minimum(sbin * E.N_BINS // bins, E.N_BINS - 1)
            rows += [prep.blocks["bin_n"].start + calib, prep.blocks["bin_hit"].start + calib]
            cols += [u, u]
            w += [np.ones(len(u)), (y == 1).astype(float)]
            for name in VALUES if pl.values else ():
                s1, s2 = cells[1 + 2 * v, occupied], cells[2 + 2 * v, occupied]
                mean = s1 / n
                mrows.append(prep.blocks[name].start + (calib if name == "bin_conf" else np.zeros(len(u), np.int64)))
                mcols.append(u)
                means.append(mean)
                # s2/n - mean**2 cancels: below 1e-9 of the mean square it is rounding (values equal
                # up to ~5 digits, a share of the variance under 1e-9), which a sqrt would blow up
                # into differences between chunkings
                var = s2 / n - mean * mean
                vars_.append(np.where(var > 1e-9 * (s2 / n), var, 0.0))
                v += 1
        if prep.scored:
            rows.append(prep.blocks["auc1"].start + (bins - 1 - sbin) + bins * (y != 1))
            cols.append(u)
            w.append(np.ones(len(u)))
        shape = (blay.m, len(u))

        def mat(r: list, c: list, x: list, shape: tuple[int, int] = shape) -> sparse.csr_matrix:
            if not r:
                return sparse.csr_matrix(shape)
            return sparse.csr_matrix((np.concatenate(x), (np.concatenate(r), np.concatenate(c))), shape=shape)

        value_rows = np.unique(np.concatenate(mrows)) if mrows else np.zeros(0, dtype=np.int64)
        out.append((mat(rows, cols, w), mat(mrows, mcols, means), mat(mrows, mcols, vars_), value_rows))
    return out


def resample(pl: Plan, cells: np.ndarray, n_boot: int, random_state: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Statistics of the resampling layouts: per predictor ``(unit, reps)``.

    ``unit`` (shape ``(m,)``) holds the statistics with every cell at its row count (the
    point values on the resampling bins), ``reps`` (shape ``(m, n_boot)``) those of each
    resample (see the module docstring).
    """
    occupied = np.flatnonzero(cells[0])
    lam = cells[0, occupied]
    maps = _maps(pl, occupied, cells)
    units = [np.asarray(A @ lam + Mn @ lam).ravel() for A, Mn, _, _ in maps]
    reps = [np.zeros((blay.m, n_boot)) for blay in pl.boot]
    var = [np.zeros((len(vr), n_boot)) for *_, vr in maps]
    done = 0
    for draws in poisson_cell_draws(lam, n_boot, random_state=random_state):
        Mt = np.ascontiguousarray(draws.T, dtype=float)  # cells x resamples
        sl = slice(done, done + draws.shape[0])
        for i, (A, Mn, Vr, vr) in enumerate(maps):
            reps[i][:, sl] = A @ Mt + Mn @ Mt
            if len(vr):
                var[i][:, sl] = (Vr @ Mt)[vr]
        done = sl.stop
    # the within-cell part of the per-row sums: normal, with the row bootstrap's conditional variance
    rng = np.random.default_rng([int(random_state), 0x5CE12])
    for i, (*_, vr) in enumerate(maps):
        if len(vr):
            reps[i][vr] += np.sqrt(var[i]) * rng.standard_normal((len(vr), n_boot))
    return units, reps


def shift_ranking(pl: Plan, i: int, fine_point: dict[str, float], coarse_point: dict[str, float],
                  samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Resampled ROC-AUC / PR-AUC of predictor ``i`` moved onto the fine point value (when coarsened)."""
    if pl.boot[i].n_bins == pl.fine[i].n_bins or not pl.fine[i].prep.scored:
        return samples
    out = dict(samples)
    for m in ("roc_auc", "pr_auc"):
        if m in out and m in fine_point and m in coarse_point:
            out[m] = np.clip(out[m] + (fine_point[m] - coarse_point[m]), 0.0, 1.0)
    return out


def units(pl: Plan, stats: dict[str, Any]) -> list[np.ndarray]:
    """The fine statistics of each predictor under unit weights (shape ``(m,)`` each)."""
    cells = stats["cells"]
    occupied = np.flatnonzero(cells[0])
    lam = cells[0, occupied]
    out = []
    for lay, blay, (A, Mn, _, _), fine in zip(pl.fine, pl.boot, _maps(pl, occupied, cells), stats["fine"], strict=True):
        coarse = np.asarray(A @ lam + Mn @ lam).ravel()
        unit = np.zeros(lay.m)
        for name, sl in lay.prep.blocks.items():
            unit[sl] = fine if fine is not None and name.startswith("auc") else coarse[blay.prep.blocks[name]]
        out.append(unit)
    return out


def metrics(pl: Plan, stats: dict[str, Any], n_boot: int, random_state: int, *, ap: bool, which: frozenset[str]
            ) -> tuple[list[np.ndarray], list[dict[str, float]], list[dict[str, np.ndarray]], dict[str, Any],
                       dict[str, np.ndarray]]:
    """Point metrics (fine bins), resampled metrics, and the first predictor's curves and bands.

    ``stats`` are the merged :func:`chunk_stats`. Returns ``(units, points, samples,
    point_curves, curve_samples)``, ``units`` being the fine unit-weight statistics.
    """
    fine_units = units(pl, stats)
    cells = stats["cells"]
    coarse_units, reps = resample(pl, cells, n_boot, random_state) if n_boot > 0 else ([], [])
    points, samples = [], []
    point_curves: dict[str, Any] = {}
    curve_samples: dict[str, np.ndarray] = {}
    for i, (lay, blay, unit) in enumerate(zip(pl.fine, pl.boot, fine_units, strict=True)):
        fine = {m: float(v[0]) for m, v in E.classification_metrics(lay.prep, unit[:, None], ap=ap).items()}
        points.append(fine)
        if n_boot <= 0:
            samples.append({})
            continue
        coarse = {m: float(v[0]) for m, v in
                  E.classification_metrics(blay.prep, coarse_units[i][:, None], ap=ap).items()}
        samples.append(shift_ranking(pl, i, fine, coarse, E.classification_metrics(blay.prep, reps[i], ap=ap)))
    if which:
        point_curves = E.classification_curves(pl.fine[0].prep, fine_units[0][:, None], which)
        if n_boot > 0:
            blay = pl.boot[0]
            curve_samples = {c: yv for c, (_, yv) in E.classification_curves(blay.prep, reps[0], which).items()}
            if blay.n_bins != pl.fine[0].n_bins:  # the bands onto the fine point curve, as the metrics
                coarse = E.classification_curves(blay.prep, coarse_units[0][:, None], which)
                for c in ("roc", "pr"):
                    if c in curve_samples:
                        curve_samples[c] = np.clip(curve_samples[c] + (point_curves[c][1] - coarse[c][1]), 0.0, 1.0)
    return fine_units, points, samples, point_curves, curve_samples
