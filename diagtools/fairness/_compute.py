"""``assess_fairness`` and ``assess_fairness_predictions``: group metrics, disparity measures, tests.

How the numbers are computed (all from per-group sufficient statistics):

* **Groups.** Each sensitive column and each cross of two of them (the intersections) is a
  *feature*; its groups are the observed level combinations. Numeric columns with more than
  ten values are cut at quantiles, missing values form their own group (the slices encoder).
* **Classification.** Every row falls in one cell ``(group, y, y_pred, score bin)``; group
  confusion counts and calibration sums are sums over cells. Resampling the rows with
  replacement is drawing the cell counts from a multinomial, so one ``rng.multinomial`` call
  gives every resample's cell counts, and a sparse cell-to-group matrix turns them into every
  resample's group confusion counts (a weighted bincount per resample, vectorized); every
  measure of every resample then follows from those arrays. Within a calibration cell (a
  fortieth of the score range) a resample uses the cell's mean score: the exact point ECE is
  computed from the rows.
* **Regression.** Per-row errors are continuous, so rows are resampled with
  :func:`~diagtools._stats.bootstrap_counts` and the group sums of every resample come from one
  sparse product (:func:`~diagtools.metrics._engine.weighted_sums`).
* **Tests of "no disparity".** Classification: a permutation test per null hypothesis (equal
  selection rates; equal TPR and FPR; equal TPR; equal precision) using the measure itself as
  the statistic; under the null the positive outcomes are spread over the groups at random,
  which is a multivariate hypergeometric draw, so the test is exact up to Monte-Carlo error at
  any group size. Regression: Welch's one-way ANOVA of the errors (and absolute errors).
  Benjamini-Hochberg controls the false discovery rate over every (feature, hypothesis) tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy import stats as sps

from diagtools import _validation as V
from diagtools._metric_registry import clip_interval, metric_bounds
from diagtools._stats import (
    benjamini_hochberg,
    bias_corrected_interval,
    bootstrap_counts,
    percentile_interval,
    t_interval,
    wilson_interval,
)
from diagtools.errors import DiagnosticInputError
from diagtools.fairness import _inputs as I
from diagtools.fairness import _measures as M
from diagtools.fairness._result import FRAME_COLUMNS, GROUP_COLUMNS, OVERALL_COLUMNS, FairnessResult
from diagtools.metrics._engine import N_BINS, weighted_sums
from diagtools.slices._encode import TooManyLevels, fit_codes
from diagtools.slices._inputs import check_fraction, check_int
from diagtools.slices._sufficient import features_of

# Calibration cells per score bin in the bootstrap (see the module docstring).
ECE_SUB_BINS = 4
# Multinomial cell draws per chunk (resamples x cells), to bound memory.
_CHUNK_DRAWS = 4_000_000
ALL_ROWS = "all rows"


@dataclass
class _Feature:
    name: str
    codes: np.ndarray  # group code of each row, 0..G-1
    labels: list[str]


def _features(frame: pd.DataFrame, bins: int) -> list[_Feature]:
    """Each sensitive column and each pair of them, with the observed groups only."""
    encodings, codes = {}, {}
    for c in frame.columns:
        try:
            encodings[c], codes[c] = fit_codes(frame[c], bins)
        except TooManyLevels as exc:
            raise DiagnosticInputError(
                f"sensitive_features: column {c!r} has too many distinct values to form groups "
                f"({frame[c].nunique():,}). Group its values first (e.g. age bands), or pass a numeric column, "
                "which is cut into quantile bins."
            ) from exc
    out = []
    for feat in features_of(list(frame.columns), 2):
        raw = np.zeros(len(frame), dtype=np.int64)
        for c in feat:
            raw = raw * encodings[c].n_levels + codes[c]
        uniq, inv = np.unique(raw, return_inverse=True)
        labels = []
        for u in uniq:
            parts, rest = [], int(u)
            for c in reversed(feat):
                rest, level = divmod(rest, encodings[c].n_levels)
                parts.append(encodings[c].labels()[level])
            labels.append(" & ".join(reversed(parts)))
        out.append(_Feature(" & ".join(feat), inv.astype(np.int64), labels))
    return out


# -- classification ------------------------------------------------------------------------
def _classification_boot(
    feat: _Feature, cell: np.ndarray, conf: np.ndarray | None, n_boot: int, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Every resample's group cells ``(B, G, 4)`` and ECE ``(B, G)`` from one multinomial draw."""
    n, g = len(cell), len(feat.labels)
    nf = N_BINS * ECE_SUB_BINS if conf is not None else 1
    key = (feat.codes * 4 + cell) * nf
    if conf is not None:
        key = key + np.minimum((conf * nf).astype(np.int64), nf - 1)
    kc = np.bincount(key, minlength=g * 4 * nf)
    nz = np.flatnonzero(kc)
    p = kc[nz] / n
    gc = nz // nf
    to_cells = sparse.csr_matrix((np.ones(len(nz)), (np.arange(len(nz)), gc)), shape=(len(nz), g * 4))
    if conf is not None:
        mean_conf = np.bincount(key, weights=conf, minlength=g * 4 * nf)[nz] / kc[nz]
        hit = (gc % 4 >= 2).astype(float)  # cells 2 and 3 hold the positive labels
        gap = hit - mean_conf
        ece_bin = (nz // (4 * nf)) * N_BINS + (nz % nf) // ECE_SUB_BINS
        to_bins = sparse.csr_matrix((gap, (np.arange(len(nz)), ece_bin)), shape=(len(nz), g * N_BINS))
    cells, eces = [], []
    chunk = max(1, _CHUNK_DRAWS // max(len(nz), 1))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        draws = rng.multinomial(n, p, size=b).astype(float)
        c = np.asarray((to_cells.T @ draws.T).T).reshape(b, g, 4)
        cells.append(c)
        if conf is not None:
            h = np.asarray((to_bins.T @ draws.T).T).reshape(b, g, N_BINS)
            with np.errstate(all="ignore"):
                eces.append(np.abs(h).sum(axis=-1) / c.sum(axis=-1))
        done += b
    return np.concatenate(cells), (np.concatenate(eces) if conf is not None else None)


def _permutation_p(
    measure: M.Measure, counts: np.ndarray, mask: np.ndarray, observed: float, n_perm: int,
    rng: np.random.Generator,
) -> float:
    """Permutation p-value of "no disparity": outcomes spread over the groups at random.

    Demographic parity permutes the predictions over all rows, equal opportunity over the
    positive labels, equalized odds separately over the positive and the negative labels,
    predictive parity the labels over the predicted positives.
    """
    if int(mask.sum()) < 2 or not np.isfinite(observed):
        return float("nan")
    c = counts[mask].astype(np.int64)
    sims: dict[str, np.ndarray] = {}
    for metric in measure.metrics:
        num_cells, den_cells, _ = M.RATES[metric]
        colors = c[:, list(den_cells)].sum(axis=1)
        k = int(c[:, list(num_cells)].sum())
        draws = rng.multivariate_hypergeometric(colors, k, size=n_perm, method="marginals")
        with np.errstate(all="ignore"):
            sims[metric] = draws / colors
    stat = M.measure_value(measure, sims, np.ones(int(mask.sum()), dtype=bool))
    if measure.form == "ratio":
        extreme = stat <= observed + 1e-12
    else:
        extreme = stat >= observed - 1e-12
    return float((1 + np.count_nonzero(extreme & np.isfinite(stat))) / (1 + n_perm))


def _classification(
    feats: list[_Feature], yb: np.ndarray, pb: np.ndarray, conf: np.ndarray | None, *, min_size: int,
    n_boot: int, confidence: float, random_state: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of the group table and the measure table (before q-values)."""
    cell = 2 * yb + pb
    rng_boot = np.random.default_rng(random_state)
    rng_perm = np.random.default_rng([random_state, 1])
    group_rows: list[dict[str, Any]] = []
    measure_rows: list[dict[str, Any]] = []
    if conf is not None:
        ece_bin = np.minimum((conf * N_BINS).astype(np.int64), N_BINS - 1)
    for feat in feats:
        g = len(feat.labels)
        counts = np.bincount(feat.codes * 4 + cell, minlength=g * 4).reshape(g, 4)
        boot_cells, boot_ece = _classification_boot(feat, cell, conf, n_boot, rng_boot)
        values = M.rates(counts)
        boot_values = M.rates(boot_cells)
        size = counts.sum(axis=1)
        metrics = list(M.RATES)
        if conf is not None:
            gap = np.bincount(feat.codes * N_BINS + ece_bin, weights=yb - conf, minlength=g * N_BINS).reshape(g, N_BINS)
            values["ece"] = np.abs(gap).sum(axis=1) / size
            boot_values["ece"] = boot_ece
            metrics.append("ece")
        for metric in metrics:
            if metric == "ece":
                den = size.astype(float)
                lo, hi = percentile_interval(boot_values["ece"], confidence, axis=0)
                what = "rows"
            else:
                num, den = M.rate_parts(counts, metric)
                lo, hi = wilson_interval(num, den, confidence)
                what = M.RATES[metric][2]
            for j, label in enumerate(feat.labels):
                group_rows.append({
                    "feature": feat.name, "group": label, "metric": metric, "estimate": float(values[metric][j]),
                    "ci_low": float(lo[j]), "ci_high": float(hi[j]), "n": int(den[j]), "group_size": int(size[j]),
                    "note": _group_note(int(den[j]), what, min_size, metric),
                })
        if feat.name == ALL_ROWS:
            continue
        for measure in M.CLASSIFICATION_MEASURES:
            mask = _measure_mask(measure, counts, min_size)
            est = float(M.measure_value(measure, values, mask))
            samples = M.measure_value(measure, boot_values, mask)
            lo, hi = clip_interval(*bias_corrected_interval(samples, est, confidence), metric_bounds(measure.name))
            p = _permutation_p(measure, counts, mask, est, n_boot, rng_perm)
            measure_rows.append(_measure_row(feat, measure, values, mask, size, est, lo, hi, p, min_size))
    return group_rows, measure_rows


def _measure_mask(measure: M.Measure, counts: np.ndarray, min_size: int) -> np.ndarray:
    """Groups with at least ``min_size`` rows behind every rate the measure compares."""
    mask = np.ones(counts.shape[0], dtype=bool)
    for metric in measure.metrics:
        mask &= M.rate_parts(counts, metric)[1] >= min_size
    return mask


# Group metrics that the disparity measures compare.
_COMPARED = frozenset(m for measure in M.CLASSIFICATION_MEASURES + M.REGRESSION_MEASURES for m in measure.metrics)


def _group_note(den: int, what: str, min_size: int, metric: str) -> str:
    if den == 0:
        return f"undefined: no {what}"
    if den < min_size:
        used = "; left out of the disparity measures" if metric in _COMPARED else ""
        return f"too small: {den} {what} (< min_group_size {min_size}){used}"
    return ""


def _measure_row(
    feat: _Feature, measure: M.Measure, values: dict[str, np.ndarray], mask: np.ndarray, size: np.ndarray,
    est: float, lo: float, hi: float, p: float, min_size: int,
) -> dict[str, Any]:
    metric = M.attaining_metric(measure, values, mask)
    v = values[metric]
    idx = np.flatnonzero(mask)
    left_out = [feat.labels[j] for j in np.flatnonzero(~mask)]
    if len(idx) >= 2:
        low, high = idx[np.argmin(v[idx])], idx[np.argmax(v[idx])]
        low_group, low_value, high_group, high_value = feat.labels[low], float(v[low]), feat.labels[high], float(v[high])
        note = ""
    else:
        low_group = high_group = ""
        low_value = high_value = float("nan")
        what = " and ".join(M.RATES[m][2] if m in M.RATES else "rows" for m in measure.metrics)
        note = f"not computed: fewer than two groups with at least {min_size} {what}"
    if left_out:
        shown = ", ".join(left_out[:5]) + (f" and {len(left_out) - 5} more" if len(left_out) > 5 else "")
        note = (note + "; " if note else "") + f"too small, left out: {shown}"
    return {
        "feature": feat.name, "measure": measure.name, "hypothesis": measure.hypothesis, "estimate": est,
        "ci_low": lo, "ci_high": hi, "n": int(size[mask].sum()), "n_groups": int(mask.sum()), "metric": metric,
        "low_group": low_group, "low_value": low_value, "high_group": high_group, "high_value": high_value,
        "p_value": p, "note": note,
    }


# -- regression ----------------------------------------------------------------------------
def _welch_anova(n: np.ndarray, mean: np.ndarray, var: np.ndarray) -> float:
    """p-value of Welch's one-way ANOVA that the group means are equal."""
    k = len(n)
    if k < 2:
        return float("nan")
    var = np.maximum(var, 1e-300)
    w = n / var
    sw = w.sum()
    grand = (w * mean).sum() / sw
    a = (w * (mean - grand) ** 2).sum() / (k - 1)
    tmp = ((1 - w / sw) ** 2 / (n - 1)).sum()
    b = 1 + 2 * (k - 2) / (k**2 - 1) * tmp
    if tmp <= 0:
        return float("nan")
    return float(sps.f.sf(a / b, k - 1, (k**2 - 1) / (3 * tmp)))


def _regression(
    feats: list[_Feature], y: np.ndarray, pred: np.ndarray, *, min_size: int, n_boot: int, confidence: float,
    random_state: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    e = pred - y
    a = np.abs(e)
    n = len(e)
    # one sparse design for every feature: rows (feature, group, [count, e, |e|])
    offsets, rows, cols, vals = [0], [], [], []
    for feat in feats:
        base = offsets[-1]
        for j, v in enumerate((np.ones(n), e, a)):
            rows.append(base + feat.codes * 3 + j)
            cols.append(np.arange(n))
            vals.append(v)
        offsets.append(base + 3 * len(feat.labels))
    S = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(offsets[-1], n))
    sums = np.concatenate([weighted_sums(S, W.T.astype(float)) for W in bootstrap_counts(n, n_boot, random_state=random_state)],
                          axis=1)
    group_rows: list[dict[str, Any]] = []
    measure_rows: list[dict[str, Any]] = []
    for f, feat in enumerate(feats):
        g = len(feat.labels)
        cnt = np.bincount(feat.codes, minlength=g).astype(float)
        s_e = np.bincount(feat.codes, weights=e, minlength=g)
        s_e2 = np.bincount(feat.codes, weights=e * e, minlength=g)
        s_a = np.bincount(feat.codes, weights=a, minlength=g)
        mean_e, mae = s_e / cnt, s_a / cnt
        with np.errstate(all="ignore"):
            var_e = np.where(cnt > 1, (s_e2 - cnt * mean_e**2) / (cnt - 1), np.nan)
            var_a = np.where(cnt > 1, (s_e2 - cnt * mae**2) / (cnt - 1), np.nan)
        block = sums[offsets[f]:offsets[f + 1]].reshape(g, 3, -1)
        with np.errstate(all="ignore"):
            boot = {"mean_error": (block[:, 1] / block[:, 0]).T, "mae": (block[:, 2] / block[:, 0]).T}
        values = {"mean_error": mean_e, "mae": mae}
        for metric, var in (("mean_error", var_e), ("mae", var_a)):
            # a t-interval can cross the metric's range (an MAE below 0): clipped to it
            low, high = t_interval(values[metric], var, cnt, confidence, bounds=metric_bounds(metric))
            for j, label in enumerate(feat.labels):
                lo, hi = low[j], high[j]
                group_rows.append({
                    "feature": feat.name, "group": label, "metric": metric, "estimate": float(values[metric][j]),
                    "ci_low": float(lo), "ci_high": float(hi), "n": int(cnt[j]), "group_size": int(cnt[j]),
                    "note": _group_note(int(cnt[j]), "rows", min_size, metric),
                })
        if feat.name == ALL_ROWS:
            continue
        mask = cnt >= min_size
        for measure in M.REGRESSION_MEASURES:
            est = float(M.measure_value(measure, values, mask))
            samples = M.measure_value(measure, boot, mask)
            lo, hi = clip_interval(*bias_corrected_interval(samples, est, confidence), metric_bounds(measure.name))
            metric = measure.metrics[0]
            var = var_e if metric == "mean_error" else var_a
            p = _welch_anova(cnt[mask], values[metric][mask], var[mask]) if mask.sum() >= 2 else float("nan")
            measure_rows.append(_measure_row(feat, measure, values, mask, cnt, est, lo, hi, p, min_size))
    return group_rows, measure_rows


# -- the shared path ---------------------------------------------------------------------------
def assess_fairness_predictions(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    y_score: Any = None,
    pos_label: Any = None,
    task: str | None = None,
    bins: int = 5,
    min_group_size: int = 30,
    ratio_threshold: float = 0.8,
    difference_threshold: float = 0.1,
    n_boot: int = 1000,
    confidence: float = 0.95,
    alpha: float = 0.05,
    random_state: int = 0,
    name: str = "model",
) -> FairnessResult:
    """Compare a model's predictions across sensitive groups: group metrics, disparity measures, tests.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (or values, for regression).
    y_pred : array-like of shape (n_samples,)
        Predicted labels (the decisions) or values.
    sensitive_features : Series, DataFrame, dict or array-like
        The groups to compare, one row per sample (as in fairlearn): a Series, a DataFrame with
        one column per sensitive feature, a dict of arrays or an array. Each column and each
        pair of columns (their intersections) is assessed. Numeric columns with more than ten
        values are cut into ``bins`` quantile bins; missing values form a group.
    y_score : array-like of shape (n_samples,) or (n_samples, n_classes), optional
        Probability of the positive class (or ``predict_proba`` output, columns in sorted label
        order); enables the calibration error (ECE) per group.
    pos_label : label, optional
        The positive outcome (selected, approved, hired): its rate is compared across groups.
        Required unless the labels are 0/1, -1/1 or booleans (then 1). With more than two
        classes, every other class counts as negative.
    task : {"classification", "regression"}, optional
        Inferred from ``y_true`` by default.
    bins : int, default=5
        Quantile bins of numeric sensitive columns.
    min_group_size : int, default=30
        A group's rate enters a disparity measure only when at least this many rows stand
        behind it (rows for selection rate, positive labels for TPR, negative labels for FPR,
        predicted positives for precision). Smaller groups stay in ``.groups`` with a note, and a
        finding names them. ``min_group_size=1`` compares every group, as fairlearn does.
    ratio_threshold : float, default=0.8
        A ratio below it is material (the four-fifths rule).
    difference_threshold : float, default=0.1
        A difference above it is material (classification: rate points; regression: a share of
        the overall mean absolute error).
    n_boot : int, default=1000
        Bootstrap resamples behind each interval, and permutations behind each test.
    confidence : float, default=0.95
    alpha : float, default=0.05
        False discovery rate over every (feature, null hypothesis) tested (Benjamini-Hochberg).
    random_state : int, default=0
    name : str, default="model"

    Returns
    -------
    FairnessResult

    Raises
    ------
    DiagnosticInputError
        On mismatched lengths, missing values, string labels without ``pos_label``, an unknown
        ``pos_label``, sensitive features of the wrong shape, bad options.

    See Also
    --------
    assess_fairness : the same from a fitted model.
    diagtools.slice_metrics : every column's slices tested against the rest.

    Notes
    -----
    A measure is *significant* when the test of "no disparity" has a q-value below ``alpha``,
    and *flagged* when it is also material: a ratio below ``ratio_threshold`` or a difference
    above ``difference_threshold``. Intervals: Wilson for group rates, percentile bootstrap for
    ECE, Student t for regression errors, and for the disparity measures the bias-corrected
    percentile bootstrap (Efron 1981), widened where needed to contain the estimate: a largest
    minus smallest group value is biased away from 0 in resamples when there is little
    disparity (the maximum of noisy values). Read the test, not the interval, for "is there any
    disparity". See the module docstring of ``diagtools.fairness._compute`` for the method,
    and Hardt, Price & Srebro (2016) for equalized odds and equal opportunity.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> sex = pd.Series(rng.choice(["female", "male"], 4000), name="sex")
    >>> y = rng.integers(0, 2, 4000)
    >>> pred = np.where(sex == "female", rng.random(4000) < 0.2, rng.random(4000) < 0.5).astype(int)
    >>> res = assess_fairness_predictions(y, pred, sensitive_features=sex, n_boot=200)
    >>> res.measure("demographic_parity_ratio") < 0.8
    True
    """
    # -- checks first -------------------------------------------------------------------
    y, pred = _check_labels(y_true, y_pred)
    n = len(y)
    frame, _ = I.sensitive_frame(sensitive_features, n)
    task = V.check_task(y, task, "y_true")
    bins = check_int(bins, "bins", 1, hint="Pass e.g. bins=5.")
    min_size = check_int(min_group_size, "min_group_size", 1, hint="Pass e.g. min_group_size=30.")
    n_boot = check_int(n_boot, "n_boot", 1, hint="Pass e.g. n_boot=1000.")
    confidence = check_fraction(confidence, "confidence", "Pass e.g. confidence=0.95.")
    alpha = check_fraction(alpha, "alpha", "Pass e.g. alpha=0.05.")
    ratio_threshold = I.check_threshold(ratio_threshold, "ratio_threshold", 0.0, 1.0, "Pass e.g. 0.8 (four-fifths).")
    difference_threshold = I.check_threshold(difference_threshold, "difference_threshold", 0.0, None, "Pass e.g. 0.1.")
    conf = None
    notes: list[str] = []
    if task == "classification":
        yb, pb, pos_label, labels = I.binary_labels(y, pred, pos_label)
        score = I.positive_score(y_score, n, labels, pos_label)
        if score is not None:
            if score.min() < 0 or score.max() > 1:
                notes.append("y_score holds scores outside [0, 1], not probabilities: no calibration error (ECE).")
            else:
                conf = score
    else:
        pred = V.check_finite(pred, "y_pred")
        y = V.check_finite(y, "y_true")
        if y_score is not None:
            notes.append("y_score is ignored for regression.")
    feats = _features(frame, bins)
    feats.insert(0, _Feature(ALL_ROWS, np.zeros(n, dtype=np.int64), [ALL_ROWS]))

    # -- compute -------------------------------------------------------------------------
    if task == "classification":
        group_rows, measure_rows = _classification(feats, yb, pb, conf, min_size=min_size, n_boot=n_boot,
                                                   confidence=confidence, random_state=random_state)
    else:
        group_rows, measure_rows = _regression(feats, y.astype(float), pred.astype(float), min_size=min_size,
                                               n_boot=n_boot, confidence=confidence, random_state=random_state)
    groups, overall, measures = _tables(group_rows, measure_rows, task, ratio_threshold, difference_threshold, alpha)
    params = {
        "task": task, "pos_label": None if task == "regression" else _py(pos_label),
        "sensitive_features": list(frame.columns), "features": [f.name for f in feats[1:]], "bins": bins,
        "min_group_size": min_size, "ratio_threshold": ratio_threshold, "difference_threshold": difference_threshold,
        "n_boot": n_boot, "confidence": confidence, "alpha": alpha, "random_state": random_state, "name": name,
        "has_score": conf is not None, "notes": notes,
        "n_tests": int((~(measures["feature"] + "|" + measures["hypothesis"]).duplicated()).sum()) if len(measures) else 0,
    }
    return FairnessResult(frame=measures, params=params, n_samples=n, groups=groups, overall=overall)


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _check_labels(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """``y_true`` and ``y_pred`` as one-dimensional arrays of the same length, without missing values."""
    if y_true is None:
        raise DiagnosticInputError("y_true is required. Pass the true labels, one per row.")
    V.check_not_empty(y_true, "y_true")
    y = V.check_no_nan(y_true, "y_true")
    if y.ndim != 1:
        raise DiagnosticInputError(f"y_true must be one-dimensional, got shape {y.shape}. Pass one label per row.")
    if y_pred is None:
        raise DiagnosticInputError(
            "y_pred is required: fairness compares decisions. Pass the predicted labels (or values), one per row."
        )
    pred = V.check_one_per_row(y_pred, "y_pred", like=y, like_name="y_true",
                               hint="Pass predict() output and the probabilities as y_score.")
    return y, pred


def _tables(group_rows: list[dict[str, Any]], measure_rows: list[dict[str, Any]], task: str, ratio_threshold: float,
            difference_threshold: float, alpha: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``groups``, ``overall`` and the measures frame with thresholds, q-values and flags.

    A difference and its ratio test the same null hypothesis, so they share one test (and one
    q-value); Benjamini-Hochberg runs over the (feature, hypothesis) tests.
    """
    all_groups = pd.DataFrame(group_rows, columns=GROUP_COLUMNS)
    overall = all_groups[all_groups["feature"] == ALL_ROWS].reset_index(drop=True)[OVERALL_COLUMNS]
    groups = all_groups[all_groups["feature"] != ALL_ROWS].reset_index(drop=True)
    measures = pd.DataFrame(measure_rows)
    if measures.empty:
        return groups, overall, pd.DataFrame(columns=FRAME_COLUMNS)
    mae = float(overall.loc[overall["metric"] == "mae", "estimate"].iloc[0]) if task == "regression" else 1.0
    ratio = measures["measure"].str.endswith("_ratio")
    measures["threshold"] = np.where(ratio, ratio_threshold, difference_threshold * mae)
    key = measures["feature"] + "|" + measures["hypothesis"]
    first = ~key.duplicated()
    q = pd.Series(benjamini_hochberg(measures.loc[first, "p_value"].to_numpy(dtype=float)), index=key[first].to_numpy())
    measures["q_value"] = key.map(q).astype(float)
    measures["significant"] = measures["q_value"] < alpha
    est = measures["estimate"].astype(float)
    material = np.where(ratio, est < measures["threshold"], est > measures["threshold"])
    measures["flagged"] = measures["significant"] & material.astype(bool)
    return groups, overall, measures[FRAME_COLUMNS]
