"""``find_slices``: SliceLine search for the worst slices, tested with FDR control, plus an error tree."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from diagtools._format import short_number
from diagtools._stats import benjamini_hochberg, wilson_interval
from diagtools.errors import DiagnosticInputError
from diagtools.slices import _inputs as I
from diagtools.slices._encode import Encoding, TooManyLevels, fit_codes
from diagtools.slices._metrics import exact_p_value
from diagtools.slices._result import COHORT_COLUMNS, SEARCH_COLUMNS, SliceSearchResult
from diagtools.slices._sliceline import Cells, search

#: From this many rows, the in-memory search runs on cells of rows with the same levels (see
#: :func:`search_slices`): the same result, computed on at most one row per level combination.
CELLS_FROM = 100_000


def encode_frame(X: pd.DataFrame, columns: list[str], bins: Any, *, drop_wide: bool = False
                 ) -> tuple[np.ndarray, list[Encoding]]:
    """Level codes ``(n, m)`` of the slicing columns and their encodings.

    With ``drop_wide``, non-numeric columns with too many values are left out.
    """
    encodings, codes = [], []
    for c in columns:
        b = bins.get(c, 5) if isinstance(bins, dict) else bins
        try:
            enc, code = fit_codes(X[c], b)
        except TooManyLevels:
            if not drop_wide:
                raise
            continue
        if enc.n_levels <= 1:
            continue  # one level selects every row: "x (all values)" is no slice
        encodings.append(enc)
        codes.append(code)
    if not codes:
        raise DiagnosticInputError(
            "by: no column can be sliced (every non-numeric column has too many distinct values). "
            "Pass by=[...] with columns to slice by."
        )
    return np.column_stack(codes).astype(np.int64), encodings


def _test(size: np.ndarray, err: np.ndarray, err2: np.ndarray, total: tuple[float, float, float],
          binary: bool, confidence: float) -> dict[str, np.ndarray]:
    """Mean error of slices vs the rest: interval and two-sided p-value (z-test or Welch)."""
    n, s, s2 = total
    n1, n2 = size, n - size
    e1, e2r = err, s - err
    with np.errstate(all="ignore"):
        m1, m2 = e1 / n1, e2r / n2
        z = sps.norm.ppf(0.5 + confidence / 2)
        if binary:
            lo, hi = wilson_interval(e1, n1, confidence)
            p = exact_p_value(e1, n1, e2r, n2)
            se = np.sqrt(m1 * (1 - m1) / n1 + m2 * (1 - m2) / n2)
        else:
            v1 = np.maximum((err2 - n1 * m1**2) / (n1 - 1), 0)
            v2 = np.maximum(((s2 - err2) - n2 * m2**2) / (n2 - 1), 0)
            se1, se2 = np.sqrt(v1 / n1), np.sqrt(v2 / n2)
            se = np.sqrt(se1**2 + se2**2)
            df = se**4 / (se1**4 / (n1 - 1) + se2**4 / (n2 - 1))
            p = np.where(se > 0, 2 * sps.t.sf(np.abs((m1 - m2) / se), np.where(np.isfinite(df), df, 1)), 1.0)
            tq = sps.t.ppf(0.5 + confidence / 2, np.maximum(n1 - 1, 1))
            lo, hi = np.maximum(m1 - tq * se1, 0.0), m1 + tq * se1  # errors are >= 0: so is the interval
        p = np.where(n2 > 0, p, np.nan)
        # normal interval of the difference (as slice_metrics), clipped to the range of two rates
        d_lo, d_hi = m1 - m2 - z * se, m1 - m2 + z * se
        if binary:
            d_lo, d_hi = np.clip(d_lo, -1.0, 1.0), np.clip(d_hi, -1.0, 1.0)
    return {"estimate": m1, "ci_low": lo, "ci_high": hi, "reference_estimate": m2, "difference": m1 - m2,
            "difference_ci_low": d_lo, "difference_ci_high": d_hi, "p_value": p}


Sums = tuple[float, float, float]


def _sums_of(err: np.ndarray, cells: Cells | None) -> Callable[[np.ndarray], Sums]:
    """``mask -> (rows, summed error, summed squared error)`` over rows, or over cells of rows."""
    if cells is None:
        return lambda m: (float(m.sum()), float(err[m].sum()), float((err[m] ** 2).sum()))
    return lambda m: (float(cells.count[m].sum()), float(err[m].sum()), float(cells.err2[m].sum()))


def _worse(a: Sums, b: Sums, binary: bool, alpha: float) -> bool:
    """Whether the rows summed in ``a`` have significantly larger errors than those in ``b``."""
    if a[0] == 0 or b[0] == 0:
        return False
    t = _test(np.array([a[0]]), np.array([a[1]]), np.array([a[2]]), (a[0] + b[0], a[1] + b[1], a[2] + b[2]),
              binary, 0.95)
    return bool(t["p_value"][0] < alpha and t["difference"][0] > 0)


def _dedupe(masks: list[np.ndarray], keys: list[frozenset[str]], worse: np.ndarray,
            sums: Callable[[np.ndarray], Sums], binary: bool, alpha: float) -> np.ndarray:
    """Report significant slices in score order, dropping near-duplicates of reported ones.

    A slice nested in a reported one must be significantly worse than the rest of it; one that
    contains or overlaps a reported slice must stay significantly worse without its rows.
    """
    reported = np.zeros(len(masks), dtype=bool)
    kept: list[int] = []
    for g in np.flatnonzero(worse):
        ok = True
        for h in kept:
            if keys[h] < keys[g]:  # nested in a reported slice: must be worse than the rest of it
                ok = _worse(sums(masks[g]), sums(masks[h] & ~masks[g]), binary, alpha)
            elif (masks[g] & masks[h]).any():  # contains or overlaps a reported slice:
                # what is left of it must still be worse, else it only echoes the reported one
                ok = _worse(sums(masks[g] & ~masks[h]), sums(~masks[g]), binary, alpha)
            if not ok:
                break
        if ok:
            kept.append(g)
            reported[g] = True
    return reported


def _levels_rule(enc: Encoding, levels: frozenset[int]) -> str:
    """The shortest readable condition for "the column's level is one of ``levels``"."""
    labels = enc.labels()
    c, n = enc.column, enc.n_levels
    keep = sorted(levels)
    if len(keep) == 1:
        return labels[keep[0]]
    missing = n - 1 if enc.has_missing else None
    body = [k for k in keep if k != missing]
    if enc.kind == "numeric" and body and body == list(range(body[0], body[-1] + 1)):
        bounds = [None, *enc.edges, None]
        lo, hi = bounds[body[0]], bounds[body[-1] + 1]
        text = (f"{c} in [{short_number(lo)}, {short_number(hi)})" if lo is not None and hi is not None
                else f"{c} < {short_number(hi)}" if hi is not None
                else f"{c} ≥ {short_number(lo)}" if lo is not None else f"{c} (any value)")
        if missing is None:
            return text
        return f"({text} or missing)" if missing in levels else f"{text}"
    dropped = [k for k in range(n) if k not in levels]
    if len(dropped) == 1:
        return f"not ({labels[dropped[0]]})" if enc.kind == "numeric" or dropped[0] == missing else labels[dropped[0]].replace("=", "≠", 1)
    if enc.kind == "categorical" and missing not in levels and missing not in dropped[:-1]:
        values = [labels[k].split("=", 1)[1] for k in (dropped if len(dropped) < len(keep) else keep) if k != missing]
        return f"{c} {'not in' if len(dropped) < len(keep) else 'in'} {{{', '.join(values)}}}"
    return "(" + " or ".join(labels[k] for k in keep) + ")"


def _error_tree(codes: np.ndarray, encodings: list[Encoding], errors: np.ndarray, binary: bool, depth: int,
                min_leaf: int, confidence: float, random_state: int, cells: Cells | None = None) -> pd.DataFrame:
    """Leaves of a shallow tree fit on the errors over one-hot slice levels, as readable rules.

    With ``cells`` (rows grouped by level combination, ``errors`` summed per cell) the tree is
    fit on weighted stand-ins of each cell's rows that keep their summed weight, error and
    squared error: the split criteria only see these sums, so the splits are those of the rows.
    """
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    names = [lab for e in encodings for lab in e.labels()]
    offsets = np.concatenate([[0], np.cumsum([e.n_levels for e in encodings])[:-1]])
    onehot = np.zeros((len(codes), len(names)), dtype=np.float32)
    rows = np.arange(len(codes))
    for j in range(codes.shape[1]):
        onehot[rows, offsets[j] + codes[:, j]] = 1.0
    if cells is None:
        if binary:
            tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=min_leaf, random_state=random_state)
            tree.fit(onehot, errors.astype(int))
        else:
            tree = DecisionTreeRegressor(max_depth=depth, min_samples_leaf=min_leaf, random_state=random_state)
            tree.fit(onehot, errors)
    else:
        tree = _cell_tree(onehot, errors, cells, binary, depth, min_leaf, random_state)
    t = tree.tree_
    # Each path keeps, per column, the set of levels still allowed; the leaf's rule then reads
    # "credit_score in [659, 695)" instead of "not (credit_score ≥ 695) & credit_score in [659, 695)".
    owner = np.repeat(np.arange(len(encodings)), [e.n_levels for e in encodings])
    allowed: dict[int, dict[int, frozenset[int]]] = {0: {}}
    stack = [0]
    leaves = []
    while stack:
        node = stack.pop()
        left, right = t.children_left[node], t.children_right[node]
        if left == -1:
            leaves.append(node)
            continue
        j = int(owner[t.feature[node]])
        level = int(t.feature[node] - offsets[j])
        current = allowed[node].get(j, frozenset(range(encodings[j].n_levels)))
        allowed[left] = {**allowed[node], j: current - {level}}
        allowed[right] = {**allowed[node], j: current & {level}}
        stack += [right, left]
    rules = {leaf: [_levels_rule(encodings[j], levels) for j, levels in sorted(allowed[leaf].items())] for leaf in leaves}
    leaf_of = tree.apply(onehot)
    out = []
    for leaf in leaves:
        in_leaf = leaf_of == leaf
        if cells is None:
            e = errors[in_leaf]
            n, total, mean = len(e), float(e.sum()), float(e.mean())
            sd = float(e.std(ddof=1)) if n > 1 else np.nan
        else:
            n, total = int(cells.count[in_leaf].sum()), float(errors[in_leaf].sum())
            mean = total / n
            sd = math.sqrt(max(float(cells.err2[in_leaf].sum()) - n * mean**2, 0.0) / (n - 1)) if n > 1 else np.nan
        if binary:
            lo, hi = wilson_interval(total, n, confidence)
        else:
            half = sps.t.ppf(0.5 + confidence / 2, max(n - 1, 1)) * sd / math.sqrt(n) if n > 1 else np.nan
            lo, hi = max(mean - half, 0.0), mean + half  # errors are >= 0: so is the interval
        out.append({"cohort": " & ".join(rules[leaf]) or "all rows", "n": n, "estimate": mean,
                    "ci_low": float(lo), "ci_high": float(hi)})
    frame = pd.DataFrame(out, columns=COHORT_COLUMNS)
    return frame.sort_values("estimate", ascending=False, kind="stable").reset_index(drop=True)


def _cell_tree(onehot: np.ndarray, err: np.ndarray, cells: Cells, binary: bool, depth: int, min_leaf: int,
               random_state: int) -> Any:
    """The error tree of :func:`_error_tree` fit on cells of rows (same splits as on the rows).

    Each cell becomes two weighted samples: for 0/1 errors its erring and correct rows; for
    other errors ``mean +- sd`` with half the rows each (same sum and sum of squares). The
    smallest leaf is a weight (rows), not a count of samples: a split leaves at least
    ``min_leaf`` rows on each side when each side weighs more than ``min_leaf - 0.5``.
    """
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    n = float(cells.count.sum())
    if binary:
        y = np.concatenate([np.ones(len(err)), np.zeros(len(err))])
        w = np.concatenate([err, cells.count - err])
    else:
        mean = err / cells.count
        sd = np.sqrt(np.maximum(cells.err2 / cells.count - mean**2, 0.0))
        y = np.concatenate([mean + sd, mean - sd])
        w = np.concatenate([cells.count / 2, cells.count / 2])
    X = np.vstack([onehot, onehot])
    keep = w > 0
    # min_leaf above half the rows: no split can leave min_leaf rows on both sides
    opts: dict[str, Any] = ({"min_impurity_decrease": np.inf} if 2 * min_leaf > n
                            else {"min_weight_fraction_leaf": (min_leaf - 0.5) / n})
    model = DecisionTreeClassifier if binary else DecisionTreeRegressor
    tree = model(max_depth=depth, min_samples_leaf=1, random_state=random_state, **opts)
    tree.fit(X[keep], y[keep].astype(int) if binary else y[keep], sample_weight=w[keep])
    return tree


def find_slices(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    y_pred: Any = None,
    errors: Any = None,
    by: list[str] | str | None = None,
    bins: int | dict[str, Any] = 5,
    k: int = 10,
    max_predicates: int = 3,
    min_size: int | None = None,
    score_alpha: float = 0.99,
    alpha: float = 0.05,
    confidence: float = 0.95,
    tree_depth: int = 3,
    task: str | None = None,
    random_state: int = 0,
    chunk_rows: int = 250_000,
    progress: bool | None = None,
) -> SliceSearchResult:
    """Search for the top-k worst slices (conjunctions of predicates) with SliceLine.

    Parameters
    ----------
    model : fitted model or None
        Anything with ``predict``; ``None`` when ``y_pred`` or ``errors`` is given.
    X : DataFrame of shape (n_samples, n_columns), dask DataFrame, or str / path
        The model's input (and the columns searched). For data larger than memory: a dask
        DataFrame or a parquet / CSV file, folder or glob; then ``y``, ``y_pred`` and
        ``errors`` name columns, ``by`` defaults to every other column, and a model is applied
        chunk by chunk (on every column but ``y``). See Notes.
    y : array-like of shape (n_samples,), or str, optional
        True targets (not needed when ``errors`` is given).
    y_pred : array-like of shape (n_samples,), or str, optional
        Predictions instead of calling ``model``.
    errors : array-like of shape (n_samples,), or str, optional
        Non-negative error per row. Default: misclassification (0/1) for classifiers, squared
        error for regressors.
    by : list of str, optional
        Columns to search; every column of ``X`` by default (numeric ones in quantile bins).
    bins : int or dict, default=5
        Quantile bins per numeric column, or per column a number of bins or cut points.
    k : int, default=10
        Number of slices returned.
    max_predicates : int, default=3
        Largest number of predicates in a slice (SliceLine's ``max_l``).
    min_size : int, optional
        Smallest slice (SliceLine's ``min_sup``); default ``max(10, 1% of rows)``.
    score_alpha : float, default=0.99
        Weight of the error against the size in the score (SliceLine's ``alpha``). The size
        term grows like ``n / size``, so with a high overall error only a weight near 1 lets a
        slice of a few percent of the rows score above 0.
    alpha : float, default=0.05
        False discovery rate of the reported slices.
    confidence : float, default=0.95
    tree_depth : int, default=3
        Depth of the error tree whose leaves are the cohorts (0: no tree).
    task : {"classification", "regression"}, optional
    random_state : int, default=0
    chunk_rows : int, default=250_000
        Rows per chunk when reading files.
    progress : bool, optional
        Progress bar over the chunks (dask's on a cluster); files and dask only, on by default.

    Returns
    -------
    SliceSearchResult

    Raises
    ------
    DiagnosticInputError
        On bad columns, lengths, negative errors or out-of-range options.

    See Also
    --------
    slice_metrics : metrics of every slice of one or two columns.

    Notes
    -----
    The search is SliceLine (Sagadeeva & Boehm, "SliceLine: Fast, Linear-Algebra-based Slice
    Finding for ML Model Debugging", SIGMOD 2021), with the same score, pruning and top-k as the
    ``sliceline`` package. Each slice's error is tested against the rest (Fisher's exact test for 0/1 errors,
    Welch's t-test otherwise); q-values apply Benjamini-Hochberg over *every slice the search
    evaluated*, counting pruned candidates as tested, so the choice of the worst slices among many
    is accounted for.

    Large data: rows are grouped chunk by chunk into cells (one per combination of levels)
    holding row counts, summed errors, summed squared errors and largest errors; the cells of
    all chunks are added up and the same search, tests and error tree run on them (each is a
    function of these sums), so the result equals the in-memory one with the same levels.
    Categories come from every row; numeric cut points are the quantiles of a uniform sample
    of 200,000 rows that does not depend on the partitioning (every row below that); in memory
    above 200,000 rows the same sample gives the cut points, so the slices are the same. Memory grows with the number of distinct level combinations, not rows.
    In memory, from 100,000 rows the search runs on such cells too (the same result, faster).

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> df = load_loans("current")
    >>> bad = ((df["region"] == "north") & (df["channel"] == "phone")).to_numpy()
    >>> res = find_slices(None, df[["region", "channel", "purpose"]], errors=bad.astype(float), k=3)
    >>> res.frame["slice"].iloc[0]
    'region=north & channel=phone'
    """
    from diagtools._sources import is_dask_frame

    large = isinstance(X, (str, os.PathLike)) or is_dask_frame(X)
    if not large:
        X_user, X = X, I.check_frame(X)
        columns = I.resolve_columns(X, by)
        bins = I.check_bins(bins, columns)
    I.V.check_random_state(random_state)
    k = I.check_int(k, "k", 1, hint="Pass e.g. k=10.")
    max_predicates = I.check_int(max_predicates, "max_predicates", 1, 6, "Pass e.g. max_predicates=3.")
    tree_depth = I.check_int(tree_depth, "tree_depth", 0, 8, "Pass e.g. tree_depth=3.")
    score_alpha = float(score_alpha)
    if not 0.0 < score_alpha <= 1.0:
        raise DiagnosticInputError(f"score_alpha must be in (0, 1], got {score_alpha!r}. Pass e.g. score_alpha=0.95.")
    alpha = I.check_fraction(alpha, "alpha", "Pass e.g. alpha=0.05.")
    confidence = I.check_fraction(confidence, "confidence", "Pass e.g. confidence=0.95.")
    if min_size is not None:
        min_size = I.check_int(min_size, "min_size", 1, hint="Pass e.g. min_size=30.")
    options = {"k": k, "max_predicates": max_predicates, "score_alpha": score_alpha, "alpha": alpha,
               "confidence": confidence, "tree_depth": tree_depth, "random_state": random_state}
    if large:
        from diagtools.slices._search_large import find_slices_source

        I.check_int(chunk_rows, "chunk_rows", 1, None, "Pass a positive number of rows.")
        codes, encodings, err, cells = find_slices_source(
            model, X, y, y_pred=y_pred, errors=errors, by=by, bins=bins, task=task,
            progress=True if progress is None else bool(progress), chunk_rows=int(chunk_rows))
        n = int(cells.count.sum())
        min_size = max(10, math.ceil(0.01 * n)) if min_size is None else min_size
        return search_slices(codes, encodings, err, cells.binary, cells, min_size=min_size, **options)
    n = len(X)
    min_size = max(10, math.ceil(0.01 * n)) if min_size is None else min_size
    if errors is not None:
        I.V.check_same_length(errors, X, name="errors", ref_name="X")
        err = I.V.check_finite(errors, "errors").ravel()
        if (err < 0).any():
            raise DiagnosticInputError(
                f"errors holds {int((err < 0).sum())} negative value(s). Pass a non-negative loss per row "
                "(e.g. 0/1 misclassification or squared error)."
            )
    else:
        y_true, pred = I.predictions(model, X, y, y_pred, X_user)
        task = I.check_task(y_true, pred, task)
        if task == "regression":
            err = (y_true.astype(float) - pred.astype(float)) ** 2
        else:
            err = (y_true != pred).astype(float)
    binary = bool(np.isin(err, (0.0, 1.0)).all())

    from diagtools.slices._large import sampled_bins  # the large-data paths' cut points, on the same rows

    codes, encodings = encode_frame(X, columns, sampled_bins(X, columns, bins), drop_wide=by is None)
    if n >= CELLS_FROM:  # group rows into cells first: same sums, far fewer rows for the search and the tree
        from diagtools.slices._search_large import group_cells

        st = group_cells(codes, np.ones(n), err, err * err, err, np.array([e.n_levels for e in encodings]), binary)
        return search_slices(st.codes, encodings, st.err, binary, Cells(st.count, st.err2, st.max_err, binary),
                             min_size=min_size, **options)
    return search_slices(codes, encodings, err, binary, None, min_size=min_size, **options)


def search_slices(codes: np.ndarray, encodings: list[Encoding], err: np.ndarray, binary: bool, cells: Cells | None,
                  *, k: int, max_predicates: int, min_size: int, score_alpha: float, alpha: float, confidence: float,
                  tree_depth: int, random_state: int) -> SliceSearchResult:
    """The search, its tests, near-duplicate removal and the error tree on encoded data.

    ``codes`` holds one row per data row (``cells=None``, ``err`` the error of each row) or one
    row per distinct combination of levels (``cells`` counts its rows, ``err`` sums their
    errors): the large-data path groups rows into cells chunk by chunk and calls this too.
    """
    columns = [e.column for e in encodings]
    n = len(codes) if cells is None else int(cells.count.sum())
    if err.sum() <= 0:
        lattice, top = None, np.zeros(0, dtype=int)
    else:
        lattice, top = search(codes, [e.n_levels for e in encodings], err, alpha=score_alpha, k=k,
                              max_l=max_predicates, min_sup=min_size, cells=cells)
    labels = [lab for e in encodings for lab in e.labels()]
    preds = [p for e in encodings for p in e.predicates()]
    sums = _sums_of(err, cells)
    total = sums(np.ones(len(codes), dtype=bool))
    ends = np.cumsum([e.n_levels for e in encodings])
    rows, masks, keys, definitions = [], [], [], {}
    n_tested = 0
    if lattice is not None:
        tested = lattice.size >= min_size
        t = _test(lattice.size[tested], lattice.err[tested], lattice.err2[tested], total, binary, confidence)
        p_all = np.concatenate([t["p_value"], np.ones(lattice.n_pruned)])
        q_all = benjamini_hochberg(p_all)
        n_tested = len(p_all)
        q_of = np.full(len(lattice.size), np.nan)
        q_of[np.flatnonzero(tested)] = q_all[: int(tested.sum())]
        pos_of = np.full(len(lattice.size), -1)
        pos_of[np.flatnonzero(tested)] = np.arange(int(tested.sum()))
        for rank, s in enumerate(top, start=1):
            ids = [int(i) for i in lattice.ids[s] if i >= 0]
            label = " & ".join(labels[i] for i in ids)
            definitions[label] = [preds[i] for i in ids]
            j = pos_of[s]
            mask = np.ones(len(codes), dtype=bool)
            for i in ids:
                col = int(np.searchsorted(ends, i, side="right"))
                mask &= codes[:, col] == i - (ends[col] - encodings[col].n_levels)
            masks.append(mask)
            keys.append(frozenset(labels[i] for i in ids))
            rows.append({
                "rank": rank, "slice": label, "n_predicates": len(ids), "n": int(lattice.size[s]),
                "score": float(lattice.score[s]), "estimate": float(t["estimate"][j]), "ci_low": float(t["ci_low"][j]),
                **{key: float(t[key][j]) for key in ("ci_high", "reference_estimate", "difference", "difference_ci_low",
                                                     "difference_ci_high", "p_value")},
                "q_value": float(q_of[s]),
            })
    frame = pd.DataFrame(rows, columns=[c for c in SEARCH_COLUMNS if c not in ("worse", "reported")])
    worse = ((frame["q_value"] < alpha) & (frame["difference"] > 0)).to_numpy(dtype=bool)
    frame["worse"] = worse
    frame["reported"] = _dedupe(masks, keys, worse, sums, binary, alpha) if len(frame) else np.zeros(0, dtype=bool)
    cohorts = (_error_tree(codes, encodings, err, binary, tree_depth, min_size, confidence, random_state, cells)
               if tree_depth > 0 and err.sum() > 0 else pd.DataFrame(columns=COHORT_COLUMNS))
    params = {
        "columns": columns, "k": k, "max_predicates": max_predicates, "min_size": min_size,
        "score_alpha": score_alpha, "alpha": alpha, "confidence": confidence, "tree_depth": tree_depth,
        "random_state": random_state, "binary_errors": binary, "n_tested": n_tested,
        "n_pruned": 0 if lattice is None else lattice.n_pruned,
        "bins": {e.column: list(e.edges) for e in encodings if e.kind == "numeric"},
    }
    overall = total[1] / n if cells is not None else float(err.mean())
    return SliceSearchResult(frame=frame[SEARCH_COLUMNS], params=params, n_samples=n, cohorts=cohorts,
                             definitions=definitions, overall_error=overall)
