"""Label-noise candidates by confident learning (per-class thresholds on out-of-fold probabilities).

Reference: C. Northcutt, L. Jiang, I. Chuang (2021), "Confident Learning: Estimating
Uncertainty in Dataset Labels", Journal of Artificial Intelligence Research 70, 1373-1411.
Implemented here (cleanlab is not required):

1. per-class threshold ``t_j`` = mean out-of-fold probability of class ``j`` over the rows
   labelled ``j`` (the model's average self-confidence for that class);
2. confident joint ``C[i, j]``: rows labelled ``i`` whose probability of ``j`` reaches ``t_j``
   (the largest such ``j`` when several do) are counted as "given ``i``, probably ``j``";
3. calibration: each row of ``C`` is rescaled to the number of rows labelled ``i`` and the
   matrix normalised to the joint distribution ``Q`` of given and true labels; the noise rate
   of class ``i`` is ``1 - Q[i, i] / Q[i, :].sum()``;
4. prune by noise rate: for each off-diagonal cell, the ``round(n * Q[i, j])`` rows labelled ``i``
   with the largest margin ``p_j - p_i`` are the label-issue candidates, ranked by their
   self-confidence (probability of the given label), lowest first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def confident_class(proba: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The class each row confidently belongs to (steps 1-2 above), and whether it has one.

    A row's probability of class ``j`` reaches the threshold ``t_j`` (the mean probability of
    ``j`` over the rows labelled ``j``); among several such classes the most probable wins.

    Returns
    -------
    best : ndarray of int of shape (n,)
    has : ndarray of bool of shape (n,)
        False where no class reaches its threshold (``best`` is then meaningless).
    """
    k = proba.shape[1]
    counts = np.bincount(labels, minlength=k)
    thresholds = np.array([proba[labels == j, j].mean() if counts[j] else np.inf for j in range(k)])
    above = proba >= thresholds[None, :] - 1e-12  # the row that defines a mean reaches it despite rounding
    return np.where(above, proba, -np.inf).argmax(1), above.any(1)


def confident_learning(proba: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(candidates, suggested, joint, noise_rate)``.

    Parameters
    ----------
    proba : ndarray of shape (n, k)
        Out-of-fold predicted probabilities.
    labels : ndarray of shape (n,)
        Given labels as class indices ``0..k-1``.

    Returns
    -------
    candidates : ndarray of int
        Positions of label-issue candidates, most suspicious first.
    suggested : ndarray of int
        The class each candidate more probably belongs to (same order).
    joint : ndarray of shape (k, k)
        Calibrated joint distribution of (given, true) labels.
    noise_rate : ndarray of shape (k,)
        Estimated share of wrong labels among the rows labelled with each class.
    """
    n, k = proba.shape
    given_counts = np.bincount(labels, minlength=k).astype(float)
    best, has = confident_class(proba, labels)
    confident = np.zeros((k, k))
    np.add.at(confident, (labels[has], best[has]), 1.0)
    row_sum = confident.sum(1, keepdims=True)
    with np.errstate(all="ignore"):
        calibrated = np.where(row_sum > 0, confident / row_sum, np.eye(k)) * given_counts[:, None]
    joint = calibrated / calibrated.sum()
    with np.errstate(all="ignore"):
        noise_rate = np.where(joint.sum(1) > 0, 1.0 - np.diag(joint) / joint.sum(1), np.nan)

    chosen: list[np.ndarray] = []
    suggest: list[np.ndarray] = []
    taken = np.zeros(n, dtype=bool)
    own = proba[np.arange(n), labels]
    for i in range(k):
        rows = np.flatnonzero(labels == i)
        for j in range(k):
            if i == j:
                continue
            m = round(n * joint[i, j])
            if m <= 0 or len(rows) == 0:
                continue
            margin = proba[rows, j] - own[rows]
            order = np.argsort(-margin, kind="stable")
            pick = rows[order]
            pick = pick[~taken[pick]][:m]
            pick = pick[proba[pick, j] > own[pick]]
            taken[pick] = True
            chosen.append(pick)
            suggest.append(np.full(len(pick), j))
    if chosen:
        cand = np.concatenate(chosen)
        sugg = np.concatenate(suggest)
        order = np.argsort(own[cand], kind="stable")
        cand, sugg = cand[order], sugg[order]
    else:
        cand = np.zeros(0, dtype=int)
        sugg = np.zeros(0, dtype=int)
    return cand, sugg, joint, noise_rate


def candidate_frame(index: pd.Index, cand: np.ndarray, sugg: np.ndarray, proba: np.ndarray, labels: np.ndarray,
                    classes: np.ndarray, max_rows: int) -> pd.DataFrame:
    """Tidy table of the top candidates: ``rank, row, given_label, suggested_label, self_confidence, suggested_proba``."""
    cand, sugg = cand[:max_rows], sugg[:max_rows]
    return pd.DataFrame({
        "rank": np.arange(1, len(cand) + 1),
        "row": [_plain(v) for v in index[cand]],
        "given_label": [_plain(v) for v in classes[labels[cand]]],
        "suggested_label": [_plain(v) for v in classes[sugg]],
        "self_confidence": proba[cand, labels[cand]],
        "suggested_proba": proba[cand, sugg],
    })


def confidence_histogram(proba: np.ndarray, labels: np.ndarray, cand: np.ndarray, bins: int = 20) -> pd.DataFrame:
    """Histogram of self-confidence for all rows and for the candidates (what ``plot_label_noise`` draws)."""
    own = proba[np.arange(len(labels)), labels]
    edges = np.linspace(0, 1, bins + 1)
    all_counts, _ = np.histogram(own, edges)
    cand_counts, _ = np.histogram(own[cand], edges)
    return pd.DataFrame({"bin_left": edges[:-1], "bin_right": edges[1:], "n_rows": all_counts, "n_candidates": cand_counts})


def _plain(v: object) -> object:
    if isinstance(v, np.generic):
        return v.item()
    return v


def temperature_scale(proba: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """Calibrate probabilities with one temperature fitted by maximum likelihood on the given labels.

    Temperature scaling (Guo et al., 2017, "On Calibration of Modern Neural Networks")
    rescales the log-probabilities by ``1 / T`` and renormalises. Regularised models are often
    under-confident (``T < 1`` sharpens them) and flexible ones over-confident; one parameter
    fixes the overall level without changing which class is most probable.

    Returns
    -------
    calibrated : ndarray of shape (n, k)
    temperature : float
    """
    from scipy.optimize import minimize_scalar

    logp = np.log(np.clip(proba, 1e-12, 1.0))
    rows = np.arange(len(labels))

    def nll(log_t: float) -> float:
        z = logp / np.exp(log_t)
        z = z - z.max(1, keepdims=True)
        return float(-(z[rows, labels] - np.log(np.exp(z).sum(1))).mean())

    opt = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded", options={"xatol": 1e-3})
    temperature = float(np.exp(opt.x))
    z = logp / temperature
    z = np.exp(z - z.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True), temperature


def noise_excess(proba: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """Confident disagreements per (given, suggested) class pair, against what the model's own uncertainty implies.

    A row *confidently disagrees* when the class it is most confidently predicted as (the most
    probable class ``c`` with ``p_c`` at least ``c``'s mean self-confidence, as in confident
    learning) differs from its given label. If every label were drawn from the model's
    (calibrated) probabilities, the number of rows given ``g`` and confidently ``c`` would be a
    sum of Bernoulli(``p_ig``) over the rows confidently ``c``: its expectation is
    ``sum_i p_ig``. A weak model or overlapping classes spread probability over several
    classes, so many disagreements are *expected*; only an excess over that expectation is
    evidence of wrong labels. The p-value is the Poisson upper tail at the expected count (a
    Poisson-binomial is less dispersed than the Poisson of the same mean, so the test is
    conservative).

    Parameters
    ----------
    proba : ndarray of shape (n, k)
        Calibrated out-of-fold probabilities.
    labels : ndarray of shape (n,)
        Given labels as class indices.

    Returns
    -------
    pandas.DataFrame
        Columns ``given, suggested, observed, expected, excess, p_value`` (class indices), one
        row per off-diagonal pair with an observation or an expectation of at least 0.5.
    """
    from scipy import stats as sps

    n, k = proba.shape
    best, has = confident_class(proba, labels)
    onehot = np.zeros((n, k))
    onehot[np.flatnonzero(has), best[has]] = 1.0
    # expected[g, c] = sum over rows confidently c of p(g); observed[g, c] = rows given g, confidently c
    expected = proba.T @ onehot
    observed = np.zeros((k, k))
    np.add.at(observed, (labels[has], best[has]), 1.0)
    g, c = np.nonzero(((observed > 0) | (expected >= 0.5)) & ~np.eye(k, dtype=bool))
    obs, exp = observed[g, c], expected[g, c]
    p = np.where(obs > 0, sps.poisson.sf(obs - 1, np.maximum(exp, 1e-12)), 1.0)
    return pd.DataFrame({"given": g, "suggested": c, "observed": obs.astype(int), "expected": exp,
                         "excess": obs - exp, "p_value": p})
