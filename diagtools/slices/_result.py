"""``SliceResult`` and ``SliceSearchResult``: tables, findings, plots and row masks of slices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import interval, metric_value, percent, q_value, short_number, signed
from diagtools._metric_registry import metric_info
from diagtools._plotting import empty_panel, get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools.errors import DiagnosticInputError
from diagtools.slices._encode import predicate_mask
from diagtools.slices._metrics import worse_sign

FRAME_COLUMNS = [
    "slice", "feature", "order", "metric", "n", "estimate", "ci_low", "ci_high", "reference_estimate",
    "difference", "difference_ci_low", "difference_ci_high", "p_value", "q_value", "worse", "reported", "note",
]
OVERALL_COLUMNS = ["metric", "estimate", "ci_low", "ci_high", "n"]
SEARCH_COLUMNS = [
    "rank", "slice", "n_predicates", "n", "score", "estimate", "ci_low", "ci_high", "reference_estimate",
    "difference", "difference_ci_low", "difference_ci_high", "p_value", "q_value", "worse", "reported",
]
COHORT_COLUMNS = ["cohort", "n", "estimate", "ci_low", "ci_high"]
# A slice is "high" severity when its error is at least this many times the rest's (or 10 points worse).
HIGH_RATIO, HIGH_POINTS = 1.5, 0.10
# Reported slices beyond this many are summed up in one finding.
MAX_FINDINGS = 10



def _words(metric: str) -> str:
    """A metric's name for a reader, from the metric registry ("fnr" -> "false negative rate")."""
    return metric_info(metric).display


def _upper_first(text: str) -> str:
    """Capitalise the first letter only: "MAE" stays "MAE" (str.capitalize would give "Mae")."""
    return text[:1].upper() + text[1:]


def _is_rate(metric: str) -> bool:
    return metric_info(metric).percent


def _mask(data: Any, definitions: dict[str, list[list[Any]]], label: str) -> np.ndarray:
    if not isinstance(data, pd.DataFrame):
        raise DiagnosticInputError(
            f"data must be a pandas DataFrame with the slice's columns, got {type(data).__name__}."
        )
    if label not in definitions:
        raise DiagnosticInputError(f"slice {label!r} is not in this result. Pass a label from .frame['slice'].")
    return predicate_mask(data, definitions[label])


@dataclass(frozen=True)
class SliceResult(Result):
    """Metrics of every slice (each column and crosses), with intervals, tests and q-values.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per slice x metric: ``slice`` (readable rule, ``"region=north & channel=phone"``),
        ``feature`` (the columns, ``"region & channel"``), ``order`` (1 or 2 columns), ``metric``,
        ``n`` (rows in the slice), ``estimate, ci_low, ci_high`` (the metric in the slice and its
        interval), ``reference_estimate`` (the metric on every other row), ``difference`` (slice minus
        rest) with ``difference_ci_low, difference_ci_high``, ``p_value`` (two-sided test of the
        difference), ``q_value`` (Benjamini-Hochberg over all rows), ``worse`` (significantly
        worse at FDR ``alpha``), ``reported`` (a finding: worse on the primary metric and not a
        near-duplicate of a more significant slice) and ``note`` (why a metric is undefined).
    overall : pandas.DataFrame
        ``metric, estimate, ci_low, ci_high, n`` on all rows.
    definitions : dict
        Slice label to its predicates (used by :meth:`mask`).

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.slices import slice_metrics
    >>> df = load_loans("current")
    >>> res = slice_metrics(None, df, df["defaulted"], y_pred=1 - df["defaulted"], by="region", metrics="accuracy")
    >>> float(res.frame["estimate"].max())
    0.0
    """

    overall: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OVERALL_COLUMNS))
    definitions: dict[str, Any] = field(default_factory=dict)

    area: ClassVar[str] = "slices"
    title: ClassVar[str] = "Metrics by slice"

    @property
    def by_slice(self) -> pd.DataFrame:
        """Wide view: one row per slice, one column per metric (point estimates)."""
        wide = self.frame.pivot(index="slice", columns="metric", values="estimate")
        order = list(dict.fromkeys(self.frame["slice"]))
        return wide.loc[order, list(dict.fromkeys(self.frame["metric"]))]

    @property
    def primary_metric(self) -> str:
        """The metric findings are based on (the first one with a direction)."""
        return str(self.params.get("primary_metric", self.frame["metric"].iloc[0] if len(self.frame) else ""))

    def mask(self, data: pd.DataFrame, slice: str | int = 1) -> np.ndarray:
        """Boolean mask of the rows of ``data`` in a slice.

        Parameters
        ----------
        data : DataFrame
            Rows with the slice's columns (the data the result was computed on, or new data).
        slice : str or int, default=1
            A label from ``.frame["slice"]``, or the rank of a reported slice (1 = the first finding).

        Returns
        -------
        ndarray of bool of shape (len(data),)
        """
        if isinstance(slice, (int, np.integer)):
            reported = self.reported()
            if not 1 <= slice <= len(reported):
                raise DiagnosticInputError(
                    f"slice rank {slice} is out of range: {len(reported)} slice(s) reported. Pass a rank from 1 to "
                    f"{len(reported)}, or a label from .frame['slice']."
                )
            slice = str(reported["slice"].iloc[slice - 1])
        return _mask(data, self.definitions, slice)

    def reported(self) -> pd.DataFrame:
        """Rows of the reported slices on the primary metric, most significant first."""
        f = self.frame[self.frame["reported"].astype(bool) & (self.frame["metric"] == self.primary_metric)]
        return f.assign(_e=-(f["difference"].abs() * f["n"])).sort_values(["p_value", "_e"], kind="stable") \
            .drop(columns="_e").reset_index(drop=True)

    def headline(self) -> list[tuple[str, str]]:
        """Rows, slices tested, slices flagged and the overall primary metric."""
        m = self.primary_metric
        o = self.overall[self.overall["metric"] == m]
        out = [("rows", f"{self.n_samples:,}"), ("slices", f"{self.frame['slice'].nunique():,}"),
               ("reported", str(int(self.frame["reported"].sum())))]
        if len(o):
            r = o.iloc[0]
            out.append((f"overall {_words(m)}", metric_value(m, r["estimate"], low=r["ci_low"], high=r["ci_high"])))
        return out

    def findings(self) -> list[Finding]:
        """One finding per reported slice (worse on the primary metric after FDR), most severe first."""
        out = []
        m = self.primary_metric
        alpha = self.params.get("alpha", 0.05)
        reported = self.reported()
        for _, r in reported.head(MAX_FINDINGS).iterrows():
            out.append(_slice_finding(r, m, alpha, self.frame))
        if len(reported) > MAX_FINDINGS:
            rest = reported.iloc[MAX_FINDINGS:]
            out.append(Finding(
                self.area, "low", f"{len(rest)} more slice(s) significantly worse on {_words(m)}",
                "Less significant than the ones above: " + "; ".join(rest["slice"].head(5)) + ". See .reported().",
                {"slices": list(rest["slice"])[:50]},
            ))
        others = self.frame[self.frame["worse"].astype(bool) & (self.frame["metric"] != m)]
        others = others[~others["slice"].isin(self.reported()["slice"])]
        if len(others):
            names = sorted({_words(x) for x in others["metric"]})
            top = others.sort_values("p_value").drop_duplicates("slice").head(3)
            out.append(Finding(
                self.area, "low",
                f"{others['slice'].nunique()} more slice(s) significantly worse on {', '.join(names)} only",
                "For example " + "; ".join(f"{s} ({_words(x)} {metric_value(x, e)} vs {metric_value(x, re)})"
                                           for s, x, e, re in zip(top["slice"], top["metric"], top["estimate"],
                                                                  top["reference_estimate"], strict=True)) + ".",
                {"slices": sorted(set(others["slice"]))[:20]},
            ))
        if not out:
            out.append(Finding(self.area, "info",
                               f"No slice is significantly worse than the rest at FDR {alpha:.0%} "
                               f"({self.frame['slice'].nunique():,} slices tested)",
                               "Differences between slices are within what chance explains.", {}))
        return rank_findings(out)

    def plot(self, *, ax: Any = None, metric: str | None = None, feature: str | None = None, top: int = 15,
             **kwargs: Any) -> Any:
        """Horizontal bars of a metric per slice with intervals, against the overall value.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        metric : str, optional
            Default: the primary metric.
        feature : str, optional
            Only the slices of one feature (e.g. ``"region"`` or ``"region & channel"``);
            default: the ``top`` slices on the bad side of the rest with the smallest p-values.
        top : int, default=15
        **kwargs
            Style of the bars, one per slice (``ax.barh``); ``color`` replaces the red (reported) /
            orange (worse) / grey colours.

        Returns
        -------
        matplotlib.axes.Axes
        """
        metric = metric or self.primary_metric
        f = self.frame[self.frame["metric"] == metric]
        if feature is not None:
            f = f[f["feature"] == feature]
        else:
            # the worst slices: those on the bad side of the rest, most significant first
            sign = worse_sign(metric)
            bad = f[f["difference"] * sign > 0] if sign else f
            f = bad.sort_values(["p_value", "n"], ascending=[True, False], kind="stable").head(top)
        colours = np.where(f["reported"].astype(bool), "#b42318", np.where(f["worse"].astype(bool), "#f79009", "#98a2b3"))
        o = self.overall[self.overall["metric"] == metric]
        return _ranked_bars(
            ax, f, "slice", list(colours), float(o["estimate"].iloc[0]) if len(o) else None, kwargs,
            xlabel=f"{_words(metric)} (95% interval)", empty="no slices to show", fontsize="small", height=0.32,
            title=f"{_upper_first(_words(metric))} by slice (red: reported, orange: worse at FDR)")

    def plot_heatmap(self, *, ax: Any = None, columns: tuple[str, str] | None = None, metric: str | None = None,
                     cmap: str | None = None, **kwargs: Any) -> Any:
        """Heat map of a metric over the levels of two columns (default: the pair of the most significant worse cross).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        columns : (str, str), optional
        metric : str, optional
            Default: the primary metric.
        cmap : str, optional
            Colour map; default dark red where the metric is bad.
        **kwargs
            Style of the image (``ax.imshow``), e.g. ``alpha``, ``norm``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        metric = metric or self.primary_metric
        dark_high = worse_sign(metric) > 0  # "Reds": dark where the metric is high
        style = validate_style_kwargs({"cmap": cmap or ("Reds" if dark_high else "Reds_r")}, kwargs, artist="collection")
        f = self.frame[(self.frame["metric"] == metric) & (self.frame["order"] == 2)]
        ax = get_ax(ax, figsize=(6.4, 4.8))
        if columns is not None:
            feature = f"{columns[0]} & {columns[1]}"
        elif len(f):
            # the pair holding the most significant cross on the bad side of the rest
            sign = worse_sign(metric)
            bad = f[f["difference"] * sign > 0] if sign and (f["difference"] * sign > 0).any() else f
            feature = str(bad.sort_values("p_value", kind="stable")["feature"].iloc[0])
        else:
            feature = ""
        f = f[f["feature"] == feature]
        if f.empty:
            return empty_panel(ax, "no two-column slices to show")
        a, b = feature.split(" & ")
        parts = f["slice"].str.split(" & ", n=1, expand=True)
        grid = pd.DataFrame({"a": parts[0].to_numpy(), "b": parts[1].to_numpy(), "v": f["estimate"].to_numpy(),
                             "n": f["n"].to_numpy(), "r": f["reported"].to_numpy()})
        mat = grid.pivot(index="a", columns="b", values="v")
        rows, cols = list(dict.fromkeys(grid["a"])), list(dict.fromkeys(grid["b"]))
        mat = mat.loc[rows, cols]
        im = ax.imshow(mat.to_numpy(dtype=float), aspect="auto", **style)
        dark_high = not str(style["cmap"]).endswith("_r")
        for (i, j), v in np.ndenumerate(mat.to_numpy(dtype=float)):
            if np.isfinite(v):
                hit = grid[(grid["a"] == rows[i]) & (grid["b"] == cols[j])]["r"].any()
                level = float(im.norm(v))
                dark = level > 0.6 if dark_high else level < 0.4
                ax.text(j, i, metric_value(metric, v) + (" *" if hit else ""), ha="center", va="center", fontsize="small",
                        color="white" if dark else "black")
        ax.set_xticks(range(len(cols)), [c.replace(f"{b}=", "") for c in cols], rotation=30, ha="right")
        ax.set_yticks(range(len(rows)), [r.replace(f"{a}=", "") for r in rows])
        ax.set(xlabel=b, ylabel=a, title=f"{_upper_first(_words(metric))} by {a} and {b} (* reported)")
        ax.figure.colorbar(im, ax=ax, fraction=0.046)
        return ax

    def _repr_html_(self) -> str:
        from diagtools._html import findings_html, frame_html
        from diagtools._result import escape

        headline = " · ".join(f"<strong>{escape(k)}</strong> {escape(v)}" for k, v in self.headline())
        m = self.primary_metric
        rows = self.frame[self.frame["metric"] == m]
        # A table about failures lists the significantly worse slices; better ones stay in .frame.
        worse = rows["worse"].astype(bool)
        shown = rows[worse].sort_values("p_value", kind="stable")
        n_better = int(((rows["q_value"] < float(self.params.get("alpha", 0.05))) & ~worse).sum())
        cols = ["slice", "n", "estimate", "ci_low", "ci_high", "reference_estimate", "q_value", "reported"]
        caption = (f"{escape(m)} of the {len(shown):,} significantly worse slices, most significant first "
                   f"(reported: the findings above, without near-duplicates); {n_better:,} significantly "
                   "better slices and all metrics are in <code>.frame</code>")
        return "".join([
            f"<div class='dt-result'><h4>{escape(self.title)}</h4><p>{headline}</p>",
            findings_html(self.findings()),
            f"<p><small>{caption}</small></p>",
            frame_html(shown[cols], max_rows=10), "</div>",
        ])


def _slice_finding(r: pd.Series, m: str, alpha: float, frame: pd.DataFrame) -> Finding:
    """Plain words: "Slice region=north & channel=phone: error rate 38% vs 11% elsewhere, q<0.001"."""
    if m == "accuracy":  # readers think in errors
        words, shown, est, rest = "error rate", "error_rate", 1 - r["estimate"], 1 - r["reference_estimate"]
        lo, hi = -r["difference_ci_high"], -r["difference_ci_low"]
    else:
        words, shown, est, rest = _words(m), m, r["estimate"], r["reference_estimate"]
        lo, hi = r["difference_ci_low"], r["difference_ci_high"]
    rate = _is_rate(m)
    diff = est - rest
    if metric_info(shown).higher_is_better is False and rest > 0:
        ratio = est / rest  # an error or loss: how many times the rest's
    else:
        ratio = (1 - est) / max(1 - rest, 1e-12)
    severity = "high" if (ratio >= HIGH_RATIO or (rate and abs(diff) >= HIGH_POINTS)) else "medium"
    other = frame[(frame["slice"] == r["slice"]) & frame["worse"].astype(bool) & (frame["metric"] != m)]
    also = "" if other.empty else " Also worse on " + ", ".join(_words(x) for x in other["metric"]) + "."
    span = interval(lo, hi, lambda v: signed(v, as_percent=rate))
    return Finding(
        "slices", severity,
        f"Slice {r['slice']}: {words} {metric_value(shown, est)} vs {metric_value(shown, rest)} elsewhere "
        f"(n={int(r['n']):,}), {q_value(r['q_value'])}",
        f"Difference {signed(diff, as_percent=rate)} (95% CI {span or 'n/a'}); significantly worse "
        f"than the rest after Benjamini-Hochberg at FDR {percent(alpha, 0)}.{also} Look at this slice's data and labels.",
        {"slice": r["slice"], "metric": m, "n": int(r["n"]), "estimate": float(r["estimate"]),
         "reference_estimate": float(r["reference_estimate"]), "q_value": float(r["q_value"])},
    )


@dataclass(frozen=True)
class SliceSearchResult(Result):
    """The worst slices found by a SliceLine search, with tests, and the error-tree cohorts.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per found slice, best score first: ``rank``, ``slice`` (conjunction of
        predicates), ``n_predicates``, ``n`` (rows), ``score`` (SliceLine's score), ``estimate,
        ci_low, ci_high`` (mean error in the slice), ``reference_estimate`` (mean error elsewhere),
        ``difference`` with ``difference_ci_low, difference_ci_high``, ``p_value`` (two-sided test slice vs rest), ``q_value`` (Benjamini-Hochberg
        over every slice the search evaluated, so the search itself is accounted for), ``worse``
        (significantly worse at FDR ``alpha``) and ``reported`` (a finding, near-duplicates removed).
    cohorts : pandas.DataFrame
        Leaves of a shallow decision tree fit on the error indicator: ``cohort`` (the path as a
        rule), ``n``, ``estimate, ci_low, ci_high`` (error in the leaf), worst first.
    definitions : dict
        Slice label to its predicates (used by :meth:`mask`).
    overall_error : float
        Mean error on all rows.

    Examples
    --------
    >>> import numpy as np
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.slices import find_slices
    >>> df = load_loans("current")
    >>> bad = ((df["region"] == "north") & (df["channel"] == "phone")).to_numpy()
    >>> res = find_slices(None, df[["region", "channel"]], df["defaulted"], errors=bad.astype(float))
    >>> res.frame["slice"].iloc[0]
    'region=north & channel=phone'
    """

    cohorts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COHORT_COLUMNS))
    definitions: dict[str, Any] = field(default_factory=dict)
    overall_error: float = float("nan")

    area: ClassVar[str] = "slices"
    title: ClassVar[str] = "Worst slices found"

    def mask(self, data: pd.DataFrame, rank: int | str = 1) -> np.ndarray:
        """Boolean mask of the rows of ``data`` in the found slice of a given rank (1 = best score).

        Parameters
        ----------
        data : DataFrame
            Rows with the slice's columns.
        rank : int or str, default=1
            Rank in ``.frame`` or a slice label.

        Returns
        -------
        ndarray of bool of shape (len(data),)
        """
        if isinstance(rank, (int, np.integer)):
            if not 1 <= rank <= len(self.frame):
                raise DiagnosticInputError(
                    f"rank {rank} is out of range: {len(self.frame)} slice(s) found. Pass a rank from 1 to {len(self.frame)}."
                )
            rank = str(self.frame["slice"].iloc[rank - 1])
        return _mask(data, self.definitions, rank)

    def worst(self) -> pd.Series | None:
        """The first reported slice (or the best-scored one when none is significant), or ``None``."""
        if self.frame.empty:
            return None
        rep = self.frame[self.frame["reported"].astype(bool)]
        return (rep if len(rep) else self.frame).iloc[0]

    def headline(self) -> list[tuple[str, str]]:
        """Rows, overall error, slices found and reported."""
        return [("rows", f"{self.n_samples:,}"), ("overall error", self._error_text(self.overall_error)),
                ("found", str(len(self.frame))), ("reported", str(int(self.frame["reported"].sum())))]

    def findings(self) -> list[Finding]:
        """One finding per reported slice (significant after FDR, no near-duplicates)."""
        alpha = self.params.get("alpha", 0.05)
        binary = bool(self.params.get("binary_errors", True))
        fmt = self._error_text
        out = []
        for _, r in self.frame[self.frame["reported"].astype(bool)].iterrows():
            ratio = r["estimate"] / r["reference_estimate"] if r["reference_estimate"] > 0 else np.inf
            severity = "high" if ratio >= HIGH_RATIO or (binary and r["difference"] >= HIGH_POINTS) else "medium"
            out.append(Finding(
                self.area, severity,
                f"Slice {r['slice']}: error {fmt(r['estimate'])} vs {fmt(r['reference_estimate'])} elsewhere "
                f"(n={int(r['n']):,}), {q_value(r['q_value'])}",
                f"Found by searching conjunctions of up to {self.params.get('max_predicates')} predicates; 95% CI of "
                f"its error {interval(r['ci_low'], r['ci_high'], fmt) or 'n/a'}. Significant after Benjamini-Hochberg "
                f"at FDR {percent(alpha, 0)} over all {self.params.get('n_tested', 0):,} slices evaluated.",
                {"slice": r["slice"], "n": int(r["n"]), "estimate": float(r["estimate"]),
                 "reference_estimate": float(r["reference_estimate"]), "q_value": float(r["q_value"]),
                 "score": float(r["score"])},
            ))
        if not out:
            out.append(Finding(self.area, "info",
                               f"The slice search found no slice significantly worse than the rest at FDR "
                               f"{percent(alpha, 0)}",
                               f"{self.params.get('n_tested', 0):,} slices of at least {self.params.get('min_size')} "
                               "rows evaluated.", {}))
        return rank_findings(out)

    def _error_text(self, value: float) -> str:
        """An error as a share (0/1 errors) or a number (e.g. absolute errors)."""
        return percent(value) if self.params.get("binary_errors", True) else short_number(value)

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Error of each found slice with its interval, against the overall error.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the bars, one per found slice (``ax.barh``); ``color`` replaces red (reported) / grey.

        Returns
        -------
        matplotlib.axes.Axes
        """
        colours = list(np.where(self.frame["reported"].astype(bool), "#b42318", "#98a2b3"))
        return _ranked_bars(ax, self.frame, "slice", colours, self.overall_error, kwargs, xlabel="mean error (95% interval)",
                            title="Worst slices found (red: reported after FDR)", empty="no slices found",
                            fontsize="small")

    def plot_cohorts(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Error of each leaf of the shallow error tree, with intervals.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the bars, one per leaf (``ax.barh``); blue unless ``color`` is given.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return _ranked_bars(ax, self.cohorts, "cohort", "#175cd3", self.overall_error, kwargs,
                            xlabel="mean error (95% interval)", empty="no error tree", fontsize="x-small",
                            title="Error cohorts: leaves of a shallow tree on the errors")


def _ranked_bars(ax: Any, rows: pd.DataFrame, label: str, colours: Any, reference: float | None,
                 kwargs: dict[str, Any], *, xlabel: str, title: str, empty: str, fontsize: str,
                 height: float = 0.4) -> Any:
    """Horizontal bars with intervals, first row on top, labelled ``"<label> (n=...)"``, against all rows."""
    rows = rows.iloc[::-1]
    style = validate_style_kwargs({"color": colours[::-1] if isinstance(colours, list) else colours}, kwargs,
                                  artist="patch")
    ax = get_ax(ax, figsize=(7.5, max(2.5, height * len(rows) + 1.2)))
    if rows.empty:
        return empty_panel(ax, empty, title=title)
    pos = np.arange(len(rows))
    interval_bars(ax, pos, rows["estimate"], rows["ci_low"], rows["ci_high"], horizontal=True, kind="bar", **style)
    ax.set_yticks(pos, [f"{s} (n={n:,})" for s, n in zip(rows[label], rows["n"], strict=True)], fontsize=fontsize)
    if reference is not None and np.isfinite(reference):
        ax.axvline(reference, color="black", ls="--", lw=1, label="all rows")
        ax.legend(loc="lower right", fontsize="small")
    ax.set(xlabel=xlabel, title=title)
    return ax
