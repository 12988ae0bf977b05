"""Sections about the data the model meets: its quality, where the model fails, fairness, drift.

Each function fills the :class:`SectionOutcome` it is given from the
:class:`SectionContext`; :func:`diagtools.report.run_diagnostics` isolates its errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from diagtools._text import expand_text, text_columns
from diagtools._validation import infer_task
from diagtools.drift import detect_drift
from diagtools.fairness import assess_fairness
from diagtools.quality import check_data, check_duplicates
from diagtools.quality._compute import CHECKS
from diagtools.report._context import SectionContext, sample
from diagtools.report._types import SectionOutcome
from diagtools.slices import find_slices, slice_metrics

#: From this many classes the slice table leaves out the class columns (see :func:`slices`).
MANY_CLASSES = 15


def data_quality(ctx: SectionContext, out: SectionOutcome) -> None:
    """Integrity, leakage between training and evaluation data, and label noise."""
    inp = ctx.inputs
    budget = ctx.budgets["data_quality"]
    X, y = sample(inp.X, inp.y, budget, ctx.random_state)
    test = X.assign(**{inp.target: y.to_numpy()})
    rows_total, rows_used = len(inp.X), len(X)
    options = {"target": inp.target, "cv": 3, "n_boot": ctx.capped_n_boot, "random_state": ctx.random_state}
    on_source = inp.source is not None
    if on_source:  # exact duplicates are counted on every row below, from row hashes
        options["checks"] = [c for c in CHECKS if c != "duplicates"]
    train = None
    if inp.X_train is not None and inp.y_train is not None:
        X_train, y_train = sample(inp.X_train, inp.y_train, budget, ctx.random_state)
        train = X_train.assign(**{inp.target: y_train.to_numpy()})
        rows_total, rows_used = rows_total + len(inp.X_train), rows_used + len(X_train)
        out.note = "Training and evaluation data compared for leakage; label noise searched in the training data."
        result = check_data(train, test, **options)
    else:
        out.note = "Without training data, only the evaluation data's integrity and label noise are checked."
        result = check_data(test, **options)
    out.results["quality"] = result
    out.rows_used, out.rows_total = rows_used, rows_total
    if on_source:
        reference = None if train is None else inp.X_train.assign(**{inp.target: inp.y_train.to_numpy()})
        out.results["duplicates"] = check_duplicates(inp.source, reference=reference, columns=list(test.columns),
                                                     progress=False)
        out.rows_total = (inp.rows_total or rows_total) + (0 if train is None else len(inp.X_train))
        out.note += (f" Exact duplicate rows{' and rows shared with the training data' if train is not None else ''} "
                     f"counted on all {inp.rows_total:,} evaluation rows (row hashes); the other checks on a sample.")
    text = result.params.get("text_columns") or []
    if text:
        out.note += (f" Free-text column(s) {', '.join(map(str, text))}: checked as text (no row-ID, category or "
                     "one-column leakage checks); label noise read from a TF-IDF + logistic regression model and claimed "
                     "only where it exceeds what that model's calibrated probabilities predict.")


def slices(ctx: SectionContext, out: SectionOutcome) -> None:
    """The per-column slice table and the search for the worst slices (handed on to explanations)."""
    inp = ctx.inputs
    X, y = inp.X, inp.y
    y_pred = np.asarray(inp.model.predict(X))  # predict once; both diagnostics reuse it
    text = [c for c in text_columns(X) if not ctx.slice_columns or c in ctx.slice_columns]
    if text:
        # Free text is sliced by readable properties of each message (out-of-vocabulary share
        # against the training data) and by the predicted and true class, never message by message.
        X = expand_text(X, text, reference=inp.X_train)
        if infer_task(np.asarray(y)) != "regression":
            X = X.assign(**{"predicted class": pd.Series(y_pred, index=X.index).astype(str),
                            "true class": y.astype(str).to_numpy()})
        out.note = (f"Text column(s) {', '.join(map(str, text))} sliced by derived properties (tokens, digits, amounts, "
                    "out-of-vocabulary share vs the training data, questions) and by predicted and true class. ")
    if ctx.slice_columns:
        columns = [c for c in ctx.slice_columns if c not in text] + [c for c in X.columns if c not in inp.X.columns]
    else:  # categorical, boolean and low-cardinality numeric columns (and their pairs)
        columns = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or X[c].nunique() <= 10]
    search_columns = columns if ctx.slice_columns else None
    if text and y.nunique() > MANY_CLASSES:
        # The slice table keeps a k x k confusion per slice: with many classes, crossing the class
        # columns would cost gigabytes. Per-class metrics are in the metrics section; the search
        # (error counts only) still slices by predicted and true class.
        columns = [c for c in columns if c not in ("predicted class", "true class")]
    on_source = inp.source is not None and not text and bool(columns)
    if on_source:  # the per-column table on every row, the model applied chunk by chunk
        out.results["metrics"] = slice_metrics(
            inp.model, inp.source, inp.target, by=columns, n_boot=ctx.capped_n_boot, random_state=ctx.random_state,
        )
    elif columns or not text:
        out.results["metrics"] = slice_metrics(
            None, X, y, y_pred=y_pred, by=columns or None, n_boot=ctx.capped_n_boot, random_state=ctx.random_state,
        )
    # The search looks at every column (numeric ones in quantile bins) unless told otherwise.
    search = find_slices(None, X, y, y_pred=y_pred, by=search_columns, k=10, random_state=ctx.random_state)
    out.results["search"] = search
    # The summary takes its slice findings from the search alone: it tests every slice it
    # reports against the rows of those already reported (nested, containing or overlapping),
    # which the per-column table cannot do for crosses of different columns.
    out.context["quiet"] = ("metrics",)
    out.rows_used = out.rows_total = len(X)
    if inp.source is not None and len(X) < inp.rows_total:
        out.rows_total = inp.rows_total
        out.note += (f"The per-column slice table covers all {inp.rows_total:,} rows; the search for the worst "
                     f"slices a sample of {len(X):,} rows. " if on_source else "")
    worst = search.worst()
    if worst is not None and bool(worst["reported"]):
        out.context["worst_slice"] = (str(worst["slice"]), search.mask(X, int(worst["rank"])))
        out.note += f"Worst slice found: {worst['slice']} (explained in the explanations section)."


#: How to ask for the fairness section: its input is a choice of columns, not a file.
FAIRNESS_HINT = (
    "Name the sensitive columns to compare the model across their groups "
    "(CLI: --sensitive COL[,COL]; Python: sensitive_columns=[...])."
)


def fairness(ctx: SectionContext, out: SectionOutcome) -> None:
    """Rates of one outcome compared across the groups of the sensitive columns."""
    inp = ctx.inputs
    assert ctx.sensitive_columns  # guaranteed by the section's ``requires``
    y = inp.y.to_numpy()
    pos_label, outcome = None, ""
    if infer_task(y) == "classification":
        labels = np.unique(y).tolist()
        if len(labels) > 2:
            out.status = "skipped"
            out.note = (f"The target has {len(labels)} classes; the fairness measures compare the rate of one outcome. "
                        "Pick it in a notebook: diagtools.assess_fairness(model, X, y, sensitive_features=[...], "
                        "pos_label=...) (template: fairness.ipynb).")
            return
        # the larger label is the positive outcome, as in the metrics section
        pos_label = None if set(labels) <= {0, 1} or set(labels) <= {-1, 1} else labels[-1]
        outcome = f" Positive outcome (its rate is compared): {inp.target}={labels[-1]}."
    out.results["fairness"] = assess_fairness(
        inp.model, inp.X, inp.y, sensitive_features=list(ctx.sensitive_columns), pos_label=pos_label,
        n_boot=ctx.n_boot, random_state=ctx.random_state,
    )
    out.rows_used = out.rows_total = len(inp.X)
    out.note = (
        f"Groups of {', '.join(ctx.sensitive_columns)} and of every pair of them.{outcome} A measure is flagged when "
        "a permutation test rejects 'no disparity' at FDR 5% and it is material (a ratio below 0.8, the "
        "four-fifths rule, or a difference above 0.1). Interactive version: fairness.ipynb."
    )


def drift(ctx: SectionContext, out: SectionOutcome) -> None:
    """Drift of the evaluation data (and of the model's scores on it) from the reference data."""
    inp = ctx.inputs
    assert inp.reference is not None  # guaranteed by the section's ``requires``
    budget = ctx.budgets["drift"]
    reference = inp.reference
    current = inp.X.assign(**{inp.target: inp.y.to_numpy()})
    # The model was trained on the reference when the two are the same table: then metric
    # drops against it are partly optimism of in-sample scores, and detect_drift says so.
    in_sample = inp.X_train is not None and _same_rows(inp.X_train, reference.drop(columns=[inp.target], errors="ignore"))
    reference_s, _ = sample(reference, None, budget, ctx.random_state)
    current_s, _ = sample(current, None, budget, ctx.random_state + 1)
    has_target = inp.target in reference.columns
    out.results["drift"] = detect_drift(
        reference_s, current_s if has_target else current_s.drop(columns=[inp.target]), model=inp.model,
        target=inp.target if has_target else None, reference_in_sample=in_sample,
        n_boot=ctx.capped_n_boot, random_state=ctx.random_state,
    )
    out.rows_used, out.rows_total = len(reference_s) + len(current_s), len(reference) + len(current)
    if in_sample:
        out.note = "The reference data is the model's training data: its scores there are in-sample and optimistic."


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if a.shape != b.shape or list(a.columns) != list(b.columns):
        return False
    return bool(pd.util.hash_pandas_object(a, index=False).equals(pd.util.hash_pandas_object(b, index=False)))
