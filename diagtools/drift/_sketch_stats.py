"""Two-sample drift statistics from merged :class:`~diagtools.drift._sketch.ColumnSketch` es, with bounds.

Numeric columns (bins on common edges; see :mod:`diagtools.drift._sketch`). Let ``A_j`` be a
window's CDF at the left end of bin ``j`` (exact: counts below) and ``i_j`` the share of its
values strictly inside the bin (the bin's count less the values on its right edge). Inside the
bin the CDF lies in ``[A_j, A_j + i_j]``, which gives:

- **KS**: ``D`` is the largest CDF gap at the edges (exact there); the exact statistic lies in
  ``[D, D_up]`` with ``D_up = max(D, max_j max(A_j + i_j - B_j, B_j + k_j - A_j))`` (``B, k`` the
  other window's). The bound ``D_up - D`` is at most one bin's share, about
  ``1 / SKETCH_BINS``, and 0 for a column whose distinct values are all edges. The p-value is
  the asymptotic one of ``D`` (``scipy.stats.kstwo``), as the in-memory path uses above 10,000
  rows (its limit ``kstwobign`` above an effective size of 100,000: :func:`ks_pvalue`).
- **Wasserstein-1**: the integral of ``|F_ref - F_cur|`` with both CDFs linear inside each bin
  (the outer bins run from the global minimum / to the global maximum, exact); the exact
  value lies in ``[W_lo, W_hi]`` (the integral of the least / largest gap the bin allows), and
  the stated bound is ``max(W_hi - W, W - W_lo)``. Divided, as in memory, by the reference
  standard deviation, which is exact (from the sums).
- **PSI**: on the reference deciles snapped to the next fine edge (exact for those bins; each
  decile edge is off the exact reference decile by at most one fine bin).
- mean shift, missing rate, min / max: exact (sums and counts).

Categorical columns: chi-square, Jensen-Shannon and PSI from the counts, exactly as in memory;
for a hashed column (more than ``MAX_CATEGORIES`` values) they are on the buckets: the JS
distance can only be smaller than the exact one (merging categories cannot separate them more).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
from scipy import stats as sps

from diagtools.drift._sketch import ColumnSketch
from diagtools.drift._tests import PSI_BINS, psi


def cdfs(ref: ColumnSketch, cur: ColumnSketch) -> dict[str, np.ndarray]:
    """Left-end CDFs ``A``, interior shares ``i`` of both windows, and each bin's width."""
    out: dict[str, np.ndarray] = {}
    for w, s in (("r", ref), ("c", cur)):
        n = max(s.n, 1)
        out[f"A{w}"] = np.concatenate([[0.0], np.cumsum(s.counts)[:-1]]) / n
        out[f"i{w}"] = (s.counts - s.at_edge) / n
    return out


def widths(edges: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Width of each bin: bin 0 from the global minimum, the last to the global maximum."""
    if len(edges) == 0:
        return np.array([max(hi - lo, 0.0)])
    left = np.concatenate([[min(lo, edges[0])], edges])
    right = np.concatenate([edges, [max(hi, edges[-1])]])
    return right - left


def ks_from_sketch(c: dict[str, np.ndarray]) -> tuple[float, float]:
    """KS ``D`` at the edges and the upper end ``D_up`` of the exact statistic."""
    # the CDF at each right edge is the next bin's left end (1 after the last bin)
    right_r = np.concatenate([c["Ar"][1:], [1.0]])
    right_c = np.concatenate([c["Ac"][1:], [1.0]])
    d = float(np.max(np.abs(right_r - right_c)))
    inside = np.maximum(c["Ar"] + c["ir"] - c["Ac"], c["Ac"] + c["ic"] - c["Ar"])
    return d, float(max(d, inside.max(initial=0.0)))


def wasserstein_from_sketch(c: dict[str, np.ndarray], width: np.ndarray) -> tuple[float, float, float]:
    """Wasserstein-1 (linear CDFs inside each bin) and the range ``[W_lo, W_hi]`` of the exact value."""
    d0 = c["Ar"] - c["Ac"]
    d1 = d0 + c["ir"] - c["ic"]
    a0, a1 = np.abs(d0), np.abs(d1)
    same = d0 * d1 >= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = np.where(a0 + a1 > 0, (d0 * d0 + d1 * d1) / (2 * (a0 + a1)), 0.0)
    mean_gap = np.where(same, (a0 + a1) / 2, cross)  # mean of |linear gap| over the bin
    low = np.maximum(0.0, np.maximum(c["Ar"] - (c["Ac"] + c["ic"]), c["Ac"] - (c["Ar"] + c["ir"])))
    high = np.maximum(c["Ar"] + c["ir"] - c["Ac"], c["Ac"] + c["ic"] - c["Ar"])
    return float(np.dot(mean_gap, width)), float(np.dot(low, width)), float(np.dot(high, width))


def mean_var(s: ColumnSketch, pivot: float) -> tuple[float, float, float]:
    """Mean, sample variance (ddof=1) and population variance of the finite values."""
    n = s.n
    if n == 0:
        return np.nan, np.nan, np.nan
    m = s.s1 / n
    ss = max(s.s2 - s.s1 * m, 0.0)  # sum of squared deviations
    return pivot + m, ss / (n - 1) if n > 1 else np.nan, ss / n


def psi_from_sketch(ref: ColumnSketch, cur: ColumnSketch) -> float:
    """PSI on the reference deciles snapped to the next fine edge."""
    cum = np.cumsum(ref.counts) / max(ref.n, 1)
    cut = np.unique(np.searchsorted(cum, np.linspace(0, 1, PSI_BINS + 1)[1:-1], side="left"))
    groups = np.concatenate([[0], cut + 1, [len(cum)]])
    groups = np.unique(np.clip(groups, 0, len(cum)))
    r = np.add.reduceat(ref.counts, groups[:-1]).astype(float)
    k = np.add.reduceat(cur.counts, groups[:-1]).astype(float)
    return psi(r, k)


def quantile_from_sketch(s: ColumnSketch, edges: np.ndarray, q: float) -> float:
    """A quantile from the binned CDF (within one bin of the exact value).

    Inside its bin, the values strictly between the edges are spread linearly and the values on
    the right edge sit there, so a column whose distinct values are all edges gets the exact
    (lower) quantile.
    """
    if s.n == 0:
        return np.nan
    if len(edges) == 0:
        return s.vmin
    left = np.concatenate([[s.vmin], edges])
    right = np.concatenate([edges, [s.vmax]])
    cum = np.cumsum(s.counts) / s.n
    j = min(int(np.searchsorted(cum, q, side="left")), len(cum) - 1)
    before = cum[j - 1] if j > 0 else 0.0
    inside = (s.counts[j] - s.at_edge[j]) / s.n
    lo, hi = max(left[j], s.vmin), min(right[j], s.vmax)
    if inside <= 0 or q - before > inside:
        return float(hi)
    return float(lo + (hi - lo) * min(max((q - before) / inside, 0.0), 1.0))


#: Effective sample size above which the KS p-value uses the limiting Kolmogorov distribution.
KS_ASYMPTOTIC_N = 100_000


def ks_pvalue(d: float, n1: int, n2: int) -> float:
    """Two-sided KS p-value of ``D`` for samples of ``n1`` and ``n2`` values.

    ``scipy.stats.kstwo`` at the effective size ``n1 n2 / (n1 + n2)``, as in memory, up to
    :data:`KS_ASYMPTOTIC_N`; above, its limit ``kstwobign`` at ``D sqrt(n)`` (within 1% of it
    there, relative, and free of ``kstwo``'s seconds-long evaluations at millions of rows).
    """
    m, n = sorted([float(n1), float(n2)], reverse=True)
    n_eff = np.round(m * n / (m + n))
    if n_eff > KS_ASYMPTOTIC_N:
        return float(min(max(sps.kstwobign.sf(d * np.sqrt(n_eff)), 0.0), 1.0))
    return float(min(max(sps.kstwo.sf(d, n_eff), 0.0), 1.0))


def numeric_sketch_stats(ref: ColumnSketch, cur: ColumnSketch, edges: np.ndarray, pivot: float) -> dict[str, Any]:
    """KS (with p-value), normalised Wasserstein, PSI and their bounds for one numeric column."""
    out: dict[str, Any] = {"ks_stat": np.nan, "ks_p": np.nan, "ks_bound": np.nan, "wasserstein_norm": np.nan,
                           "wasserstein_bound": np.nan, "psi": np.nan, "scale": np.nan, "note": ""}
    n1, n2 = ref.n, cur.n
    if n1 == 0 or n2 == 0:
        from diagtools.drift._tests import missing_note

        out["note"] = missing_note(SimpleNamespace(n=n1), SimpleNamespace(n=n2))
        return out
    c = cdfs(ref, cur)
    d, d_up = ks_from_sketch(c)
    p = ks_pvalue(d, n1, n2)
    w, w_lo, w_hi = wasserstein_from_sketch(c, widths(edges, min(ref.vmin, cur.vmin), max(ref.vmax, cur.vmax)))
    scale = float(np.sqrt(mean_var(ref, pivot)[2]))
    note = ""
    if not scale > 0:
        scale, note = 1.0, "constant in the reference: Wasserstein distance not normalised"
    out.update(ks_stat=d, ks_p=min(max(p, 0.0), 1.0), ks_bound=d_up - d, ks_up=d_up,
               wasserstein_norm=w / scale, wasserstein_bound=max(w_hi - w, w - w_lo) / scale,
               wasserstein_lo=w_lo / scale, wasserstein_hi=w_hi / scale,
               psi=psi_from_sketch(ref, cur), scale=scale, note=note)
    return out
