"""``evaluate_predictions(data=...)``: columns of a large table, through mergeable statistics.

Two passes over the chunks of a :class:`diagtools._sources.Source` (pandas, chunked files or
Dask): the first collects the labels, the row count and the range of the scores (all
mergeable), the second the statistics of :mod:`diagtools.metrics._mergeable`. For binary and
label-only classifiers the chunks carry their unit-weight statistics and the counts of the
joint cells, and the Poisson bootstrap is drawn per cell after the merge
(:mod:`diagtools.metrics._cells`: cells x resamples, not rows x resamples); multiclass scores
keep the row-level Poisson bootstrap keyed by global row position. Results do not depend on
the back end or on the partitioning; see those modules for what is exact and the bounds of
what is binned.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from diagtools import _validation as V
from diagtools._sources import CHUNK_ROWS, as_source, near
from diagtools.errors import DiagnosticInputError
from diagtools.metrics import _cells as C
from diagtools.metrics import _engine as E
from diagtools.metrics import _mergeable as G
from diagtools.metrics._large_regression import run_large_regression

#: Distinct values of ``y_true`` above which the task cannot be classification.
MAX_CLASSES = 1000
#: Leading rows from which the task is inferred when not given.
TASK_ROWS = 100_000


def _names(value: Any, arg: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise DiagnosticInputError(
        f"{arg} must name a column of data (or, for y_score with several classes, a list of column "
        f"names, one per class), got {type(value).__name__}. Pass e.g. {arg}='prediction'."
    )


def _distinct(col: pd.Series) -> set[Any]:
    """The distinct non-missing values of a chunk's column (a bincount for small integer ranges)."""
    v = col.to_numpy()
    if v.dtype.kind in "iu":  # no missing values: _validation.distinct's bincount for small ranges
        return set(V.distinct(v).tolist())
    return set(pd.unique(col.dropna()).tolist())


def _capped(values: set[Any]) -> set[Any]:
    """At most ``MAX_CLASSES + 1`` values: enough to tell a target with too many classes, without
    holding every value of a continuous column."""
    return values if len(values) <= MAX_CLASSES else set(list(values)[: MAX_CLASSES + 1])


def _first_stats(y_col: str, pred_cols: list[str], score_cols: dict[str, list[str]]
                 ) -> tuple[Callable[[pd.DataFrame, int | None], dict[str, Any]], Callable[..., dict[str, Any]]]:
    """The first pass's ``(stats, merge)``: labels, row count, score ranges and whether
    multi-column scores sum to one (mergeable)."""

    def stats(frame: pd.DataFrame, first_row: int | None) -> dict[str, Any]:
        if frame[y_col].dtype.kind not in "iub" and frame[y_col].isna().any():  # integers hold no NaN
            raise DiagnosticInputError(
                f"y_true column {y_col!r} contains missing values ({near(first_row)}). "
                "Drop or fill those rows first."
            )
        labels = {c: _capped(_distinct(frame[c])) for c in [y_col, *pred_cols]}
        ranges, sums_to_one = {}, {}
        for name, cs in score_cols.items():
            s = frame[cs[0]].to_numpy(dtype=float) if len(cs) == 1 else frame[cs].to_numpy(dtype=float)
            low, high = (float(s.min()), float(s.max())) if len(s) else (np.inf, -np.inf)
            if len(s) and not (np.isfinite(low) and np.isfinite(high)):  # a NaN or an inf shows in min / max
                raise DiagnosticInputError(
                    f"y_score columns {cs} of {name!r} contain NaN or infinite values ({near(first_row)}). "
                    "Pass finite scores."
                )
            ranges[name] = (low, high)
            sums_to_one[name] = bool(np.allclose(s.sum(axis=1), 1.0, atol=1e-6)) if len(cs) > 1 else True
        return {"n": len(frame), "labels": labels, "ranges": ranges, "one": sums_to_one}

    def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        return {
            "n": a["n"] + b["n"],
            "labels": {c: _capped(a["labels"][c] | b["labels"][c]) for c in a["labels"]},
            "ranges": {k: (min(a["ranges"][k][0], b["ranges"][k][0]), max(a["ranges"][k][1], b["ranges"][k][1]))
                       for k in a["ranges"]},
            "one": {k: a["one"][k] and b["one"][k] for k in a["one"]},
        }

    return stats, merge


def run_large(
    data: Any, y_true: Any, predictors: dict[str, dict[str, Any]], *, task: str | None, labels: Any,
    metrics: list[str] | None, n_boot: int, confidence: float, random_state: int, progress: bool | None,
    chunk_rows: int = CHUNK_ROWS,
) -> dict[str, Any]:
    """The ``data=`` path of :func:`evaluate_predictions` (same output as its in-memory ``_run``)."""
    from diagtools.metrics._compute import _assemble, _classification_names, _curve_frame, _keep

    src = as_source(data, "data", chunk_rows=chunk_rows)
    y_col, preds, scores, needed = _columns(y_true, predictors)
    first = next(iter(predictors))
    src.check_columns(needed)
    # files and dask frames are large by definition: a progress bar unless asked otherwise
    show = src.backend != "pandas" if progress is None else bool(progress)
    cols = list(dict.fromkeys([y_col, *(c for c in preds.values() if c), *(c for cs in scores.values() for c in cs)]))
    head = src.head(cols, TASK_ROWS)  # the first rows: the task, and a guess of the labels (see below)
    if task is None:  # the in-memory rule, on the first rows (a scan of every value would cost a pass)
        task = V.infer_task(head[y_col].dropna().to_numpy())
    V.check_option(task, V.TASKS, "task")
    if task == "regression":
        missing = [nm for nm, c in preds.items() if c is None]
        if scores or missing:
            raise DiagnosticInputError(
                "regression takes y_pred columns (predicted values) only" + (f"; {missing[0]!r} has none" if missing
                                                                             else ", not y_score") + ". Pass y_pred='prediction'."
            )
        return run_large_regression(src, y_col, {nm: str(c) for nm, c in preds.items()}, metrics=metrics,
                                    n_boot=n_boot, confidence=confidence, random_state=random_state, show=show)
    first_stats, first_merge = _first_stats(y_col, [c for c in preds.values() if c], scores)
    values = any(_keep(m, metrics) for m in ("log_loss", "brier", "ece"))

    def setup(info: dict[str, Any]) -> SimpleNamespace:
        """Labels, layouts and the second pass's statistics, from the first pass's information."""
        return _setup(info, labels, y_col, preds, scores, first, metrics, values, n_boot, random_state)

    # One pass when the first rows tell the layout: binary or label-only predictors whose scores look
    # like probabilities. The labels and ranges are verified on every row as the statistics are
    # counted; when they differ from the guess (a label the first rows lack, a score outside [0, 1]),
    # the statistics are counted again with the right layout. Ranking scores need their range first.
    guess = None
    if len(head):
        try:
            guess = setup(first_stats(head, 0))
        except DiagnosticInputError:  # the first rows alone cannot tell (e.g. one class): two passes
            guess = None
    if guess is not None and guess.cell_plan is not None and all(
            lay.prep.has_proba or not lay.prep.has_score for lay in guess.layouts.values()):

        def both(frame: pd.DataFrame, first_row: int | None) -> dict[str, Any]:
            part = first_stats(frame, first_row)
            try:
                return {"info": part, "cells": guess.stats(frame, first_row)}
            except _UnknownLabel:  # not the guessed labels: this pass gives the information only
                return {"info": part, "cells": None}

        def merge_both(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
            cells = None if a["cells"] is None or b["cells"] is None else guess.merge(a["cells"], b["cells"])
            return {"info": first_merge(a["info"], b["info"]), "cells": cells}

        out = src.run(cols, both, merge_both, progress=show, desc="evaluate_predictions: statistics", offsets=False)
        info, merged = out["info"], out["cells"]
    else:
        info = src.run(cols, first_stats, first_merge, progress=show, desc="evaluate_predictions: labels",
                       offsets=False)
        merged = None
    if info["n"] == 0:
        raise DiagnosticInputError("the data has no rows. Pass data with at least one row.")
    n = info["n"]
    plan = setup(info)
    if merged is None or guess is None or plan.key != guess.key:
        # the cell statistics key nothing by row: a dask source needs no partition lengths for them
        merged = src.run(cols, plan.stats, plan.merge, progress=show, desc="evaluate_predictions: statistics",
                         offsets=plan.cell_plan is None)
    label_names, k, layouts, cell_plan = plan.label_names, plan.k, plan.layouts, plan.cell_plan
    ap = _keep("pr_auc", metrics)
    which = frozenset(c for c, m in (("roc", "roc_auc"), ("pr", "pr_auc"), ("reliability", "ece")) if _keep(m, metrics))
    if cell_plan is not None:
        fine, pts, smp, point_curves, curve_samples = C.metrics(cell_plan, merged, n_boot, random_state, ap=ap,
                                                                which=which)
        units = dict(zip(layouts, fine, strict=True))
        samples = dict(zip(layouts, smp, strict=True))
    else:
        units = {nm: v[:, 0] for nm, v in merged["sums"].items()}
        pts, samples, point_curves, curve_samples = [], {}, {}, {}
        for name, lay in layouts.items():
            vals = E.classification_metrics(lay.prep, merged["sums"][name], ap=ap)
            pts.append({m: float(v[0]) for m, v in vals.items()})
            samples[name] = {m: v[1:] for m, v in vals.items()}
            if name == first and which:
                point_curves = E.classification_curves(lay.prep, merged["sums"][name][:, :1], which)
                curve_samples = {c: yv for c, (_, yv) in
                                 E.classification_curves(lay.prep, merged["sums"][name][:, 1:], which).items()}
    points, bounds = {}, {}
    for (name, lay), vals in zip(layouts.items(), pts, strict=True):
        names = _classification_names(label_names, lay.prep.has_score, lay.prep.has_proba)
        points[name] = {m: vals[m] for m in names if m in vals and _keep(m, metrics)}
        bounds[name] = G.binning_bounds(lay, units[name][:, None])
    cm = units[first][layouts[first].prep.blocks["conf"]].round().astype(np.int64)
    confusion = pd.DataFrame({"true_label": np.repeat(label_names, k), "pred_label": np.tile(label_names, k),
                              "count": cm})
    out = _assemble(
        "classification", label_names, n, points, samples if n_boot > 0 else {}, metrics, confidence,
        curves=_curve_frame(point_curves, curve_samples if n_boot > 0 else {}, confidence, n), confusion=confusion,
        score_kinds={nm: ("proba" if lay.prep.has_proba else "score" if lay.prep.has_score else "none")
                     for nm, lay in layouts.items()},
    )
    out["large"] = {
        "backend": src.backend, "bootstrap": "poisson", "score_bins": G.SCORE_BINS,
        "bootstrap_cells": "cell" if cell_plan is not None else "row",
        "bootstrap_score_bins": cell_plan.bins if cell_plan is not None else G.SCORE_BINS,
        "binning_bounds": {nm: b for nm, b in bounds.items() if b},
    }
    return out


class _UnknownLabel(DiagnosticInputError):
    """A value outside the labels (raised as the input error it is, unless a guess is being tried)."""


def _setup(info: dict[str, Any], labels: Any, y_col: str, preds: dict[str, str | None], scores: dict[str, list[str]],
           first: str, metrics: list[str] | None, values: bool, n_boot: int, random_state: int) -> SimpleNamespace:
    """Labels, per-predictor layouts, the cell plan and the statistics pass (``stats``, ``merge``)
    of :func:`run_large` for the first pass's information ``info``; ``key`` identifies the layout."""
    from diagtools.metrics._compute import _check_known, _classification_names

    labs = _labels(info, labels, y_col)
    k = len(labs)
    label_names = [str(v) for v in labs]
    layouts: dict[str, G.Layout] = {}
    for name in preds:
        sc = scores.get(name, [])
        if sc and len(sc) not in ((1, 2) if k == 2 else (k,)):
            raise DiagnosticInputError(
                f"y_score of {name!r} names {len(sc)} columns but the task has {k} classes. Name one column "
                f"per class ({k}), in the order of labels" + (", or the score of the positive class." if k == 2 else ".")
            )
        lo, hi = info["ranges"].get(name, (0.0, 1.0))
        is_proba = bool(sc) and lo >= 0.0 and hi <= 1.0 and info["one"].get(name, True)
        if not sc and preds[name] is None:
            raise DiagnosticInputError(f"{name!r} needs y_pred or y_score columns.")
        layouts[name] = G.layout(label_names, has_proba=is_proba, has_score=bool(sc),
                                 score_range=None if is_proba else (lo, hi))
        if name == first:
            _check_known(metrics, _classification_names(label_names, bool(sc), is_proba), "classification")
    index = pd.Index(labs)
    lut, low = _int_lookup(labs)

    def encode(col: pd.Series, arg: str) -> np.ndarray:
        v = col.to_numpy()
        if lut is not None and v.dtype.kind in "iu" and len(v) and v.min() >= low and v.max() - low < len(lut):
            codes = lut[v.astype(np.int64, copy=False) - low]  # integer labels: a table look-up, no hashing
        else:
            codes = index.get_indexer(col)
        if (codes < 0).any():
            raise _UnknownLabel(f"{arg} holds values outside the labels, e.g. {col[codes < 0].iloc[0]!r}.")
        return codes

    cell_plan = C.plan(list(layouts.values()), values=values)

    def stats(frame: pd.DataFrame, first_row: int | None) -> dict[str, Any]:
        y = encode(frame[y_col], "y_true")
        inputs = {}
        for name, lay in layouts.items():
            sc = scores.get(name, [])
            s = None if not sc else frame[sc[0]].to_numpy(dtype=float) if len(sc) == 1 else frame[sc].to_numpy(dtype=float)
            proba = score = None
            if lay.prep.has_proba and s.ndim == 1 and cell_plan is not None:
                proba = s  # the cells take the positive class's probability alone (no 2-column copy)
            elif lay.prep.has_proba:
                proba = s if s.ndim == 2 else np.column_stack([1.0 - s, s])
            elif s is not None:
                score = s if s.ndim == 1 or k > 2 else s[:, 1]
            if preds[name] is not None:
                pc = encode(frame[preds[name]], "y_pred")
            elif proba is not None and proba.ndim == 1:  # as the comparison below, with the column 1 - p
                pc = (proba > 1.0 - proba).astype(np.int64)
            elif proba is not None:  # argmax; for two classes one comparison (ties: the first class)
                pc = (proba[:, 1] > proba[:, 0]).astype(np.int64) if k == 2 else proba.argmax(axis=1)
            else:
                pc = (score > 0).astype(np.int64) if score.ndim == 1 else score.argmax(axis=1)
            inputs[name] = (pc, proba, score)
        if cell_plan is not None:  # resamples drawn per cell after the merge (see _cells)
            return C.chunk_stats(cell_plan, y, list(inputs.values()))
        # one draw of the weights per block of rows, shared by every predictor (paired)
        rows = int(first_row or 0) + np.arange(len(frame))  # always known here (offsets=True)
        designs = [(layouts[nm], G.design(layouts[nm], y, *inp)) for nm, inp in inputs.items()]
        return {"sums": dict(zip(inputs, G.many_sums(designs, rows, n_boot, random_state), strict=True))}

    def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        if cell_plan is not None:
            return C.merge(a, b)
        return {"sums": {nm: a["sums"][nm] + b["sums"][nm] for nm in a["sums"]}}

    key = (tuple(label_names), tuple((nm, lay.prep.has_proba, lay.prep.has_score, lay.score_range)
                                     for nm, lay in layouts.items()))
    return SimpleNamespace(labs=labs, label_names=label_names, k=k, layouts=layouts, cell_plan=cell_plan,
                           stats=stats, merge=merge, key=key)


def _int_lookup(labels: list[Any]) -> tuple[np.ndarray | None, int]:
    """A table from integer label values (offset by the smallest) to label codes, -1 for others;
    ``None`` unless every label is an integer (not bool) and their range is small."""
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in labels):
        return None, 0
    low, high = int(min(labels)), int(max(labels))
    if high - low >= 1_000_000:
        return None, 0
    lut = np.full(high - low + 1, -1, dtype=np.int64)
    lut[np.asarray(labels, dtype=np.int64) - low] = np.arange(len(labels))
    return lut, low


def _columns(y_true: Any, predictors: dict[str, dict[str, Any]]
             ) -> tuple[str, dict[str, str | None], dict[str, list[str]], dict[str, str]]:
    """The label column, each predictor's prediction and score columns, and every argument -> column named."""
    y_col = _names(y_true, "y_true")
    if len(y_col) != 1:
        raise DiagnosticInputError("y_true must name one column of data, e.g. y_true='label'.")
    y_col = y_col[0]
    first = next(iter(predictors))
    preds: dict[str, str | None] = {}
    scores: dict[str, list[str]] = {}
    needed = {"y_true": y_col}
    for name, p in predictors.items():
        def arg(key: str, name: str = name) -> str:
            return key if name == first else f"baselines[{name!r}][{key!r}]"

        pc = _names(p.get("y_pred"), arg("y_pred"))
        sc = _names(p.get("y_score"), arg("y_score"))
        if not pc and not sc:
            raise DiagnosticInputError(
                f"{'y_pred' if name == first else f'baselines[{name!r}]'} is missing: name the column of "
                "predicted labels (y_pred=) and/or of the scores (y_score=)."
            )
        preds[name] = pc[0] if pc else None
        if sc:
            scores[name] = sc
        needed.update({arg("y_pred"): c for c in pc})
        needed.update({f"{arg('y_score')}[{i}]" if len(sc) > 1 else arg("y_score"): c for i, c in enumerate(sc)})
    return y_col, preds, scores, needed


def _labels(info: dict[str, Any], labels: Any, y_col: str) -> list[Any]:
    """The classes: ``labels`` when given (every value seen must be one), else the sorted values seen."""
    values = set().union(*info["labels"].values())
    if labels is not None:
        labs = list(labels)
        unknown = values - set(labs)
        if unknown:
            raise DiagnosticInputError(
                f"y_true / y_pred hold values {sorted(map(str, unknown))[:5]} not in labels. Add them to labels."
            )
    else:
        if len(info["labels"][y_col]) > MAX_CLASSES:
            raise DiagnosticInputError(
                f"y_true has more than {MAX_CLASSES} distinct values: this looks like a regression target. "
                "Pass task='regression'."
            )
        try:
            labs = sorted(values)
        except TypeError as exc:
            raise DiagnosticInputError("y_true and y_pred hold labels of different types (e.g. str and int).") from exc
    if len(labs) < 2:
        raise DiagnosticInputError(f"y_true has one class only ({labs}). Metrics need at least two classes.")
    return labs
