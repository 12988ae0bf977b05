"""Statistics helpers: vectorized bootstrap, Wilson intervals, paired tests, FDR control.

The bootstrap works on *resampling counts*: resample ``b`` is a vector ``c_b`` of how many
times each row was drawn, so any statistic that is a sum over rows becomes one matrix
product ``C @ v`` for all resamples at once, and sorted statistics (AUC, quantiles) become
cumulative sums along the sorted order. Nothing calls a metric function in a Python loop.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy import stats as _sps

__all__ = [
    "benjamini_hochberg",
    "bias_corrected_interval",
    "bootstrap_counts",
    "bootstrap_p_value",
    "percentile_interval",
    "poisson_cell_draws",
    "poisson_weights",
    "quantile_bootstrap",
    "t_interval",
    "two_proportion_test",
    "wilson_interval",
]

# Count cells per chunk: small chunks stay in cache, which is ~2x faster than big ones.
_CHUNK_CELLS = 1_000_000


def bootstrap_counts(
    n: int, n_boot: int, *, random_state: int | np.random.Generator | None = 0
) -> Iterator[np.ndarray]:
    """Yield resampling-count matrices of shape ``(chunk, n)`` covering ``n_boot`` resamples.

    Each row sums to ``n`` and has the distribution of counts from drawing ``n`` rows with
    replacement (a multinomial). Chunks bound memory; the sequence depends only on
    ``random_state``, so two statistics bootstrapped with the same seed are *paired*.

    Parameters
    ----------
    n : int
        Number of rows.
    n_boot : int
        Number of resamples in total.
    random_state : int, Generator or None, default=0
        Seed of the resampling.
    Yields
    ------
    ndarray of shape (chunk, n)
    """
    rng = np.random.default_rng(random_state)
    chunk = max(1, min(n_boot, _CHUNK_CELLS // max(n, 1)))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        idx = rng.integers(0, n, size=(b, n))
        idx += (np.arange(b) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n)
        done += b
        yield counts


# -- the Poisson bootstrap keyed by row position ----------------------------------------------------
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (Steele, Lea, Flood 2014), vectorized on uint64 (wraps mod 2**64)."""
    z = x.copy()
    tmp = np.empty_like(z)
    for shift, mult in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        np.right_shift(z, np.uint64(shift), out=tmp)
        np.bitwise_xor(z, tmp, out=z)
        np.multiply(z, np.uint64(mult), out=z)
    np.right_shift(z, np.uint64(31), out=tmp)
    np.bitwise_xor(z, tmp, out=z)
    return z


def _poisson_table() -> np.ndarray:
    """Inverse CDF of Poisson(1) on 16-bit uniforms: ``table[u]`` for ``u`` in ``0..65535``.

    Each probability of the table is the exact Poisson(1) probability rounded to a multiple of
    2**-16 (cumulative rounding), so no probability is off by more than 2**-16 and the total
    variation distance to Poisson(1) is below 1e-4: far below the Monte Carlo error of any
    bootstrap with fewer than 10**8 resamples.
    """
    from scipy.stats import poisson

    edges = np.round(poisson.cdf(np.arange(16), 1.0) * 65536).astype(np.int64)
    return np.searchsorted(edges, np.arange(65536), side="right").astype(np.uint8)


_POISSON = _poisson_table()
_HASH_BLOCK = 1 << 16  # hashes per block


def poisson_weights(rows: np.ndarray, n_boot: int, *, random_state: int = 0) -> np.ndarray:
    """Poisson(1) bootstrap weights keyed by global row position, shape ``(n_boot, len(rows))``.

    The weight of row ``i`` in resample ``r`` is a pure function of ``(random_state, i, r)``: a
    counter-based generator (the splitmix64 hash of the seed, the row and the resample, four
    16-bit lanes per hash, each turned into a Poisson(1) count by inverse CDF). Any split of
    the rows into chunks or partitions therefore draws the same weights, and statistics that
    are weighted sums merge across chunks by summation: the bootstrap does not depend on the
    partitioning. Unlike the multinomial bootstrap the resample size varies (mean ``n``,
    variance ``n``); metrics that are ratios of weighted sums are unaffected to first order.

    Parameters
    ----------
    rows : array-like of int
        Global row positions (0-based) of the rows, in any order.
    n_boot : int
        Number of resamples.
    random_state : int, default=0
        Seed (non-negative).

    Returns
    -------
    ndarray of uint8, shape (n_boot, len(rows))

    Examples
    --------
    >>> import numpy as np
    >>> w = poisson_weights(np.arange(10), 3)
    >>> np.array_equal(w[:, 4:], poisson_weights(np.arange(4, 10), 3))
    True
    """
    rows = np.asarray(rows, dtype=np.uint64)
    lanes = -(-int(n_boot) // 4)
    with np.errstate(over="ignore"):
        seed = _splitmix64(np.array([int(random_state) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64) + _GOLDEN)[0]
        key = _splitmix64((rows * _GOLDEN) ^ seed)
        steps = np.arange(1, lanes + 1, dtype=np.uint64) * np.uint64(0xD1B54A32D192ED03)
        out = np.empty((lanes * 4, len(rows)), dtype=np.uint8)
        # blocks of resamples keep the hash's temporaries in cache
        per = max(1, _HASH_BLOCK // max(len(rows), 1))
        for j0 in range(0, lanes, per):
            h = _splitmix64(key[None, :] + steps[j0:j0 + per, None])  # one hash, four 16-bit uniforms
            # the uint16 view keeps each hash's four lanes side by side: (lanes, n, 4) -> (lanes, 4, n)
            u = _POISSON[h.view(np.uint16)].reshape(len(h), len(rows), 4)
            out[4 * j0:4 * (j0 + len(h))] = u.transpose(0, 2, 1).reshape(-1, len(rows))
    return out[:n_boot]


def poisson_cell_draws(
    counts: np.ndarray, n_boot: int, *, random_state: int = 0, block: int = 100
) -> Iterator[np.ndarray]:
    """The Poisson(1) row bootstrap drawn per cell: yield blocks of shape ``(b, len(counts))``.

    Under the row-level Poisson bootstrap (:func:`poisson_weights`) the total weight of a cell
    of ``n_c`` rows is a sum of ``n_c`` independent Poisson(1) draws, i.e. Poisson(``n_c``), and
    disjoint cells are independent. Statistics that are sums over the rows of cells (confusion
    counts, score-bin counts) therefore have exactly the same bootstrap distribution when each
    resample draws one Poisson(``n_c``) per cell: the cost is cells x resamples instead of rows
    x resamples. The draws depend only on the seed and on ``counts`` (cells in a fixed order),
    so merged statistics give the same resamples whatever the partitioning that built them;
    the blocks concatenate to the draw of all ``n_boot`` resamples at once (one stream), and a
    smaller ``n_boot`` gives a prefix of the resamples.

    Parameters
    ----------
    counts : array-like of int
        Rows per cell (the Poisson means).
    n_boot : int
        Number of resamples in total.
    random_state : int, default=0
        Seed (non-negative).
    block : int, default=100
        Resamples per yielded block (bounds memory).

    Yields
    ------
    ndarray of int64, shape (b, len(counts))

    Examples
    --------
    >>> import numpy as np
    >>> draws = np.vstack(list(poisson_cell_draws(np.array([0, 5, 1000]), 250, block=64)))
    >>> draws.shape, int(draws[:, 0].max())
    ((250, 3), 0)
    >>> bool(abs(draws[:, 2].mean() - 1000) < 10)
    True
    """
    lam = np.asarray(counts, dtype=float)
    rng = np.random.default_rng([int(random_state), 0x5CE11])  # a stream of its own for cell draws
    for a in range(0, int(n_boot), max(1, int(block))):
        yield rng.poisson(lam, size=(min(block, n_boot - a), len(lam)))


def percentile_interval(samples: np.ndarray, confidence: float = 0.95, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return the percentile bootstrap interval of ``samples`` along ``axis`` (NaNs ignored).

    Examples
    --------
    >>> low, high = percentile_interval(np.arange(101.0), 0.9)
    >>> float(low), float(high)
    (5.0, 95.0)
    """
    samples = np.asarray(samples, dtype=float)
    tail = (1.0 - confidence) / 2.0 * 100.0
    if np.isfinite(samples).all():  # the common case: one pass, no NaN bookkeeping
        low, high = np.percentile(samples, [tail, 100.0 - tail], axis=axis)
        return low, high
    import warnings

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanpercentile(samples, tail, axis=axis)
        high = np.nanpercentile(samples, 100.0 - tail, axis=axis)
    return low, high


def bias_corrected_interval(samples: np.ndarray, estimate: float, confidence: float = 0.95) -> tuple[float, float]:
    """Bias-corrected percentile interval (Efron 1981) of a bootstrap distribution, holding ``estimate``.

    A statistic biased in resamples (a largest-minus-smallest gap is biased upwards: the
    maximum of noisy group values) can leave plain percentiles missing the estimate when it
    is small; the correction shifts the percentiles by how far the estimate sits from the
    resamples' median, and the ends are widened where needed to contain the estimate.

    Parameters
    ----------
    samples : array-like
        Bootstrap replicates (NaNs ignored).
    estimate : float
        The statistic on the data.
    confidence : float, default=0.95

    Returns
    -------
    low, high : float
        NaN when there is no finite replicate or the estimate is not finite.

    Examples
    --------
    >>> draws = np.random.default_rng(0).normal(1.0, 0.1, 2000)
    >>> low, high = bias_corrected_interval(draws, 1.0)
    >>> bool(0.75 < low < 1.0 < high < 1.25)
    True
    """
    s = np.asarray(samples, dtype=float)
    s = s[np.isfinite(s)]
    if len(s) == 0 or not np.isfinite(estimate):
        return float("nan"), float("nan")
    share = (np.count_nonzero(s < estimate) + 0.5 * np.count_nonzero(s == estimate)) / len(s)
    z0 = _sps.norm.ppf(np.clip(share, 1 / (len(s) + 1), len(s) / (len(s) + 1)))
    z = _sps.norm.ppf(0.5 + confidence / 2)
    q = _sps.norm.cdf([2 * z0 - z, 2 * z0 + z]) * 100
    lo, hi = np.percentile(s, q)
    return float(min(lo, estimate)), float(max(hi, estimate))


def quantile_bootstrap(
    values: np.ndarray,
    q: float | np.ndarray,
    *,
    n_boot: int = 1000,
    random_state: int | np.random.Generator = 0,
    block: int = 1,
    with_mean: bool = False,
) -> np.ndarray:
    """Bootstrap draws of the ``q``-th percentiles (and optionally the mean) of ``values``.

    The one quantile bootstrap of the package: latency percentiles, medians of timings and
    ratios of percentiles between two samples all come from its draws. Resamples are drawn in
    chunks of about 2 million values, so memory stays bounded however many values there are.

    Parameters
    ----------
    values : array-like of shape (n,)
    q : float or array-like of float
        Percentiles in [0, 100].
    n_boot : int, default=1000
    random_state : int or numpy Generator, default=0
    block : int, default=1
        Length of the circular blocks resampled together (moving-block bootstrap, for
        autocorrelated series such as latencies measured one after the other); 1 is the plain
        row bootstrap.
    with_mean : bool, default=False
        Append the mean of each resample as a last column.

    Returns
    -------
    ndarray of shape (n_boot, len(q) [+ 1])
        One row per resample; NaN when ``values`` is empty.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).exponential(size=500)
    >>> draws = quantile_bootstrap(x, [50, 95], n_boot=200)
    >>> draws.shape
    (200, 2)
    >>> low, high = percentile_interval(draws[:, 0])
    >>> bool(low < np.median(x) < high)
    True
    """
    x = np.asarray(values, dtype=float).ravel()
    qs = np.atleast_1d(np.asarray(q, dtype=float))
    width = len(qs) + int(with_mean)
    n = len(x)
    if n == 0 or n_boot <= 0:
        return np.full((max(int(n_boot), 0), width), np.nan)
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    block = max(1, min(int(block), n))
    step = max(1, 2_000_000 // n)
    out = np.empty((int(n_boot), width))
    for start in range(0, int(n_boot), step):
        m = min(step, int(n_boot) - start)
        if block == 1:
            idx = rng.integers(0, n, size=(m, n))
        else:
            nb = -(-n // block)
            starts = rng.integers(0, n, size=(m, nb))
            idx = ((starts[:, :, None] + np.arange(block)) % n).reshape(m, -1)[:, :n]
        boot = x[idx]
        out[start:start + m, :len(qs)] = np.percentile(boot, qs, axis=1).T
        if with_mean:
            out[start:start + m, -1] = boot.mean(axis=1)
    return out


def t_interval(
    mean: np.ndarray | float,
    var: np.ndarray | float,
    n: np.ndarray | float,
    confidence: float = 0.95,
    *,
    bounds: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval of a mean from its sample variance: ``mean +- t(n - 1) * sqrt(var / n)``.

    The one mean-and-standard-error interval of the package. NaN where ``n < 2`` or the
    variance is unknown (one value says nothing about the spread). With ``bounds`` the ends are
    clipped to the metric's range (``diagtools._metric_registry.clip_interval``): a t-interval
    of an MAE near 0 would otherwise reach below 0.

    Parameters
    ----------
    mean, var, n : float or array-like
        Means, sample variances (``ddof=1``) and counts, broadcast together.
    confidence : float, default=0.95
    bounds : tuple of float, optional
        The range of the quantity, e.g. ``metric_bounds("mae")``.

    Returns
    -------
    low, high : ndarray (0-d for scalar inputs)

    Examples
    --------
    >>> low, high = t_interval(2.0, 1.0, 4)
    >>> round(float(low), 3), round(float(high), 3)
    (0.409, 3.591)
    >>> [float(v) for v in t_interval(0.1, 1.0, 4, bounds=(0.0, float("inf")))][0]
    0.0
    >>> bool(np.isnan(t_interval(1.0, 0.0, 1)[0]))
    True
    """
    m = np.asarray(mean, dtype=float)
    v = np.asarray(var, dtype=float)
    k = np.asarray(n, dtype=float)
    with np.errstate(all="ignore"):
        t = _sps.t.ppf(0.5 + confidence / 2.0, np.maximum(k - 1.0, 1.0))
        half = np.where(k > 1, t * np.sqrt(np.maximum(v, 0.0) / k), np.nan)
    low, high = m - half, m + half
    if bounds is not None:
        from diagtools._metric_registry import clip_interval

        low, high = clip_interval(low, high, bounds)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def bootstrap_p_value(differences: np.ndarray, null: float = 0.0, axis: int = 0) -> np.ndarray:
    """Two-sided bootstrap p-value that the mean difference equals ``null``.

    Uses the share of resamples on the far side of ``null``, doubled, with the ``(k+1)/(B+1)``
    correction so a p-value is never exactly zero.
    """
    d = np.asarray(differences, dtype=float)
    valid = np.isfinite(d)
    b = valid.sum(axis=axis)
    below = ((d <= null) & valid).sum(axis=axis)
    above = ((d >= null) & valid).sum(axis=axis)
    with np.errstate(all="ignore"):
        p = 2.0 * (np.minimum(below, above) + 1.0) / (b + 1.0)
    return np.clip(np.where(b > 0, p, np.nan), 0.0, 1.0)


def wilson_interval(successes: np.ndarray | int, n: np.ndarray | int, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (NaN where ``n`` is 0).

    Parameters
    ----------
    successes, n : array-like of int
    confidence : float, default=0.95

    Returns
    -------
    low, high : ndarray
    """
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    z = _sps.norm.ppf(0.5 + confidence / 2.0)
    with np.errstate(all="ignore"):
        p = k / m
        denom = 1.0 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
        low = np.where(m > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(m > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def two_proportion_test(k1: np.ndarray, n1: np.ndarray, k2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """One-sided z-test p-value that proportion 1 exceeds proportion 2 (pooled variance)."""
    k1, n1, k2, n2 = (np.asarray(a, dtype=float) for a in (k1, n1, k2, n2))
    with np.errstate(all="ignore"):
        p1, p2 = k1 / n1, k2 / n2
        pooled = (k1 + k2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (p1 - p2) / se
        p = _sps.norm.sf(z)
    return np.where((n1 > 0) & (n2 > 0) & (se > 0), p, np.where(p1 > p2, 0.0, 1.0))


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaNs stay NaN and are not counted.

    Agrees with ``scipy.stats.false_discovery_control(p, method="bh")`` on finite inputs.
    """
    p = np.asarray(p_values, dtype=float)
    q = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        q[ok] = _sps.false_discovery_control(np.clip(p[ok], 0.0, 1.0), method="bh")
    return q


def _tango_z(b: np.ndarray, c: np.ndarray, n: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Tango's score statistic for ``p12 - p21 = delta`` in a paired 2x2 table.

    ``b`` counts the pairs where only the first classifier is right, ``c`` the pairs where only
    the second is; ``p12 - p21`` is then the accuracy of the first minus that of the second.
    The variance uses ``p21`` re-estimated under the null (the restricted maximum likelihood
    root of ``2n x^2 - B x - c delta (1 - delta) = 0``), which is what keeps the test near its
    nominal size down to a handful of discordant pairs (Tango 1998, Stat Med 17:891-908).
    """
    b, c, n, delta = (np.asarray(a, dtype=float) for a in (b, c, n, delta))
    big_b = b + c + delta * (b - c - 2.0 * n)
    with np.errstate(all="ignore"):
        x = (big_b + np.sqrt(big_b**2 + 8.0 * n * c * delta * (1.0 - delta))) / (4.0 * n)
        var = n * (2.0 * x + delta * (1.0 - delta))
        z = (b - c - n * delta) / np.sqrt(var)
    # Zero variance only happens with no discordant pairs and delta = 0: the statistic is 0.
    return np.where(var > 0, z, 0.0)


def paired_noninferiority(
    reference_correct: np.ndarray,
    variant_correct: np.ndarray,
    margin: float,
    *,
    confidence: float = 0.95,
) -> dict[str, float]:
    """One-sided non-inferiority test of a paired accuracy difference (Tango's score test).

    Tests ``H0: acc(variant) - acc(reference) <= -margin`` against ``H1: > -margin`` from the
    rows where exactly one of the two is right (the McNemar table). A small p-value says the
    variant loses less than ``margin``: the evidence of "no loss" that a non-significant
    two-sided difference is not. The interval of the difference inverts the same score test,
    so it stays honest where errors are rare (0 discordant rows still gives a non-empty
    interval whose width shrinks with ``n``, unlike a bootstrap, which collapses to a point).

    Parameters
    ----------
    reference_correct, variant_correct : array-like of bool
        Per row, whether each model's prediction is right (same rows, same order).
    margin : float
        Largest acceptable loss of accuracy, as a proportion (0.005 = half a point).
    confidence : float, default=0.95
        Level of the two-sided interval of the difference.

    Returns
    -------
    dict
        ``difference`` (variant - reference), ``ci_low``, ``ci_high``, ``p_value`` (one-sided,
        non-inferiority), ``p_two_sided`` (exact McNemar), ``n``, ``n_discordant``,
        ``reference_only`` and ``variant_only`` (the discordant counts).

    Examples
    --------
    >>> import numpy as np
    >>> ref = np.ones(1000, bool); var = ref.copy(); var[:3] = False
    >>> r = paired_noninferiority(ref, var, 0.01)
    >>> round(r["difference"], 3), r["p_value"] < 0.05
    (-0.003, True)
    """
    from scipy.optimize import brentq

    ref = np.asarray(reference_correct, dtype=bool)
    var = np.asarray(variant_correct, dtype=bool)
    if ref.shape != var.shape or ref.ndim != 1:
        raise ValueError(f"reference_correct and variant_correct must be 1-D of the same length, got {ref.shape} and {var.shape}")
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin must be in [0, 1), got {margin}")
    n = len(ref)
    b = int(np.sum(ref & ~var))  # only the reference is right
    c = int(np.sum(~ref & var))  # only the variant is right
    # Loss = acc(reference) - acc(variant) = (b - c) / n; H0: loss >= margin.
    z = float(_tango_z(b, c, n, margin))
    p_value = float(_sps.norm.cdf(z))
    p_two = 1.0 if b + c == 0 else float(_sps.binomtest(b, b + c, 0.5).pvalue)
    # Score interval of the loss: the deltas where |z(delta)| <= z_crit.
    zc = float(_sps.norm.ppf(0.5 + confidence / 2.0))
    loss = (b - c) / n if n else 0.0

    def f(d: float, target: float) -> float:
        return float(_tango_z(b, c, n, d)) - target

    eps = 1e-12
    lo = -1.0 + eps if f(-1.0 + eps, zc) < 0 else brentq(f, -1.0 + eps, loss, args=(zc,)) if f(loss, zc) < 0 else loss
    hi = 1.0 - eps if f(1.0 - eps, -zc) > 0 else brentq(f, loss, 1.0 - eps, args=(-zc,)) if f(loss, -zc) > 0 else loss
    return {
        "difference": -loss, "ci_low": -hi, "ci_high": -lo, "p_value": p_value, "p_two_sided": p_two,
        "n": n, "n_discordant": b + c, "reference_only": b, "variant_only": c,
    }


def bootstrap_noninferiority_p_value(differences: np.ndarray, margin: float, *, higher_is_better: bool = True) -> float:
    """One-sided paired-bootstrap p-value of non-inferiority at ``margin``.

    ``differences`` are bootstrap replicates of ``variant - reference`` (computed on the same
    resamples for both models). H0: the variant is worse by at least ``margin``; the p-value
    is the share of replicates on the null side, with the ``(k+1)/(B+1)`` correction. It
    rejects at level ``alpha`` exactly when the one-sided ``1 - alpha`` percentile bound
    clears the margin.

    Parameters
    ----------
    differences : array-like
        Bootstrap replicates of ``variant - reference`` (NaNs ignored).
    margin : float
        Largest acceptable loss, in the metric's units (positive).
    higher_is_better : bool, default=True
        False for losses and errors (``mae``, ``log_loss``): then worse means larger.

    Returns
    -------
    float
    """
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    if not len(d):
        return float("nan")
    worse = d <= -margin if higher_is_better else d >= margin
    return float((worse.sum() + 1.0) / (len(d) + 1.0))
