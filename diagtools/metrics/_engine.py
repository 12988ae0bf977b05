"""Vectorized weighted metrics: every metric of every bootstrap resample at once.

A resample is a vector of counts ``w`` (how often each row was drawn). Each predictor is
*prepared* once into a sparse matrix ``S`` of shape ``(m, n)`` whose rows are per-row
indicator or value vectors (confusion cells, per-row losses, calibration bins, score-tie
groups). For a chunk of resamples ``W`` of shape ``(b, n)``, ``sums = (S @ W.T).T`` holds all
sufficient statistics; metrics then follow from small arrays of shape ``(b, ...)``:

- confusion-count metrics from the ``K*K`` cell counts,
- log loss, Brier, ECE from weighted sums,
- ROC-AUC as a weighted Mann-Whitney statistic over groups of tied scores (sorted once),
- average precision from cumulative weighted true/false positives at distinct thresholds,
- regression errors as weighted sums, the median absolute error as a weighted median on the
  errors sorted once.

With ``w`` set to a vector of ones (or to any weights) the results equal scikit-learn's
metrics with ``sample_weight=w``; the tests check exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

N_BINS = 10
CURVE_POINTS = 1000  # ROC/PR curves use at most this many threshold groups per resample
GRID = np.linspace(0.0, 1.0, 101)
_EPS = np.finfo(np.float64).eps


def base_name(metric: str) -> str:
    """``"recall[1]"`` -> ``"recall"``."""
    return metric.split("[", 1)[0]


@dataclass
class ClassificationPrep:
    """Sufficient-statistic design of one classifier's predictions (see module docstring)."""

    n: int
    labels: list[str]
    S: sparse.csr_matrix
    blocks: dict[str, slice]
    has_proba: bool
    has_score: bool
    groups: list[int] = field(default_factory=list)  # number of tie groups per scored class
    scored: list[int] = field(default_factory=list)  # class codes with an AUC/AP block
    curve_starts: np.ndarray | None = None  # first tie group of each merged curve group


def prepare_classification(
    y: np.ndarray,
    pred: np.ndarray,
    labels: list[str],
    *,
    proba: np.ndarray | None = None,
    score: np.ndarray | None = None,
) -> ClassificationPrep:
    """Prepare one classifier.

    Parameters
    ----------
    y, pred : ndarray of int
        Codes ``0..K-1`` of the true and predicted classes.
    labels : list of str
        Class names (for metric names), length ``K``.
    proba : ndarray of shape (n, K), optional
        Class probabilities (enables log loss, Brier, ECE, reliability curve).
    score : ndarray of shape (n,) or (n, K), optional
        Ranking scores (enables ROC-AUC and average precision); ``(n,)`` for binary
        (score of class 1). Defaults to ``proba``.
    """
    n = len(y)
    k = len(labels)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    blocks: dict[str, slice] = {}
    m = 0
    ar = np.arange(n)

    def add(name: str, width: int, r: np.ndarray, c: np.ndarray, v: np.ndarray) -> None:
        nonlocal m
        rows.append(r + m)
        cols.append(c)
        vals.append(v.astype(float))
        blocks[name] = slice(m, m + width)
        m += width

    add("conf", k * k, y * k + pred, ar, np.ones(n))
    if proba is not None:
        p = np.clip(proba, _EPS, 1 - _EPS)
        p = p / p.sum(axis=1, keepdims=True)
        loss = -np.log(p[ar, y])
        add("log_loss", 1, np.zeros(n, dtype=np.int64), ar, loss)
        onehot = np.zeros((n, k))
        onehot[ar, y] = 1.0
        brier = ((onehot - proba) ** 2).sum(axis=1) * (0.5 if k == 2 else 1.0)
        add("brier", 1, np.zeros(n, dtype=np.int64), ar, brier)
        if k == 2:
            conf, hit = proba[:, 1], (y == 1).astype(float)
        else:
            conf, hit = proba.max(axis=1), (proba.argmax(axis=1) == y).astype(float)
        b = np.minimum((conf * N_BINS).astype(np.int64), N_BINS - 1)
        add("bin_n", N_BINS, b, ar, np.ones(n))
        add("bin_hit", N_BINS, b, ar, hit)
        add("bin_conf", N_BINS, b, ar, conf)
    if score is None and proba is not None:
        score = proba[:, 1] if k == 2 else proba
    groups: list[int] = []
    scored: list[int] = []
    curve_starts = None
    if score is not None:
        targets = [1] if k == 2 else list(range(k))
        for cls in targets:
            s = score if score.ndim == 1 else score[:, cls]
            # groups of tied scores, in descending order of score
            uniq, inv = np.unique(-s, return_inverse=True)
            g = len(uniq)
            pos = y == cls
            add(f"auc{cls}", 2 * g, inv + g * (~pos), ar, np.ones(n))
            if k == 2 and g > CURVE_POINTS:
                # curves only: merge neighbouring thresholds into CURVE_POINTS ordered groups
                curve_starts = np.searchsorted(np.arange(g) * CURVE_POINTS // g, np.arange(CURVE_POINTS))
            groups.append(g)
            scored.append(cls)
    S = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m, n)
    )
    S.sum_duplicates()
    return ClassificationPrep(
        n=n, labels=list(labels), S=S, blocks=blocks, has_proba=proba is not None,
        has_score=score is not None, groups=groups, scored=scored, curve_starts=curve_starts,
    )


def weighted_sums(S: sparse.csr_matrix, Wt: np.ndarray) -> np.ndarray:
    """Return ``S @ Wt`` of shape ``(m, b)`` for weights ``Wt`` of shape ``(n, b)``.

    The statistics stay in this layout (one column per resample): cumulative sums along the
    first axis are then vectorized over resamples, and no large transpose is needed.
    """
    return np.asarray(S @ Wt)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` with 0 where ``b`` is 0 (scikit-learn's ``zero_division=0``)."""
    out = np.zeros(np.broadcast(a, b).shape)
    np.divide(a, b, out=out, where=b != 0)
    return out


def _auc_ap(
    prep: ClassificationPrep, sums: np.ndarray, cls: int, *, ap: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """ROC-AUC (weighted Mann-Whitney with ties) and average precision of one class, shape ``(b,)``.

    One cumulative sum along the tie groups (descending score) per statistic: the positives
    ranked above each negative for the AUC, and with ``ap`` the predicted-positive weight.
    """
    block = sums[prep.blocks[f"auc{cls}"]]
    g = block.shape[0] // 2
    P, N = block[:g], block[g:]
    cp = np.cumsum(P, axis=0)
    ptot, ntot = cp[-1], N.sum(axis=0)
    # a negative in group g ranks below the positives of earlier groups, ties count a half
    num = np.einsum("ij,ij->j", N, cp) - 0.5 * np.einsum("ij,ij->j", N, P)
    with np.errstate(all="ignore"):
        auc = np.where((ptot > 0) & (ntot > 0), num / (ptot * ntot), np.nan)
        if ap:
            # precision at each distinct threshold; where nothing is predicted yet cp is 0 too
            predicted = np.cumsum(block[:g] + block[g:], axis=0)
            prec = cp / np.maximum(predicted, 1e-300)
            avg = np.where(ptot > 0, np.einsum("ij,ij->j", P, prec) / ptot, np.nan)
        else:
            avg = np.full(len(ptot), np.nan)
    return auc, avg


def _cumulative(prep: ClassificationPrep, sums: np.ndarray, cls: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative positive / negative weights ``(b, g)`` over (possibly merged) threshold groups."""
    block = sums[prep.blocks[f"auc{cls}"]]
    g = block.shape[0] // 2
    P, N = block[:g], block[g:]
    if prep.curve_starts is not None:
        P = np.add.reduceat(P, prep.curve_starts, axis=0)
        N = np.add.reduceat(N, prep.curve_starts, axis=0)
    return np.cumsum(P, axis=0).T, np.cumsum(N, axis=0).T


def classification_metrics(
    prep: ClassificationPrep, sums: np.ndarray, *, ap: bool = True
) -> dict[str, np.ndarray]:
    """All classification metrics for each resample (each value has shape ``(b,)``).

    ``sums`` comes from :func:`weighted_sums`; ``ap=False`` skips the average precision
    (``pr_auc``), the costliest of them.
    """
    k = len(prep.labels)
    cells = sums[prep.blocks["conf"]]
    total = cells.sum(axis=0)
    C = cells.reshape(k, k, -1)  # true x predicted x resample
    tp = np.diagonal(C, axis1=0, axis2=1).T  # (k, b)
    support = C.sum(axis=1)
    predicted = C.sum(axis=0)
    out: dict[str, np.ndarray] = {}
    out["accuracy"] = tp.sum(axis=0) / total
    recall = _div(tp, support)
    present = support > 0
    with np.errstate(all="ignore"):
        out["balanced_accuracy"] = (recall * present).sum(axis=0) / present.sum(axis=0)
    precision = _div(tp, predicted)
    f1 = _div(2 * tp, support + predicted)
    for name, arr in (("precision", precision), ("recall", recall), ("f1", f1)):
        for j, lab in enumerate(prep.labels):
            out[f"{name}[{lab}]"] = arr[j]
    for name, arr in (("precision", precision), ("recall", recall), ("f1", f1)):
        out[f"{name}_macro"] = arr.mean(axis=0)
        out[f"{name}_weighted"] = (arr * support).sum(axis=0) / support.sum(axis=0)
    if prep.scored:
        aucs, aps = [], []
        for cls in prep.scored:
            auc, avg = _auc_ap(prep, sums, cls, ap=ap)
            aucs.append(auc)
            aps.append(avg)
        out["roc_auc"] = np.mean(aucs, axis=0)
        if ap:
            out["pr_auc"] = np.mean(aps, axis=0)
    if prep.has_proba:
        out["log_loss"] = sums[prep.blocks["log_loss"]][0] / total
        out["brier"] = sums[prep.blocks["brier"]][0] / total
        hit = sums[prep.blocks["bin_hit"]]
        conf = sums[prep.blocks["bin_conf"]]
        out["ece"] = np.abs(hit - conf).sum(axis=0) / total
    return out


def classification_curves(
    prep: ClassificationPrep, sums: np.ndarray, which: frozenset[str] = frozenset({"roc", "pr", "reliability"})
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Curves per resample: ``name -> (x of shape (b, g) or (g,), y of shape (b, g))``.

    ``roc``: true positive rate at the false positive rates of :data:`GRID` (linear
    interpolation between the curve's points); ``pr``: precision at the first threshold whose
    recall reaches each value of :data:`GRID`; ``reliability``: observed frequency per
    probability bin, x being the mean predicted probability in the bin. ROC and PR are drawn
    for binary tasks only; reliability for any task with probabilities.
    """
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if len(prep.labels) == 2 and prep.scored and {"roc", "pr"} & which:
        cp, cn = _cumulative(prep, sums, 1)
        zeros = np.zeros((cp.shape[0], 1))
        with np.errstate(all="ignore"):
            tpr = np.hstack([zeros, cp / cp[:, -1:]])
            fpr = np.hstack([zeros, cn / cn[:, -1:]])
            recall = cp / cp[:, -1:]
            precision = _div(cp, cp + cn)
        if "roc" in which:
            out["roc"] = (GRID, _interp_rows(GRID, fpr, tpr))
        if "pr" in which:
            out["pr"] = (GRID, _first_reaching(GRID, recall, precision))
    if prep.has_proba and "reliability" in which:
        n_bin = sums[prep.blocks["bin_n"]].T
        with np.errstate(all="ignore"):
            freq = sums[prep.blocks["bin_hit"]].T / n_bin
            mean_conf = sums[prep.blocks["bin_conf"]].T / n_bin
        out["reliability"] = (mean_conf, np.where(n_bin > 0, freq, np.nan))
    return out


def _flat_offsets(x: np.ndarray) -> np.ndarray:
    """Shift each row of a nondecreasing ``x`` (values in [0, 1]) so rows concatenate sorted."""
    offs = 2.0 * np.arange(x.shape[0])[:, None]
    return (np.nan_to_num(x, nan=0.0) + offs).ravel()


def _interp_rows(grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise ``np.interp(grid, x[r], y[r])`` for nondecreasing rows, in one searchsorted."""
    b, g = x.shape
    flat = _flat_offsets(x)
    q = (grid[None, :] + 2.0 * np.arange(b)[:, None]).ravel()
    hi = np.searchsorted(flat, q, side="right").reshape(b, -1)
    base = (np.arange(b) * g)[:, None]
    hi = np.clip(hi, base + 1, base + g - 1)
    lo = hi - 1
    xf, yf = x.ravel(), np.nan_to_num(y).ravel()
    x0, x1, y0, y1 = xf[lo], xf[hi], yf[lo], yf[hi]
    with np.errstate(all="ignore"):
        t = np.where(x1 > x0, (grid[None, :] - x0) / (x1 - x0), 1.0)
    t = np.clip(t, 0.0, 1.0)
    out = y0 + t * (y1 - y0)
    return np.where(np.isfinite(x[:, -1:]), out, np.nan)


def _first_reaching(grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise ``y`` at the first index where ``x >= grid`` (``x`` nondecreasing)."""
    b, g = x.shape
    flat = _flat_offsets(x)
    q = (grid[None, :] + 2.0 * np.arange(b)[:, None]).ravel()
    idx = np.searchsorted(flat, q - 1e-12, side="left").reshape(b, -1)
    base = (np.arange(b) * g)[:, None]
    idx = np.clip(idx, base, base + g - 1)
    out = y.ravel()[idx]
    return np.where(np.isfinite(x[:, -1:]), out, np.nan)


@dataclass
class RegressionPrep:
    """Per-row error design of one regressor."""

    D: np.ndarray  # (n, 5): |e|, e^2, y, y^2, |e|/max(|y|, eps)
    order: np.ndarray  # argsort of |e|
    abs_sorted: np.ndarray


def prepare_regression(y: np.ndarray, pred: np.ndarray) -> RegressionPrep:
    """Prepare one regressor's predictions."""
    e = y - pred
    ae = np.abs(e)
    ape = ae / np.maximum(np.abs(y), _EPS)
    D = np.column_stack([ae, e * e, y, y * y, ape])
    order = np.argsort(ae, kind="stable")
    return RegressionPrep(D=D, order=order, abs_sorted=ae[order])


def regression_metrics(prep: RegressionPrep, W: np.ndarray) -> dict[str, np.ndarray]:
    """Regression metrics for each row of the weights ``W`` of shape ``(b, n)``."""
    s = W @ prep.D
    tot = W.sum(axis=1)
    out: dict[str, np.ndarray] = {}
    out["mae"] = s[:, 0] / tot
    out["rmse"] = np.sqrt(s[:, 1] / tot)
    ss_tot = s[:, 3] - s[:, 2] ** 2 / tot
    with np.errstate(all="ignore"):
        out["r2"] = np.where(ss_tot > 0, 1.0 - s[:, 1] / ss_tot, np.nan)
    out["mape"] = s[:, 4] / tot
    out["median_ae"] = weighted_median_sorted(prep.abs_sorted, W[:, prep.order])
    return out


def weighted_median_sorted(values: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Weighted median of sorted ``values`` per row of ``W`` (averaged inverted CDF).

    Matches scikit-learn's ``_weighted_percentile(..., average=True)``, hence
    ``median_absolute_error(..., sample_weight=w)`` and ``np.median`` for unit weights.
    """
    cums = np.cumsum(W, axis=1, dtype=float)
    half = cums[:, -1:] / 2.0
    lo = (cums < half).sum(axis=1)
    hi = (cums <= half).sum(axis=1)
    # the first row whose cumulative weight passes half has positive weight
    hi = np.minimum(hi, W.shape[1] - 1)
    return 0.5 * (values[lo] + values[hi])
