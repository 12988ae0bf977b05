"""``evaluate_predictions`` and ``compare_predictions``: point metrics, paired bootstrap."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from diagtools import _validation as V
from diagtools._stats import (
    benjamini_hochberg,
    bootstrap_counts,
    bootstrap_p_value,
    percentile_interval,
)
from diagtools.errors import DiagnosticInputError
from diagtools.metrics import _engine as E
from diagtools.metrics._inputs import (
    _as_1d,
    _check_classification_pred,
    _check_confidence,
    _check_metrics,
    _encode,
    _prepare_score,
    _resolve_labels,
)
from diagtools.metrics._result import EvaluationResult

FRAME_COLUMNS = ["model", "metric", "estimate", "ci_low", "ci_high", "n"]
#: One comparison schema (docs/design.md): the model's ``estimate`` with its interval, the
#: baseline's ``reference_estimate``, and the paired ``difference`` (model - baseline) with its own.
COMPARE_COLUMNS = ["metric", "estimate", "ci_low", "ci_high", "n", "reference_estimate", "difference",
                   "difference_ci_low", "difference_ci_high", "p_value"]
COMPARISON_COLUMNS = ["baseline", *COMPARE_COLUMNS, "q_value"]
CURVE_COLUMNS = ["curve", "x", "estimate", "ci_low", "ci_high", "n"]
CONFUSION_COLUMNS = ["true_label", "pred_label", "count"]
SAMPLE_ROWS = 2000
#: rows x resamples x predictors from which the bootstrap shows a progress bar by default
PROGRESS_CELLS = 30_000_000
#: Rows from which classification intervals come from the Poisson bootstrap on mergeable statistics
POISSON_ROWS = 100_000
#: Rows up to which the in-memory ROC-AUC / PR-AUC are exact (two sorts); beyond, from the 2,000
#: score bins with the stated bound, as with data= (the sorts would dominate the run time).
EXACT_RANK_ROWS = 1_000_000


# -- point estimates (scikit-learn) -----------------------------------------------------------
def _classification_names(labels: list[str], has_score: bool, has_proba: bool) -> list[str]:
    """Metric names available for a classifier, in ``.frame`` order."""
    names = ["accuracy", "balanced_accuracy"]
    names += [f"{m}[{lab}]" for m in ("precision", "recall", "f1") for lab in labels]
    names += [f"{m}_{avg}" for avg in ("macro", "weighted") for m in ("precision", "recall", "f1")]
    if has_score:
        names += ["roc_auc", "pr_auc"]
    if has_proba:
        names += ["log_loss", "brier", "ece"]
    return names


def _point_classification(
    y: np.ndarray, pred: np.ndarray, labels: list[str], proba: np.ndarray | None, score: np.ndarray | None,
    prep: E.ClassificationPrep, metrics: list[str] | None,
) -> dict[str, float]:
    """Point estimates from scikit-learn (only of the kept metrics)."""
    from sklearn import metrics as M

    k = len(labels)
    codes = np.arange(k)
    names = [m for m in _classification_names(labels, score is not None, proba is not None) if _keep(m, metrics)]
    want = set(names)
    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "accuracy" in want:
            out["accuracy"] = M.accuracy_score(y, pred)
        if "balanced_accuracy" in want:
            out["balanced_accuracy"] = M.balanced_accuracy_score(y, pred)
        if any(E.base_name(m) in ("precision", "recall", "f1") for m in want):
            p, r, f, _ = M.precision_recall_fscore_support(y, pred, labels=codes, zero_division=0)
            for name, arr in (("precision", p), ("recall", r), ("f1", f)):
                for j, lab in enumerate(labels):
                    out[f"{name}[{lab}]"] = arr[j]
        for avg in ("macro", "weighted"):
            if any(m.endswith(f"_{avg}") for m in want):
                p, r, f, _ = M.precision_recall_fscore_support(y, pred, labels=codes, average=avg, zero_division=0)
                out[f"precision_{avg}"], out[f"recall_{avg}"], out[f"f1_{avg}"] = p, r, f
        for metric, fn in (("roc_auc", M.roc_auc_score), ("pr_auc", M.average_precision_score)):
            if metric in want:
                if k == 2:
                    out[metric] = _safe(fn, y, score)
                else:
                    out[metric] = float(np.mean([_safe(fn, y == c, score[:, c]) for c in codes]))
        if "log_loss" in want:
            out["log_loss"] = M.log_loss(y, proba, labels=codes)
        if "brier" in want:
            out["brier"] = M.brier_score_loss(y, proba[:, 1] if k == 2 else proba, labels=codes)
    if "ece" in want and prep is not None:  # without prep: filled in from the mergeable statistics
        ones = np.ones((prep.n, 1))
        out["ece"] = float(E.classification_metrics(prep, E.weighted_sums(prep.S, ones), ap=False)["ece"][0])
    return {m: float(out.get(m, np.nan)) for m in names}


def _safe(fn: Any, *args: Any) -> float:
    try:
        return float(fn(*args))
    except ValueError:
        return float("nan")


def _point_regression(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    from sklearn import metrics as M

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "mae": float(M.mean_absolute_error(y, pred)),
            "rmse": float(M.root_mean_squared_error(y, pred)),
            "r2": float(M.r2_score(y, pred)),
            "mape": float(M.mean_absolute_percentage_error(y, pred)),
            "median_ae": float(M.median_absolute_error(y, pred)),
        }


def _check_known(metrics: list[str] | None, available: list[str], task: str) -> None:
    """Raise when a requested metric is not available (before any expensive work)."""
    if metrics is None:
        return
    unknown = [m for m in metrics if not any(m in (x, E.base_name(x)) for x in available)]
    if unknown:
        raise DiagnosticInputError(
            f"metrics holds names {unknown!r} not available for this {task} task (with these inputs). "
            f"Available: {sorted({E.base_name(x) for x in available})}."
        )


def _keep(name: str, metrics: list[str] | None) -> bool:
    return metrics is None or name in metrics or E.base_name(name) in metrics


# -- the shared path ------------------------------------------------------------------------------
def _run(
    y_true: Any,
    predictors: dict[str, dict[str, Any]],
    *,
    task: str | None,
    labels: Any,
    metrics: Any,
    n_boot: int,
    confidence: float,
    random_state: int,
    curves: bool,
    progress: bool | None = False,
) -> dict[str, Any]:
    """Validate, compute point estimates and paired bootstrap samples for every predictor.

    ``predictors`` maps a name to ``{"y_pred": ..., "y_score": ...}``; the first is the model.
    """
    metrics = _check_metrics(metrics)
    _check_confidence(confidence, n_boot, random_state)
    if y_true is None:
        raise DiagnosticInputError("y_true is required. Pass the true targets, one per row.")
    V.check_not_empty(y_true, "y_true")
    y = _as_1d(y_true, "y_true")
    first = next(iter(predictors))
    for name, p in predictors.items():
        if p.get("y_pred") is None and p.get("y_score") is None:
            raise DiagnosticInputError(
                f"{'y_pred' if name == first else f'baselines[{name!r}]'} is missing: pass y_pred "
                "(predicted labels or values) and/or y_score (probabilities or scores)."
            )
        for key in ("y_pred", "y_score"):
            if p.get(key) is not None:
                V.check_same_length(p[key], y, name=key if name == first else f"baselines[{name!r}][{key!r}]",
                                    ref_name="y_true")
    task = V.check_task(y, task, "y_true")
    if progress is None:
        progress = len(y) * n_boot * len(predictors) >= PROGRESS_CELLS
    if task == "regression":
        return _run_regression(y, predictors, metrics, n_boot, confidence, random_state, bool(progress))
    return _run_classification(y, predictors, labels, metrics, n_boot, confidence, random_state, curves,
                               bool(progress))


def _run_classification(
    y: np.ndarray, predictors: dict[str, dict[str, Any]], labels: Any, metrics: list[str] | None,
    n_boot: int, confidence: float, random_state: int, curves: bool, progress: bool = False,
) -> dict[str, Any]:
    n = len(y)
    first = next(iter(predictors))
    ap = _keep("pr_auc", metrics)
    # curves follow the metrics they illustrate
    which = frozenset(c for c, m in (("roc", "roc_auc"), ("pr", "pr_auc"), ("reliability", "ece"))
                      if curves and _keep(m, metrics))
    preds = {}
    for name, p in predictors.items():
        pname = "y_pred" if name == first else f"baselines[{name!r}]['y_pred']"
        if p.get("y_pred") is not None:
            arr = _as_1d(p["y_pred"], pname)
            _check_classification_pred(arr, pname)
            preds[name] = arr
    labs = _resolve_labels(y, list(preds.values()), labels)
    k = len(labs)
    label_names = [str(v) for v in labs]
    yc = _encode(y, labs, "y_true")
    preps, points, codes, inputs, kinds = {}, {}, {}, {}, {}
    large = n >= POISSON_ROWS and n_boot > 0
    for name, p in predictors.items():
        sname = "y_score" if name == first else f"baselines[{name!r}]['y_score']"
        proba, score = _prepare_score(p.get("y_score"), n, k, sname)
        if name == first:
            _check_known(metrics, _classification_names(label_names, score is not None, proba is not None),
                         "classification")
        if name in preds:
            pc = _encode(preds[name], labs, "y_pred" if name == first else f"baselines[{name!r}]['y_pred']")
        elif proba is not None:  # argmax; for two classes one comparison (ties: the first class, as argmax)
            pc = (proba[:, 1] > proba[:, 0]).astype(np.int64) if proba.shape[1] == 2 else proba.argmax(axis=1)
        else:
            pc = (score > 0).astype(np.int64) if score.ndim == 1 else score.argmax(axis=1)
        # from POISSON_ROWS rows on, the mergeable statistics replace the exact design (its sort of
        # every distinct score is the costly part); point estimates stay exact (scikit-learn)
        prep = None if large else E.prepare_classification(yc, pc, label_names, proba=proba, score=score)
        kinds[name] = "proba" if proba is not None else "score" if score is not None else "none"
        preps[name] = prep
        codes[name] = pc
        inputs[name] = (pc, proba, score)
        if large:  # counts and sums come exactly from the mergeable statistics; the ranking metrics here
            points[name] = _exact_ranking(yc, k, proba, score, metrics) if n <= EXACT_RANK_ROWS else {}
        else:
            points[name] = _point_classification(yc, pc, label_names, proba, score, prep, metrics)

    def boot(counts: np.ndarray) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, Any]]:
        Wt = np.ascontiguousarray(counts.T, dtype=float)  # one column per resample
        out, crv = {}, {}
        for name, prep in preps.items():
            sums = E.weighted_sums(prep.S, Wt)
            out[name] = E.classification_metrics(prep, sums, ap=ap)
            if which and name == first:
                crv = E.classification_curves(prep, sums, which)
        return out, crv

    binned = {}
    if large:
        samples, curve_samples, unit, point_curves, bounds = _poisson_samples(
            yc, inputs, label_names, n_boot, random_state, which, ap, progress, metrics)
        if n > EXACT_RANK_ROWS:
            binned = {nm: b for nm, b in bounds.items() if b and any(_keep(m, metrics) for m in b)}
        for name, (_, proba, score) in inputs.items():
            # exact: confusion counts, log loss, Brier and ECE (the same 10 bins as the exact design)
            names = _classification_names(label_names, score is not None, proba is not None)
            exact = {m: float(unit[name][m]) for m in names if m in unit[name] and _keep(m, metrics)}
            points[name] = {m: points[name].get(m, exact.get(m)) for m in names if _keep(m, metrics)}
    else:
        samples, curve_samples = _bootstrap(n, n_boot, random_state, boot, progress)
        ones = np.ones((n, 1))
        point_curves = (E.classification_curves(preps[first], E.weighted_sums(preps[first].S, ones), which)
                        if which else {})
    cm = np.bincount(yc * k + codes[first], minlength=k * k).reshape(k, k)
    confusion = pd.DataFrame(
        {"true_label": np.repeat(label_names, k), "pred_label": np.tile(label_names, k), "count": cm.ravel()}
    )
    out = _assemble(
        "classification", label_names, n, points, samples, metrics, confidence,
        curves=_curve_frame(point_curves, curve_samples, confidence, n), confusion=confusion,
        score_kinds=kinds,
    )
    if binned:  # ranking metrics from the score bins: say so, with the bound, as data= does
        from diagtools.metrics._mergeable import SCORE_BINS

        out["large"] = {"backend": "memory", "bootstrap": "poisson", "score_bins": SCORE_BINS, "binning_bounds": binned}
    return out


def _exact_ranking(yc: np.ndarray, k: int, proba: np.ndarray | None, score: np.ndarray | None,
                   metrics: list[str] | None) -> dict[str, float]:
    """Exact ROC-AUC / PR-AUC (one-vs-rest mean for several classes) of the kept metrics."""
    from diagtools.metrics._exact_rank import auc_ap

    if score is None or not (_keep("roc_auc", metrics) or _keep("pr_auc", metrics)):
        return {}
    pairs = [auc_ap(yc == 1, score)] if k == 2 else [auc_ap(yc == c, score[:, c]) for c in range(k)]
    out = {"roc_auc": float(np.mean([a for a, _ in pairs])), "pr_auc": float(np.mean([p for _, p in pairs]))}
    return {m: v for m, v in out.items() if _keep(m, metrics)}


def _poisson_samples(
    yc: np.ndarray, inputs: dict[str, tuple[np.ndarray, Any, Any]], label_names: list[str], n_boot: int,
    random_state: int, which: frozenset[str], ap: bool, progress: bool, metrics: list[str] | None = None,
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray], dict[str, dict[str, float]], dict[str, Any],
           dict[str, dict[str, float]]]:
    """Bootstrap samples from the mergeable statistics (Poisson bootstrap, fixed score bins).

    Used from :data:`POISSON_ROWS` rows on. Binary and label-only classifiers draw the
    resamples per joint cell (:mod:`diagtools.metrics._cells`: cells x resamples), multiclass
    scores per row (a handful of sparse multiply-adds per row and resample); no resample sorts
    the scores. Also returns the unit-weight metrics, the point curves (on the score bins) and
    the binning bounds of ROC-AUC / PR-AUC.
    """
    from diagtools.metrics import _cells as C
    from diagtools.metrics import _mergeable as G

    first = next(iter(inputs))
    layouts = []
    for _, proba, score in inputs.values():
        rng_ = None if proba is not None or score is None else (float(np.min(score)), float(np.max(score)))
        layouts.append(G.layout(label_names, has_proba=proba is not None,
                                has_score=score is not None or proba is not None, score_range=rng_))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(yc), desc="bootstrap (Poisson)", unit="row", unit_scale=True)
    cell_plan = C.plan(layouts, values=any(_keep(m, metrics) for m in ("log_loss", "brier", "ece")))
    if cell_plan is not None:  # binary / label-only: the resamples are drawn per cell (see _cells)
        stats = C.array_stats(cell_plan, yc, list(inputs.values()), progress=bar)
        units, pts, smp, point_curves, curves = C.metrics(cell_plan, stats, n_boot, random_state, ap=ap, which=which)
        if bar is not None:
            bar.close()
        bounds = {nm: G.binning_bounds(lay, u[:, None]) for nm, lay, u in zip(inputs, layouts, units, strict=True)}
        return (dict(zip(inputs, smp, strict=True)), curves, dict(zip(inputs, pts, strict=True)), point_curves,
                bounds)
    designs = [(lay, G.design(lay, yc, *inp)) for lay, inp in zip(layouts, inputs.values(), strict=True)]
    sums = G.many_sums(designs, np.arange(len(yc)), n_boot, random_state, bar)
    if bar is not None:
        bar.close()
    samples, curves, unit, point_curves, bounds = {}, {}, {}, {}, {}
    for name, (lay, _), st in zip(inputs, designs, sums, strict=True):
        vals = E.classification_metrics(lay.prep, st, ap=ap)
        samples[name] = {m: v[1:] for m, v in vals.items()}
        unit[name] = {m: v[0] for m, v in vals.items()}
        bounds[name] = G.binning_bounds(lay, st)
        if name == first and which:
            curves = {c: yv for c, (_, yv) in E.classification_curves(lay.prep, st[:, 1:], which).items()}
            point_curves = E.classification_curves(lay.prep, st[:, :1], which)
    return samples, curves, unit, point_curves, bounds


def _run_regression(
    y: np.ndarray, predictors: dict[str, dict[str, Any]], metrics: list[str] | None,
    n_boot: int, confidence: float, random_state: int, progress: bool = False,
) -> dict[str, Any]:
    n = len(y)
    first = next(iter(predictors))
    y = V.check_finite(y, "y_true")
    _check_known(metrics, ["mae", "rmse", "r2", "mape", "median_ae"], "regression")
    preps, points = {}, {}
    for name, p in predictors.items():
        pname = "y_pred" if name == first else f"baselines[{name!r}]['y_pred']"
        if p.get("y_pred") is None:
            raise DiagnosticInputError(f"{pname} is required for regression. Pass the predicted values.")
        pred = V.check_finite(_as_1d(p["y_pred"], pname), pname)
        preps[name] = E.prepare_regression(y, pred)
        points[name] = _point_regression(y, pred)

    def boot(counts: np.ndarray) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, Any]]:
        W = counts.astype(float)
        return {name: E.regression_metrics(prep, W) for name, prep in preps.items()}, {}

    samples, _ = _bootstrap(n, n_boot, random_state, boot, progress)
    rng = np.random.default_rng(random_state)
    idx = np.sort(rng.choice(n, size=min(n, SAMPLE_ROWS), replace=False))
    p0 = predictors[first]["y_pred"]
    p0 = np.asarray(p0.to_numpy() if isinstance(p0, pd.Series) else p0, dtype=float).ravel()
    sample = pd.DataFrame({"row": idx, "y_true": y[idx], "y_pred": p0[idx], "residual": y[idx] - p0[idx]})
    return _assemble("regression", [], n, points, samples, metrics, confidence, sample=sample)


def _bootstrap(n: int, n_boot: int, random_state: int, boot: Any, progress: bool = False
               ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, Any]]:
    """Run ``boot`` on chunks of resampling counts; concatenate per predictor and metric."""
    parts: dict[str, dict[str, list[np.ndarray]]] = {}
    cparts: dict[str, list[Any]] = {}
    bar = None
    if progress and n_boot > 0:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_boot, desc="bootstrap", unit="resample")
    if n_boot > 0:
        for counts in bootstrap_counts(n, n_boot, random_state=random_state):
            if bar is not None:
                bar.update(len(counts))
            res, crv = boot(counts)
            for name, d in res.items():
                for key, val in d.items():
                    parts.setdefault(name, {}).setdefault(key, []).append(val)
            for key, (x, yv) in crv.items():
                cparts.setdefault(key, []).append((x, yv))
    if bar is not None:
        bar.close()
    samples = {name: {k: np.concatenate(v) for k, v in d.items()} for name, d in parts.items()}
    curves = {}
    for key, lst in cparts.items():
        curves[key] = np.vstack([yv for _, yv in lst])
    return samples, curves


def _curve_frame(point: dict[str, Any], boots: dict[str, np.ndarray], confidence: float, n: int = 0
                 ) -> pd.DataFrame:
    """Curves with bootstrap bands; ``n`` is the number of rows behind every point."""
    rows = []
    for key, (x, yv) in point.items():
        xs = np.asarray(x, dtype=float).ravel()
        est = np.asarray(yv, dtype=float).ravel()
        if key in boots:
            lo, hi = percentile_interval(boots[key], confidence)
        else:
            lo = hi = np.full_like(est, np.nan)
        frame = pd.DataFrame({"curve": key, "x": xs, "estimate": est, "ci_low": lo, "ci_high": hi, "n": n})
        if key == "reliability":
            frame = frame[np.isfinite(frame["x"])]
        rows.append(frame)
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype={"curve": object, "n": np.int64}.get(c, float)) for c in CURVE_COLUMNS})
    return pd.concat(rows, ignore_index=True)


def _assemble(
    task: str, labels: list[str], n: int, points: dict[str, dict[str, float]],
    samples: dict[str, dict[str, np.ndarray]], metrics: list[str] | None, confidence: float,
    *, curves: pd.DataFrame | None = None, confusion: pd.DataFrame | None = None,
    sample: pd.DataFrame | None = None, score_kinds: dict[str, str] | None = None,
) -> dict[str, Any]:
    first = next(iter(points))
    names = [m for m in points[first] if _keep(m, metrics)]
    rows = []
    for model, pts in points.items():
        for m in names:
            if m not in pts:
                continue
            s = samples.get(model, {}).get(m)
            lo, hi = percentile_interval(s, confidence) if s is not None else (np.nan, np.nan)
            rows.append((model, m, pts[m], float(lo), float(hi), n))
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    own = {m: (lo, hi) for model, m, _, lo, hi, _ in rows if model == first}
    comp = []
    for base, pts in list(points.items())[1:]:
        for m in names:
            if m not in pts or m not in points[first]:
                continue
            sa, sb = samples.get(first, {}).get(m), samples.get(base, {}).get(m)
            diff = points[first][m] - pts[m]
            if sa is not None and sb is not None:
                d = sa - sb
                lo, hi = percentile_interval(d, confidence)
                p = float(bootstrap_p_value(d))
            else:
                lo = hi = p = np.nan
            comp.append((base, m, points[first][m], *own[m], n, pts[m], diff, float(lo), float(hi), p))
    comparison = pd.DataFrame(comp, columns=COMPARISON_COLUMNS[:-1])
    comparison["q_value"] = benjamini_hochberg(comparison["p_value"].to_numpy(dtype=float))
    return {
        "frame": frame, "comparison": comparison, "task": task, "labels": labels, "n": n,
        "curves": curves if curves is not None else _curve_frame({}, {}, confidence, n),
        "confusion": confusion if confusion is not None else pd.DataFrame(columns=CONFUSION_COLUMNS),
        "predictions": sample if sample is not None else pd.DataFrame(columns=["row", "y_true", "y_pred", "residual"]),
        "score_kinds": score_kinds or {},
    }


def compare_predictions(
    y_true: Any,
    *,
    y_pred_a: Any,
    y_pred_b: Any,
    y_score_a: Any = None,
    y_score_b: Any = None,
    task: str | None = None,
    metrics: Any = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    random_state: int = 0,
) -> pd.DataFrame:
    """Compare two sets of predictions on the same rows with a paired bootstrap.

    Both are evaluated on the same resampling counts, so the interval of ``b - a`` reflects
    only the difference between the predictors, not the luck of the sample.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True targets.
    y_pred_a, y_pred_b : array-like of shape (n,)
        Predicted labels (classification) or values (regression) of predictors a and b.
    y_score_a, y_score_b : array-like, optional
        Probabilities or scores (classification), enabling ROC-AUC, log loss, ...
    task : {"classification", "regression"}, optional
        Inferred from ``y_true`` when None.
    metrics : list of str, optional
        Metric names to keep (e.g. ``["accuracy", "roc_auc"]``; ``"recall"`` keeps every
        per-class recall). All when None.
    n_boot : int, default=1000
        Bootstrap resamples.
    confidence : float, default=0.95
        Level of the intervals.
    random_state : int, default=0
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, estimate, ci_low, ci_high, n`` (predictor b with its percentile
        bootstrap interval), ``reference_estimate`` (predictor a), ``difference,
        difference_ci_low, difference_ci_high`` (``b - a`` with its paired bootstrap interval)
        and ``p_value`` (two-sided bootstrap).

    Examples
    --------
    >>> import numpy as np
    >>> from diagtools.metrics import compare_predictions
    >>> y = np.array([0, 1] * 50)
    >>> frame = compare_predictions(y, y_pred_a=np.zeros(100, int), y_pred_b=y, n_boot=200)
    >>> float(frame.set_index("metric").loc["accuracy", "difference"])
    0.5
    """
    _check_confidence(confidence, n_boot, random_state)
    for key, values in (("y_pred_a", y_pred_a), ("y_score_a", y_score_a), ("y_pred_b", y_pred_b),
                        ("y_score_b", y_score_b)):
        if values is not None and y_true is not None:
            V.check_same_length(values, y_true, name=key, ref_name="y_true")
    out = _run(
        y_true, {"b": {"y_pred": y_pred_b, "y_score": y_score_b}, "a": {"y_pred": y_pred_a, "y_score": y_score_a}},
        task=task, labels=None, metrics=metrics, n_boot=n_boot, confidence=confidence,
        random_state=random_state, curves=False,
    )
    return out["comparison"][COMPARE_COLUMNS].reset_index(drop=True)


def evaluate_predictions(
    y_true: Any,
    *,
    y_pred: Any = None,
    y_score: Any = None,
    task: str | None = None,
    labels: Any = None,
    baselines: dict[str, dict[str, Any]] | None = None,
    metrics: Any = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    random_state: int = 0,
    name: str = "model",
    progress: bool | None = None,
    data: Any = None,
    chunk_rows: int = 250_000,
) -> EvaluationResult:
    """Evaluate precomputed predictions: metrics with bootstrap intervals, paired baselines.

    With ``data`` the predictions are columns of a table that may not fit in memory (a dask
    DataFrame, or parquet / CSV files), and ``y_true``, ``y_pred``, ``y_score`` (and the
    baselines' entries) name its columns; see "Large data" below.

    Parameters
    ----------
    y_true : array-like of shape (n,), or str with ``data``
        True targets (with ``data``: the name of their column).
    y_pred : array-like of shape (n,), optional
        Predicted labels (classification) or values (regression). For classification it may
        be omitted when ``y_score`` holds probabilities (the arg-max class is used).
    y_score : array-like of shape (n,) or (n, n_classes), optional
        Classification only: probabilities (enable ROC-AUC, PR-AUC, log loss, Brier, ECE) or
        decision scores (enable ROC-AUC and PR-AUC). For binary tasks a 1-D array is the score
        of the second label in ``labels``.
    task : {"classification", "regression"}, optional
        Inferred from ``y_true`` when None.
    labels : array-like, optional
        The classes, in the column order of a 2-D ``y_score``. Default: the sorted values of
        ``y_true`` and ``y_pred``.
    baselines : dict, optional
        ``{name: {"y_pred": ..., "y_score": ...}}``: reference predictions on the same rows,
        compared with the model on the same bootstrap resamples (paired).
    metrics : list of str, optional
        Metric names to keep (``"recall"`` keeps every per-class recall). All when None.
    n_boot : int, default=1000
        Bootstrap resamples (0 skips the intervals). Classification from 100,000 rows on (and
        always with ``data``) uses the Poisson bootstrap keyed by row position (see Notes);
        ``params["bootstrap"]`` says which.
    confidence : float, default=0.95
        Level of the intervals.
    random_state : int, default=0
        Seed of the resampling.
    name : str, default="model"
        Name of the model in ``.frame``.
    progress : bool, optional
        Show a progress bar over the bootstrap resamples (with ``data``: over the chunks, or
        dask's progress bar on a cluster). Default: on when rows x resamples reach
        :data:`PROGRESS_CELLS` (about two seconds of work), and always for files and dask.
    data : dask DataFrame, pandas DataFrame, or str / path, optional
        The table holding the columns named by ``y_true``, ``y_pred`` and ``y_score``
        (classification only): a dask DataFrame (one task per partition, merged by a tree
        reduction on the active scheduler, e.g. a ``dask.distributed`` client), a parquet or
        CSV file, folder or glob (read in chunks of ``chunk_rows`` rows, constant memory), or a
        pandas DataFrame.
    chunk_rows : int, default=250_000
        Rows per chunk of the file reader.

    Returns
    -------
    EvaluationResult

    Notes
    -----
    Large data (``data=``): every metric comes from statistics that merge across chunks and
    partitions, and the intervals from a Poisson bootstrap whose weights are keyed by the
    global row position and the seed, so the result is the same for any partitioning and any
    back end. Accuracy, balanced accuracy, precision / recall / F1, log loss, Brier score and
    ECE equal the in-memory values (to floating-point summation); ROC-AUC and PR-AUC use 2,000
    fixed score bins and the result states their error bound
    (``params["large"]["binning_bounds"]``, see :mod:`diagtools.metrics._mergeable`). A 1-D
    ``y_score`` column in [0, 1] is the probability of the second label; scores outside
    [0, 1] are ranking scores (ROC-AUC, PR-AUC only). Regression (``task="regression"``, or
    inferred from the first 100,000 values of ``y_true`` by the in-memory rule): MAE, RMSE, R²
    and MAPE are exact; the median absolute error comes from a 20,000-bin log histogram of
    ``|e|`` with its bound stated, and its interval is the distribution-free order-statistic
    interval; the other intervals reweigh 4,096 hash groups of rows by Poisson(1) draws (see
    :mod:`diagtools.metrics._large_regression`).

    Examples
    --------
    >>> import numpy as np
    >>> from diagtools.metrics import evaluate_predictions
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500)
    >>> score = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    >>> res = evaluate_predictions(y, y_pred=(score > 0.5).astype(int), y_score=score, n_boot=200)
    >>> round(float(res.metric("accuracy")["estimate"]), 3)
    0.73
    """
    if not isinstance(name, str) or not name:
        raise DiagnosticInputError(f"name must be a non-empty string, got {name!r}.")
    predictors = {name: {"y_pred": y_pred, "y_score": y_score}}
    for bname, value in (baselines or {}).items():
        if not isinstance(value, dict) or not ({"y_pred", "y_score"} & set(value)):
            raise DiagnosticInputError(
                f"baselines[{bname!r}] must be a dict with 'y_pred' and/or 'y_score', got "
                f"{type(value).__name__}. Pass {{'name': {{'y_pred': ..., 'y_score': ...}}}}."
            )
        if bname == name:
            raise DiagnosticInputError(f"baseline name {bname!r} is the model's name. Rename one of them.")
        predictors[str(bname)] = value
    if data is not None:
        from diagtools.metrics._large import run_large

        metrics = _check_metrics(metrics)
        _check_confidence(confidence, n_boot, random_state)
        if not isinstance(chunk_rows, (int, np.integer)) or isinstance(chunk_rows, bool) or chunk_rows < 1:
            raise DiagnosticInputError(f"chunk_rows must be a positive int, got {chunk_rows!r}.")
        out = run_large(data, y_true, predictors, task=task, labels=labels, metrics=metrics, n_boot=n_boot,
                        confidence=confidence, random_state=random_state, progress=progress,
                        chunk_rows=int(chunk_rows))
    else:
        out = _run(
            y_true, predictors, task=task, labels=labels, metrics=metrics, n_boot=n_boot,
            confidence=confidence, random_state=random_state, curves=True, progress=progress,
        )
    params = {"n_boot": int(n_boot), "confidence": float(confidence), "random_state": random_state,
              "metrics": metrics, "score_kinds": out["score_kinds"], "baselines": list(predictors)[1:]}
    params["bootstrap"] = ("poisson" if "large" in out or (out["task"] == "classification" and out["n"] >= POISSON_ROWS)
                           else "multinomial")
    if "large" in out:
        params["large"] = out["large"]
    return EvaluationResult(
        frame=out["frame"],
        params=params,
        n_samples=out["n"],
        comparison=out["comparison"],
        curves=out["curves"],
        confusion=out["confusion"],
        predictions=out["predictions"],
        task=out["task"],
        labels=out["labels"],
        name=name,
    )
