"""``diagnose_fitted``: the fit verdict of the model as trained, anchored on all its data.

:func:`diagnose_fit` refits copies of a model on cross-validation folds, usually of a sample:
its training-validation gap describes a model fitted on a few thousand rows, which can
overfit where the real model, fitted on ten times more, does not. This module reads the gap
where it matters: the fitted model's score on its full training data against its score on
the held-out evaluation data, with bootstrap intervals over rows. Sampled learning curves
answer one other question, "would more data help", and are labelled as sampled.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from diagtools._format import number, percent, signed
from diagtools._stats import bootstrap_counts, percentile_interval
from diagtools._validation import check_probability
from diagtools.errors import DiagnosticInputError
from diagtools.fit._diagnose import _MEANINGS, _next_steps, _significant, check_thresholds
from diagtools.fit._result import FitDiagnosis, evidence_frame, with_interval

__all__ = ["diagnose_fitted"]

_FULL_MEANINGS = {
    **_MEANINGS,
    "train_score": "the fitted model's score on all of its training rows (in-sample)",
    "validation_score": "the fitted model's score on the held-out evaluation rows",
    "baseline_score": "held-out score of a trivial model fitted on the training labels (majority class / mean)",
    "reference_score": "validation score of a flexible reference model on the sampled learning curve",
    "gap": "training minus held-out score of the fitted model",
    "gain_per_doubling": "validation score gained per doubling of data, from the sampled learning curve's end",
}


def _scores(kind: str, y: np.ndarray, pred: np.ndarray, n_boot: int, confidence: float,
            random_state: int) -> tuple[float, np.ndarray]:
    """Point score and its bootstrap replicates (accuracy or R²) from per-row sufficient statistics."""
    if kind == "accuracy":
        stat = (np.asarray(y) == np.asarray(pred)).astype(float)
        point = float(stat.mean())
        boots = np.concatenate([c @ stat / c.sum(1) for c in bootstrap_counts(len(stat), n_boot, random_state=random_state)])
        return point, boots
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    sse = (y - pred) ** 2
    point = float(1 - sse.sum() / ((y - y.mean()) ** 2).sum())
    out = []
    for c in bootstrap_counts(len(y), n_boot, random_state=random_state):
        w = c.astype(float)
        m = (w @ y) / w.sum(1)
        sst = w @ (y**2) - w.sum(1) * m**2
        out.append(1 - (w @ sse) / sst)
    return point, np.concatenate(out)


def _row(point: float, boots: np.ndarray, n: int, confidence: float) -> tuple[float, float, float, int]:
    lo, hi = percentile_interval(boots, confidence)
    return point, float(lo), float(hi), n


def diagnose_fitted(
    model: Any,
    X_train: ArrayLike | pd.DataFrame,
    y_train: ArrayLike,
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    curve: FitDiagnosis | None = None,
    n_boot: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
    thresholds: dict[str, float] | None = None,
) -> FitDiagnosis:
    """Say whether the fitted model over- or underfits, from its scores on all its data.

    Parameters
    ----------
    model : fitted estimator
        The model as trained (it is not refitted).
    X_train, y_train : array-like
        The data it was trained on, all of it.
    X, y : array-like
        Held-out evaluation data.
    curve : FitDiagnosis, optional
        A :func:`diagnose_fit` run, typically on a sample of the training data: its learning
        curve supplies the gain per doubling of data ("would more data help") and its
        reference model's validation score. It never decides the gap.
    n_boot : int, default=200
        Bootstrap resamples (over rows) of each score.
    confidence : float, default=0.95
    random_state : int, default=0
    thresholds : dict, optional
        Override :data:`DEFAULT_THRESHOLDS`.

    Returns
    -------
    FitDiagnosis
        With ``params["anchor"] == "full"``; ``n`` of the score rows is the number of rows
        scored, and intervals are bootstrap intervals over rows.

    Raises
    ------
    DiagnosticInputError
        For mismatched lengths or a model without ``predict``.

    Notes
    -----
    Scores are accuracy (classifiers) or R² (regressors). With T, V, B the training,
    held-out and baseline scores: ``gap = T - V`` (interval: difference of independent
    bootstraps), ``gap_share = gap / (T - B)``. Rules, first match wins:

    1. **overfitting** if the gap is significant and ``gap_share > gap_share_overfit``;
    2. **underfitting** if T is significantly below the reference's sampled validation score
       (a reference fitted on fewer rows than the model is a lower bound of what is
       achievable, so this errs towards not calling underfitting);
    3. **overfitting** if V is significantly below the reference's, the gap significant and
       ``gap_share > gap_share_mild``;
    4. **inconclusive** if V is not significantly above the baseline;
    5. **data-limited** if the sampled curve still gains at least ``steep_gain`` per doubling
       (interval above 0): the model generalises, and more data would help;
    6. **good fit** otherwise.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from diagtools.fit import diagnose_fitted
    >>> X, y = make_classification(3_000, random_state=0)
    >>> model = LogisticRegression().fit(X[:2_000], y[:2_000])
    >>> diagnose_fitted(model, X[:2_000], y[:2_000], X[2_000:], y[2_000:], n_boot=50).verdict
    'good fit'
    """
    from diagtools.models import adapt_model

    limits = check_thresholds(thresholds)
    check_probability(confidence, "confidence")
    if not hasattr(model, "predict"):
        raise DiagnosticInputError(f"model ({type(model).__name__}) has no predict method. Pass the fitted model.")
    y_train_arr, y_arr = np.asarray(y_train), np.asarray(y)
    for name, (a, b) in {"y_train": (X_train, y_train_arr), "y": (X, y_arr)}.items():
        if len(a) != len(b):
            raise DiagnosticInputError(f"{name} has {len(b)} values but its X has {len(a)} rows. Pass one label per row.")
    ad = adapt_model(model, y=y_train_arr)  # the model states its task; y only fills the gap (wrappers)
    kind = "r2" if ad.task == "regression" else "accuracy"
    pred_train = ad.predict(X_train)
    pred = ad.predict(X)
    t, tb = _scores(kind, y_train_arr, pred_train, n_boot, confidence, random_state)
    v, vb = _scores(kind, y_arr, pred, n_boot, confidence, random_state + 1)
    if kind == "accuracy":
        values, counts = np.unique(y_train_arr, return_counts=True)
        base_pred = np.full(len(y_arr), values[counts.argmax()], dtype=object)
        b, bb = _scores(kind, y_arr.astype(object), base_pred, n_boot, confidence, random_state + 1)
    else:
        b, bb = _scores(kind, y_arr, np.full(len(y_arr), float(y_train_arr.astype(float).mean())), n_boot, confidence,
                        random_state + 1)
    rows: dict[str, tuple[float, float, float, int]] = {
        "train_score": _row(t, tb, len(y_train_arr), confidence),
        "validation_score": _row(v, vb, len(y_arr), confidence),
        "baseline_score": _row(b, bb, len(y_arr), confidence),
    }
    ref = None
    if curve is not None:
        r = curve.frame.set_index("evidence")
        if "reference_score" in r.index and np.isfinite(r.loc["reference_score", "estimate"]):
            ref = r.loc["reference_score"]
            rows["reference_score"] = (float(ref["estimate"]), float(ref["ci_low"]), float(ref["ci_high"]), int(ref["n"]))
    rows["gap"] = _row(t - v, tb - vb, len(y_arr), confidence)
    learned = t - b
    share_boot = (tb - vb) / np.where((tb - bb) > 0, tb - bb, np.nan)
    rows["gap_share"] = _row((t - v) / learned if learned > 0 else np.nan, share_boot, len(y_arr), confidence)
    rows["lift_over_baseline"] = _row(v - b, vb - bb, len(y_arr), confidence)
    if ref is not None:
        # the reference's interval is across folds; treat it as fixed against the row bootstrap of V and T
        rows["reference_minus_validation"] = _row(float(ref["estimate"]) - v, float(ref["estimate"]) - vb, len(y_arr), confidence)
        rows["reference_minus_train"] = _row(float(ref["estimate"]) - t, float(ref["estimate"]) - tb, len(y_train_arr), confidence)
    if curve is not None:
        g = curve.frame.set_index("evidence")
        if "gain_per_doubling" in g.index:
            gr = g.loc["gain_per_doubling"]
            rows["gain_per_doubling"] = (float(gr["estimate"]), float(gr["ci_low"]), float(gr["ci_high"]), int(gr["n"]))
    if "gain_per_doubling" not in rows:
        rows["gain_per_doubling"] = (np.nan, np.nan, np.nan, 0)

    verdict, reason, flagged = _decide_full(rows, limits, curve)
    scoring = "accuracy" if kind == "accuracy" else "r2"
    steps = _next_steps(verdict, rows, scoring)
    frame = evidence_frame(rows, flagged, _FULL_MEANINGS)
    params = {
        "scoring": scoring, "anchor": "full", "n_train": len(y_train_arr), "n_test": len(y_arr), "n_boot": n_boot,
        "random_state": random_state, "confidence": confidence, "thresholds": limits, "model": type(model).__name__,
        "reference": None if curve is None else curve.params.get("reference"),
        "curve_rows": None if curve is None else int(curve.n_samples),
    }
    return FitDiagnosis(frame=frame, params=params, n_samples=len(y_train_arr) + len(y_arr), verdict=verdict,
                        reason=reason, next_steps=steps, curve=None if curve is None else curve.curve)


def _decide_full(rows: dict[str, tuple[float, float, float, int]], limits: dict[str, float],
                 curve: FitDiagnosis | None) -> tuple[str, str, set[str]]:
    gap_sig = _significant(rows["gap"])
    share = rows["gap_share"][0]
    has_ref = "reference_score" in rows
    ref_lift = rows["reference_score"][0] - rows["baseline_score"][0] if has_ref else np.nan
    floor = limits["min_shortfall"] * max(ref_lift, 0.0) if has_ref else np.inf
    sample = f"{curve.n_samples:,}-row sample" if curve is not None else "sample"

    def short(name: str) -> bool:
        return has_ref and _significant(rows[name]) and rows[name][0] > floor

    t, v = rows["train_score"][0], rows["validation_score"][0]
    gap_text = f"training {number(t)} vs held-out {number(v)} (gap {with_interval(*rows['gap'][:3])})"
    if gap_sig and share > limits["gap_share_overfit"]:
        return ("overfitting", f"Rule 1 (model as trained, all rows): {gap_text}; {percent(share, 0)} of what it learned on its "
                f"training rows does not carry over (threshold {percent(limits['gap_share_overfit'], 0)}).", {"gap", "gap_share"})
    if short("reference_minus_train"):
        return ("underfitting", f"Rule 2: even the training score ({number(t)}) is significantly below what a flexible "
                f"reference model reaches on held-out rows of a {sample} ({number(rows['reference_score'][0])}): the model is "
                "too simple for these data.", {"reference_minus_train", "train_score", "reference_score"})
    if short("reference_minus_validation") and gap_sig and share > limits["gap_share_mild"]:
        return ("overfitting", f"Rule 3: {gap_text}; {percent(share, 0)} of what was learned does not carry over and the "
                f"held-out score is below the reference's ({number(rows['reference_score'][0])} on a {sample}).",
                {"gap", "gap_share", "reference_minus_validation"})
    if not _significant(rows["lift_over_baseline"]):
        return ("inconclusive", f"Rule 4: the held-out score {number(v)} is not significantly better than a trivial baseline "
                f"({number(rows['baseline_score'][0])}).", {"lift_over_baseline", "baseline_score"})
    gain = rows["gain_per_doubling"]
    if np.isfinite(gain[1]) and gain[1] > 0 and gain[0] >= limits.get("steep_gain", 0.02):
        return ("data-limited", f"Rule 5: no overfitting at full size ({gap_text}, {percent(share, 0)} of what was learned), but "
                f"the learning curve on a {sample} still rises {signed(gain[0])} per doubling of data "
                f"[{signed(gain[1])}, {signed(gain[2])}]: more data would help.", {"gap_share", "gain_per_doubling"})
    # "as good as the reference" means something only when the reference beats chance
    ref_ok = has_ref and rows["reference_score"][1] > rows["baseline_score"][0]
    tail = ""
    if has_ref and ref_ok and not short("reference_minus_validation"):
        tail = f", and as good as a flexible reference model ({number(rows['reference_score'][0])} on a {sample})"
    elif has_ref and not ref_ok:
        tail = " (the reference model is no better than chance here, so it says nothing about capacity)"
    return ("good fit", f"Rule 6: better than the baseline, {gap_text}, {percent(share, 0)} of what was learned does not carry "
            f"over{tail}.", {"lift_over_baseline", "gap_share"})
