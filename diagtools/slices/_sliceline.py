"""The SliceLine search (Sagadeeva & Boehm, SIGMOD 2021), vectorized and memory-lean.

A slice is a conjunction of predicates ``column == level``, at most one per column. Its score
is ``alpha * (mean error in slice / mean error - 1) - (1 - alpha) * (n / size - 1)``: error
weighted against size. The lattice is enumerated level by level: level-``L`` candidates are
joins of two level-``L-1`` slices sharing ``L-2`` predicates (an Apriori prefix join, so each
candidate is made once), kept only when all ``L`` parents survived, and pruned when an upper
bound of their score (from the parents' sizes and errors) cannot reach the current top-k.

Unlike the reference implementation, candidates are never one-hot encoded against the rows:
each surviving candidate is evaluated by one ``np.bincount`` per *column combination*, so
memory is ``O(rows + candidates)`` instead of ``O(rows x candidates)``. Until ``k`` slices are
found, nothing is pruned by score, so the result is the exact top-k of the lattice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_DENSE_CELLS = 1 << 22


@dataclass
class Lattice:
    """All slices the search evaluated (``ids``: predicate ids per slice, ``-1`` padded)."""

    ids: np.ndarray  # (S, max_l) predicate ids, sorted, -1 padded
    size: np.ndarray
    err: np.ndarray
    err2: np.ndarray
    score: np.ndarray
    n_pruned: int


@dataclass
class Cells:
    """Rows grouped by their combination of levels (the search input of a large table).

    ``count`` rows per cell, ``err2`` their summed squared error, ``max_err`` their largest
    error; ``binary`` when every row's error is 0 or 1.
    """

    count: np.ndarray
    err2: np.ndarray
    max_err: np.ndarray
    binary: bool


def score(size: np.ndarray, err: np.ndarray, n: int, mean_error: float, alpha: float) -> np.ndarray:
    """SliceLine's score of slices with ``size`` rows and summed error ``err``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s = alpha * ((err / size) / mean_error - 1) - (1 - alpha) * (n / size - 1)
    return np.nan_to_num(s, nan=-np.inf)


def _upper_bound(size: np.ndarray, err: np.ndarray, max_err: np.ndarray, n: int, mean_error: float,
                 alpha: float, min_sup: float) -> np.ndarray:
    """Upper bound of the score of any slice within the bounds (the paper's eq. 5)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        points = np.column_stack([np.full(len(size), float(min_sup)), np.maximum(err / max_err, min_sup), size])
        errs = np.minimum(points * max_err[:, None], err[:, None])
        ub = (alpha * (errs / mean_error - points) - (1 - alpha) * (n - points)) / points
    return np.nan_to_num(ub, nan=-np.inf).max(axis=1)


def _pairs_within_groups(group_start: np.ndarray, group_end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs ``a < b`` inside each ``[start, end)`` run (vectorized)."""
    sizes = group_end - group_start
    idx = np.repeat(group_start, sizes) + _ranges(sizes)
    ends = np.repeat(group_end, sizes)
    counts = ends - idx - 1
    first = np.repeat(idx, counts)
    second = first + 1 + _ranges(counts)
    return first, second


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``concat(arange(c) for c in counts)`` without a loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def search(
    codes: np.ndarray, domains: list[int], errors: np.ndarray, *, alpha: float, k: int, max_l: int, min_sup: int,
    cells: Cells | None = None,
) -> tuple[Lattice, np.ndarray]:
    """Run SliceLine. Returns every evaluated slice and the indices of the top-k into it.

    ``codes`` is ``(n, m)`` with level codes ``0 .. domains[j] - 1`` per column and ``errors``
    the error of each row. With ``cells``, each row of ``codes`` is a distinct combination of
    levels standing for ``cells.count`` rows, ``errors`` their summed error: every slice
    statistic is a sum over rows, so the search is the same as on the rows themselves.
    """
    m = codes.shape[1]
    domains_arr = np.asarray(domains, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(domains_arr)[:-1]])
    col_of = np.repeat(np.arange(m), domains_arr)
    n_pred = int(domains_arr.sum())
    if cells is None:
        n = codes.shape[0]
        mean_error = float(errors.mean())
        binary = bool(np.isin(errors, (0.0, 1.0)).all())
        counts, e2, emax = None, errors * errors, errors
    else:
        n = int(cells.count.sum())
        mean_error = float(errors.sum()) / n
        binary, counts, e2, emax = cells.binary, cells.count, cells.err2, cells.max_err

    # level 1: one bincount per column
    size1 = np.concatenate([np.bincount(codes[:, j], weights=counts, minlength=domains[j]) for j in range(m)]
                           ).astype(float)
    err1 = np.concatenate([np.bincount(codes[:, j], weights=errors, minlength=domains[j]) for j in range(m)])
    err21 = np.concatenate([np.bincount(codes[:, j], weights=e2, minlength=domains[j]) for j in range(m)])
    max1 = _max_error(codes + offsets[None, :], emax, n_pred, binary, err1)
    ids_all = [np.arange(n_pred)[:, None]]
    stats_all = [(size1, err1, err21)]
    keep = (size1 >= min_sup) & (err1 > 0)
    parents = np.flatnonzero(keep)[:, None]
    p_stats = (size1[keep], err1[keep], max1[keep])
    s1 = score(size1, err1, n, mean_error, alpha)
    top_scores = _kth(s1[(size1 >= min_sup) & (err1 > 0)], k)
    n_pruned = 0

    for level in range(2, min(max_l, m) + 1):
        if len(parents) < 2:
            break
        cand, ub_stats = _join(parents, p_stats, level, col_of, n_pred)
        if len(cand) == 0:
            break
        ub = _upper_bound(*ub_stats, n, mean_error, alpha, min_sup)
        keep_c = (ub_stats[0] >= min_sup) & (ub > top_scores) & (ub > 0)
        n_pruned += int((~keep_c & (ub_stats[0] >= min_sup)).sum())
        cand = cand[keep_c]
        if len(cand) == 0:
            break
        size, err, err2, mx = _evaluate(codes, cand, col_of, offsets, domains_arr, errors, e2, binary, counts, emax)
        ids_all.append(cand)
        stats_all.append((size, err, err2))
        valid = (size >= min_sup) & (err > 0)
        top_scores = _kth(_scores_so_far(stats_all, n, mean_error, alpha, min_sup), k)
        parents = cand[valid]
        p_stats = (size[valid], err[valid], mx[valid])

    width = max(i.shape[1] for i in ids_all)
    ids = np.vstack([np.pad(i, ((0, 0), (0, width - i.shape[1])), constant_values=-1) for i in ids_all])
    size = np.concatenate([s[0] for s in stats_all])
    err = np.concatenate([s[1] for s in stats_all])
    err2 = np.concatenate([s[2] for s in stats_all])
    sc = score(size, err, n, mean_error, alpha)
    lattice = Lattice(ids, size, err, err2, sc, n_pruned)
    eligible = np.flatnonzero((size >= min_sup) & (sc > 0))
    # best score first; ties: fewer predicates, then predicate ids
    npred = (ids[eligible] >= 0).sum(axis=1)
    keys = (*tuple(ids[eligible][:, j] for j in range(width - 1, -1, -1)), npred, -sc[eligible])
    order = eligible[np.lexsort(keys)][:k]
    return lattice, order


def _scores_so_far(stats_all: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n: int, mean_error: float,
                   alpha: float, min_sup: int) -> np.ndarray:
    out = []
    for size, err, _ in stats_all:
        s = score(size, err, n, mean_error, alpha)
        out.append(s[(size >= min_sup) & (err > 0)])
    return np.concatenate(out)


def _kth(scores: np.ndarray, k: int) -> float:
    """The k-th best score so far (``-inf`` until ``k`` slices exist): the pruning threshold."""
    scores = scores[scores > 0]
    if len(scores) < k:
        return -np.inf
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])


def _max_error(ids: np.ndarray, errors: np.ndarray, n_cells: int, binary: bool, err_sum: np.ndarray) -> np.ndarray:
    if binary:
        return (err_sum > 0).astype(float)
    out = np.zeros(n_cells)
    for j in range(ids.shape[1]):
        np.maximum.at(out, ids[:, j], errors)
    return out


def _keys(rows: np.ndarray, base: int) -> np.ndarray:
    key = np.zeros(len(rows), dtype=np.int64)
    for j in range(rows.shape[1]):
        key = key * base + rows[:, j]
    return key


def _join(parents: np.ndarray, p_stats: tuple[np.ndarray, ...], level: int, col_of: np.ndarray,
          n_pred: int) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Level-``level`` candidates whose parents all survived, with upper-bound statistics."""
    order = np.lexsort(tuple(parents[:, j] for j in range(parents.shape[1] - 1, -1, -1)))
    parents = parents[order]
    p_stats = tuple(s[order] for s in p_stats)
    prefix = parents[:, :-1]
    if prefix.shape[1]:
        change = np.any(prefix[1:] != prefix[:-1], axis=1)
        starts = np.flatnonzero(np.concatenate([[True], change]))
    else:
        starts = np.array([0])
    ends = np.append(starts[1:], len(parents))
    a, b = _pairs_within_groups(starts, ends)
    last_a, last_b = parents[a, -1], parents[b, -1]
    ok = col_of[last_a] != col_of[last_b]
    a, b = a[ok], b[ok]
    cand = np.column_stack([parents[a], parents[b, -1]])
    if len(cand) == 0:
        return cand, (np.zeros(0), np.zeros(0), np.zeros(0))
    base = n_pred + 1
    if float(base) ** level >= 2.0**62:  # pragma: no cover - thousands of levels at level 5+
        raise MemoryError("too many predicates for the slice search; use fewer bins or columns")
    pkeys = _keys(parents, base)
    sorter = np.argsort(pkeys)
    sorted_keys = pkeys[sorter]
    bounds = [np.full(len(cand), np.inf) for _ in range(3)]
    present = np.ones(len(cand), dtype=bool)
    for drop in range(level):
        sub = np.delete(cand, drop, axis=1)
        skeys = _keys(sub, base)
        pos = np.searchsorted(sorted_keys, skeys)
        pos = np.minimum(pos, len(sorted_keys) - 1)
        hit = sorted_keys[pos] == skeys
        present &= hit
        idx = sorter[pos]
        for j in range(3):
            bounds[j] = np.minimum(bounds[j], np.where(hit, p_stats[j][idx], np.inf))
    cand = cand[present]
    return cand, tuple(bd[present] for bd in bounds)


def _evaluate(codes: np.ndarray, cand: np.ndarray, col_of: np.ndarray, offsets: np.ndarray,
              domains: np.ndarray, errors: np.ndarray, e2: np.ndarray, binary: bool,
              counts: np.ndarray | None, emax: np.ndarray,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact size, error sums and max error of candidates: one bincount per column combination.

    ``counts`` weighs each row of ``codes`` (``None``: one row each) and ``emax`` is its
    largest error.
    """
    cols = col_of[cand]
    levels = cand - offsets[cols]
    combo_key = _keys(cols, int(col_of.max()) + 2)
    uniq, inverse = np.unique(combo_key, return_inverse=True)
    size = np.zeros(len(cand))
    err = np.zeros(len(cand))
    err2 = np.zeros(len(cand))
    mx = np.zeros(len(cand))
    for u in range(len(uniq)):
        members = np.flatnonzero(inverse == u)
        cs = cols[members[0]]
        row_code = np.zeros(len(codes), dtype=np.int64)
        cand_code = np.zeros(len(members), dtype=np.int64)
        cells = 1
        for j, c in enumerate(cs):
            row_code = row_code * domains[c] + codes[:, c]
            cand_code = cand_code * domains[c] + levels[members, j]
            cells *= int(domains[c])
        if cells > _DENSE_CELLS:
            row_code, cand_code, cells = _compress(row_code, cand_code)
        cnt = np.bincount(row_code, weights=counts, minlength=cells)
        size[members] = cnt[cand_code]
        se = np.bincount(row_code, weights=errors, minlength=cells)
        err[members] = se[cand_code]
        err2[members] = np.bincount(row_code, weights=e2, minlength=cells)[cand_code]
        if binary:
            mx[members] = (se[cand_code] > 0).astype(float)
        else:
            m_arr = np.zeros(cells)
            np.maximum.at(m_arr, row_code, emax)
            mx[members] = m_arr[cand_code]
    return size, err, err2, mx


def _compress(row_code: np.ndarray, cand_code: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Renumber sparse combined codes densely (for crosses of many high-cardinality columns)."""
    uniq, inv = np.unique(row_code, return_inverse=True)
    pos = np.searchsorted(uniq, cand_code)
    pos_c = np.minimum(pos, len(uniq) - 1)
    found = uniq[pos_c] == cand_code
    # candidates absent from the rows point at an extra empty cell
    cand = np.where(found, pos_c, len(uniq))
    return inv.astype(np.int64), cand, len(uniq) + 1
