"""``DriftResult``: per-column drift statistics, findings and plots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools._format import interval, metric_value, number, percent, q_value, short_number, signed
from diagtools._metric_registry import metric_info
from diagtools._plotting import empty_panel, get_ax, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools.drift._model import METRICS_COLUMNS
from diagtools.errors import DiagnosticInputError

#: Columns of :attr:`DriftResult.frame`, in order.
FRAME_COLUMNS = [
    "column", "kind", "statistic", "estimate", "ci_low", "ci_high", "n", "p_value", "q_value",
    "threshold", "exceeds", "drifted", "n_reference", "n_current", "note",
]
#: Columns of the other parts of a :class:`DriftResult` (empty frames when a part was skipped).
PART_COLUMNS = {
    "column_stats": ["column", "window", "mean", "std", "median", "missing_rate", "n"],
    "distributions": ["column", "kind", "bin", "left", "right", "reference_share", "current_share"],
    "categories": ["column", "category", "reference_count", "current_count", "reference_share", "current_share",
                   "status"],
    "domain_importance": ["column", "importance", "rank"],
    "metrics": METRICS_COLUMNS,
    "regions": ["column", "region", "metric", "window", "estimate", "ci_low", "ci_high", "n"],
}
#: The effect-size statistic that decides a column's flag, per kind.
EFFECT_STATISTIC = {"numeric": "wasserstein_norm", "categorical": "js_distance", "prediction": "wasserstein_norm",
                    "datetime": "wasserstein_norm"}
#: The test statistic whose q-value decides a column's flag, per kind.
TEST_STATISTIC = {"numeric": "ks_stat", "categorical": "chi2_stat", "prediction": "ks_stat", "datetime": "ks_stat"}
PREDICTION_COLUMN = "model_score"


def empty_part(name: str) -> pd.DataFrame:
    """The empty frame of a skipped part (``"metrics"``, ``"regions"``, ...), with its columns."""
    return pd.DataFrame(columns=PART_COLUMNS[name])


def frame_row(column: str, kind: str, statistic: str, estimate: float, low: float = np.nan, high: float = np.nan, *,
              p_value: float = np.nan, threshold: float = np.nan, n_reference: int, n_current: int,
              note: str = "") -> list[Any]:
    """One row of :attr:`DriftResult.frame` (q-value and ``drifted`` are filled in over all rows).

    ``n`` is every row the statistic compares: both windows.
    """
    exceeds = bool(np.isfinite(threshold) and np.isfinite(estimate) and abs(estimate) >= threshold)
    return [column, kind, statistic, estimate, low, high, n_reference + n_current, p_value, np.nan, threshold,
            exceeds, False, n_reference, n_current, note]


def _span(low: float, high: float, fmt: Any = number) -> str:
    """`` [low, high]`` or nothing when the interval is unknown."""
    text = interval(low, high, fmt)
    return f" {text}" if text else ""


def _auc(d: dict[str, Any]) -> str:
    """A domain classifier's ROC AUC with its interval."""
    return metric_value("roc_auc", d["auc"], low=d["ci_low"], high=d["ci_high"])


def _size_word(effect: float, threshold: float) -> str:
    ratio = effect / threshold if threshold > 0 else np.inf
    return "large" if ratio >= 3 else "moderate" if ratio >= 1.5 else "small"


@dataclass(frozen=True)
class DriftResult(Result):
    """Drift between a reference and a current data window, per column and overall.

    Attributes
    ----------
    frame : DataFrame
        One row per column x statistic, columns ``column, kind, statistic, estimate, ci_low,
        ci_high, n, p_value, q_value, threshold, exceeds, drifted, n_reference, n_current, note``
        (``n``: the rows compared, both windows).
        ``kind`` is ``"numeric"`` (timedeltas in seconds), ``"datetime"``, ``"categorical"``
        (bools too) or ``"prediction"`` (the model's score, column ``"model_score"``).
        Column names are text: ``str(name)``, a tuple of a MultiIndex joined with ``"_"``. Statistics: numeric ``ks_stat`` (Kolmogorov-Smirnov D, with
        p-value), ``wasserstein_norm`` (Wasserstein-1 distance / reference standard deviation:
        the effect size), ``psi``, ``mean_shift_sd`` ((current mean - reference mean) /
        reference SD, with a normal interval); categorical ``chi2_stat`` (with p-value),
        ``js_distance`` (Jensen-Shannon distance, base 2, in [0, 1]: the effect size), ``psi``,
        ``new_category_share`` (share of current rows in categories unseen in the reference);
        both ``missing_rate_change`` (current - reference, interval and z-test p-value).
        Datetime columns have the numeric statistics on seconds since the epoch plus
        ``min_shift_days``, ``max_shift_days``, ``outside_range_share`` (share of current dates
        outside the reference range, Wilson interval), ``start_gap_days`` and
        ``largest_gap_days``. Numeric columns with infinite values add ``nonfinite_count``
        (current count; every test uses the finite values).
        ``q_value``: Benjamini-Hochberg over all tests of the data columns (the prediction row
        is adjusted on its own). ``threshold``/``exceeds``: the effect-size threshold and whether
        the estimate reaches it. ``drifted`` (same on every row of a column): some test has
        ``q_value < alpha`` and its effect reaches the threshold. Intervals are NaN where none
        applies.
    column_stats : DataFrame
        ``column, window, mean, std, median, missing_rate, n`` (numeric columns and the score).
    distributions : DataFrame
        ``column, kind, bin, left, right, reference_share, current_share``: what
        :meth:`plot_column` draws (30 equal-width bins over the central 99% for numeric
        columns, one row per category otherwise).
    categories : DataFrame
        ``column, category, reference_count, current_count, reference_share, current_share,
        status`` (``"new"``, ``"missing"`` or ``"both"``).
    domain : dict
        Domain classifier ``auc, ci_low, ci_high, n, n_splits`` (empty when skipped).
    domain_importance : DataFrame
        ``column, importance, rank``: drop of the classifier's held-out AUC when the column is
        shuffled.
    metrics : DataFrame
        With ``model`` and labels, one row per metric: ``metric, estimate, ci_low, ci_high, n``
        on the current window, ``reference_estimate, reference_ci_low, reference_ci_high,
        reference_n`` on the reference, ``difference, difference_ci_low, difference_ci_high``
        (current - reference) and ``p_value`` (the test of no difference); empty otherwise.
    regions : DataFrame
        Per drifted column, the metrics inside its shifted region: ``column, region, metric,
        window, estimate, ci_low, ci_high, n``.
    target_shift : dict
        The label rate / mean in both windows (the target is excluded from the column tests).

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.drift import detect_drift
    >>> res = detect_drift(load_loans("reference"), load_loans("current"), columns=["income"],
    ...                    domain_classifier=False)
    >>> ax = res.plot_column("income")
    >>> res.metrics.empty
    True
    """

    column_stats: pd.DataFrame = field(default_factory=lambda: empty_part("column_stats"))
    distributions: pd.DataFrame = field(default_factory=lambda: empty_part("distributions"))
    categories: pd.DataFrame = field(default_factory=lambda: empty_part("categories"))
    domain: dict[str, Any] = field(default_factory=dict)
    domain_importance: pd.DataFrame = field(default_factory=lambda: empty_part("domain_importance"))
    metrics: pd.DataFrame = field(default_factory=lambda: empty_part("metrics"))
    regions: pd.DataFrame = field(default_factory=lambda: empty_part("regions"))
    target_shift: dict[str, Any] = field(default_factory=dict)

    area = "drift"
    title = "Data drift"

    # -- views derived from frame ----------------------------------------------------
    @property
    def drifted_columns(self) -> list[str]:
        """Data columns flagged as drifted, largest effect (in threshold units) first."""
        s = self.summary()
        return s.loc[s["drifted"] & (s["kind"] != "prediction"), "column"].tolist()

    @property
    def new_categories(self) -> dict[str, list[str]]:
        """Column -> categories present in the current data and absent from the reference."""
        if self.categories.empty:
            return {}
        new = self.categories[self.categories["status"] == "new"]
        return {str(c): g["category"].astype(str).tolist() for c, g in new.groupby("column", sort=False)}

    def summary(self) -> pd.DataFrame:
        """One row per column: ``column, kind, effect_statistic, effect, threshold, q_value, drifted``.

        Sorted by effect in threshold units, largest first.

        Returns
        -------
        DataFrame
        """
        f = self.frame
        rows = []
        for col, g in f.groupby("column", sort=False):
            kind = str(g["kind"].iloc[0])
            eff = g[g["statistic"] == EFFECT_STATISTIC[kind]]
            test = g[g["statistic"] == TEST_STATISTIC[kind]]
            e = float(eff["estimate"].iloc[0]) if len(eff) else np.nan
            t = float(eff["threshold"].iloc[0]) if len(eff) else np.nan
            q = float(test["q_value"].iloc[0]) if len(test) else np.nan
            rows.append((col, kind, EFFECT_STATISTIC[kind], e, t, q, bool(g["drifted"].iloc[0])))
        out = pd.DataFrame(rows, columns=["column", "kind", "effect_statistic", "effect", "threshold", "q_value", "drifted"])
        ratio = (out["effect"] / out["threshold"]).fillna(0.0)
        return out.iloc[np.argsort(-ratio.to_numpy(), kind="stable")].reset_index(drop=True)

    def _stat(self, column: str, statistic: str) -> pd.Series | None:
        f = self.frame
        row = f[(f["column"] == column) & (f["statistic"] == statistic)]
        return None if row.empty else row.iloc[0]

    def _mean(self, column: str, window: str) -> float:
        cs = self.column_stats
        if cs.empty:
            return np.nan
        row = cs[(cs["column"] == column) & (cs["window"] == window)]
        return float(row["mean"].iloc[0]) if len(row) else np.nan

    # -- conclusions -----------------------------------------------------------------
    def findings(self) -> list[Finding]:
        """Ranked findings: drifted columns, new categories, domain classifier, model impact.

        Returns
        -------
        list of Finding
        """
        alpha = float(self.params.get("alpha", 0.05))
        summary = self.summary()
        out = self._all_missing_findings(summary)
        all_missing = {str(f.evidence["column"]) for f in out}
        out += self._column_findings(summary, all_missing, alpha)
        out += self._domain_findings()
        out += self._model_findings(summary, alpha)
        out += self._sketch_findings()
        if not self.drifted_columns:
            out.append(Finding("drift", "info", f"No column drifted (of {summary['kind'].ne('prediction').sum()} tested)", ""))
        return rank_findings(out)

    def _all_missing_findings(self, summary: pd.DataFrame) -> list[Finding]:
        """Columns with no value in a window: nothing to compare."""
        out: list[Finding] = []
        for r in summary.itertuples(index=False):
            test = self._stat(r.column, TEST_STATISTIC.get(r.kind, "ks_stat"))
            note = "" if test is None else str(test["note"])
            if note.startswith("all values missing"):
                # nothing to compare: say so instead of "drifted: mean nan"
                where = note.removeprefix("all values missing").strip()
                out.append(Finding(
                    "drift", "high" if where != "in reference" else "medium",
                    f"Column {r.column}: all values missing {where}",
                    "No distribution test is possible; check the pipeline that fills this column.",
                    {"column": r.column},
                ))
        return out

    def _column_findings(self, summary: pd.DataFrame, all_missing: set[str], alpha: float) -> list[Finding]:
        """Drifted columns, new and vanished categories, infinite values, missing-rate changes."""
        out: list[Finding] = []
        for r in summary.itertuples(index=False):
            if not r.drifted or r.kind == "prediction" or str(r.column) in all_missing:
                continue
            word = _size_word(r.effect, r.threshold)
            sev = "high" if word == "large" else "medium"
            if r.kind == "datetime":
                ks = self._stat(r.column, "ks_stat")
                out_share = self._stat(r.column, "outside_range_share")
                shift = self._stat(r.column, "max_shift_days")
                # the ranges (the sketch path of large data has no outside share: the ranges alone)
                where = out_share if out_share is not None else self._stat(r.column, "min_shift_days")
                ranges = "" if where is None else str(where["note"])
                outside = ("" if out_share is None else
                           f"; {percent(out_share['estimate'])} of current dates outside the reference range "
                           f"{interval(out_share['ci_low'], out_share['ci_high'], percent)}")
                head = f"{ranges}{outside}; " if ranges or outside else ""
                title = f"Column {r.column} drifted ({word}): {head}KS D={ks['estimate']:.3f}, {q_value(r.q_value)}"
                detail = (f"The last date moved by {signed(shift['estimate'])} days. " if shift is not None else "") + (
                    f"Wasserstein distance {r.effect:.3f} reference SDs (threshold {r.threshold:.3g}); the "
                    "tests compare the dates as numbers (seconds).")
            elif r.kind == "numeric":
                ks = self._stat(r.column, "ks_stat")
                ms = self._stat(r.column, "mean_shift_sd")
                m0, m1 = self._mean(r.column, "reference"), self._mean(r.column, "current")
                title = (f"Column {r.column} drifted ({word}): mean {short_number(m1)} vs {short_number(m0)} in reference, "
                         f"a shift of {ms['estimate']:+.2f} reference SDs "
                         f"[{ms['ci_low']:+.2f}, {ms['ci_high']:+.2f}]; KS D={ks['estimate']:.3f}, {q_value(r.q_value)}")
                detail = (f"Wasserstein distance {r.effect:.3f} reference SDs (threshold {r.threshold:.3g}); "
                          f"PSI {self._stat(r.column, 'psi')['estimate']:.3f}.")
            else:
                chi = self._stat(r.column, "chi2_stat")
                cats = self.categories[self.categories["column"] == r.column]
                biggest = ""
                if len(cats):
                    k = (cats["current_share"] - cats["reference_share"]).abs().to_numpy().argmax()
                    c = cats.iloc[k]
                    biggest = f"; biggest change {c['category']!r}: {percent(c['reference_share'])} -> {percent(c['current_share'])}"
                title = (f"Column {r.column} drifted ({word}): Jensen-Shannon distance {r.effect:.3f}, "
                         f"chi-square {chi['estimate']:.1f}, {q_value(r.q_value)}{biggest}")
                detail = f"PSI {self._stat(r.column, 'psi')['estimate']:.3f} (threshold on JS distance {r.threshold:.3g})."
            out.append(Finding("drift", sev, title, detail, {"column": r.column, "effect": r.effect, "q_value": r.q_value}))
        if len(self.categories):
            for c in self.categories.itertuples(index=False):
                if c.status == "new":
                    sev = "high" if c.current_share >= 0.01 else "medium"
                    out.append(Finding(
                        "drift", sev, f"{c.column}={c.category!r}: {percent(c.current_share)} of current rows, never seen in reference",
                        "The model never saw this category during training/validation: its predictions there are "
                        "extrapolations. Check them on labelled examples.",
                        {"column": c.column, "category": c.category, "current_share": c.current_share},
                    ))
                elif c.status == "missing" and c.reference_share >= 0.01:
                    out.append(Finding(
                        "drift", "low", f"{c.column}={c.category!r}: {percent(c.reference_share)} of reference rows, absent from current",
                        "", {"column": c.column, "category": c.category},
                    ))
        inf = self.frame[self.frame["statistic"] == "nonfinite_count"]
        for r in inf.itertuples(index=False):
            out.append(Finding("drift", "medium" if r.estimate > 0 else "low",
                               f"Column {r.column}: {r.note}", "Infinite values usually come from a division by "
                               "zero or an overflow upstream; clip or drop them.",
                               {"column": r.column, "nonfinite_current": float(r.estimate)}))
        miss = self.frame[(self.frame["statistic"] == "missing_rate_change") & self.frame["drifted"]
                          & (self.frame["q_value"] < alpha) & self.frame["exceeds"].astype(bool)
                          & ~self.frame["column"].astype(str).isin(all_missing)]
        for r in miss.itertuples(index=False):
            out.append(Finding("drift", "medium",
                               f"Column {r.column}: missing-value rate changed by {signed(r.estimate, as_percent=True)}"
                               f"{_span(r.ci_low, r.ci_high, lambda v: signed(v, as_percent=True))}, "
                               f"{q_value(r.q_value)}", "", {"column": r.column}))
        return out

    def _sketch_findings(self) -> list[Finding]:
        """Large data: how the statistics were computed, and any flag that rests inside a bound."""
        sk = self.params.get("sketch")
        if not sk:
            return []
        backends = ", ".join(f"{w}: {b}" for w, b in sk["backend"].items())
        out = [Finding(
            "drift", "info",
            f"Drift statistics from mergeable sketches ({backends}): KS within {number(sk['max_ks_bound'])} and "
            f"normalised Wasserstein within {number(sk['max_wasserstein_bound'])} of the exact values",
            f"Numeric columns on {sk['bins']:,} quantile bins with common edges; counts, means, missing rates, "
            "chi-square and Jensen-Shannon are exact"
            + (f"; columns {', '.join(sk['hashed_columns'])} hashed into buckets" if sk["hashed_columns"] else "")
            + ". Each column's bound is in params['sketch']['bounds'].",
            {"bounds": sk["bounds"]},
        )]
        for col in sk["uncertain_flags"]:
            b = sk["bounds"].get(col, {})
            out.append(Finding(
                "drift", "medium",
                f"Column {col}: its drift flag could change within the sketch's error bounds "
                f"(KS D within {number(b.get('ks_stat', np.nan))}, Wasserstein within "
                f"{number(b.get('wasserstein_norm', np.nan))})",
                "The statistic is close to its threshold: compute this column exactly (load it in memory) "
                "before acting on the flag.", {"column": col},
            ))
        return out

    def _domain_findings(self) -> list[Finding]:
        """Whether a classifier tells the windows apart (tabular and per text column)."""
        out: list[Finding] = []
        if self.domain:
            d = self.domain
            top = []
            if len(self.domain_importance):
                top = self.domain_importance[self.domain_importance["importance"] > 0.005]["column"].head(3).tolist()
            text = f"ROC-AUC {_auc(d)} (0.5 = no detectable drift)"
            notes = ("Note: " + "; ".join(d["notes"]) + ".") if d.get("notes") else ""
            if d["ci_low"] > 0.55:
                sev = "high" if d["auc"] >= 0.75 else "medium"
                cols_text = ("Columns that separate the windows most: " + ", ".join(top) + ".") if top else ""
                out.append(Finding("drift", sev, f"A classifier tells current rows from reference rows: {text}",
                                   " ".join(t for t in (cols_text, notes) if t),
                                   {"auc": d["auc"], "top_columns": top}))
            else:
                out.append(Finding("drift", "info", f"A classifier cannot reliably tell the windows apart: {text}",
                                   notes, {"auc": d["auc"]}))
        for col, t in (self.domain.get("text") or {}).items() if self.domain else ():
            text = f"ROC-AUC {_auc(t)}"
            if t["ci_low"] > 0.55:
                words = ", ".join(repr(w) for w in t.get("current_words", [])[:5])
                out.append(Finding("drift", "high" if t["auc"] >= 0.75 else "medium",
                                   f"Text column {col} drifted: a TF-IDF classifier tells current messages from reference "
                                   f"ones ({text})",
                                   (f"Words typical of the current window: {words}. " if words else "")
                                   + "The derived properties (length, digits, amounts, unseen words) show how.",
                                   {"column": col, "auc": t["auc"], "current_words": t.get("current_words", [])}))
            else:
                out.append(Finding("drift", "info", f"Text column {col}: a TF-IDF classifier cannot reliably tell current "
                                                    f"messages from reference ones ({text})", "", {"column": col, "auc": t["auc"]}))
        return out

    def _model_findings(self, summary: pd.DataFrame, alpha: float) -> list[Finding]:
        """The model's side: score drift, metric change, metrics in shifted regions, target."""
        out: list[Finding] = []
        pred = summary[summary["kind"] == "prediction"]
        if len(pred):
            p = pred.iloc[0]
            m0, m1 = self._mean(PREDICTION_COLUMN, "reference"), self._mean(PREDICTION_COLUMN, "current")
            if p["drifted"] and self.params.get("reference_in_sample"):
                # scores on the rows a model was trained on are more confident than on any new rows:
                # that difference is the model's optimism, not drift
                out.append(Finding("drift", "low",
                                   f"In-sample reference (the model was trained on it): model scores differ "
                                   f"({_size_word(p['effect'], p['threshold'])}): mean score {short_number(m1)} vs {short_number(m0)} on reference, "
                                   f"Wasserstein {p['effect']:.3f} reference SDs, {q_value(p['q_value'])}",
                                   "Scores on training rows are optimistic, so part or all of this is overfitting rather "
                                   "than drift. Compare against held-out reference data to separate the two.",
                                   {"effect": p["effect"]}))
            elif p["drifted"]:
                out.append(Finding("drift", "medium",
                                   f"Model scores drifted ({_size_word(p['effect'], p['threshold'])}): mean score {short_number(m1)} vs "
                                   f"{short_number(m0)} on reference, Wasserstein {p['effect']:.3f} reference SDs, {q_value(p['q_value'])}",
                                   "The model sees the drift: its output distribution moved.", {"effect": p["effect"]}))
            else:
                out.append(Finding("drift", "info", f"Model scores did not drift materially: mean {short_number(m1)} vs {short_number(m0)} on reference", ""))
        for r in self.metrics.itertuples(index=False):
            better = metric_info(r.metric).higher_is_better
            worse = r.difference < 0 if better is not False else r.difference > 0
            significant = r.p_value < alpha
            sev = "high" if (significant and worse) else "info"
            verb = ("got worse" if worse else "improved") if significant else "did not change significantly"
            prefix = ""
            if self.params.get("reference_in_sample"):
                sev = "low" if sev == "high" else sev
                prefix = "In-sample reference (the model was trained on it): "
            out.append(Finding(
                "drift", sev,
                f"{prefix}{r.metric} {verb}: {number(r.estimate)}{_span(r.ci_low, r.ci_high)} on current vs "
                f"{number(r.reference_estimate)}{_span(r.reference_ci_low, r.reference_ci_high)} on reference "
                f"(change {signed(r.difference)}{_span(r.difference_ci_low, r.difference_ci_high, signed)})",
                "If the model was trained on the reference rows, the reference metric is in-sample and optimistic; "
                "pass a held-out reference window to separate drift from overfitting.",
                {"metric": r.metric, "change": r.difference},
            ))
        if len(self.regions):
            rg = self.regions
            first_metric = rg["metric"].iloc[0]
            for col, g in rg[rg["metric"] == first_metric].groupby("column", sort=False):
                ref, cur = g[g["window"] == "reference"].iloc[0], g[g["window"] == "current"].iloc[0]
                ref_text = (f"{number(ref['estimate'])} on {int(ref['n']):,} reference rows" if ref["n"] > 0
                            else "no reference rows there")
                out.append(Finding(
                    "drift", "low",
                    f"Inside the shifted region of {col} ({cur['region']}): {first_metric} {number(cur['estimate'])}"
                    f"{_span(cur['ci_low'], cur['ci_high'])} on {int(cur['n']):,} current rows vs {ref_text}",
                    "", {"column": col},
                ))
        if self.target_shift:
            t = self.target_shift
            out.append(Finding(
                "drift", "info",
                f"Target {t['target']!r}: {t['statistic']} {short_number(t['current'])} on current vs {short_number(t['reference'])} on reference",
                "The target is excluded from the column tests: its rate moves when the covariates move, so a "
                "change here is expected whenever columns that predict it drift.", dict(t),
            ))
        return out

    def headline(self) -> list[tuple[str, str]]:
        """Columns drifted, new categories, domain AUC and the rows compared.

        Returns
        -------
        list of (str, str)
        """
        n_cols = int((self.summary()["kind"] != "prediction").sum())
        items = [("columns drifted", f"{len(self.drifted_columns)} of {n_cols}"),
                 ("new categories", str(sum(len(v) for v in self.new_categories.values())))]
        if self.domain:
            d = self.domain
            items.append(("domain AUC", _auc(d)))
        items.append(("rows", f"{self.params.get('n_reference', 0):,} reference / {self.params.get('n_current', 0):,} current"))
        return items

    # -- showing ---------------------------------------------------------------------
    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the ranked drift summary: each column's effect size in units of its threshold.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the bars, one per column (``ax.barh``); ``color`` replaces red (drifted) / grey.

        Returns
        -------
        matplotlib Axes
        """
        s = self.summary().iloc[::-1]
        style = validate_style_kwargs({"color": np.where(s["drifted"].to_numpy(), "#b42318", "#98a2b3")}, kwargs,
                                      artist="patch")
        ax = get_ax(ax, figsize=(6.4, max(2.5, 0.35 * len(s) + 1)))
        if s.empty:
            return empty_panel(ax, "no column compared", title="Drift per column, ranked")
        ratio = (s["effect"] / s["threshold"]).fillna(0.0).to_numpy()
        ax.barh(np.arange(len(s)), ratio, **style)
        ax.set_yticks(np.arange(len(s)), [f"{c} ({e})" for c, e in zip(s["column"], s["effect_statistic"], strict=True)])
        ax.axvline(1.0, color="k", lw=1, ls="--")
        ax.set_xlabel("effect size / threshold (red: drifted, q < alpha and effect >= threshold)")
        ax.set_title("Drift per column, ranked")
        return ax

    def plot_column(self, column: str, *, ax: Any = None, **kwargs: Any) -> Any:
        """Overlay the reference and current distributions of one column.

        Parameters
        ----------
        column : str
            A column of the result (or ``"model_score"``).
        ax : matplotlib Axes, optional
        **kwargs
            Style of both windows' bars or steps (``ax.bar`` / ``ax.stairs``), e.g. ``alpha``.

        Returns
        -------
        matplotlib Axes
        """
        d = self.distributions
        if column not in set(d["column"]):
            raise DiagnosticInputError(
                f"column: no column {column!r} in this result. Choose from {list(dict.fromkeys(d['column']))}."
            )
        g = d[d["column"] == column]
        ax = get_ax(ax)
        windows = (("reference", "#475467"), ("current", "#d92d20"))
        if g["kind"].iloc[0] == "categorical":
            x = np.arange(len(g))
            for (window, colour), shift in zip(windows, (-0.2, 0.2), strict=True):
                style = validate_style_kwargs({"color": colour, "label": window}, kwargs, artist="patch")
                ax.bar(x + shift, g[f"{window}_share"], width=0.4, **style)
            ax.set_xticks(x, g["bin"].astype(str), rotation=30, ha="right")
            ax.set_ylabel("share of rows")
        else:
            edges = np.r_[g["left"].to_numpy(), g["right"].to_numpy()[-1]]
            width = np.diff(edges)
            looks = ({"fill": True, "alpha": 0.4}, {"linewidth": 2})
            for (window, colour), look in zip(windows, looks, strict=True):
                style = validate_style_kwargs({"color": colour, "label": window, **look}, kwargs, artist="patch")
                ax.stairs(g[f"{window}_share"] / width, edges, **style)
            ax.set_xlabel(column)
            ax.set_ylabel("density")
        row = self.summary().set_index("column").loc[column]
        flag = "drifted" if row["drifted"] else "not drifted"
        ax.set_title(f"{column}: {flag} ({row['effect_statistic']} {number(row['effect'])}, {q_value(row['q_value'])})")
        ax.legend()
        return ax
