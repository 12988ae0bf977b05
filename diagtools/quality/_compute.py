"""``check_data``: integrity, train/test leakage and label-noise candidates in one pass."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diagtools._stats import benjamini_hochberg
from diagtools._text import text_columns
from diagtools._validation import (
    check_columns,
    check_int,
    check_n_jobs,
    check_option,
    check_random_state,
    check_real,
    check_task,
    column_label,
    string_columns,
)
from diagtools.errors import DiagnosticInputError
from diagtools.quality._hashing import align_dtypes, column_hash, combine
from diagtools.quality._integrity import (
    ALL,
    Row,
    cardinality_rows,
    constant_rows,
    duplicate_rows,
    make_row,
    missing_mask,
    missing_rows,
    mixed_type_rows,
    outlier_rows,
)
from diagtools.quality._label_noise import (
    candidate_frame,
    confidence_histogram,
    confident_learning,
    noise_excess,
    temperature_scale,
)
from diagtools.quality._leakage import cross_split_rows, id_like_rows, near_hashes
from diagtools.quality._model import fold_ids, full_oof
from diagtools.quality._power import bin_codes, oof_bin_predictions, score_with_interval
from diagtools.quality._result import FRAME_COLUMNS, DataQualityResult

#: Every check ``check_data`` can run, in frame order.
CHECKS: tuple[str, ...] = (
    "missing", "constant", "mixed_types", "high_cardinality", "outliers", "duplicates",
    "near_duplicates", "id_like", "target_leakage", "label_noise",
)
#: Shorthands accepted by ``checks=``.
CHECK_GROUPS: dict[str, tuple[str, ...]] = {
    "integrity": ("missing", "constant", "mixed_types", "high_cardinality", "outliers", "duplicates"),
    "leakage": ("duplicates", "near_duplicates", "id_like", "target_leakage"),
    "fast": ("missing", "constant", "mixed_types", "high_cardinality", "outliers", "duplicates", "near_duplicates", "id_like"),
}
#: Columns above which the progress bar switches on by default.
PROGRESS_COLUMNS = 50
#: Default "too good to be true" score of one column alone, per task.
LEAKAGE_THRESHOLDS = {"classification": 0.95, "regression": 0.9}
#: What counts as a problem: the defaults of ``check_data(thresholds=...)``.
DEFAULT_THRESHOLDS: dict[str, float | None] = {
    # significant digits numbers are rounded to before near-duplicate matching
    "near_digits": 3,
    # share of the dominant value from which a column is near-constant
    "near_constant": 0.99,
    # distinct values per row from which a text column (with >= 50 values) is flagged
    "high_cardinality": 0.5,
    # robust z-score (training median and MAD) beyond which a value is an outlier
    "outlier_z": 3.5,
    # share of outliers from which a column is flagged
    "outlier_share": 0.01,
    # one-column score that is "too good to be true"; None: LEAKAGE_THRESHOLDS of the task
    "leakage_threshold": None,
    # share of the full model's lift over chance from which one column alone is suspicious
    "leakage_share": 0.9,
}
#: Range check of each threshold: (low, high, low_open, high_open, example).
_THRESHOLD_RANGES: dict[str, tuple[float | None, float | None, bool, bool, str]] = {
    "near_constant": (0.0, 1.0, True, False, "0.99"),
    "high_cardinality": (0.0, 1.0, True, False, "0.5"),
    "outlier_z": (0.0, None, True, False, "3.5"),
    "outlier_share": (0.0, 1.0, True, True, "0.01"),
    # above 1 is allowed: no single column reaches it, so only the full-model rule flags
    "leakage_threshold": (0.0, None, True, False, "0.95"),
    "leakage_share": (0.0, 1.0, True, False, "0.9"),
}
#: A column that matches the full model is flagged only above this score (chance is 0.5 / 0.0):
#: one honest dominant driver (floor area for a house price, R^2 0.67) is common and no leak.
MIN_SUSPICIOUS = {"classification": 0.9, "regression": 0.8}


def _resolve_checks(checks: str | Sequence[str] | None) -> tuple[str, ...]:
    if checks is None:
        return CHECKS
    items = [checks] if isinstance(checks, str) else list(checks)
    chosen: set[str] = set()
    for item in items:
        if item in CHECK_GROUPS:
            chosen.update(CHECK_GROUPS[item])
        else:
            check_option(item, CHECKS + tuple(CHECK_GROUPS), "checks")
            chosen.add(item)
    return tuple(c for c in CHECKS if c in chosen)


def _positive_int(value: Any, name: str, minimum: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DiagnosticInputError(f"{name} must be an integer >= {minimum}, got {value!r}. Use e.g. {example}.")
    return int(value)


def _resolve_thresholds(thresholds: Mapping[str, Any] | None, legacy: dict[str, Any]) -> dict[str, Any]:
    """Merge ``thresholds`` (and deprecated threshold keywords) over :data:`DEFAULT_THRESHOLDS`.

    The six keywords that were thresholds before ``thresholds=`` still work and warn.
    """
    unexpected = sorted(set(legacy) - set(DEFAULT_THRESHOLDS))
    if unexpected:
        raise TypeError(f"check_data() got an unexpected keyword argument {unexpected[0]!r}")
    if thresholds is not None and not isinstance(thresholds, Mapping):
        raise DiagnosticInputError(
            f"thresholds must be a dict such as {{'outlier_z': 3.5}}, got {type(thresholds).__name__}. "
            f"Valid keys: {sorted(DEFAULT_THRESHOLDS)}."
        )
    given = dict(thresholds or {})
    unknown = sorted(set(given) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise DiagnosticInputError(
            f"thresholds: unknown key(s) {unknown}; expected some of {sorted(DEFAULT_THRESHOLDS)}."
        )
    if legacy:
        names = ", ".join(f"{k}=" for k in legacy)
        warnings.warn(f"check_data({names}...) is deprecated; pass thresholds={legacy!r} instead.",
                      FutureWarning, stacklevel=3)
        given = {**legacy, **given}
    limits = {**DEFAULT_THRESHOLDS, **given}
    _positive_int(limits["near_digits"], "thresholds['near_digits']", 1, "thresholds={'near_digits': 3}")
    for key, (low, high, low_open, high_open, example) in _THRESHOLD_RANGES.items():
        if key == "leakage_threshold" and limits[key] is None:
            continue
        limits[key] = check_real(limits[key], f"thresholds[{key!r}]", low=low, high=high, low_open=low_open,
                                 high_open=high_open, hint=f"Use e.g. thresholds={{{key!r}: {example}}}.")
    return limits


def _validate(train: Any, test: Any, target: Any, exclude: Sequence[str], cv: Any, n_boot: Any, confidence: Any,
              model: Any) -> list[str]:
    for name, data in (("train", train), ("test", test)):
        if name == "test" and data is None:
            continue
        if not isinstance(data, pd.DataFrame):
            raise DiagnosticInputError(
                f"{name} must be a pandas DataFrame including the target column, got {type(data).__name__}. "
                "Convert it, e.g. pd.DataFrame(X).assign(target=y)."
            )
        if len(data) == 0:
            raise DiagnosticInputError(f"{name} is empty (0 rows). Pass at least one row of data.")
    if target is None or isinstance(target, (list, dict, set)):
        raise DiagnosticInputError(f"target must be the name of the label column (a str), got {type(target).__name__}. "
                                   "Pass e.g. target='defaulted'.")
    check_columns(train, [target], name="target")
    check_columns(train, list(exclude), name="exclude")
    features = [c for c in train.columns if c != target and c not in set(exclude)]
    if not features:
        raise DiagnosticInputError("train has no feature columns besides the target (and exclude). Pass the features too.")
    if test is not None:
        missing = [c for c in features if c not in test.columns]
        if missing:
            check_columns(test, missing[:1], name="test")
    _positive_int(cv, "cv", 2, "cv=5")
    _positive_int(n_boot, "n_boot", 1, "n_boot=200")
    if not (isinstance(confidence, (float, int)) and not isinstance(confidence, bool) and 0 < confidence < 1):
        raise DiagnosticInputError(f"confidence must be a number strictly between 0 and 1, got {confidence!r}. Use e.g. 0.95.")
    if model is not None and not (hasattr(model, "fit") and hasattr(model, "predict")):
        raise DiagnosticInputError(
            f"model ({type(model).__name__}) has no fit/predict methods. Pass an unfitted scikit-learn estimator "
            "(it is cloned and cross-validated), or None for the default gradient-boosting model."
        )
    if train[target].isna().any():
        k = int(train[target].isna().sum())
        raise DiagnosticInputError(f"train[{target!r}] contains {k} missing label(s). Drop those rows before checking.")
    return features


def check_data(
    train: pd.DataFrame,
    test: pd.DataFrame | None = None,
    *,
    target: str,
    task: str | None = None,
    model: Any = None,
    checks: str | Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    cv: int = 5,
    n_boot: int = 200,
    confidence: float = 0.95,
    thresholds: Mapping[str, Any] | None = None,
    n_bins: int = 32,
    max_candidates: int = 500,
    impact: bool = False,
    n_jobs: int | None = None,
    random_state: int = 0,
    progress: bool | None = None,
    **deprecated: Any,
) -> DataQualityResult:
    """Check a training (and test) table for integrity problems, leakage and label noise.

    Parameters
    ----------
    train : DataFrame
        Training data, features and the ``target`` column.
    test : DataFrame, optional
        Held-out data with the same feature columns (the target column is optional). Enables
        the cross-split checks (exact and near duplicates) and per-split missing values.
    target : str
        Name of the label column.
    task : {"classification", "regression"}, optional
        Inferred from the target when omitted.
    model : estimator, optional
        Unfitted scikit-learn estimator taking the raw feature frame; it is cloned and
        cross-validated on ``train``. Its out-of-fold predictions give the full-model score that
        one-column scores are compared with, and the probabilities for label noise. Default: a
        small HistGradientBoosting model on the features with categories encoded; with free-text
        columns (many distinct multi-word strings), TF-IDF of the words with a logistic
        regression (Ridge for regression), other columns one-hot encoded or scaled.
    checks : str or list of str, optional
        Checks to run (default all): names from :data:`CHECKS` or groups from
        :data:`CHECK_GROUPS` (``"integrity"``, ``"leakage"``, ``"fast"``: everything without a
        model). ``"target_leakage"`` fits the full model only when ``"label_noise"`` runs too or
        ``model`` is given; otherwise columns are judged by ``leakage_threshold`` alone.
    exclude : list of str, default=()
        Columns to leave out of every check. Columns found ID-like (when ``"id_like"`` runs) are
        left out of row hashing automatically, so copies with a fresh ID still count as duplicates.
    cv : int, default=5
        Cross-validation folds of the one-column and full models.
    n_boot : int, default=200
        Bootstrap resamples of the score intervals.
    confidence : float, default=0.95
        Level of every interval.
    thresholds : dict, optional
        Override :data:`DEFAULT_THRESHOLDS`; unknown keys raise. Keys and defaults:
        ``near_digits=3`` (significant digits numbers are rounded to for near-duplicate
        matching), ``near_constant=0.99`` (share of the dominant value from which a column is
        near-constant), ``high_cardinality=0.5`` (distinct values per row from which a text
        column with >= 50 values is flagged), ``outlier_z=3.5`` and ``outlier_share=0.01``
        (robust z-score beyond which a value is an outlier, and the share of outliers from which
        a column is flagged), ``leakage_threshold=None`` (one-column score that is "too good to
        be true"; default ROC-AUC 0.95, R^2 0.9) and ``leakage_share=0.9`` (a column is also
        flagged when it alone reaches this share of the full model's lift over chance,
        ``(score - chance) / (full - chance)``, and scores at least 0.9 AUC / 0.8 R^2).
    n_bins : int, default=32
        Bins of the one-column models.
    max_candidates : int, default=500
        Label-noise candidates kept in ``label_issues``.
    impact : bool, default=False
        Also fit the model on ``train`` and measure the test metric change (with an interval)
        when the duplicated test rows are removed and when each leaking column is dropped.
    n_jobs : int, optional
        Parallel folds of the full model (joblib).
    random_state : int, default=0
        Seed of folds, bootstrap and model.
    progress : bool, optional
        Progress bar over columns; default on from 50 columns.
    **deprecated
        The former threshold keywords (``near_digits``, ``near_constant``, ``high_cardinality``,
        ``outlier_z``, ``outlier_share``, ``leakage_threshold``) still work and warn
        ``FutureWarning``: pass them in ``thresholds`` instead.

    Returns
    -------
    DataQualityResult

    Raises
    ------
    DiagnosticInputError
        For a missing target column, an unknown check, empty frames, feature columns missing from
        ``test``, a model without ``fit``, missing labels, or a single-class target when
        label-based checks run.

    See Also
    --------
    diagtools.drift.detect_drift : distribution changes between two windows.

    Notes
    -----
    Rows are hashed column by column with :func:`pandas.util.hash_pandas_object` and combined,
    so duplicate and cross-split checks are vectorised and never copy the table. Label-noise
    candidates follow confident learning (Northcutt, Jiang and Chuang, 2021, JAIR 70:1373-1411),
    implemented with per-class thresholds on out-of-fold probabilities (see
    ``diagtools.quality._label_noise``). They are *claimed* as label noise only where a pair of
    classes has more confident disagreements than the model's own temperature-calibrated
    probabilities predict (``noise_pairs``): a weak model or overlapping classes produce many
    candidates on correct labels. Free-text columns skip the row-ID, cardinality, mixed-type,
    outlier and one-column leakage checks; strings such as ``"?"``, ``"NA"`` or ``"null"``
    count as missing values.

    Examples
    --------
    >>> from diagtools.datasets import make_loans
    >>> from diagtools.quality import add_data_problems, check_data
    >>> train, test = make_loans(2_000), make_loans(1_000, random_state=1)
    >>> train, test, truth = add_data_problems(train, test, target="defaulted")
    >>> res = check_data(train, test, target="defaulted", checks="fast")
    >>> res.count("train_test_duplicates") == truth["n_test_duplicates"]
    True
    """
    # any hashable column names: text once, here (a target given as 3 or ('a', 'b') follows)
    if isinstance(train, pd.DataFrame):
        train, _ = string_columns(train, "train")
        if target is not None and not isinstance(target, (list, dict, set)):
            target = column_label(target)
        exclude = [column_label(c) for c in ([exclude] if isinstance(exclude, str) else exclude)]
    if isinstance(test, pd.DataFrame):
        test, _ = string_columns(test, "test")
    features = _validate(train, test, target, exclude, cv, n_boot, confidence, model)
    limits = _resolve_thresholds(thresholds, deprecated)
    check_int(n_bins, "n_bins", low=2, hint="Use e.g. n_bins=32.")
    check_int(max_candidates, "max_candidates", low=1, hint="Use e.g. max_candidates=500.")
    check_n_jobs(n_jobs)
    check_random_state(random_state)
    chosen = _resolve_checks(checks)
    y_raw = train[target].to_numpy()
    task = check_task(y_raw, task, name=f"train[{target!r}]")
    label_based = {"target_leakage", "label_noise"} & set(chosen)
    classes = np.unique(y_raw) if task == "classification" else np.array([])
    if task == "classification" and label_based:
        if len(classes) < 2:
            raise DiagnosticInputError(f"train[{target!r}] holds a single class ({classes[0]!r}); target leakage and "
                                       "label noise need at least two. Use checks='fast' or pass data with every class.")
        smallest = int(np.bincount(np.searchsorted(classes, y_raw)).min())
        if smallest < cv:
            raise DiagnosticInputError(f"cv={cv} folds but the rarest class of train[{target!r}] has {smallest} rows. "
                                       f"Use cv<={max(smallest, 2)} or drop that class.")
    thr = limits["leakage_threshold"] if limits["leakage_threshold"] is not None else LEAKAGE_THRESHOLDS[task]
    # Free text is neither a row ID nor a category with too many levels, and one message alone
    # predicting its label is the point of a text model, not leakage: those checks skip it.
    text_cols = text_columns(train, features)
    tabular = [c for c in features if c not in text_cols]
    if progress is None:
        progress = len(features) >= PROGRESS_COLUMNS
    params = {"target": target, "task": task, "checks": list(chosen), "cv": cv, "n_boot": n_boot, "confidence": confidence,
              **limits, "leakage_threshold": thr, "n_bins": n_bins,
              "random_state": random_state, "exclude": list(exclude), "impact": impact,
              "n_train": len(train), "n_test": 0 if test is None else len(test),
              "model": type(model).__name__ if model is not None else
              "default TF-IDF + logistic regression" if text_cols else "default gradient boosting",
              "text_columns": text_cols}

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(features) * 3, desc="check_data", unit="column")

    def step() -> None:
        if bar is not None:
            bar.update(1)

    splits: dict[str, pd.DataFrame] = {"train": train} if test is None else {"train": train, "test": test}
    y_test = test[target] if test is not None and target in test.columns else None
    rows: list[Row] = []
    extras: dict[str, Any] = {}
    if "missing" in chosen:
        rows += missing_rows(splits, features, confidence)
        extras["missing_blocks"] = _missing_blocks(splits, features)
    n_unique: dict[str, int] = {}
    if {"constant", "mixed_types", "high_cardinality"} & set(chosen):
        data = train[features] if test is None else pd.concat([train[features], test[features]], ignore_index=True)
        if "constant" in chosen:
            part, n_unique = constant_rows(data, features, limits["near_constant"], confidence, step)
            rows += part
        if "mixed_types" in chosen:
            rows += mixed_type_rows(data, tabular, confidence)
        if "high_cardinality" in chosen:
            rows += cardinality_rows(data, tabular, n_unique, limits["high_cardinality"], confidence)
    if "outliers" in chosen:
        rows += outlier_rows(splits, tabular, limits["outlier_z"], limits["outlier_share"], confidence)
    hash_features = list(features)
    if "id_like" in chosen:
        id_part = id_like_rows(splits, tabular, confidence)
        rows += id_part
        ids = [r["column"] for r in id_part if r["flagged"]]
        hash_features = [c for c in features if c not in ids] or list(features)
        params["hash_excludes"] = [c for c in ids if c not in hash_features]
    exact_mask = None
    if {"duplicates", "near_duplicates"} & set(chosen):
        part, exact_mask = _duplicate_rows(train, test, target, hash_features, chosen, limits["near_digits"], confidence)
        rows += part

    fit_full = "label_noise" in chosen or ("target_leakage" in chosen and (model is not None or impact))
    y_idx = np.searchsorted(classes, y_raw) if task == "classification" else y_raw.astype(float)
    oof = None
    if label_based:
        _, folds = fold_ids(y_idx, task, cv, random_state)
        if fit_full:
            oof = full_oof(train, features, y_idx, task, model, cv, random_state, n_jobs, text_cols)
        if "target_leakage" in chosen:
            rows += _leakage_rows(train, tabular, y_idx, task, classes, folds, cv, oof, (thr, limits["leakage_share"]),
                                  n_bins, n_boot, confidence, random_state, step)
        if "label_noise" in chosen and task == "classification" and oof is not None:
            part, noise_extras, noise_params = _label_noise_part(train.index, oof, y_idx, classes, confidence,
                                                                 max_candidates)
            rows += part
            extras.update(noise_extras)
            params.update(noise_params)
    if impact and test is not None and y_test is not None:
        from diagtools.quality._impact import impact_rows

        rows += impact_rows(train, test, features, target, task, classes, model, rows, exact_mask, n_boot, confidence,
                            random_state)
    if bar is not None:
        bar.close()

    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    if len(frame):
        frame["q_value"] = benjamini_hochberg(frame["p_value"].to_numpy(dtype=float))
    return DataQualityResult(frame=frame, params=params, n_samples=len(train) + (0 if test is None else len(test)), **extras)


def _duplicate_rows(train: pd.DataFrame, test: pd.DataFrame | None, target: str, features: list[str],
                    chosen: tuple[str, ...], near_digits: int, confidence: float) -> tuple[list[Row], Any]:
    """Duplicate rows within each split, and test rows found (exactly or nearly) in training.

    Returns the rows and the mask of test rows exactly in training (``None`` without ``test``).
    """
    y_test = test[target] if test is not None and target in test.columns else None
    if test is not None:
        cols_tr, cols_te = align_dtypes(train, test, features)
    else:
        cols_tr, cols_te = {c: train[c] for c in features}, {}
    h_train = combine((column_hash(s) for s in cols_tr.values()), len(cols_tr))
    h_test = combine((column_hash(s) for s in cols_te.values()), len(cols_te)) if test is not None else None
    rows: list[Row] = []
    if "duplicates" in chosen:
        rows += duplicate_rows("train", h_train, train[target].reset_index(drop=True), confidence)
        if h_test is not None:
            rows += duplicate_rows("test", h_test, None if y_test is None else y_test.reset_index(drop=True), confidence)
    if h_test is None:
        return rows, None
    part, exact_mask = cross_split_rows(h_train, h_test, train[target], y_test, confidence)
    if "duplicates" in chosen:
        rows += part
    if "near_duplicates" in chosen:
        nt, ns = near_hashes(cols_tr, cols_te, near_digits)
        part, _ = cross_split_rows(nt, ns, train[target], y_test, confidence, check="near_duplicates",
                                   extra=f" after rounding numbers to {near_digits} significant digits and "
                                         "normalising text (exact duplicates not counted)",
                                   exclude=exact_mask)
        rows += part
    return rows, exact_mask


def _label_noise_part(index: pd.Index, oof: np.ndarray, y_idx: np.ndarray, classes: np.ndarray, confidence: float,
                      max_candidates: int) -> tuple[list[Row], dict[str, Any], dict[str, Any]]:
    """Label-noise rows per given class, the result's label-noise frames and their parameters."""
    from diagtools._stats import wilson_interval

    cand, sugg, joint, rate = confident_learning(oof, y_idx)
    counts = np.bincount(y_idx, minlength=len(classes))
    cand_given = np.bincount(y_idx[cand], minlength=len(classes))
    pairs, temperature = _noise_pairs(oof, y_idx, classes)
    params = {"calibration_temperature": temperature, "confident_disagreements": int(pairs["observed"].sum()),
              "expected_disagreements": float(pairs["expected"].sum()), "n_label_issues": len(cand)}
    noisy_given = set(pairs.loc[pairs["significant"], "given_label"].astype(str))
    rows: list[Row] = []
    for j, cls in enumerate(classes):
        lo, hi = wilson_interval(round(rate[j] * counts[j]), counts[j], confidence)
        excess = bool(str(cls) in noisy_given)
        detail = ""
        if cand_given[j]:
            detail = f"{int(cand_given[j]):,} rows labelled {cls!r} look mislabeled" + (
                "" if excess else " (no more than the model's own uncertainty predicts: low confidence)")
        rows.append(make_row("label_noise", str(cls), "train", int(cand_given[j]), float(rate[j]), int(counts[j]),
                             ci=(float(lo), float(hi)), flagged=bool(cand_given[j] > 0 and excess),
                             detail=detail, confidence=confidence))
    k = range(len(classes))
    extras = {
        "noise_pairs": pairs,
        "label_issues": candidate_frame(index, cand, sugg, oof, y_idx, classes, max_candidates),
        "confidence_hist": confidence_histogram(oof, y_idx, cand),
        "noise_joint": pd.DataFrame([(_plain(classes[i]), _plain(classes[j]), float(joint[i, j])) for i in k for j in k],
                                    columns=["given_label", "true_label", "share"]),
    }
    return rows, extras, params


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


#: A (given, suggested) pair is label-noise evidence when its confident disagreements exceed the
#: count the calibrated probabilities predict with q below this, by at least this factor and
#: this many rows.
NOISE_Q = 0.05
NOISE_RATIO = 1.5
NOISE_MIN_EXCESS = 3.0


def _noise_pairs(oof: np.ndarray, y_idx: np.ndarray, classes: np.ndarray) -> tuple[pd.DataFrame, float]:
    """Observed vs expected confident disagreements per class pair, under temperature-calibrated probabilities."""
    calibrated, temperature = temperature_scale(oof, y_idx)
    pairs = noise_excess(calibrated, y_idx)
    pairs["q_value"] = benjamini_hochberg(pairs["p_value"].to_numpy(dtype=float)) if len(pairs) else []
    pairs["significant"] = ((pairs["q_value"] < NOISE_Q) & (pairs["observed"] >= NOISE_RATIO * pairs["expected"])
                            & (pairs["excess"] >= NOISE_MIN_EXCESS))
    out = pd.DataFrame({
        "given_label": [_plain(classes[i]) for i in pairs["given"]],
        "suggested_label": [_plain(classes[j]) for j in pairs["suggested"]],
        "observed": pairs["observed"].astype(int), "expected": pairs["expected"].astype(float),
        "excess": pairs["excess"].astype(float), "p_value": pairs["p_value"].astype(float),
        "q_value": pairs["q_value"].astype(float), "significant": pairs["significant"].astype(bool),
    })
    out = out.sort_values(["significant", "excess"], ascending=[False, False], kind="stable").reset_index(drop=True)
    return out, temperature


def _missing_blocks(splits: dict[str, pd.DataFrame], features: Sequence[str], blocks: int = 60) -> pd.DataFrame:
    """Share missing per block of consecutive rows, column and split (the missingness matrix)."""
    out = []
    for split, df in splits.items():
        mask = np.column_stack([missing_mask(df[c])[0] for c in features]) if len(features) else np.zeros((len(df), 0), bool)
        b = min(blocks, len(df))
        edges = np.linspace(0, len(df), b + 1).astype(int)
        sums = np.add.reduceat(mask.astype(float), edges[:-1], axis=0)
        sizes = np.diff(edges)[:, None]
        share = sums / sizes
        for j, c in enumerate(features):
            out.append(pd.DataFrame({"split": split, "block": np.arange(b), "column": c, "missing_share": share[:, j]}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["split", "block", "column", "missing_share"])


def _leakage_rows(train: pd.DataFrame, features: list[str], y_idx: np.ndarray, task: str, classes: np.ndarray,
                  folds: np.ndarray, cv: int, oof: np.ndarray | None, limits: tuple[float, float], n_bins: int, n_boot: int,
                  confidence: float, random_state: int, step: Any) -> list[Row]:
    if task == "classification":
        targets = np.eye(len(classes))[y_idx]
        metric = "ROC-AUC"
    else:
        targets = y_idx[:, None].astype(float)
        metric = "R2"
    preds = []
    for c in features:
        preds.append(oof_bin_predictions(bin_codes(train[c], n_bins), targets, folds, cv))
        step()
    ref = None
    if oof is not None:
        preds.append(oof)
        ref = len(preds) - 1
    thr, share_of_full = limits
    scores = score_with_interval(preds, y_idx, task, n_boot=n_boot, confidence=confidence, random_state=random_state,
                                 reference=ref)
    full = scores[ref]["estimate"] if ref is not None else np.nan
    rows = []
    n = len(y_idx)
    for c, sc in zip(features, scores, strict=False):
        too_good = sc["estimate"] >= thr
        base = 0.5 if task == "classification" else 0.0
        lift = (sc["estimate"] - base) / (full - base) if np.isfinite(full) and full > base else np.nan
        matches = bool(np.isfinite(lift) and lift >= share_of_full and sc["estimate"] >= MIN_SUSPICIOUS[task])
        flagged = bool(too_good or matches)
        detail = f"{metric} of a cross-validated one-column model"
        if np.isfinite(full):
            detail += f"; full model {full:.3f}"
        if flagged:
            detail += "; too good to be true: " + ("above the threshold" if too_good else "as good as the full model")
        step()
        rows.append(make_row("target_leakage", c, "train", n, sc["estimate"], n, ci=(sc["ci_low"], sc["ci_high"]),
                             p_value=sc["p_value"], flagged=flagged, detail=detail, confidence=confidence))
    if ref is not None:
        sc = scores[ref]
        rows.append(make_row("full_model", ALL, "train", n, sc["estimate"], n, ci=(sc["ci_low"], sc["ci_high"]),
                             detail=f"{metric} of the cross-validated model on all features", confidence=confidence))
    return rows
