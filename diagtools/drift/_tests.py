"""Two-sample statistics computed from column profiles (sorted values or counts).

Numeric: Kolmogorov-Smirnov statistic and p-value (equal to ``scipy.stats.ks_2samp``),
Wasserstein-1 distance (equal to ``scipy.stats.wasserstein_distance``) divided by the
reference standard deviation, and PSI on reference-decile bins. Categorical: chi-square on
the 2 x k table (``scipy.stats.chi2_contingency``), PSI, and Jensen-Shannon distance
(``scipy.spatial.distance.jensenshannon``, base 2, so it lies in [0, 1]).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

from diagtools.drift._profile import ColumnProfile

#: Added to empty bin shares before the PSI logarithm (PSI is infinite otherwise).
PSI_EPS = 1e-4
#: Quantile bins of the reference used for the PSI of numeric columns.
PSI_BINS = 10
#: scipy's ``ks_2samp(method="auto")`` is exact up to this sample size, asymptotic above.
KS_MAX_EXACT_N = 10_000


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Population stability index of two count vectors over the same bins.

    ``sum((c - r) * ln(c / r))`` over bin shares, with :data:`PSI_EPS` added to empty bins.
    """
    r = ref_counts / max(ref_counts.sum(), 1)
    c = cur_counts / max(cur_counts.sum(), 1)
    r = np.where(r > 0, r, PSI_EPS)
    c = np.where(c > 0, c, PSI_EPS)
    return float(np.sum((c - r) * np.log(c / r)))


def sorted_quantile(sorted_values: np.ndarray, q: float | np.ndarray) -> np.ndarray:
    """Quantiles of already sorted values (numpy's default linear method, without a partition)."""
    n = len(sorted_values)
    pos = np.asarray(q, dtype=float) * (n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


def psi_edges(ref_sorted: np.ndarray, n_bins: int = PSI_BINS) -> np.ndarray:
    """Inner bin edges at the reference quantiles (duplicates removed)."""
    if len(ref_sorted) == 0:
        return np.empty(0)
    return np.unique(sorted_quantile(ref_sorted, np.linspace(0, 1, n_bins + 1)[1:-1]))


def binned_counts(sorted_values: np.ndarray, inner_edges: np.ndarray) -> np.ndarray:
    """Counts of sorted values in the bins ``(-inf, e1], (e1, e2], ..., (ek, inf)``."""
    pos = np.searchsorted(sorted_values, inner_edges, side="right")
    bounds = np.concatenate([[0], pos, [len(sorted_values)]])
    return np.diff(bounds).astype(float)


def safe_mean_var(values: np.ndarray) -> tuple[float, float]:
    """Mean and sample variance (ddof=1) without overflow for huge values (|x| near 1e300).

    The values are divided by their largest magnitude first, so squares cannot overflow; the
    variance is scaled back and may be ``inf`` only when the true variance exceeds float range.
    """
    n = len(values)
    if n == 0:
        return float("nan"), float("nan")
    big = float(np.max(np.abs(values)))
    if not big > 0:
        return 0.0, 0.0 if n > 1 else float("nan")
    v = values / big
    mean = float(v.mean()) * big
    if n < 2:
        return mean, float("nan")
    with np.errstate(over="ignore"):
        var = float(v.var(ddof=1)) * big * big
    return mean, var


def safe_std(values: np.ndarray) -> float:
    """Population standard deviation (ddof=0) without overflow for huge values."""
    n = len(values)
    if n == 0:
        return float("nan")
    big = float(np.max(np.abs(values)))
    if not big > 0:
        return 0.0
    return float(np.std(values / big)) * big


def missing_note(ref: ColumnProfile, cur: ColumnProfile) -> str:
    """Which window has no usable value at all ("" when both have some)."""
    if cur.n == 0 and ref.n == 0:
        return "all values missing in both windows"
    if cur.n == 0:
        return "all values missing in current"
    if ref.n == 0:
        return "all values missing in reference"
    return ""


def numeric_stats(ref: ColumnProfile, cur: ColumnProfile) -> dict[str, Any]:
    """KS statistic and p-value, normalised Wasserstein distance and PSI of one numeric column."""
    r, c = ref.values, cur.values
    n1, n2 = len(r), len(c)
    out: dict[str, Any] = {"ks_stat": np.nan, "ks_p": np.nan, "wasserstein": np.nan, "wasserstein_norm": np.nan,
                           "psi": np.nan, "scale": np.nan, "note": ""}
    if n1 == 0 or n2 == 0:
        out["note"] = missing_note(ref, cur)
        return out
    # Both CDFs on the merged support. One stable argsort merges the two sorted runs in linear
    # time; running counts give the CDFs. Inside a run of tied values the counts are partial, but
    # there the gap to the next value is 0, so the Wasserstein sum is the same as scipy's
    # (_cdf_distance) term by term, and KS takes its maximum only where the value changes.
    both = np.concatenate([r, c])
    order = np.argsort(both, kind="stable")
    all_values = both[order]
    cnt_r = np.cumsum(order < n1)
    cdf_r = cnt_r / n1
    cdf_c = (np.arange(1, n1 + n2 + 1) - cnt_r) / n2
    diff = cdf_r - cdf_c
    deltas = np.diff(all_values)
    w = float(np.dot(np.abs(diff[:-1]), deltas))
    if max(n1, n2) <= KS_MAX_EXACT_N:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = sps.ks_2samp(r, c)
        d, p = float(res.statistic), float(res.pvalue)
    else:
        ends = diff[:-1][deltas > 0]  # CDF differences at the last copy of each distinct value
        d = float(max(np.clip(-ends.min(initial=0.0), 0, 1), ends.max(initial=0.0)))
        m, n = sorted([float(n1), float(n2)], reverse=True)
        p = float(sps.kstwo.sf(d, np.round(m * n / (m + n))))
    scale = safe_std(r)  # huge values (1e300) would overflow np.std's squares
    note = ""
    if not scale > 0:
        scale, note = 1.0, "constant in the reference: Wasserstein distance not normalised"
    edges = psi_edges(r)
    out.update(
        ks_stat=d, ks_p=min(max(p, 0.0), 1.0), wasserstein=w, wasserstein_norm=w / scale,
        psi=psi(binned_counts(r, edges), binned_counts(c, edges)), scale=scale, note=note,
    )
    return out


def category_table(ref: ColumnProfile, cur: ColumnProfile) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sorted union of categories and the reference / current counts over it."""
    cats = sorted(set(ref.counts or {}) | set(cur.counts or {}))
    r = np.array([(ref.counts or {}).get(k, 0) for k in cats], dtype=float)
    c = np.array([(cur.counts or {}).get(k, 0) for k in cats], dtype=float)
    return cats, r, c


def categorical_stats(ref: ColumnProfile, cur: ColumnProfile) -> dict[str, Any]:
    """Chi-square statistic and p-value, PSI, Jensen-Shannon distance and new/missing categories."""
    cats, r, c = category_table(ref, cur)
    out: dict[str, Any] = {"chi2_stat": np.nan, "chi2_p": np.nan, "psi": np.nan, "js_distance": np.nan,
                           "new": [], "missing": [], "new_share": np.nan, "note": ""}
    if r.sum() == 0 or c.sum() == 0:
        out["note"] = missing_note(ref, cur)
        return out
    if len(cats) < 2:
        chi2, p = 0.0, 1.0
    else:
        res = sps.chi2_contingency(np.vstack([r, c]))
        chi2, p = float(res.statistic), float(res.pvalue)
    new = [k for k, rv, cv in zip(cats, r, c) if rv == 0 and cv > 0]
    missing = [k for k, rv, cv in zip(cats, r, c) if rv > 0 and cv == 0]
    out.update(
        chi2_stat=chi2, chi2_p=p, psi=psi(r, c),
        js_distance=float(jensenshannon(r / r.sum(), c / c.sum(), base=2)),
        new=new, missing=missing, new_share=float(c[[cats.index(k) for k in new]].sum() / c.sum()) if new else 0.0,
    )
    return out


def missing_rate_change(ref: ColumnProfile, cur: ColumnProfile, confidence: float = 0.95) -> dict[str, float]:
    """Change of the missing-value rate (current - reference) with a Wald interval and a z-test p-value.

    The p-value is NaN (no test) when neither window has a missing value.
    """
    k1, n1, k2, n2 = ref.n_missing, ref.n_rows, cur.n_missing, cur.n_rows
    p1, p2 = k1 / n1, k2 / n2
    z = sps.norm.ppf(0.5 + confidence / 2)
    se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    pooled = (k1 + k2) / (n1 + n2)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    pval = float(2 * sps.norm.sf(abs(p2 - p1) / se0)) if se0 > 0 else np.nan
    return {"estimate": p2 - p1, "ci_low": p2 - p1 - z * se, "ci_high": p2 - p1 + z * se, "p_value": pval,
            "reference_rate": p1, "current_rate": p2}
