"""Multivariate drift: a domain classifier that tries to tell reference rows from current rows.

A gradient-boosting classifier (early stopping on a tenth of each training fold, see
:data:`CLASSIFIER_PARAMS`) is cross-validated on ``reference (label 0) + current (label 1)``.
Its out-of-fold ROC-AUC is about 0.5 when the windows cannot be told apart, and approaches 1
as they separate. The interval is a percentile bootstrap of the out-of-fold AUC; the columns
that separate the windows most are ranked by permutation importance (drop of held-out AUC when
a column is shuffled), averaged over folds, on at most :data:`IMPORTANCE_ROWS` held-out rows
per fold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diagtools._stats import bootstrap_counts, percentile_interval


def auc_from_counts(score: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """ROC-AUC of ``score`` for binary ``y`` under row weights ``counts`` (one AUC per row of counts).

    Ties count one half. Works on bootstrap count matrices of shape ``(b, n)``: one sort of the
    scores, then weighted cumulative sums; no metric is called in a loop.
    """
    return _RankedScores(score, y).auc(np.atleast_2d(counts))


def bootstrap_auc(score: np.ndarray, y: np.ndarray, n_boot: int, *, random_state: int) -> np.ndarray:
    """``n_boot`` bootstrap replicates of the ROC-AUC of ``score`` for binary ``y``.

    The rows are resampled by :func:`~diagtools._stats.bootstrap_counts` (so the replicates are
    paired with any other statistic of the same rows and seed); the scores are sorted once for
    every resample.
    """
    ranked = _RankedScores(score, y)
    return np.concatenate([ranked.auc(c) for c in bootstrap_counts(len(y), n_boot, random_state=random_state)])


class _RankedScores:
    """The scores sorted once; :meth:`auc` then costs a few passes over a weight matrix.

    With ``C`` the cumulative weight of the negatives in score order, a positive whose run of
    tied scores holds the negatives ``lo..hi`` counts ``C[lo] + (C[hi] - C[lo]) / 2`` pairs
    (ties count one half), that is ``(C[lo] + C[hi]) / 2``: one cumulative sum over the
    negatives and two look-ups per positive, for every resample at once.
    """

    def __init__(self, score: np.ndarray, y: np.ndarray) -> None:
        order = np.argsort(score, kind="stable")
        s, positive = score[order], np.asarray(y)[order].astype(bool)
        new_run = np.concatenate([[True], s[1:] != s[:-1]])
        run = np.cumsum(new_run) - 1  # the run of tied scores of each sorted row
        starts = np.flatnonzero(new_run)
        ends = np.append(starts[1:], len(s))
        negatives_before = np.concatenate([[0], np.cumsum(~positive)])  # at each sorted position
        self.pos, self.neg = order[positive], order[~positive]  # original rows, in score order
        self.lo = negatives_before[starts[run[positive]]]  # negatives below each positive's run
        self.hi = negatives_before[ends[run[positive]]]  # ... and up to its end

    def auc(self, w: np.ndarray) -> np.ndarray:
        """AUC per row of the row weights ``w`` (shape ``(b, n)``, rows in their original order)."""
        cum = np.zeros((w.shape[0], len(self.neg) + 1), dtype=np.result_type(w.dtype, np.int64))
        np.cumsum(w[:, self.neg], axis=1, out=cum[:, 1:])
        wp = w[:, self.pos]
        twice = np.einsum("ij,ij->i", wp, cum[:, self.lo] + cum[:, self.hi])
        with np.errstate(all="ignore"):
            return twice / (2.0 * wp.sum(axis=1) * cum[:, -1])


#: Held-out rows per fold on which the permutation importances are measured.
IMPORTANCE_ROWS = 5_000
#: Cells (rows x columns) of the shuffled copies scored by one ``predict_proba`` call.
PREDICT_CELLS = 4_000_000
#: The classifier's settings. Early stopping on a tenth of each training fold (5 rounds without
#: a better validation loss) ends the fit once it stops learning: two windows that cannot be
#: told apart stop after a few trees instead of 60 trees fitted to noise, which also costs
#: every prediction of the permutation importances; a real separation keeps the trees it
#: needs (its held-out AUC was no lower than with 60 fixed trees in our checks).
CLASSIFIER_PARAMS: dict[str, Any] = {"max_iter": 60, "learning_rate": 0.2, "max_leaf_nodes": 15,
                                     "early_stopping": True, "validation_fraction": 0.1, "n_iter_no_change": 5}
#: Most categories HistGradientBoosting handles natively; a wider column is hashed to this many.
MAX_CATEGORIES = 255


def _encode(frame: pd.DataFrame, kinds: dict[str, str], text_scores: dict[str, np.ndarray] | None = None
            ) -> tuple[np.ndarray, list[bool], list[str]]:
    """Numeric matrix for the classifier, its categorical mask, and notes on what was changed.

    A categorical column with more than :data:`MAX_CATEGORIES` values (IDs, free codes) is
    hashed into that many buckets: a hash treats both windows alike, so shared values still
    land together and the classifier gains no spurious signal from the bucketing itself.
    """
    from diagtools.drift._profile import numeric_values

    cols, mask, notes = [], [], []
    for c, k in kinds.items():
        if k == "text":  # the out-of-fold score of a TF-IDF classifier stands for the text column
            cols.append((text_scores or {})[c])
            mask.append(False)
        elif k in ("numeric", "datetime"):  # datetimes and timedeltas as seconds
            v = numeric_values(frame[c])
            cols.append(np.where(np.isinf(v), np.nan, v))  # +-inf: reported per column, not split on
            mask.append(False)
        else:
            values = frame[c].astype("string")
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            if len(uniques) > MAX_CATEGORIES:
                hashed = pd.util.hash_array(values.fillna("").to_numpy(dtype=object)) % np.uint64(MAX_CATEGORIES)
                codes = np.where(codes < 0, -1, hashed.astype(np.int64))
                notes.append(f"column {c}: {len(uniques):,} distinct values hashed into {MAX_CATEGORIES} buckets "
                             "for the domain classifier")
            cols.append(np.where(codes < 0, np.nan, codes).astype(float))
            mask.append(True)
    return np.column_stack(cols), mask, notes


def domain_classifier(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    kinds: dict[str, str],
    *,
    max_rows: int = 5_000,
    n_splits: int = 3,
    n_boot: int = 200,
    n_repeats: int = 2,
    random_state: int = 0,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Cross-validated domain classifier; return its AUC summary and column importances.

    Parameters
    ----------
    reference, current : DataFrame
        The two windows (only the columns in ``kinds`` are used).
    kinds : dict of str to str
        Column -> ``"numeric"`` / ``"datetime"`` / ``"categorical"`` / ``"text"``.
    max_rows : int, default=5_000
        Rows sampled from each window (the same number from both, so AUC 0.5 means no drift).
    n_splits : int, default=3
        Stratified folds.
    n_boot : int, default=200
        Bootstrap resamples of the out-of-fold AUC.
    n_repeats : int, default=2
        Shuffles per column for the permutation importance.
    random_state : int, default=0

    Returns
    -------
    summary : dict
        ``auc, ci_low, ci_high, n, n_splits`` (plus ``notes`` when a column was hashed).
    importances : DataFrame
        Columns ``column, importance, rank``: mean drop of held-out AUC when the column is
        shuffled, largest first.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    # Small fits: one OpenMP thread avoids oversubscription stalls on shared machines.
    with threadpool_limits(limits=1, user_api="openmp"):
        return _domain_classifier(reference, current, kinds, max_rows=max_rows, n_splits=n_splits, n_boot=n_boot,
                                  n_repeats=n_repeats, random_state=random_state,
                                  classifier=HistGradientBoostingClassifier, folds=StratifiedKFold)


def _domain_classifier(reference: pd.DataFrame, current: pd.DataFrame, kinds: dict[str, str], *, max_rows: int,
                       n_splits: int, n_boot: int, n_repeats: int, random_state: int, classifier: Any,
                       folds: Any) -> tuple[dict[str, Any], pd.DataFrame]:

    rng = np.random.default_rng(random_state)
    m = min(len(reference), len(current), max_rows)
    ref = reference.iloc[np.sort(rng.choice(len(reference), m, replace=False))]
    cur = current.iloc[np.sort(rng.choice(len(current), m, replace=False))]
    both = pd.concat([ref[list(kinds)], cur[list(kinds)]], ignore_index=True)
    y = np.r_[np.zeros(m), np.ones(m)].astype(int)
    text_scores: dict[str, np.ndarray] = {}
    text_summary: dict[str, Any] = {}
    for c in (c for c, k in kinds.items() if k == "text"):
        text_scores[c], text_summary[c] = _text_domain(both[c], y, folds(n_splits=n_splits, shuffle=True,
                                                                         random_state=random_state), n_boot, random_state)
    X, cat_mask, notes = _encode(both, kinds, text_scores)
    oof = np.zeros(len(y))
    drops = np.zeros((n_splits, len(kinds)))
    splitter = folds(n_splits=n_splits, shuffle=True, random_state=random_state)
    for f, (tr, te) in enumerate(splitter.split(X, y)):
        clf = classifier(**CLASSIFIER_PARAMS, categorical_features=cat_mask, random_state=random_state)
        clf.fit(X[tr], y[tr])
        Xte = X[te]
        oof[te] = clf.predict_proba(Xte)[:, 1]
        # importances on at most IMPORTANCE_ROWS held-out rows, evenly spaced (both windows alike):
        # shuffling costs a prediction per column and repeat, the bulk of a large sample's time
        sub = np.arange(0, len(te), -(-len(te) // IMPORTANCE_ROWS))
        drops[f] = _permutation_drops(clf, Xte[sub], y[te][sub], oof[te][sub], n_repeats, rng)
    auc = float(auc_from_counts(oof, y, np.ones(len(y)))[0])
    boots = bootstrap_auc(oof, y, n_boot, random_state=random_state)
    low, high = percentile_interval(boots)
    imp = pd.DataFrame({"column": list(kinds), "importance": drops.mean(axis=0)})
    imp = imp.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    imp["rank"] = np.arange(1, len(imp) + 1)
    summary: dict[str, Any] = {"auc": auc, "ci_low": float(low), "ci_high": float(high), "n": len(y), "n_splits": n_splits}
    if text_summary:
        summary["text"] = text_summary
    if notes:
        summary["notes"] = notes
    return summary, imp


def _permutation_drops(clf: Any, X: np.ndarray, y: np.ndarray, score: np.ndarray, n_repeats: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Drop of the AUC of ``clf`` on ``(X, y)`` when each column is shuffled (mean over ``n_repeats``).

    The shuffled copies are stacked and scored by one ``predict_proba`` call per batch of
    :data:`PREDICT_CELLS` cells: one call per column and repeat spent most of its time in
    the classifier's per-call input checks, not in the trees.
    """
    n, k = X.shape
    base = float(auc_from_counts(score, y, np.ones(n))[0])
    jobs = [(j, rng.permutation(n)) for j in range(k) for _ in range(n_repeats)]  # the draws in a fixed order
    per_call = max(1, PREDICT_CELLS // max(n * k, 1))
    aucs = np.empty(len(jobs))
    for start in range(0, len(jobs), per_call):
        batch = jobs[start:start + per_call]
        stacked = np.tile(X, (len(batch), 1))
        for i, (j, perm) in enumerate(batch):
            stacked[i * n:(i + 1) * n, j] = X[perm, j]
        proba = clf.predict_proba(stacked)[:, 1]
        for i in range(len(batch)):
            aucs[start + i] = auc_from_counts(proba[i * n:(i + 1) * n], y, np.ones(n))[0]
    return base - aucs.reshape(k, n_repeats).mean(axis=1)


def _text_domain(texts: pd.Series, y: np.ndarray, splitter: Any, n_boot: int, random_state: int
                 ) -> tuple[np.ndarray, dict[str, Any]]:
    """Out-of-fold P(current) of a TF-IDF + logistic regression classifier on one text column, its AUC and its words.

    The out-of-fold scores feed the multivariate domain classifier as one column (stacking);
    the words with the largest coefficients of a fit on all rows say what is typical of each
    window.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    docs = texts.astype(object).where(texts.notna(), "").astype(str).to_numpy()
    oof = np.zeros(len(y))
    for tr, te in splitter.split(docs, y):
        vec = TfidfVectorizer(sublinear_tf=True, min_df=2)
        try:
            Z = vec.fit_transform(docs[tr])
        except ValueError:  # no word occurs twice: nothing to learn
            oof[te] = 0.5
            continue
        clf = LogisticRegression(C=1.0, max_iter=300).fit(Z, y[tr])
        oof[te] = clf.predict_proba(vec.transform(docs[te]))[:, 1]
    auc = float(auc_from_counts(oof, y, np.ones(len(y)))[0])
    boots = np.concatenate([auc_from_counts(oof, y, c) for c in bootstrap_counts(len(y), n_boot, random_state=random_state)])
    low, high = percentile_interval(boots)
    words: dict[str, list[str]] = {"current_words": [], "reference_words": []}
    try:
        vec = TfidfVectorizer(sublinear_tf=True, min_df=2)
        Z = vec.fit_transform(docs)
        coef = LogisticRegression(C=1.0, max_iter=300).fit(Z, y).coef_[0]
        vocab = vec.get_feature_names_out()
        order = np.argsort(coef)
        words = {"current_words": [str(vocab[i]) for i in order[::-1][:8] if coef[i] > 0],
                 "reference_words": [str(vocab[i]) for i in order[:8] if coef[i] < 0]}
    except ValueError:
        pass
    return oof, {"auc": auc, "ci_low": float(low), "ci_high": float(high), **words}
