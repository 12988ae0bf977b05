"""``detect_drift``: compare a current data window with a reference window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from diagtools._sources import CHUNK_ROWS
from diagtools._stats import benjamini_hochberg, wilson_interval
from diagtools._validation import (
    check_columns,
    check_fitted,
    check_int,
    check_probability,
    check_random_state,
    check_unique_columns,
    column_label,
    infer_task,
    string_columns,
)
from diagtools.drift._columns import column_parts, column_rows, distribution_rows, stats_rows
from diagtools.drift._model import (
    encode_labels,
    metric_change,
    model_outputs,
    region_mask,
    region_metrics,
    shifted_region,
)
from diagtools.drift._profile import (
    VALUE_KINDS,
    ColumnProfile,
    DriftProfile,
    column_kind,
    numeric_values,
    profile_data,
)
from diagtools.drift._result import (
    EFFECT_STATISTIC,
    FRAME_COLUMNS,
    PREDICTION_COLUMN,
    TEST_STATISTIC,
    DriftResult,
    empty_part,
)
from diagtools.errors import DiagnosticInputError

#: Default effect-size thresholds: normalised Wasserstein (numeric), Jensen-Shannon distance
#: (categorical), absolute change of the missing-value rate.
DEFAULT_THRESHOLDS = {"numeric": 0.1, "categorical": 0.1, "missing": 0.02}
#: Columns above which the progress bar switches on by default.
PROGRESS_COLUMNS = 50


def _resolve_thresholds(effect_threshold: float | Mapping[str, float] | None) -> dict[str, float]:
    out = dict(DEFAULT_THRESHOLDS)
    if effect_threshold is None:
        return out
    if isinstance(effect_threshold, Mapping):
        for k, v in effect_threshold.items():
            if k not in out:
                raise DiagnosticInputError(
                    f"effect_threshold: unknown key {k!r}. Use keys from {tuple(out)} (or one number for numeric and categorical)."
                )
            out[k] = float(v)
    elif isinstance(effect_threshold, (int, float)) and not isinstance(effect_threshold, bool):
        out["numeric"] = out["categorical"] = float(effect_threshold)
    else:
        raise DiagnosticInputError(
            f"effect_threshold must be a number or a dict like {DEFAULT_THRESHOLDS}, got {effect_threshold!r}."
        )
    if any(not (v >= 0 and np.isfinite(v)) for v in out.values()):
        raise DiagnosticInputError(f"effect_threshold values must be finite and >= 0, got {out}.")
    return out


def _check_inputs(reference: Any, current: Any, alpha: float, n_boot: int, confidence: float) -> None:
    for name, data in (("reference", reference), ("current", current)):
        if not isinstance(data, (pd.DataFrame, DriftProfile)):
            raise DiagnosticInputError(
                f"{name} must be a pandas DataFrame or a DriftProfile (for large data: a dask DataFrame or a "
                f"parquet/CSV path), got {type(data).__name__}. Convert it, e.g. pd.DataFrame(X)."
            )
        if isinstance(data, pd.DataFrame) and len(data) == 0:
            raise DiagnosticInputError(f"{name} is empty (0 rows). Pass at least one row of data.")
        if isinstance(data, pd.DataFrame):
            check_unique_columns(data, name)
    check_probability(alpha, "alpha")
    check_int(n_boot, "n_boot", low=1, hint="Use e.g. n_boot=200.")
    check_probability(confidence, "confidence")


def detect_drift(
    reference: pd.DataFrame | DriftProfile,
    current: pd.DataFrame | DriftProfile,
    *,
    columns: Sequence[str] | None = None,
    model: Any = None,
    target: str | None = None,
    alpha: float = 0.05,
    effect_threshold: float | Mapping[str, float] | None = None,
    domain_classifier: bool | None = None,
    reference_in_sample: bool = False,
    n_boot: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
    progress: bool | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> DriftResult:
    """Test every column for drift between a reference and a current window.

    Parameters
    ----------
    reference : DataFrame, DriftProfile, dask DataFrame or str
        Data the model was validated on, or its saved profile (:func:`profile_data`), or a
        large window: a ``dask.dataframe`` DataFrame or a parquet / CSV file, folder or glob
        (read in chunks of ``chunk_rows`` rows).
    current : DataFrame, DriftProfile, dask DataFrame or str
        The window to check (same forms).
    columns : sequence of str, optional
        Columns to test (default: every column of ``reference`` except ``target``).
    model : object, optional
        A fitted model with ``predict`` (``predict_proba`` for scores). Adds drift of the
        prediction distribution and, when both windows hold ``target``, the change of each
        metric and the metrics inside each drifted column's shifted region. Needs DataFrames.
    target : str, optional
        Label column. It is never tested as a feature (its rate moves whenever the columns
        that predict it move); its shift is reported on its own.
    alpha : float, default=0.05
        False discovery rate (Benjamini-Hochberg over all column tests).
    effect_threshold : float or dict, optional
        Minimum effect size for a flag, so huge samples do not flag trivial shifts. A number
        sets both the normalised Wasserstein (numeric) and the Jensen-Shannon distance
        (categorical) thresholds; a dict may set ``"numeric"``, ``"categorical"`` and
        ``"missing"`` (absolute change of the missing rate). Defaults: 0.1, 0.1, 0.02.
    domain_classifier : bool, optional
        Fit a domain classifier (default: when both windows are DataFrames).
    reference_in_sample : bool, default=False
        Say that the model was trained on the reference rows: its reference metrics are then
        in-sample (optimistic), and a metric drop mixes drift with overfitting, so those
        findings are reported as ``low`` with a warning instead of ``high``.
    n_boot : int, default=200
        Bootstrap resamples for the intervals of the domain AUC and the metrics.
    confidence : float, default=0.95
        Level of every interval.
    random_state : int, default=0
        Seed of every random step.
    progress : bool, optional
        Progress bar over columns (default: when there are more than 50 columns); on the
        sketch path, a bar over chunks (default: with dask or files).
    chunk_rows : int, default=250_000
        Rows per chunk when a window is read from files.

    Returns
    -------
    DriftResult

    Raises
    ------
    DiagnosticInputError
        For non-tabular or empty windows, unknown columns or target, a column numeric in one
        window and not in the other, a bad ``alpha``/``effect_threshold``/``n_boot``, an
        unfitted model, or a model without DataFrames.

    See Also
    --------
    profile_data : Profile a window once and reuse it.

    Notes
    -----
    A column is flagged when its test (Kolmogorov-Smirnov for numeric columns, chi-square on
    the 2 x k table for categorical ones, a two-proportion z-test for the missing rate) has a
    Benjamini-Hochberg q-value below ``alpha`` **and** its effect size reaches the threshold.
    KS, Wasserstein, chi-square and Jensen-Shannon values equal scipy's
    (``ks_2samp``, ``wasserstein_distance``, ``chi2_contingency``, ``jensenshannon(base=2)``).
    The Wasserstein distance is divided by the reference standard deviation, so 0.1 means the
    mass moved by a tenth of a reference SD on average. PSI uses reference-decile bins (numeric)
    or categories, with 1e-4 in empty bins. Everything is computed from the windows' profiles
    (sorted values and counts), which merge across chunks.

    **Large windows** (a dask DataFrame or files for either window, or two DataFrames with
    1,000,000 rows or more in one of them and no ``model``) take the sketch path: per-column
    sketches that merge by addition (value counts; numeric histograms on common bin edges from
    a hash-chosen sample, plus exact counts, min, max and sums), the same on every back end
    and partitioning. Counts, means, missing rates, chi-square and Jensen-Shannon are exact;
    KS and Wasserstein come from 1,000 quantile bins, each within a bound stated in its
    ``note`` and in ``params["sketch"]["bounds"]`` (at most about one bin's share for KS), and
    a finding names any column whose flag could change inside those bounds. The domain
    classifier is fitted on 20,000 hash-chosen rows per window. ``model`` needs DataFrames (a
    large pair of DataFrames with a model takes the exact path). On this path, categorical
    columns with more than 10,000 values (free text too) are compared on 1,024 hash buckets,
    datetime columns omit ``outside_range_share`` and ``largest_gap_days`` (they need every
    value), and ``target`` is excluded without a ``target_shift``.

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.drift import detect_drift
    >>> res = detect_drift(load_loans("reference"), load_loans("current"), target="defaulted",
    ...                    domain_classifier=False)
    >>> sorted(res.drifted_columns)
    ['credit_score', 'income', 'purpose']
    """
    from diagtools.drift._large import detect_drift_sketch, use_sketches

    if use_sketches(reference, current, model):
        return detect_drift_sketch(reference, current, columns=columns, model=model, target=target, alpha=alpha,
                                   thresholds=_resolve_thresholds(effect_threshold),
                                   domain_classifier=domain_classifier, n_boot=n_boot, confidence=confidence,
                                   random_state=random_state, progress=progress, chunk_rows=chunk_rows)
    _check_inputs(reference, current, alpha, n_boot, confidence)
    check_random_state(random_state)
    thr = _resolve_thresholds(effect_threshold)
    # Any hashable column names: text once, here (a tuple of a MultiIndex joined with "_");
    # the model is still called on the user's own frames.
    user_frames = {"reference": reference, "current": current}
    user_target = target
    if isinstance(reference, pd.DataFrame):
        reference, _ = string_columns(reference, "reference")
    if isinstance(current, pd.DataFrame):
        current, _ = string_columns(current, "current")
    columns, target = normalise_names(columns, target, domain_classifier)
    frames = {"reference": reference, "current": current}
    cols = _tested_columns(frames, columns, target)
    both_frames = all(isinstance(d, pd.DataFrame) for d in frames.values())
    if domain_classifier is None:
        domain_classifier = both_frames
    if (domain_classifier or model is not None) and not both_frames:
        raise DiagnosticInputError(
            "model/domain_classifier need the rows of both windows, but a DriftProfile was passed. "
            "Pass DataFrames, or set domain_classifier=False and model=None."
        )
    task = None
    if model is not None:
        model, task = _adapt(model, frames, target)

    # -- free text: tested through readable properties, plus a TF-IDF domain classifier ---
    text_cols: list[str] = []
    tested = frames
    if both_frames:
        from diagtools._text import text_columns

        text_cols = [str(c) for c in text_columns(reference, cols)]
    if text_cols:
        expanded = _text_windows(reference, current, text_cols, random_state)
        tested = {"reference": expanded[0], "current": expanded[1]}
        props = [c for c in expanded[0].columns if c not in reference.columns]
        cols = [c for c in cols if str(c) not in text_cols] + props
        reference, current = expanded

    kinds, p_ref, p_cur = _profiles(reference, current, cols)

    # -- per-column statistics -------------------------------------------------------
    show = progress if progress is not None else len(cols) > PROGRESS_COLUMNS
    rows, dist_rows, cat_rows, stat_rows = column_parts(cols, kinds, p_ref, p_cur, thr, confidence, progress=show)
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    frame["q_value"] = benjamini_hochberg(frame["p_value"].to_numpy(dtype=float))

    # -- the model's side --------------------------------------------------------------
    metrics_frame, regions_frame = empty_part("metrics"), empty_part("regions")
    outs: dict[str, Any] = {}
    if model is not None:
        for name in frames:
            outs[name] = model_outputs(model, _model_input(user_frames[name], user_target), task or "binary")
        sp = {w: ColumnProfile(PREDICTION_COLUMN, "numeric", 0, values=np.sort(outs[w][1].astype(float)))
              for w in ("reference", "current")}
        prow, _ = column_rows(PREDICTION_COLUMN, "prediction", sp["reference"], sp["current"], thr, confidence)
        pf = pd.DataFrame(prow, columns=FRAME_COLUMNS)
        pf["q_value"] = benjamini_hochberg(pf["p_value"].to_numpy(dtype=float))
        frame = pd.concat([frame, pf], ignore_index=True)
        dist_rows.extend(distribution_rows(PREDICTION_COLUMN, "prediction", sp["reference"], sp["current"]))
        stat_rows.extend(stats_rows(PREDICTION_COLUMN, sp["reference"], sp["current"]))

    flagged = _drifted_columns(frame, alpha)
    frame["drifted"] = frame["column"].astype(str).isin(flagged)

    if model is not None and target is not None:
        y = {w: encode_labels(model, frames[w][target].to_numpy(), task) for w in ("reference", "current")}
        metrics_frame = metric_change(y["reference"], outs["reference"], y["current"], outs["current"], task,
                                      n_boot=n_boot, random_state=random_state, confidence=confidence)
        regions_frame = _regions(flagged, cols, kinds, (p_ref, p_cur), tested, y, outs, task, n_boot=n_boot,
                                 random_state=random_state, confidence=confidence)

    domain: dict[str, Any] = {}
    importance = empty_part("domain_importance")
    if domain_classifier:
        from diagtools.drift._domain import domain_classifier as _fit_domain

        domain_kinds = {str(c): kinds[c] for c in cols} | dict.fromkeys(text_cols, "text")
        domain, importance = _fit_domain(reference, current, domain_kinds, n_boot=n_boot, random_state=random_state)

    target_shift: dict[str, Any] = {}
    if target is not None and both_frames and target in current.columns:
        target_shift = _target_shift(reference[target], current[target], target, confidence)

    params = {"alpha": alpha, "effect_threshold": thr, "n_boot": n_boot, "confidence": confidence,
              "random_state": random_state, "target": target, "columns": [str(c) for c in cols],
              "text_columns": text_cols,
              "domain_classifier": bool(domain_classifier), "reference_in_sample": bool(reference_in_sample), "model": None if model is None else type(model.model).__name__,
              "n_reference": int(p_ref.n_rows), "n_current": int(p_cur.n_rows)}
    return DriftResult(
        frame=frame, params=params, n_samples=int(p_ref.n_rows + p_cur.n_rows),
        column_stats=pd.DataFrame(stat_rows, columns=empty_part("column_stats").columns),
        distributions=pd.DataFrame(dist_rows, columns=empty_part("distributions").columns),
        categories=pd.DataFrame(cat_rows, columns=empty_part("categories").columns),
        domain=domain, domain_importance=importance, metrics=metrics_frame, regions=regions_frame,
        target_shift=target_shift,
    )


def normalise_names(columns: Any, target: Any, domain_classifier: Any) -> tuple[list[str] | None, str | None]:
    """``columns`` and ``target`` as text labels; a bad ``domain_classifier`` or empty ``columns`` raises."""
    if target is not None:
        target = column_label(target)
    if columns is not None:
        columns = [column_label(c) for c in ([columns] if isinstance(columns, str) else columns)]
        if not columns:
            raise DiagnosticInputError("columns is empty. Pass at least one column to test, or columns=None for all.")
    if domain_classifier is not None and not isinstance(domain_classifier, (bool, np.bool_)):
        raise DiagnosticInputError(
            f"domain_classifier must be True, False or None (automatic), got {domain_classifier!r}."
        )
    return columns, target


def _tested_columns(frames: dict[str, Any], columns: list[str] | None, target: str | None) -> list[str]:
    """The columns to test: ``columns`` or every column of the reference but the target, in both windows."""
    ref_cols = list(frames["reference"].columns)
    if target is not None and target not in ref_cols:
        reference = frames["reference"]
        check_columns(reference if isinstance(reference, pd.DataFrame) else pd.DataFrame(columns=ref_cols), [target],
                      name="target")
    if columns is None:
        cols = [c for c in ref_cols if c != target]
    else:
        cols = list(columns)
        for c in cols:
            if c not in ref_cols:
                check_columns(pd.DataFrame(columns=ref_cols), [c], name="columns")
    for name, data in frames.items():
        available = list(data.columns)
        missing = [c for c in cols if c not in available]
        if missing:
            check_columns(pd.DataFrame(columns=available), missing, name=f"columns ({name})")
    return cols


def _adapt(model: Any, frames: dict[str, pd.DataFrame], target: str | None) -> tuple[Any, str | None]:
    """The model behind one interface, and its task (from the model, else from the labels)."""
    from diagtools.models import adapt_model

    check_fitted(model)
    y_all = None
    if target is not None:
        for name, data in frames.items():
            if target not in data.columns:
                raise DiagnosticInputError(
                    f"target: no column {target!r} in {name}. Pass labelled windows, or target=None to skip metrics."
                )
        y_all = pd.concat([frames["reference"][target], frames["current"][target]]).to_numpy()
    # the model states its task and classes (original labels of any dtype); y only fills gaps
    model = adapt_model(model, y=y_all)
    task = model.task
    if task is None and y_all is not None:
        task = infer_task(y_all)
        if task == "classification":
            task = "binary" if len(pd.unique(y_all)) <= 2 else "multiclass"
    return model, task


def _profiles(reference: pd.DataFrame | DriftProfile, current: pd.DataFrame | DriftProfile, cols: list[str]
              ) -> tuple[dict[str, str], DriftProfile, DriftProfile]:
    """Each column's kind (from the reference) and both windows' profiles; a kind that differs raises."""
    if isinstance(reference, DriftProfile):
        kinds = {c: reference.columns[c].kind for c in cols}
        p_ref = reference
    else:
        kinds = {c: column_kind(reference[c]) for c in cols}
        p_ref = profile_data(reference, columns=cols, kinds=kinds, name="reference")
    if isinstance(current, DriftProfile):
        bad = [c for c in cols if current.columns[c].kind != kinds[c]]
        if bad:
            raise DiagnosticInputError(f"current: column(s) {bad} have a different kind than in reference. Profile both the same way.")
        return kinds, p_ref, current
    bad = [c for c in cols if kinds[c] in VALUE_KINDS and column_kind(current[c]) != kinds[c]]
    if bad:
        raise DiagnosticInputError(
            f"current: column(s) {bad} are {kinds[bad[0]]} in reference but not in current "
            f"(dtypes {[str(current[c].dtype) for c in bad]}). Pass the same column types in both windows."
        )
    return kinds, p_ref, profile_data(current, columns=cols, kinds=kinds, name="current")


def _drifted_columns(frame: pd.DataFrame, alpha: float) -> set[str]:
    """Columns with a significant test whose effect reaches the threshold (distribution or missing rate)."""
    # plain arrays, one pass: a groupby per column cost more than the rest of a large-data run's bookkeeping
    cols = frame["column"].to_numpy()
    sig = (frame["q_value"] < alpha).to_numpy()
    exceeds = frame["exceeds"].to_numpy(dtype=bool)
    kind_of: dict[Any, str] = {}
    for col, kind in zip(cols, frame["kind"].to_numpy(), strict=True):
        kind_of.setdefault(col, kind)  # a column's kind: that of its first row
    tested, large, missing = set(), set(), set()
    for col, stat, s, e in zip(cols, frame["statistic"].to_numpy(), sig, exceeds, strict=True):
        kind = kind_of[col]
        if stat == TEST_STATISTIC[kind] and s:
            tested.add(col)
        if stat == EFFECT_STATISTIC[kind] and e:
            large.add(col)
        if stat == "missing_rate_change" and s and e:
            missing.add(col)
    return {str(c) for c in (tested & large) | missing}


def _regions(flagged: set[str], cols: list[str], kinds: dict[str, str], profiles: tuple[DriftProfile, DriftProfile],
             tested: dict[str, pd.DataFrame], y: dict[str, np.ndarray], outs: dict[str, Any], task: str | None, *,
             n_boot: int, random_state: int, confidence: float) -> pd.DataFrame:
    """The model's metrics inside the region each drifted column moved into, on both windows."""
    p_ref, p_cur = profiles
    region_rows: list[tuple[Any, ...]] = []
    for col in cols:
        if str(col) not in flagged:
            continue
        pr, pc = p_ref.columns[str(col)], p_cur.columns[str(col)]
        if kinds[col] == "datetime":  # regions on the numeric representation (seconds)
            pr, pc = (replace(p, kind="numeric") for p in (pr, pc))
            text, spec = shifted_region(pr, pc)
            masks = {w: region_mask(pd.Series(numeric_values(tested[w][col])), "numeric", spec)
                     for w in ("reference", "current")}
        else:
            text, spec = shifted_region(pr, pc)
            masks = {w: region_mask(tested[w][col], kinds[col], spec) for w in ("reference", "current")}
        region_rows.extend(region_metrics(str(col), text, masks, y, outs, task, n_boot=n_boot,
                                          random_state=random_state, confidence=confidence))
    return pd.DataFrame(region_rows, columns=empty_part("regions").columns)


def _model_input(data: pd.DataFrame, target: Any) -> pd.DataFrame:
    """The user's own frame without the target column: what the model was fitted on."""
    if target is None or target not in data.columns:
        return data
    return data.loc[:, [c != target for c in data.columns]]


def _text_windows(reference: pd.DataFrame, current: pd.DataFrame, text_cols: list[str],
                  random_state: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both windows with the readable properties of each text column added (the raw text is kept).

    The out-of-vocabulary share needs care: measured against a vocabulary that contains the
    row's own words, every reference row would score 0 and any current window would look
    drifted. Each row is measured against the vocabulary of one half of the reference that
    does not contain it (cross-fitting), current rows against either half at random, so both
    windows are measured the same way.
    """
    from diagtools._text import property_name, text_properties, vocabulary

    rng = np.random.default_rng([random_state, 7])
    half_r = rng.random(len(reference)) < 0.5
    half_c = rng.random(len(current)) < 0.5
    ref_parts, cur_parts = [reference], [current]
    for c in text_cols:
        vocab = (vocabulary(reference[c][half_r]), vocabulary(reference[c][~half_r]))
        oov = property_name(c, "oov_share")
        props_r = text_properties(reference[c], reference_vocabulary=vocab[1])
        other = text_properties(reference[c], reference_vocabulary=vocab[0])[oov].to_numpy()
        props_r[oov] = np.where(half_r, props_r[oov].to_numpy(), other)  # rows of half 0 against half 1's words
        props_c = text_properties(current[c], reference_vocabulary=vocab[0])
        other = text_properties(current[c], reference_vocabulary=vocab[1])[oov].to_numpy()
        props_c[oov] = np.where(half_c, props_c[oov].to_numpy(), other)
        keep = [property_name(c, k) for k in ("n_tokens", "has_digits", "has_amount", "oov_share", "is_question",
                                              "non_ascii_share")]
        keep = [k for k in keep if pd.concat([props_r[k], props_c[k]]).nunique(dropna=True) > 1]
        ref_parts.append(props_r[keep])
        cur_parts.append(props_c[keep])
    return pd.concat(ref_parts, axis=1), pd.concat(cur_parts, axis=1)


def _target_shift(ref: pd.Series, cur: pd.Series, target: str, confidence: float) -> dict[str, Any]:
    """Positive-class rate (binary 0/1 or two-class targets) or mean of the target in both windows."""
    a, b = ref.dropna(), cur.dropna()
    vals = pd.unique(pd.concat([a, b]))
    if len(vals) <= 2 and a.dtype.kind in "biuf":
        pos = max(vals).item() if hasattr(max(vals), "item") else max(vals)
        k1, k2 = int((a == pos).sum()), int((b == pos).sum())
        lo, hi = wilson_interval(np.array([k1, k2]), np.array([len(a), len(b)]), confidence)
        return {"target": target, "statistic": f"rate of {pos!r}", "reference": k1 / len(a), "current": k2 / len(b),
                "reference_ci": [float(lo[0]), float(hi[0])], "current_ci": [float(lo[1]), float(hi[1])]}
    if a.dtype.kind in "iuf" and len(vals) > 2:
        return {"target": target, "statistic": "mean", "reference": float(a.mean()), "current": float(b.mean())}
    ra, rb = a.value_counts(normalize=True), b.value_counts(normalize=True)
    top = str(ra.index[0])
    return {"target": target, "statistic": f"rate of {top!r}", "reference": float(ra.get(top, 0.0)), "current": float(rb.get(top, 0.0))}
