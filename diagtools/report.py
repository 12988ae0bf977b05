"""The one-model-in-depth report: run every diagnostic the inputs allow, then render.

Two steps, kept apart as everywhere in diagtools:

1. :func:`run_diagnostics` computes. It runs each section that its inputs allow, isolates
   failures (a failing diagnostic becomes a report entry, it never aborts the report),
   records how many rows each section used and whether it sampled, and returns a
   :class:`DiagnosisReport`.
2. The template ``notebooks/model_report.ipynb`` shows that report; :func:`render_report`
   executes the template headless with papermill and exports ONE self-contained HTML file
   with nbconvert (images embedded; no scripts, fonts or styles from the network).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diagtools._result import Finding, Result, escape, rank_findings
from diagtools.errors import DiagnosticInputError

__all__ = [
    "SECTIONS",
    "DiagnosisReport",
    "ReportIncompleteError",
    "ReportInputs",
    "SectionOutcome",
    "demo_inputs",
    "export_html",
    "load_inputs",
    "render_report",
    "run_diagnostics",
]

#: Report sections in display order, with their titles.
SECTIONS: dict[str, str] = {
    "data_quality": "Data quality and leakage",
    "metrics": "Metrics and baselines",
    "fit": "Fit: over- or underfitting",
    "slices": "Where the model fails: slices",
    "fairness": "Fairness across sensitive groups",
    "drift": "Drift from the reference data",
    "latency": "Latency, throughput and memory",
    "optimisation": "Optimisation: a faster variant with no detectable loss",
    "explanations": "Explanations",
}

#: Sections that run only when asked for, and how to ask (their input is a choice, not a file).
OPT_IN: dict[str, str] = {
    "fairness": "Name the sensitive columns to compare the model across their groups "
    "(CLI: --sensitive COL[,COL]; Python: sensitive_columns=[...]).",
}

#: Row budgets per section: above them a section samples rows (and says so).
DEFAULT_BUDGETS: dict[str, int] = {
    "data_quality": 20_000,
    "fit": 4_000,
    "drift": 10_000,
    "explanations": 1_000,
    "latency": 1_024,
    "optimisation": 2_000,
}

#: Seconds the optimisation section may spend (optimize's budget), and the training rows it refits on.
OPTIMISATION_SECONDS = 30.0
OPTIMISATION_TRAIN_ROWS = 10_000

_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
#: Output-metadata key under which the template's summary cell publishes the section statuses.
_STATUS_KEY = "diagtools/report-status"


class ReportIncompleteError(RuntimeError):
    """A report could not be completed: a requested section failed, or the template stopped.

    Attributes
    ----------
    failed : dict of str to str
        ``{section: error}``; ``{"template": error}`` when the template itself stopped.
    path : pathlib.Path or None
        The HTML report, written (errors at the top) when the sections failed; ``None`` when
        the template stopped before a report existed.
    notebook : pathlib.Path or None
        The executed notebook kept for inspection when the template stopped.
    """

    def __init__(self, message: str, *, failed: dict[str, str], path: Path | None = None, notebook: Path | None = None) -> None:
        super().__init__(message)
        self.failed = failed
        self.path = path
        self.notebook = notebook


@dataclass
class SectionOutcome:
    """What one report section produced.

    Attributes
    ----------
    name, title : str
    status : {"ok", "skipped", "failed"}
    results : dict of str to Result
        The section's results, in display order.
    note : str
        Why it was skipped (and which input would enable it), or a remark on sampling.
    rows_used, rows_total : int or None
        Rows the section computed on, out of the rows available to it.
    seconds : float
        Wall time of the section.
    error : str or None
        The error message when ``status == "failed"``.
    context : dict
        What a section hands to later ones (the slices section's worst slice for the
        explanations), per-result plot choices (``context["plots"][key]``) and results whose
        findings stay in the section and out of the summary (``context["quiet"]``).
    """

    name: str
    title: str
    status: str = "ok"
    results: dict[str, Result] = field(default_factory=dict)
    note: str = ""
    rows_used: int | None = None
    rows_total: int | None = None
    seconds: float = 0.0
    error: str | None = None
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def sampled(self) -> bool:
        """True when the section used a random sample of its rows."""
        return self.rows_used is not None and self.rows_total is not None and self.rows_used < self.rows_total

    def findings(self) -> list[Finding]:
        """Findings of the section's results (except ``context["quiet"]`` ones), ranked.

        A failed section has no findings: its failure is an error, shown above every finding
        (:attr:`DiagnosisReport.failed`), never ranked among them as if it were a minor one.
        """
        found: list[Finding] = []
        quiet = self.context.get("quiet", ())
        for key, result in self.results.items():
            if key not in quiet:
                found.extend(result.findings())
        return rank_findings(found)


@dataclass
class ReportInputs:
    """Everything a report runs on, loaded and validated.

    Attributes
    ----------
    model : object
        The fitted model.
    X, y : DataFrame and Series
        Evaluation data and labels.
    X_train, y_train : DataFrame and Series, optional
        Training data (enables the fit section).
    reference : DataFrame, optional
        Reference data including the target column (enables the drift section).
    target : str
        Name of the label column.
    """

    model: Any
    X: pd.DataFrame
    y: pd.Series
    target: str
    X_train: pd.DataFrame | None = None
    y_train: pd.Series | None = None
    reference: pd.DataFrame | None = None
    model_name: str = "model"
    data_name: str = "data"


class DiagnosisReport:
    """The computed sections of a report and the views the template shows.

    Parameters
    ----------
    sections : dict of str to SectionOutcome
    model_name : str
    data_description : str
    params : dict
    title : str, default="Model diagnosis report"

    See Also
    --------
    run_diagnostics : builds it.
    """

    def __init__(
        self,
        sections: dict[str, SectionOutcome],
        *,
        model_name: str,
        data_description: str,
        params: dict[str, Any],
        title: str = "Model diagnosis report",
    ) -> None:
        self.title = title
        self.sections = sections
        self.model_name = model_name
        self.data_description = data_description
        self.params = params

    def __getitem__(self, name: str) -> SectionOutcome:
        return self.sections[name]

    @property
    def failed(self) -> dict[str, str]:
        """Sections that could not run, as ``{section: error}`` (empty when every section ran or was skipped)."""
        return {name: o.error or "unknown error" for name, o in self.sections.items() if o.status == "failed"}

    @property
    def complete(self) -> bool:
        """True when no section failed (skipped sections, which lacked an optional input, do not count)."""
        return not self.failed

    def findings(self) -> list[tuple[str, Finding]]:
        """All findings as ``(section, finding)`` pairs, most severe first."""
        pairs = [(name, f) for name, outcome in self.sections.items() for f in outcome.findings()]
        return sorted(pairs, key=lambda p: _SEVERITY_ORDER[p[1].severity])

    def findings_frame(self) -> pd.DataFrame:
        """Findings as a table: ``section, severity, title, detail``."""
        rows = [(s, f.severity, f.title, f.detail) for s, f in self.findings()]
        return pd.DataFrame(rows, columns=["section", "severity", "title", "detail"])

    def summary_html(self) -> str:
        """Executive summary: model, data, ranked findings linking to their sections, contents."""
        from diagtools._html import _SEVERITY_COLOURS

        lines = [
            f"<div class='dt-summary'><h1>{escape(self.title)}</h1>",
            f"<p><strong>Model:</strong> {escape(self.model_name)}<br>"
            f"<strong>Data:</strong> {escape(self.data_description)}</p>",
        ]
        failed = self.failed
        if failed:
            # Errors come first: a report with a section that could not run is incomplete, and its
            # findings say nothing about what that section would have found.
            count = f"{len(failed)} section{'s' if len(failed) > 1 else ''}"
            lines.append(
                f"<div class='dt-note dt-failed dt-errors'><h3>Incomplete report: {count} could not run</h3><ul>"
            )
            lines.extend(
                f"<li><strong>error</strong> <a href='#section-{escape(name)}'>{escape(self.sections[name].title)}</a>: "
                f"{escape(error)}</li>"
                for name, error in failed.items()
            )
            lines.append(
                "</ul><p>The findings below come only from the sections that ran; these sections' questions are "
                "unanswered. Fix the cause and render again.</p></div>"
            )
        ranked = [(s, f) for s, f in self.findings() if f.severity != "info"]
        infos = [(s, f) for s, f in self.findings() if f.severity == "info"]
        lines.append(f"<h3>Findings ({len(ranked)} to act on)</h3>")
        if ranked:
            lines.append("<ol class='dt-findings'>")
            for section, f in ranked:
                colour = _SEVERITY_COLOURS[f.severity]
                lines.append(
                    f"<li><span style='color:#fff;background:{colour};padding:0 .4em;border-radius:3px'>"
                    f"{escape(f.severity)}</span> <a href='#section-{escape(section)}'>{escape(f.title)}</a>"
                    + (f"<br><small>{escape(f.detail)}</small>" if f.detail else "")
                    + "</li>"
                )
            lines.append("</ol>")
        else:
            lines.append("<p>No problems found by the sections that ran.</p>")
        if infos:
            lines.append("<details><summary>Key figures</summary><ul>")
            lines.extend(
                f"<li><a href='#section-{escape(s)}'>{escape(f.title)}</a></li>" for s, f in infos
            )
            lines.append("</ul></details>")
        lines.append("<h3>Contents</h3><table class='dt-table'><tr><th>section</th><th>status</th><th>rows used</th><th>time</th></tr>")
        for name, o in self.sections.items():
            rows = "" if o.rows_used is None else f"{o.rows_used:,}" + (f" of {o.rows_total:,} (sample)" if o.sampled else "")
            lines.append(
                f"<tr><td><a href='#section-{escape(name)}'>{escape(o.title)}</a></td><td>{escape(o.status)}</td>"
                f"<td>{escape(rows)}</td><td>{o.seconds:.1f} s</td></tr>"
            )
        lines.append("</table></div>")
        return "".join(lines)

    def section_html(self, name: str) -> str:
        """HTML of one section: its anchor, status note, row count, results and findings."""
        if name not in SECTIONS:
            raise DiagnosticInputError(f"section must be one of {tuple(SECTIONS)}, got {name!r}.")
        if name not in self.sections and name in OPT_IN:
            return f"<div id='section-{escape(name)}'></div><div class='dt-note'>Not run. {escape(OPT_IN[name])}</div>"
        if name not in self.sections:
            return (
                f"<div id='section-{escape(name)}'></div><div class='dt-note'>Not run: this section was not "
                "requested (see the <code>sections</code> parameter / <code>--sections</code>).</div>"
            )
        o = self.sections[name]
        parts = [f"<div id='section-{escape(name)}'></div>"]
        if o.status == "skipped":
            parts.append(f"<div class='dt-note'><strong>Skipped.</strong> {escape(o.note)}</div>")
            return "".join(parts)
        if o.status == "failed":
            parts.append(
                f"<div class='dt-note dt-failed'><strong>This section failed:</strong> {escape(o.error or '')}</div>"
            )
        if o.rows_used is not None:
            used = f"Computed on {o.rows_used:,} rows"
            if o.sampled:
                used += (
                    f", a random sample (seed {self.params.get('random_state', 0)}) of {o.rows_total:,}, "
                    "to stay within this section's budget; its intervals are computed on the sample, so they are "
                    "wider than on all rows"
                )
            parts.append(f"<p><small>{escape(used)}. {escape(o.note)}</small></p>")
        elif o.note:
            parts.append(f"<p><small>{escape(o.note)}</small></p>")
        for result in o.results.values():
            parts.append(result._repr_html_())
        return "".join(parts)

    def show(self, name: str) -> None:
        """Display one section in a notebook, with its main plots."""
        from IPython.display import HTML, display

        display(HTML(self.section_html(name)))
        outcome = self.sections.get(name)
        if outcome is None or outcome.status == "skipped":
            return
        chosen = outcome.context.get("plots", {})
        for key, result in outcome.results.items():
            for method in chosen.get(key) or _PLOTS.get((name, key), ("plot",)):
                _show_plot(result, method)

    def summary(self) -> None:
        """Display the executive summary in a notebook.

        The output also carries the section statuses in its (invisible) metadata, which is how
        :func:`render_report` learns, from the executed notebook, which sections failed.
        """
        from IPython.display import HTML, display

        display(HTML(self.summary_html()), metadata={_STATUS_KEY: self.status()})

    def status(self) -> dict[str, Any]:
        """Section statuses and errors: ``{"sections": {name: status}, "failed": {name: error}}``."""
        return {"sections": {name: o.status for name, o in self.sections.items()}, "failed": self.failed}

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: every section's results and the ranked findings."""
        return {
            "kind": "DiagnosisReport",
            "title": self.title,
            "model": self.model_name,
            "data": self.data_description,
            "params": self.params,
            "sections": {
                name: {
                    "status": o.status,
                    "note": o.note,
                    "rows_used": o.rows_used,
                    "rows_total": o.rows_total,
                    "seconds": round(o.seconds, 3),
                    "error": o.error,
                    "results": {k: r.to_dict() for k, r in o.results.items()},
                }
                for name, o in self.sections.items()
            },
            "failed": self.failed,
            "findings": [dict(section=s, **f.to_dict()) for s, f in self.findings()],
        }


# Which plot methods ``show`` draws for each (section, result key); missing methods are skipped.
_PLOTS: dict[tuple[str, str], tuple[str, ...]] = {}


def _show_plot(result: Result, method: str) -> None:
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    draw = getattr(result, method, None)
    if draw is None:
        return
    try:
        out = draw()
    except NotImplementedError:
        return
    figure = getattr(out, "figure", out)
    if _placeholder(figure):  # a full-size panel that only says "nothing to show" is noise in a report
        plt.close(figure)
        return
    # Embed a PNG explicitly: a figure displayed as-is renders only under the inline backend,
    # and a kernel that inherits MPLBACKEND=Agg (as under pytest or cron) would show none.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(figure)
    display(Image(data=buffer.getvalue(), format="png"))


def _placeholder(figure: Any) -> bool:
    """True when no axes of the figure holds data (only a note like "no curve for this task")."""
    for ax in figure.axes:
        if not ax.axison and not ax.get_images():
            continue  # a switched-off panel
        if ax.lines or ax.patches or ax.collections or ax.images or ax.containers:
            return False
    return True


#: From this many classes the slice table leaves out the class columns (see ``_slices``).
MANY_CLASSES = 15


def _is_regression(y: pd.Series) -> bool:
    from diagtools._validation import infer_task

    return bool(infer_task(np.asarray(y)) == "regression")


# --------------------------------------------------------------------------------------
# Sections. Each takes the context and returns an outcome; run_diagnostics isolates errors.
# --------------------------------------------------------------------------------------
@dataclass
class _Context:
    inputs: ReportInputs
    slice_columns: list[str] | None
    n_boot: int
    random_state: int
    budgets: dict[str, int]
    outcomes: dict[str, SectionOutcome]
    sensitive_columns: list[str] | None = None


def _sample(X: pd.DataFrame, y: pd.Series | None, budget: int | None, random_state: int) -> tuple[pd.DataFrame, pd.Series | None]:
    if budget is None or len(X) <= budget:
        return X, y
    rng = np.random.default_rng(random_state)
    idx = np.sort(rng.choice(len(X), size=budget, replace=False))
    return X.iloc[idx], (y.iloc[idx] if y is not None else None)


# Sections that need an optional input, and the sentence that says how to enable them.
_REQUIRES: dict[str, tuple[str, str]] = {
    "fit": ("X_train", "Pass training data (CLI: --train TRAIN; Python: X_train=, y_train=) to diagnose over- and underfitting."),
    "drift": ("reference", "Pass reference data (CLI: --reference R; Python: reference=) to check for drift."),
    "optimisation": ("X_train", "Pass training data (CLI: --train TRAIN; Python: X_train=, y_train=) to search for a "
                     "faster variant: variants are refitted on it."),
}

SectionFn = Callable[[_Context, SectionOutcome], None]
_SECTION_FNS: dict[str, SectionFn] = {}


def _section(name: str, *plots: tuple[str, tuple[str, ...]]) -> Callable[[SectionFn], SectionFn]:
    def register(fn: SectionFn) -> SectionFn:
        _SECTION_FNS[name] = fn
        for key, methods in plots:
            _PLOTS[(name, key)] = methods
        return fn

    return register


@_section("metrics", ("evaluation", ("plot_summary", "plot_confusion")))
def _metrics(ctx: _Context, out: SectionOutcome) -> None:
    from diagtools.metrics import evaluate

    inp = ctx.inputs
    out.results["evaluation"] = evaluate(
        inp.model, inp.X, inp.y, X_train=inp.X_train, y_train=inp.y_train,
        n_boot=ctx.n_boot, random_state=ctx.random_state, name=inp.model_name,
    )
    out.rows_used = out.rows_total = len(inp.X)
    if out.results["evaluation"].task == "regression":
        out.context["plots"] = {"evaluation": ("plot_summary", "plot_residuals")}


@_section(
    "data_quality",
    ("quality", ("plot", "plot_leakage", "plot_missing", "plot_label_noise")),
)
def _data_quality(ctx: _Context, out: SectionOutcome) -> None:
    from diagtools.quality import check_data

    inp = ctx.inputs
    budget = ctx.budgets["data_quality"]
    X, y = _sample(inp.X, inp.y, budget, ctx.random_state)
    test = X.assign(**{inp.target: y.to_numpy()})
    rows_total, rows_used = len(inp.X), len(X)
    if inp.X_train is not None and inp.y_train is not None:
        X_train, y_train = _sample(inp.X_train, inp.y_train, budget, ctx.random_state)
        train = X_train.assign(**{inp.target: y_train.to_numpy()})
        rows_total, rows_used = rows_total + len(inp.X_train), rows_used + len(X_train)
        out.note = "Training and evaluation data compared for leakage; label noise searched in the training data."
        result = check_data(train, test, target=inp.target, cv=3, n_boot=min(ctx.n_boot, 200), random_state=ctx.random_state)
    else:
        out.note = "Without training data, only the evaluation data's integrity and label noise are checked."
        result = check_data(test, target=inp.target, cv=3, n_boot=min(ctx.n_boot, 200), random_state=ctx.random_state)
    out.results["quality"] = result
    out.rows_used, out.rows_total = rows_used, rows_total
    text = result.params.get("text_columns") or []
    if text:
        out.note += (f" Free-text column(s) {', '.join(map(str, text))}: checked as text (no row-ID, category or "
                     "one-column leakage checks); label noise read from a TF-IDF + logistic regression model and claimed "
                     "only where it exceeds what that model's calibrated probabilities predict.")


@_section("fit", ("fit", ("plot", "plot_evidence")))
def _fit(ctx: _Context, out: SectionOutcome) -> None:
    from diagtools._text import text_columns
    from diagtools.fit import diagnose_fit, diagnose_fitted

    inp = ctx.inputs
    assert inp.X_train is not None and inp.y_train is not None  # guaranteed by _REQUIRES
    X_train, y_train = _sample(inp.X_train, inp.y_train, ctx.budgets["fit"], ctx.random_state)
    # A gradient-boosting reference sees free text as one arbitrary code per message: it would
    # score near chance and say nothing about capacity, so text models go without it.
    text = text_columns(inp.X_train)
    # Learning curves refit copies of the model: a model scikit-learn cannot clone or refit (an
    # onnxruntime wrapper, a remote model) still gets the verdict on the model as trained, without
    # the "more data" slope.
    refittable = hasattr(inp.model, "get_params") and hasattr(inp.model, "fit")
    curve, no_curve = None, ""
    if not refittable:
        no_curve = (f" No learning curves: {type(inp.model).__name__} cannot be refitted by scikit-learn (no "
                    "get_params/fit), so 'would more data help' is not answered.")
    else:
        try:
            curve = diagnose_fit(
                _refit_copy(inp.model), X_train, y_train, cv=3, train_sizes=(0.25, 0.5, 1.0), n_jobs=2,
                reference=None if text else "auto", random_state=ctx.random_state, progress=False,
            )
        except (TypeError, DiagnosticInputError) as exc:
            no_curve = f" No learning curves: the model could not be refitted ({type(exc).__name__}: {exc})"
    # The verdict is about the model as trained: its gap on all of its training rows vs the
    # held-out evaluation rows. The sampled curves only say whether more data would help.
    out.results["fit"] = diagnose_fitted(
        inp.model, inp.X_train, inp.y_train, inp.X, inp.y, curve=curve, n_boot=min(ctx.n_boot, 200),
        random_state=ctx.random_state,
    )
    out.rows_used = out.rows_total = len(inp.X_train)
    sampled = len(X_train) < len(inp.X_train)
    if curve is None:
        out.note = (f"The verdict reads the fitted model itself: its score on all {len(inp.X_train):,} training rows "
                    f"against its score on the {len(inp.X):,} evaluation rows (bootstrap intervals over rows), and a "
                    f"trivial baseline.{no_curve}")
        return
    out.note = (
        f"The verdict reads the fitted model itself: its score on all {len(inp.X_train):,} training rows against its "
        f"score on the {len(inp.X):,} evaluation rows (bootstrap intervals over rows), and a trivial baseline. "
        f"Learning curves (a copy of the model refitted on 3 folds at 3 sizes of "
        + (f"a {len(X_train):,}-row sample" if sampled else "the training data")
        + ") only answer 'would more data help' and supply "
        + ("no reference model (free text)." if text else "a gradient-boosting reference model.")
        + " Rules in diagtools.fit.diagnose_fitted."
    )


@_section("slices", ("metrics", ("plot", "plot_heatmap")), ("search", ("plot", "plot_cohorts")))
def _slices(ctx: _Context, out: SectionOutcome) -> None:
    from diagtools._text import expand_text, text_columns
    from diagtools.slices import find_slices, slice_metrics

    inp = ctx.inputs
    X, y = inp.X, inp.y
    y_pred = np.asarray(inp.model.predict(X))  # predict once; both diagnostics reuse it
    text = [c for c in text_columns(X) if not ctx.slice_columns or c in ctx.slice_columns]
    if text:
        # Free text is sliced by readable properties of each message (out-of-vocabulary share
        # against the training data) and by the predicted and true class, never message by message.
        X = expand_text(X, text, reference=inp.X_train)
        if not _is_regression(y):
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
    if columns or not text:
        out.results["metrics"] = slice_metrics(
            None, X, y, y_pred=y_pred, by=columns or None, n_boot=min(ctx.n_boot, 200), random_state=ctx.random_state,
        )
    # The search looks at every column (numeric ones in quantile bins) unless told otherwise.
    search = find_slices(None, X, y, y_pred=y_pred, by=search_columns, k=10, random_state=ctx.random_state)
    out.results["search"] = search
    # The summary takes its slice findings from the search alone: it tests every slice it
    # reports against the rows of those already reported (nested, containing or overlapping),
    # which the per-column table cannot do for crosses of different columns.
    out.context["quiet"] = ("metrics",)
    out.rows_used = out.rows_total = len(X)
    worst = search.worst()
    if worst is not None and bool(worst["reported"]):
        out.context["worst_slice"] = (str(worst["slice"]), search.mask(X, int(worst["rank"])))
        out.note += f"Worst slice found: {worst['slice']} (explained in the explanations section)."


@_section("fairness", ("fairness", ("plot", "plot_disparities")))
def _fairness(ctx: _Context, out: SectionOutcome) -> None:
    from diagtools._validation import infer_task
    from diagtools.fairness import assess_fairness

    inp = ctx.inputs
    if not ctx.sensitive_columns:
        out.status, out.note = "skipped", OPT_IN["fairness"]
        return
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


@_section("drift", ("drift", ("plot",)))
def _drift(ctx: _Context, out: SectionOutcome) -> None:
    from diagtools.drift import detect_drift

    inp = ctx.inputs
    assert inp.reference is not None  # guaranteed by _REQUIRES
    budget = ctx.budgets["drift"]
    reference = inp.reference
    current = inp.X.assign(**{inp.target: inp.y.to_numpy()})
    # The model was trained on the reference when the two are the same table: then metric
    # drops against it are partly optimism of in-sample scores, and detect_drift says so.
    in_sample = inp.X_train is not None and _same_rows(inp.X_train, reference.drop(columns=[inp.target], errors="ignore"))
    reference_s, _ = _sample(reference, None, budget, ctx.random_state)
    current_s, _ = _sample(current, None, budget, ctx.random_state + 1)
    has_target = inp.target in reference.columns
    out.results["drift"] = detect_drift(
        reference_s, current_s if has_target else current_s.drop(columns=[inp.target]), model=inp.model,
        target=inp.target if has_target else None, reference_in_sample=in_sample,
        n_boot=min(ctx.n_boot, 200), random_state=ctx.random_state,
    )
    out.rows_used, out.rows_total = len(reference_s) + len(current_s), len(reference) + len(current)
    if in_sample:
        out.note = "The reference data is the model's training data: its scores there are in-sample and optimistic."


def _refit_copy(model: Any) -> Any:
    """An unfitted copy of ``model`` to refit, with pipeline caching switched off.

    A pipeline's ``memory`` makes every refit read and write pickled step outputs in that
    directory; from a model file someone else wrote, that is a directory someone else chose,
    and reading a pickle placed there runs its code. Caching only saves time, so the copies
    the report refits never use it.
    """
    from sklearn.base import clone

    copy = clone(model)
    if hasattr(copy, "get_params"):
        caches = {k: None for k, v in copy.get_params(deep=True).items() if k.rsplit("__", 1)[-1] == "memory" and v is not None}
        if caches:
            copy.set_params(**caches)
    return copy


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if a.shape != b.shape or list(a.columns) != list(b.columns):
        return False
    return bool(pd.util.hash_pandas_object(a, index=False).equals(pd.util.hash_pandas_object(b, index=False)))


@_section(
    "latency",
    ("latency", ("plot", "plot_batch", "plot_throughput")),
    ("steps", ("plot",)),
    ("memory", ("plot",)),
)
def _latency(ctx: _Context, out: SectionOutcome) -> None:
    from diagtools.latency import profile_latency, profile_memory, profile_steps

    inp = ctx.inputs
    X, _ = _sample(inp.X, None, ctx.budgets["latency"], ctx.random_state)
    sizes = tuple(b for b in (1, 64, 1024) if b <= len(X))
    if len(X) < 1024 and len(X) not in sizes:
        sizes += (len(X),)  # the largest batch the budget allows
    out.results["latency"] = profile_latency(
        inp.model, X, batch_sizes=sizes, min_runs=20, min_time=0.1, max_time=1.0,
        n_boot=min(ctx.n_boot, 200), random_state=ctx.random_state,
    )
    if hasattr(inp.model, "steps"):  # one thread: OpenMP thrash on a busy box can mis-name the step
        out.results["steps"] = profile_steps(
            inp.model, X, batch_sizes=sizes[-2:], min_runs=3, min_time=0.02, max_time=0.5, threads=1,
        )
    out.results["memory"] = profile_memory(inp.model, X, batch_sizes=sizes, repeats=1)
    out.rows_used, out.rows_total = len(X), len(inp.X)
    out.note = (
        "Timed on this machine, in this process, with the model's own thread settings (the per-step split on one "
        "thread); the environment in the result says what that means. Load tests: latency_profiling.ipynb."
    )


@_section("optimisation", ("optimisation", ("plot",)))
def _optimisation(ctx: _Context, out: SectionOutcome) -> None:
    from diagtools.optimize import optimize

    inp = ctx.inputs
    assert inp.X_train is not None and inp.y_train is not None  # guaranteed by _REQUIRES
    X, y = _sample(inp.X, inp.y, ctx.budgets["optimisation"], ctx.random_state)
    X_train, y_train = _sample(inp.X_train, inp.y_train, OPTIMISATION_TRAIN_ROWS, ctx.random_state)
    out.results["optimisation"] = optimize(
        inp.model, X, y, X_train=X_train, y_train=y_train, margin=0.005, budget=OPTIMISATION_SECONDS,
        n_boot=min(ctx.n_boot, 200), progress=False, random_state=ctx.random_state,
    )
    out.rows_used, out.rows_total = len(X) + len(X_train), len(inp.X) + len(inp.X_train)
    out.note = (
        f"Variants refitted on {len(X_train):,} training rows and compared on {len(X):,} evaluation rows within "
        f"{OPTIMISATION_SECONDS:g} s; recommended only when non-inferior at a 0.5-point margin and significantly "
        "faster. For a longer search, a margin of your own and a deployment sweep, call diagtools.optimize."
    )


@_section(
    "explanations",
    ("tokens", ("plot",)),
    ("explanation", ("plot", "plot_beeswarm")),
    ("cross_check", ("plot",)),
    ("slice", ("plot",)),
)
def _explanations(ctx: _Context, out: SectionOutcome) -> None:
    from diagtools.explanations import cross_check, explain, explain_slice, explain_text, is_linear_text_model

    inp = ctx.inputs
    budget = ctx.budgets["explanations"]
    if is_linear_text_model(inp.model):
        # A linear model on TF-IDF is explained exactly, token by token and per class; SHAP over
        # one text column would give a single "feature" and nothing to read.
        X, y = _sample(inp.X, inp.y, max(budget, 5_000), ctx.random_state)
        out.results["tokens"] = explain_text(inp.model, X, y, n_boot=min(ctx.n_boot, 200), random_state=ctx.random_state)
        out.rows_used, out.rows_total = len(X), len(inp.X)
        out.note = ("Linear text model: each token's exact contribution (coefficient x TF-IDF) to the score of the class "
                    "each row is predicted as, averaged per class; the contributions add up to the model's score.")
        return
    X, y = _sample(inp.X, inp.y, budget, ctx.random_state)
    explanation = explain(inp.model, X, max_rows=min(200, budget), n_boot=min(ctx.n_boot, 200), random_state=ctx.random_state)
    out.results["explanation"] = explanation
    if X.shape[1] >= 3:  # a rank correlation over one or two columns says nothing
        out.results["cross_check"] = cross_check(
            inp.model, X, y, explanation=explanation, n_repeats=2, max_rows=min(500, budget), random_state=ctx.random_state
        )
    # rows used = rows SHAP actually explained (not the sample they were drawn from)
    out.rows_used, out.rows_total = explanation.n_samples, len(inp.X)
    cc = out.results.get("cross_check")
    out.note = (f"SHAP values for {explanation.n_samples:,} rows ({explanation.params['class_explained']}, "
                f"{explanation.params['output']})"
                + (f"; permutation importance cross-check on {cc.n_samples:,} rows." if cc is not None else "."))
    slices = ctx.outcomes.get("slices")
    worst = slices.context.get("worst_slice") if slices is not None else None
    if worst is not None:
        description, mask = worst
        out.results["slice"] = explain_slice(
            inp.model, inp.X, np.asarray(mask), name=description, max_rows=min(400, budget),
            n_boot=min(ctx.n_boot, 200), random_state=ctx.random_state,
        )
        out.note += f" The slice explained is the worst slice found: {description}."


def _check_numbers(n_boot: Any, random_state: Any, budgets: Any) -> None:
    """Range checks of run_diagnostics' numeric options (before any section runs)."""
    from diagtools._validation import check_int, check_random_state

    check_int(n_boot, "n_boot", low=1, hint="Pass e.g. n_boot=500.")
    check_random_state(random_state, allow_none=False)
    if budgets is None:
        return
    if not isinstance(budgets, Mapping):
        raise DiagnosticInputError(f"budgets must be a dict of section -> rows, got {type(budgets).__name__}.")
    for key, rows in budgets.items():
        if key not in DEFAULT_BUDGETS:
            raise DiagnosticInputError(
                f"budgets: unknown section {key!r}. Choose from {', '.join(DEFAULT_BUDGETS)}."
            )
        check_int(rows, f"budgets[{key!r}]", low=1, hint="Pass a number of rows, e.g. 5000.")


def run_diagnostics(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    X_train: pd.DataFrame | None = None,
    y_train: Any = None,
    reference: pd.DataFrame | None = None,
    target: str | None = None,
    slice_columns: Sequence[str] | None = None,
    sections: Sequence[str] | None = None,
    sensitive_columns: Sequence[str] | None = None,
    n_boot: int = 500,
    random_state: int = 0,
    budgets: Mapping[str, int] | None = None,
    model_name: str | None = None,
    data_name: str = "evaluation data",
    title: str = "Model diagnosis report",
    progress: bool = False,
) -> DiagnosisReport:
    """Run every diagnostic the inputs allow and collect the outcomes.

    Parameters
    ----------
    model : object
        A fitted model with ``predict`` (and ``predict_proba`` for scores).
    X : DataFrame of shape (n_samples, n_features)
        Evaluation data.
    y : array-like of shape (n_samples,)
        Evaluation labels.
    X_train, y_train : optional
        Training data; enables the fit section and fits the reference baselines.
    reference : DataFrame, optional
        Reference data (the benchmark the model was validated on), with the target column
        when ``target`` is given; enables the drift section.
    target : str, optional
        Name of the label column in ``reference``.
    slice_columns : sequence of str, optional
        Columns to slice by. Without them, slices are searched over every column.
    sections : sequence of str, optional
        Subset of :data:`SECTIONS` to run (default: all, the :data:`OPT_IN` ones when asked for).
    sensitive_columns : sequence of str, optional
        Columns of ``X`` whose groups the fairness section compares (it runs only with them).
    n_boot : int, default=500
        Bootstrap resamples for intervals.
    random_state : int, default=0
    budgets : mapping of str to int, optional
        Maximum rows per section (defaults in ``DEFAULT_BUDGETS``); above it a section
        samples rows and says so.
    model_name, data_name : str, optional
        Names shown in the summary.
    title : str, default="Model diagnosis report"
        Heading of the summary.
    progress : bool, default=False
        Show a progress bar over sections.

    Returns
    -------
    DiagnosisReport

    Raises
    ------
    DiagnosticInputError
        For an unknown section or inconsistent inputs (checked before any work).
    """
    from diagtools._validation import check_columns, check_same_length

    chosen = [s for s in SECTIONS if s not in OPT_IN or (s == "fairness" and sensitive_columns)] \
        if sections is None else list(sections)
    for name in chosen:
        if name not in SECTIONS:
            from diagtools._validation import closest_hint

            raise DiagnosticInputError(
                f"sections: unknown section {name!r}{closest_hint(name, SECTIONS)} Choose from {', '.join(SECTIONS)}."
            )
    check_same_length(y, X, name="y", ref_name="X")
    _check_numbers(n_boot, random_state, budgets)
    if slice_columns:
        check_columns(X, slice_columns, name="slice_columns")
    if sensitive_columns:
        check_columns(X, list(sensitive_columns), name="sensitive_columns")
    y = pd.Series(np.asarray(y), index=X.index, name=target or "target")
    if y_train is not None and X_train is not None:
        check_same_length(y_train, X_train, name="y_train", ref_name="X_train")
        y_train = pd.Series(np.asarray(y_train), index=X_train.index, name=y.name)
    inputs = ReportInputs(
        model=model, X=X, y=y, target=str(y.name), X_train=X_train, y_train=y_train, reference=reference,
        model_name=model_name or "model", data_name=data_name,
    )
    ctx = _Context(
        inputs=inputs, slice_columns=list(slice_columns) if slice_columns else None, n_boot=n_boot,
        random_state=random_state, budgets={**DEFAULT_BUDGETS, **(budgets or {})}, outcomes={},
        sensitive_columns=list(sensitive_columns) if sensitive_columns else None,
    )
    names = [n for n in SECTIONS if n in chosen]
    iterator: Any = names
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(names, desc="diagnostics", unit="section")
    for name in iterator:
        outcome = SectionOutcome(name=name, title=SECTIONS[name])
        ctx.outcomes[name] = outcome
        start = time.perf_counter()
        fn = _SECTION_FNS.get(name)
        required = _REQUIRES.get(name)
        try:
            if required is not None and getattr(inputs, required[0]) is None:
                outcome.status, outcome.note = "skipped", required[1]
            elif fn is None:
                outcome.status, outcome.note = "skipped", "This diagnostic is not available in this version."
            else:
                with _threads_for(name):
                    fn(ctx, outcome)
        except Exception as exc:  # a failing diagnostic becomes an entry, never aborts the report
            outcome.status = "failed"
            outcome.error = f"{type(exc).__name__}: {exc}"
            outcome.context["traceback"] = traceback.format_exc(limit=5)
        outcome.seconds = time.perf_counter() - start
    description = f"{data_name}: {len(X):,} rows x {X.shape[1]} columns, target {inputs.target!r}"
    if X_train is not None:
        description += f"; training data: {len(X_train):,} rows"
    if reference is not None:
        description += f"; reference data: {len(reference):,} rows"
    params = {"n_boot": n_boot, "random_state": random_state, "sections": names, "budgets": ctx.budgets}
    return DiagnosisReport(
        ctx.outcomes, model_name=f"{inputs.model_name} ({_describe_model(model)})", data_description=description, params=params, title=title
    )


def _threads_for(section: str) -> Any:
    """One BLAS/OpenMP thread per process for every section but latency.

    The sections fit and score many models; on a busy machine OpenMP threads that outnumber
    free cores spin against each other (one HistGradientBoosting fit of the demo model took
    70 s with 2 threads on a loaded 2-core box, 4 s with 1), so one thread keeps the report's
    cost predictable. Latency is measured with the thread settings the model will run with.
    """
    if section == "latency":
        return contextlib.nullcontext()
    import sklearn.ensemble  # noqa: F401  loads the OpenMP runtime: the limit acts on loaded libraries only
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _describe_model(model: Any) -> str:
    steps = getattr(model, "steps", None)
    if steps:
        return " → ".join(type(step).__name__ for _, step in steps)
    return type(model).__name__


# --------------------------------------------------------------------------------------
# Loading inputs from files and rendering the template.
# --------------------------------------------------------------------------------------
def demo_inputs(*, train_rows: int = 3_000, sample_rows: int | None = 3_000, random_state: int = 0) -> ReportInputs:
    """The demo inputs: the loans demo model trained on the reference window, evaluated on the current one.

    What ``diagtools demo`` renders, without files: the model overfits on purpose and has a slow
    pipeline step, the current window has drifted columns and a noisy slice (see
    :data:`diagtools.datasets.LOANS_TRUTH`). The reference window is also the training data
    (fit section) and the drift reference.

    The defaults keep the whole report near a minute on a busy 2-core machine; ``diagtools
    demo`` renders the full-size version.

    Parameters
    ----------
    train_rows : int, default=3_000
        Reference rows the model is trained on (also the fit section's data and the drift
        reference).
    sample_rows : int or None, default=3_000
        Evaluate on a random sample of this many current rows (None: all 10,000).
    random_state : int, default=0
        Seeds the model and the sample.

    Returns
    -------
    ReportInputs
    """
    from threadpoolctl import threadpool_limits

    from diagtools.datasets import LOANS_TRUTH, load_loans
    from diagtools.demo_models import make_loan_model

    target = LOANS_TRUTH.target
    reference, current = load_loans("reference").iloc[:train_rows], load_loans("current")
    model = make_loan_model(random_state=random_state)  # loads the OpenMP runtime, so the limit reaches it
    with threadpool_limits(limits=1):  # predictable on a busy machine (see _threads_for)
        model.fit(reference.drop(columns=[target]), reference[target])
    if sample_rows is not None and len(current) > sample_rows:
        current = current.sample(n=sample_rows, random_state=random_state).sort_index()
    return ReportInputs(
        model=model, X=current.drop(columns=[target]), y=current[target], target=target,
        X_train=reference.drop(columns=[target]), y_train=reference[target], reference=reference,
        model_name="demo loan model", data_name="loans demo data (current window)",
    )


def load_inputs(
    *,
    model_path: str | os.PathLike[str] | None,
    data_path: str | os.PathLike[str] | None,
    target: str,
    train_path: str | os.PathLike[str] | None = None,
    reference_path: str | os.PathLike[str] | None = None,
    trust_pickle: bool = False,
    trusted: Sequence[str] | None = None,
    sample_rows: int | None = None,
    random_state: int = 0,
) -> ReportInputs:
    """Load a model and its data files for a report, checking them before any work.

    Parameters
    ----------
    model_path : path or None
        ``.skops`` file (or pickle/joblib with ``trust_pickle=True``). With ``data_path``
        also None: the demo inputs (:func:`demo_inputs`), so the template runs as it is.
    data_path : path or None
        Evaluation data (``.csv`` or ``.parquet``) including the ``target`` column.
    target : str
        Label column.
    train_path, reference_path : path, optional
        Training data (enables the fit section) and reference data (enables drift).
    trust_pickle : bool, default=False
        Allow pickle/joblib model files.
    trusted : sequence of str, optional
        Extra exact type names to accept in a ``.skops`` model file (see
        :func:`diagtools.io.load_model`).
    sample_rows : int, optional
        Use a random sample of this many evaluation rows.
    random_state : int, default=0

    Returns
    -------
    ReportInputs
    """
    from diagtools._validation import check_columns, check_fitted
    from diagtools.io import load_data, load_model

    if model_path is None and data_path is None:
        if sample_rows is None:
            return demo_inputs(random_state=random_state)
        return demo_inputs(sample_rows=sample_rows, random_state=random_state)
    if model_path is None or data_path is None:
        missing = "model_path" if model_path is None else "data_path"
        raise DiagnosticInputError(
            f"{missing} is None but {'data_path' if missing == 'model_path' else 'model_path'} is given. "
            "Pass both files, or neither for the demo model on the demo data."
        )
    data = load_data(data_path, name="data")
    check_columns(data, [target], name="target")
    train = load_data(train_path, name="train") if train_path else None
    reference = load_data(reference_path, name="reference") if reference_path else None
    if train is not None:
        check_columns(train, [target], name="target (in train)")
    model = load_model(model_path, trust=trust_pickle, trusted=trusted)
    check_fitted(model)
    if sample_rows is not None and len(data) > sample_rows:
        data = data.sample(n=sample_rows, random_state=random_state).sort_index()
    X, y = data.drop(columns=[target]), data[target]
    _check_model_columns(model, X, "data")
    _check_labels(y, "data")
    if train is not None:
        _check_labels(train[target], "train")
    X_train = train.drop(columns=[target]) if train is not None else None
    y_train = train[target] if train is not None else None
    return ReportInputs(
        model=model, X=X, y=y, target=target, X_train=X_train, y_train=y_train, reference=reference,
        model_name=Path(model_path).stem, data_name=Path(data_path).name,
    )


def _check_labels(y: pd.Series, name: str) -> None:
    """Every row needs its label: a missing one would fail every section the same way."""
    missing = y.isna().to_numpy()
    if missing.any():
        first = y.index[int(np.argmax(missing))]
        raise DiagnosticInputError(
            f"target: the label column {y.name!r} of {name} has {int(missing.sum())} missing value(s), first at row "
            f"{first}. Drop or fill those rows before diagnosing."
        )


def _check_model_columns(model: Any, X: pd.DataFrame, name: str) -> None:
    """The columns the model was fitted on must all be in the data (names as the model recorded them)."""
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is None:
        return
    present = {str(c) for c in X.columns}
    missing = [str(c) for c in fitted if str(c) not in present]
    if missing:
        import difflib

        hints = [f"{m!r} (did you mean {c[0]!r}?)" if (c := difflib.get_close_matches(m, list(present), n=1)) else repr(m)
                 for m in missing[:10]]
        raise DiagnosticInputError(
            f"{name}: the model was fitted on {len(missing)} column(s) that the data lacks: {', '.join(hints)}"
            f"{' ...' if len(missing) > 10 else ''}. Pass data with every column the model uses."
        )


def templates_dir() -> Path:
    """The directory holding the notebook templates.

    An installed wheel holds them in the package (``diagtools/notebooks``, built from the
    source's ``notebooks/`` directory, see setup.py); a source checkout (editable install) uses
    ``notebooks/`` itself, so the files the team edits are the files that run.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "notebooks", here.parent / "notebooks"):
        if (candidate / "model_report.ipynb").is_file():
            return candidate
    raise DiagnosticInputError(
        "the notebook templates are missing from this installation (neither diagtools/notebooks nor a source "
        "checkout's notebooks/ holds model_report.ipynb). Reinstall diagtools."
    )


def template_path(name: str = "model_report.ipynb") -> Path:
    """Locate one notebook template (see :func:`templates_dir`)."""
    path = templates_dir() / name
    if not path.is_file():
        available = ", ".join(sorted(p.name for p in templates_dir().glob("*.ipynb")))
        raise DiagnosticInputError(f"template {name!r} not found. Available templates: {available}.")
    return path


def render_report(
    *,
    model_path: str | os.PathLike[str],
    data_path: str | os.PathLike[str],
    target: str,
    out: str | os.PathLike[str] = "report.html",
    train_path: str | os.PathLike[str] | None = None,
    reference_path: str | os.PathLike[str] | None = None,
    title: str = "Model diagnosis report",
    slice_columns: Sequence[str] | None = None,
    sections: Sequence[str] | None = None,
    sensitive_columns: Sequence[str] | None = None,
    no_code: bool = False,
    trust_pickle: bool = False,
    trusted: Sequence[str] | None = None,
    n_boot: int = 500,
    random_state: int = 0,
    sample_rows: int | None = None,
    progress: bool = True,
    keep_notebook: str | os.PathLike[str] | None = None,
    timeout: int = 1200,
    allow_partial: bool = False,
) -> Path:
    """Execute the report template headless and write ONE self-contained HTML file.

    Parameters
    ----------
    model_path, data_path : path
        The model file and the evaluation data (with the ``target`` column).
    target : str
        Label column.
    out : path, default="report.html"
        Output HTML file, written atomically.
    train_path, reference_path : path, optional
        Enable the fit and drift sections.
    title : str, default="Model diagnosis report"
    slice_columns : sequence of str, optional
    sections : sequence of str, optional
        Subset of :data:`SECTIONS`. A section named here must have its inputs (``fit`` needs
        ``train_path``, ``drift`` needs ``reference_path``).
    sensitive_columns : sequence of str, optional
        Columns whose groups the fairness section compares; it is off without them.
    no_code : bool, default=False
        Hide code cells (inputs) in the HTML.
    trust_pickle : bool, default=False
        Allow a pickle/joblib model file (loading it runs code stored in it).
    trusted : sequence of str, optional
        Extra exact type names to accept in a ``.skops`` model file, after review.
    n_boot : int, default=500
        Bootstrap resamples, at least 1.
    random_state : int, default=0
        Seed, in ``[0, 2**32 - 1]``.
    sample_rows : int, optional
        Evaluate on a random sample of this many rows (at least 1).
    progress : bool, default=True
        Show papermill's progress bar over cells.
    keep_notebook : path, optional
        Also keep the executed notebook here.
    timeout : int, default=1200
        Seconds allowed per cell.
    allow_partial : bool, default=False
        Return normally when a section failed. By default the report is still written, with
        the errors at the top, and then :class:`ReportIncompleteError` is raised.

    Returns
    -------
    pathlib.Path
        The HTML file.

    Raises
    ------
    DiagnosticInputError
        When an input is missing or malformed: checked before the template runs where
        possible (files, model trust, columns, numbers), otherwise raised by the template
        (taken from papermill's error, ``ename`` / ``evalue``). Nothing is written.
    ReportIncompleteError
        When a requested section failed (the report is written first; not raised with
        ``allow_partial=True``), or the template stopped (its executed notebook is kept next
        to ``out`` as ``<out>.failed.ipynb``).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out_path = Path(out)
    _check_render_inputs(
        model_path=model_path, data_path=data_path, target=target, out=out_path, train_path=train_path,
        reference_path=reference_path, slice_columns=slice_columns, sections=sections, trust_pickle=trust_pickle,
        trusted=trusted, n_boot=n_boot, random_state=random_state, sample_rows=sample_rows,
        keep_notebook=keep_notebook,
    )
    if sections is not None and "fairness" in sections and not sensitive_columns:
        raise DiagnosticInputError(
            "--sections (sections): the fairness section was requested but needs --sensitive COL[,COL] "
            "(sensitive_columns). Name the sensitive columns, or drop fairness from --sections."
        )
    parameters = {
        "model_path": str(model_path),
        "data_path": str(data_path),
        "target": target,
        "train_path": None if train_path is None else str(train_path),
        "reference_path": None if reference_path is None else str(reference_path),
        "title": title,
        "slice_columns": None if not slice_columns else list(slice_columns),
        "sensitive_columns": None if not sensitive_columns else list(sensitive_columns),
        "sections": None if sections is None else list(sections),
        "n_boot": int(n_boot),
        "random_state": int(random_state),
        "trust_pickle": bool(trust_pickle),
        "trusted_types": None if not trusted else list(trusted),
        "sample_rows": sample_rows,
    }
    with tempfile.TemporaryDirectory() as tmp, _kernel_path():
        executed = Path(tmp) / "report.ipynb"
        try:
            pm.execute_notebook(
                str(template_path()), str(executed), parameters=parameters, kernel_name="python3",
                progress_bar=progress, cwd=os.getcwd(), execution_timeout=timeout,
                # The kernel talks to us over loopback only; its warning about unencrypted TCP is noise
                # in a command's output, errors still show.
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        except PapermillExecutionError as exc:
            # papermill hands over the kernel's exception by name and message: an input error
            # found by the template is an input error here too, and nothing is written.
            if exc.ename == DiagnosticInputError.__name__:
                raise DiagnosticInputError(exc.evalue) from None
            kept = _keep_failed_notebook(executed, out_path)
            raise ReportIncompleteError(
                f"the report template stopped at cell {exc.exec_count} ({exc.ename}: {exc.evalue}); no report was "
                f"written" + (f"; the executed notebook is kept at {kept}" if kept else ""),
                failed={"template": f"{exc.ename}: {exc.evalue}"}, notebook=kept,
            ) from None
        except Exception as exc:  # the kernel died or a cell timed out
            kept = _keep_failed_notebook(executed, out_path)
            raise ReportIncompleteError(
                f"the report template could not finish ({type(exc).__name__}: {exc}); no report was written"
                + (f"; the executed notebook is kept at {kept}" if kept else ""),
                failed={"template": f"{type(exc).__name__}: {exc}"}, notebook=kept,
            ) from None
        out_path.parent.mkdir(parents=True, exist_ok=True)
        if keep_notebook is not None:
            Path(keep_notebook).write_bytes(executed.read_bytes())
        export_html(executed, out_path, no_code=no_code, title=title)
        failed = executed_status(executed).get("failed", {})
    if failed and not allow_partial:
        reasons = "; ".join(f"{name}: {error}" for name, error in failed.items())
        raise ReportIncompleteError(
            f"{len(failed)} requested section(s) failed ({reasons}). The report was written to {out_path} with "
            "the errors at the top; pass --allow-partial (allow_partial=True) to accept an incomplete report.",
            failed=dict(failed), path=out_path,
        )
    return out_path


def executed_status(notebook: str | os.PathLike[str]) -> dict[str, Any]:
    """Section statuses published by an executed report notebook (empty when none was published)."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            status = output.get("metadata", {}).get(_STATUS_KEY)
            if status is not None:
                return dict(status)
    return {}


def _keep_failed_notebook(executed: Path, out: Path) -> Path | None:
    """Keep a template's executed notebook next to ``out`` for inspection; ``None`` if there is none."""
    if not executed.exists():
        return None
    kept = out.with_name(out.stem + ".failed.ipynb")
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(executed.read_bytes())
    except OSError:
        return None
    return kept


def _check_render_inputs(
    *,
    model_path: Any,
    data_path: Any,
    target: str,
    out: Path,
    train_path: Any,
    reference_path: Any,
    slice_columns: Sequence[str] | None,
    sections: Sequence[str] | None,
    trust_pickle: bool,
    trusted: Sequence[str] | None,
    n_boot: int,
    random_state: int,
    sample_rows: int | None,
    keep_notebook: Any,
) -> None:
    """Every check that needs no kernel, so a typo fails in a second with one clear line and writes nothing."""
    from diagtools._validation import check_columns, closest_hint
    from diagtools.io import check_model_file

    for arg, flag, path in (("model_path", "--model", model_path), ("data_path", "--data", data_path),
                            ("train_path", "--train", train_path), ("reference_path", "--reference", reference_path)):
        if path is not None and not Path(path).is_file():
            what = "a directory, not a file" if Path(path).is_dir() else "file not found"
            raise DiagnosticInputError(f"{flag} ({arg}): {what}: {path}. Check the path.")
    for arg, flag, value, low in (("n_boot", "--n-boot", n_boot, 1), ("sample_rows", "--sample-rows", sample_rows, 1)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low):
            raise DiagnosticInputError(f"{flag} ({arg}) must be a whole number >= {low}, got {value!r}. Pass e.g. 500.")
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer) or not 0 <= random_state < 2**32:
        raise DiagnosticInputError(
            f"--random-state (random_state) must be a whole number in [0, 4294967295], got {random_state!r}. Pass e.g. 0."
        )
    if not isinstance(target, str) or not target:
        raise DiagnosticInputError(f"--target (target) must be a column name, got {target!r}. Pass e.g. --target label.")
    if sections is not None:
        chosen = list(sections)
        if not chosen:
            raise DiagnosticInputError(f"--sections (sections) is empty. Choose from {', '.join(SECTIONS)}, or omit it for all.")
        for name in chosen:
            if name not in SECTIONS:
                raise DiagnosticInputError(
                    f"--sections (sections): unknown section {name!r}{closest_hint(name, SECTIONS)} "
                    f"Choose from {', '.join(SECTIONS)}."
                )
        for name, (arg, flag) in (("fit", ("train_path", "--train")), ("drift", ("reference_path", "--reference"))):
            needed = train_path if name == "fit" else reference_path
            if name in chosen and needed is None:
                raise DiagnosticInputError(
                    f"--sections (sections): the {name} section was requested but needs {flag} ({arg}). "
                    f"Pass {flag} FILE, or drop {name} from --sections."
                )
    if out.is_dir():
        raise DiagnosticInputError(f"--out (out): {out} is a directory. Pass a file name, e.g. {out / 'report.html'}.")
    _check_writable_parent(out, "--out (out)")
    if keep_notebook is not None:
        _check_writable_parent(Path(keep_notebook), "--keep-notebook (keep_notebook)")
    try:
        check_model_file(model_path, trust=trust_pickle, trusted=trusted)
    except DiagnosticInputError as exc:
        message = str(exc)
        raise DiagnosticInputError(
            "--model (model_path): " + message.removeprefix("model: ") if message.startswith("model: ") else message
        ) from None
    data = _peek(data_path, "--data (data_path)")
    check_columns(data, [target], name="--target (target)")
    if slice_columns:
        check_columns(data, list(slice_columns), name="--slices (slice_columns)")
    if train_path is not None:
        check_columns(_peek(train_path, "--train (train_path)"), [target], name="--target (target, in --train)")
    if reference_path is not None:
        _peek(reference_path, "--reference (reference_path)")


def _check_writable_parent(path: Path, name: str) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    existing = parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise DiagnosticInputError(f"{name}: {existing} is a file, so {path} cannot be created. Choose another path.")
    if not os.access(existing, os.W_OK):
        raise DiagnosticInputError(f"{name}: cannot write in {existing} (permission denied). Choose another path.")


def _peek(path: Any, name: str) -> pd.DataFrame:
    """The first rows of a data file (its columns, and whether it parses), read cheaply."""
    from diagtools.io import load_data

    file = Path(path)
    suffix = file.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            head = pd.read_csv(file, sep="\t" if suffix == ".tsv" else ",", nrows=100)
        elif suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(file)
            head = parquet.schema_arrow.empty_table().to_pandas()
            if parquet.metadata.num_rows == 0:
                raise DiagnosticInputError(f"{name}: {file.name} has no rows. Pass a file with data.")
            return head.reindex(range(1))
        else:
            return load_data(file, name=name)  # raises the unsupported-type message
    except DiagnosticInputError:
        raise
    except ImportError:
        return load_data(file, name=name)
    except Exception as exc:
        raise DiagnosticInputError(
            f"{name}: could not read {file.name} ({type(exc).__name__}: {exc}). Pass a valid .csv, .tsv or .parquet file."
        ) from exc
    if head.empty:
        raise DiagnosticInputError(f"{name}: {file.name} has no rows. Pass a file with data.")
    return head


@contextlib.contextmanager
def _kernel_path() -> Any:
    """Set up the kernel's environment for the duration of a render.

    This interpreter goes first on PATH so the ``python3`` kernel runs in this environment,
    and matplotlib uses the inline backend there even when the caller's environment sets
    ``MPLBACKEND`` to a non-interactive one (which would silently drop every plot).
    """
    saved = {key: os.environ.get(key) for key in ("PATH", "MPLBACKEND")}
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + (saved["PATH"] or "")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def export_html(
    notebook: str | os.PathLike[str], out: str | os.PathLike[str], *, no_code: bool = False, title: str | None = None
) -> Path:
    """Export an executed notebook to one self-contained HTML file, atomically.

    Drops the widget state and live-widget outputs (they need a widget manager from a CDN;
    the templates also show static plots and tables), drops the template's default
    ``parameters`` cell when papermill injected the actual ones, uses a template without
    require.js, MathJax or Mermaid, and embeds images as data URIs.

    Parameters
    ----------
    notebook : path
        An executed ``.ipynb``.
    out : path
        Destination HTML.
    no_code : bool, default=False
        Hide code cells (inputs) and prompts.
    title : str, optional
        HTML ``<title>``.

    Returns
    -------
    pathlib.Path
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata.pop("widgets", None)
    if title:
        nb.metadata["title"] = title
    tags = [set(cell.get("metadata", {}).get("tags", [])) for cell in nb.cells]
    if any("injected-parameters" in t for t in tags):
        # The template's default parameters are overridden by the injected cell below them:
        # showing both would tell the reader two different stories about the inputs.
        nb.cells = [cell for cell, t in zip(nb.cells, tags, strict=True) if "parameters" not in t]
        # Exercises teach in a live notebook; a rendered report about the user's model drops them.
        nb.cells = [cell for cell in nb.cells if not {"exercise", "answer"} & set(cell.get("metadata", {}).get("tags", []))]
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                continue  # a live control: nothing to show without a kernel
            if "text/plain" in data and "sk-top-container" in "".join(data.get("text/html", "")):
                # scikit-learn's estimator diagram links every step to its online docs: keep the
                # plain repr, which needs nothing from the network.
                data.pop("text/html")
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue  # progress bars and warnings from the run are not part of the report
            kept.append(output)
        cell["outputs"] = kept
    exporter = HTMLExporter(
        template_name="diagtools_report",
        extra_template_basedirs=[str(Path(__file__).resolve().parent / "templates")],
        exclude_input=no_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    dest = Path(out)
    fd, tmp = tempfile.mkstemp(dir=dest.parent if str(dest.parent) else ".", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest
