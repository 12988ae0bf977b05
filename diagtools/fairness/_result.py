"""``FairnessResult``: disparity measures with intervals and tests, group metrics, findings, plots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import number, p_value, percent, q_value, short_number, signed
from diagtools._metric_registry import metric_info
from diagtools._plotting import empty_panel, get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools.errors import DiagnosticInputError
from diagtools.fairness._measures import HYPOTHESES, RATES

FRAME_COLUMNS = [
    "feature", "measure", "hypothesis", "estimate", "ci_low", "ci_high", "n", "n_groups", "metric", "low_group",
    "low_value", "high_group", "high_value", "threshold", "p_value", "q_value", "significant", "flagged", "note",
]
GROUP_COLUMNS = ["feature", "group", "metric", "estimate", "ci_low", "ci_high", "n", "group_size", "note"]
OVERALL_COLUMNS = ["metric", "estimate", "ci_low", "ci_high", "n"]

PLOT_METRICS = {
    "classification": ("selection_rate", "tpr", "fpr", "precision", "error_rate", "ece"),
    "regression": ("mean_error", "mae"),
}


def _words(name: str) -> str:
    """A group metric's or a measure's name for a reader (the metric registry's display name)."""
    return metric_info(name).display


def _p(p: float, floor: float = 0.0) -> str:
    """A p-value in words; at a permutation test's floor (no permutation as extreme) say so."""
    if floor and np.isfinite(p) and p <= floor * (1 + 1e-9) and floor >= 0.001:
        return f"p≤{floor:.2g} (no permutation as extreme)"
    return p_value(p)


def _val(v: float, regression: bool, as_signed: bool = False) -> str:
    """A group value: rates with three decimals, regression errors in target units (signed for a bias)."""
    return signed(v) if regression and as_signed else number(v)


@dataclass(frozen=True)
class FairnessResult(Result):
    """Disparity measures across sensitive groups with intervals and tests, and the group metrics.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per feature x disparity measure. ``feature`` (a sensitive column, or two joined
        by ``" & "`` for their intersections), ``measure`` (``demographic_parity_difference``,
        ``demographic_parity_ratio``, ``equalized_odds_difference``, ``equalized_odds_ratio``,
        ``equal_opportunity_difference``, ``equal_opportunity_ratio``,
        ``predictive_parity_difference``; regression: ``mean_error_difference``,
        ``mae_difference``, ``mae_ratio``), ``hypothesis`` (the null hypothesis tested, shared
        by a difference and its ratio), ``estimate, ci_low, ci_high`` (bootstrap interval),
        ``n`` (rows in the groups compared), ``n_groups``, ``metric`` (the group metric that sets
        the value: for equalized odds ``tpr`` or ``fpr``), ``low_group, low_value, high_group,
        high_value`` (the groups with the smallest and largest value of that metric),
        ``threshold`` (the materiality threshold), ``p_value`` (test of no disparity),
        ``q_value`` (Benjamini-Hochberg over every feature x hypothesis), ``significant``
        (``q_value < alpha``), ``flagged`` (significant and beyond the threshold) and ``note``
        (groups left out as too small, or why a measure is undefined).
    groups : pandas.DataFrame
        One row per feature x group x metric: ``feature, group, metric`` (``selection_rate,
        base_rate, tpr, fpr, precision, error_rate`` and ``ece`` with scores; regression
        ``mean_error`` (prediction minus truth) and ``mae``), ``estimate, ci_low, ci_high``
        (Wilson for rates, bootstrap for ECE, Student t for errors), ``n`` (the rows behind
        the estimate: its denominator), ``group_size`` and ``note`` ("too small ..." when
        ``n < min_group_size``: such a rate is left out of the disparity measures).
    overall : pandas.DataFrame
        ``metric, estimate, ci_low, ci_high, n`` on all rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from diagtools.fairness import assess_fairness_predictions
    >>> rng = np.random.default_rng(1)
    >>> group = pd.Series(rng.choice(["a", "b", "c"], 3000), name="group")
    >>> y = rng.integers(0, 2, 3000)
    >>> res = assess_fairness_predictions(y, y, sensitive_features=group, n_boot=200)
    >>> float(res.measure("equalized_odds_difference"))
    0.0
    """

    groups: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=GROUP_COLUMNS))
    overall: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OVERALL_COLUMNS))

    area: ClassVar[str] = "fairness"
    title: ClassVar[str] = "Fairness across sensitive groups"

    # -- views -----------------------------------------------------------------------------
    @property
    def task(self) -> str:
        """``"classification"`` or ``"regression"``."""
        return str(self.params.get("task", "classification"))

    def _feature(self, feature: str | None) -> str:
        features = list(self.params.get("features", [])) or list(dict.fromkeys(self.frame["feature"]))
        if feature is None:
            return features[0] if features else ""
        if feature not in features:
            raise DiagnosticInputError(f"feature must be one of {features!r}, got {feature!r}.")
        return feature

    def measure(self, name: str, feature: str | None = None) -> float:
        """The estimate of one disparity measure.

        Parameters
        ----------
        name : str
            A value of ``.frame["measure"]``, e.g. ``"demographic_parity_ratio"``.
        feature : str, optional
            A sensitive column or intersection (``"sex & race"``); default the first one.

        Returns
        -------
        float
        """
        feature = self._feature(feature)
        rows = self.frame[(self.frame["measure"] == name) & (self.frame["feature"] == feature)]
        if rows.empty:
            raise DiagnosticInputError(
                f"measure must be one of {sorted(set(self.frame['measure']))!r}, got {name!r}."
            )
        return float(rows["estimate"].iloc[0])

    def by_group(self, feature: str | None = None) -> pd.DataFrame:
        """Wide view of one feature: one row per group, one column per metric (point estimates).

        Parameters
        ----------
        feature : str, optional
            Default: the first sensitive column.

        Returns
        -------
        pandas.DataFrame
        """
        feature = self._feature(feature)
        f = self.groups[self.groups["feature"] == feature]
        wide = f.pivot(index="group", columns="metric", values="estimate")
        return wide.loc[list(dict.fromkeys(f["group"])), list(dict.fromkeys(f["metric"]))]

    def small_groups(self) -> pd.DataFrame:
        """Group rates too small (or undefined) to enter the disparity measures, with why."""
        f = self.groups
        return f[f["note"].astype(str).str.len() > 0].reset_index(drop=True)

    def headline(self) -> list[tuple[str, str]]:
        """Rows, features, measures flagged, and the demographic parity ratio of the first feature."""
        out = [("rows", f"{self.n_samples:,}"), ("features", str(len(self.params.get("features", [])))),
               ("flagged", f"{int(self.frame['flagged'].astype(bool).sum())} of {len(self.frame)}")]
        first = self.frame[self.frame["feature"] == self._feature(None)]
        key = "demographic_parity_ratio" if self.task == "classification" else "mae_ratio"
        row = first[first["measure"] == key]
        if len(row):
            r = row.iloc[0]
            out.append((_words(key) + f" ({r['feature']})",
                        f"{number(r['estimate'])} ({number(r['ci_low'])}-{number(r['ci_high'])})"))
        return out

    # -- findings --------------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        """One finding per significant disparity (flagged ones first), small groups, conflicts."""
        out: list[Finding] = []
        f = self.frame
        alpha = float(self.params.get("alpha", 0.05))
        n_tests = int(self.params.get("n_tests", 0))
        regression = self.task == "regression"
        for (_feature, _hyp), rows in f.groupby(["feature", "hypothesis"], sort=False):
            if not rows["significant"].astype(bool).any():
                continue
            flagged = rows[rows["flagged"].astype(bool)]
            if len(flagged):
                ratio = flagged[flagged["measure"].str.endswith("_ratio")]
                r = (ratio if len(ratio) else flagged).iloc[0]
            else:
                diff = rows[~rows["measure"].str.endswith("_ratio")]
                r = (diff if len(diff) else rows).iloc[0]
            finding = self._disparity_finding(r, alpha, n_tests, regression)
            parts = str(_feature).split(" & ")
            echoed = len(parts) > 1 and bool(
                f[f["feature"].isin(parts) & (f["hypothesis"] == _hyp) & f["flagged"].astype(bool)].shape[0])
            if echoed and finding.severity in ("high", "medium"):
                # the intersection mostly repeats a gap of one of its columns, reported on its own
                finding = Finding(finding.area, "low", finding.title, finding.detail + " An intersection of "
                                  "columns whose gap is already reported on its own; look for groups of the "
                                  "intersection that fare worse than their columns suggest.", finding.evidence)
            out.append(finding)
        small = self.small_groups()
        if len(small):
            out.append(self._small_groups_finding(small))
        out.extend(self._conflicts())
        if not f["significant"].astype(bool).any():
            feats = ", ".join(self.params.get("features", []))
            out.append(Finding(
                "fairness", "info",
                f"No disparity across {feats}: none of the {n_tests} tests is significant at FDR {percent(alpha, 0)}",
                "Differences between groups are within what chance explains at this sample size; the intervals in "
                ".frame show how large a disparity the data cannot rule out.",
                {"n_tests": n_tests},
            ))
        return rank_findings(out)

    def _disparity_finding(self, r: pd.Series, alpha: float, n_tests: int, regression: bool) -> Finding:
        measure, thr = str(r["measure"]), float(r["threshold"])
        is_ratio = measure.endswith("_ratio")
        metric = _words(str(r["metric"]))
        est, lo, hi = (number(r[k]) for k in ("estimate", "ci_low", "ci_high"))
        bias = regression and r["metric"] == "mean_error"
        head = (f"{metric[:1].upper() + metric[1:]} for {r['low_group']} is {_val(r['low_value'], regression, bias)} vs "
                f"{_val(r['high_value'], regression, bias)} for {r['high_group']}: {_words(measure)} {est} "
                f"(95% CI {lo}-{hi})")
        if bool(r["flagged"]):
            if is_ratio:
                # the four-fifths rule is about selection rates; other ratios use the same number as a convention
                four_fifths = measure == "demographic_parity_ratio" and abs(thr - 0.8) < 1e-12
                rule = "the four-fifths rule's 0.8" if four_fifths else f"the threshold {short_number(thr)}"
                head += f", below {rule}"
                beyond = float(r["ci_high"]) < thr
            else:
                share = f" ({percent(self.params.get('difference_threshold', 0.1), 0)} of the overall MAE)" if regression else ""
                head += f", above the tolerance {short_number(thr)}{share}"
                beyond = float(r["ci_low"]) > thr
            severity = "high" if beyond else "medium"
        else:
            head += f", significant but within the {'threshold' if is_ratio else 'tolerance'} {short_number(thr)}"
            severity = "low"
        test = "Welch's ANOVA" if regression else "Permutation test"
        floor = 0.0 if regression else 1.0 / (1 + int(self.params.get("n_boot", 1000)))
        detail = (f"{test} of {HYPOTHESES.get(str(r['hypothesis']), r['hypothesis'])} across the "
                  f"{int(r['n_groups'])} groups of {r['feature']} ({int(r['n']):,} rows): {_p(r['p_value'], floor)}, "
                  f"{q_value(r['q_value'])} (Benjamini-Hochberg over {n_tests} tests at FDR {percent(alpha, 0)}).")
        if r["note"]:
            detail += f" Note: {r['note']}."
        return Finding("fairness", severity, head, detail, {
            "feature": r["feature"], "measure": measure, "estimate": float(r["estimate"]),
            "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]), "q_value": float(r["q_value"]),
            "low_group": r["low_group"], "high_group": r["high_group"],
        })

    def _small_groups_finding(self, small: pd.DataFrame) -> Finding:
        m = self.params.get("min_group_size", 30)
        rows = small.sort_values("n", kind="stable").drop_duplicates(["feature", "group"])
        named = [f"{g} ({_words(x)} on {n} {RATES[x][2] if x in RATES else 'rows'})"
                 for g, x, n in zip(rows["group"], rows["metric"], rows["n"], strict=True)]
        shown = "; ".join(named[:6]) + (f"; and {len(named) - 6} more" if len(named) > 6 else "")
        return Finding(
            "fairness", "low",
            f"{len(rows)} group(s) too small to assess some rates (fewer than {m} rows behind them)",
            f"{shown}. These rates are shown in .groups but left out of the disparity measures: with so few rows any "
            "rate is mostly noise. Collect more data for them, or merge levels, to assess them.",
            {"groups": [f"{f}: {g}" for f, g in zip(rows["feature"], rows["group"], strict=True)][:50]},
        )

    def _conflicts(self) -> list[Finding]:
        """Explain when parity of selection and parity of error rates disagree."""
        if self.task != "classification":
            return []
        out = []
        f = self.frame
        for feature in self.params.get("features", []):
            rows = f[f["feature"] == feature].set_index("measure")
            if "demographic_parity_difference" not in rows.index or "equalized_odds_difference" not in rows.index:
                continue
            dp, eo = rows.loc["demographic_parity_difference"], rows.loc["equalized_odds_difference"]
            base = self.groups[(self.groups["feature"] == feature) & (self.groups["metric"] == "base_rate")
                               & (self.groups["note"] == "")]
            if len(base) < 2:
                continue
            spread = f"{number(base['estimate'].min())} to {number(base['estimate'].max())}"
            if bool(dp["significant"]) and not bool(eo["significant"]):
                out.append(Finding(
                    "fairness", "info",
                    f"For {feature}, selection rates differ but error rates do not",
                    f"Base rates (share of positive labels) range from {spread} across the groups. When base rates "
                    "differ, a model with equal error rates (equalized odds) selects groups at different rates, and "
                    "forcing equal selection rates (demographic parity) makes its error rates unequal: the two cannot "
                    "both hold. Decide which one the use case requires.",
                    {"feature": feature},
                ))
            elif bool(eo["significant"]) and not bool(dp["significant"]):
                out.append(Finding(
                    "fairness", "info",
                    f"For {feature}, selection rates are similar but error rates differ",
                    f"Equal selection rates do not mean equal treatment: the model errs more for some groups "
                    f"({_words(str(eo['metric']))} {number(eo['low_value'])} for {eo['low_group']} vs "
                    f"{number(eo['high_value'])} for {eo['high_group']}). Base rates range from {spread}.",
                    {"feature": feature},
                ))
        return out

    # -- plots -----------------------------------------------------------------------------
    def _default_feature(self) -> str:
        f = self.frame[self.frame["flagged"].astype(bool)]
        if len(f):
            return str(f.sort_values("p_value", kind="stable")["feature"].iloc[0])
        return self._feature(None)

    def plot(self, *, ax: Any = None, feature: str | None = None, metrics: list[str] | None = None,
             **kwargs: Any) -> Any:
        """Group metrics of one feature with their intervals, against all rows.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        feature : str, optional
            A sensitive column or intersection; default the one with the most significant
            flagged measure (else the first column).
        metrics : list of str, optional
            Default: selection rate, TPR, FPR, precision, error rate (and ECE with scores);
            regression: mean error and MAE.
        **kwargs
            Style of the group points (``markersize``, ``alpha``, ...), checked by
            :func:`diagtools._plotting.validate_style_kwargs`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        style = validate_style_kwargs({"markersize": 5}, kwargs)
        feature = self._default_feature() if feature is None else self._feature(feature)
        f = self.groups[self.groups["feature"] == feature]
        wanted = metrics or [m for m in PLOT_METRICS[self.task] if m in set(f["metric"])]
        groups = list(dict.fromkeys(f["group"]))
        ax = get_ax(ax, figsize=(7.5, max(3.0, 0.9 * len(wanted) + 0.12 * len(wanted) * len(groups))))
        if f.empty:
            return empty_panel(ax, "no groups to show", title=f"Group metrics by {feature}")
        import matplotlib as mpl

        cmap = mpl.colormaps["tab10" if len(groups) <= 10 else "tab20"]
        step = 0.8 / max(len(groups), 1)
        overall = self.overall.set_index("metric")["estimate"]
        for j, g in enumerate(groups):
            rows = f[f["group"] == g].set_index("metric").reindex(wanted)
            pos = np.arange(len(wanted)) + (j - (len(groups) - 1) / 2) * step
            colour = cmap(j % cmap.N)
            small = rows["note"].fillna("").astype(str).str.len().to_numpy() > 0
            # hollow markers: rates too small to enter the disparity measures
            for part, face, label in ((~small, colour, g), (small, "white", None if (~small).any() else g)):
                if part.any():
                    interval_bars(ax, pos[part], rows["estimate"].to_numpy(dtype=float)[part],
                                  rows["ci_low"].to_numpy(dtype=float)[part], rows["ci_high"].to_numpy(dtype=float)[part],
                                  horizontal=True, **{"color": colour, "markerfacecolor": face, "label": label, **style})
        for i, metric in enumerate(wanted):
            if metric in overall.index and np.isfinite(overall[metric]):
                ax.plot([overall[metric]] * 2, [i - 0.45, i + 0.45], color="black", ls="--", lw=0.8,
                        label="all rows" if i == 0 else None)
        ax.set_yticks(range(len(wanted)), [_words(m) for m in wanted])
        ax.set_ylim(len(wanted) - 0.5, -0.5)
        ax.set(xlabel="estimate (95% interval)", title=f"Group metrics by {feature} (hollow: too small to compare)")
        ax.legend(fontsize="x-small", loc="best")
        return ax

    def plot_disparities(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Every disparity measure with its interval and threshold (red: flagged, orange: significant).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the points (``markersize``, ``alpha``, ...), checked by
            :func:`diagtools._plotting.validate_style_kwargs`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        style = validate_style_kwargs({}, kwargs)
        f = self.frame[np.isfinite(self.frame["estimate"].astype(float))].iloc[::-1]
        ax = get_ax(ax, figsize=(7.5, max(2.5, 0.3 * len(f) + 1.2)))
        if f.empty:
            return empty_panel(ax, "no measures to show", title="Disparity measures")
        flagged, significant = f["flagged"].astype(bool).to_numpy(), f["significant"].astype(bool).to_numpy()
        pos = np.arange(len(f))
        for part, colour in ((flagged, "#b42318"), (significant & ~flagged, "#f79009"), (~significant & ~flagged, "#667085")):
            if part.any():
                interval_bars(ax, pos[part], f["estimate"].to_numpy(dtype=float)[part], f["ci_low"].to_numpy(dtype=float)[part],
                              f["ci_high"].to_numpy(dtype=float)[part], horizontal=True, **{"color": colour, **style})
        for i, thr in enumerate(f["threshold"].astype(float)):
            ax.plot([thr] * 2, [i - 0.35, i + 0.35], color="black", lw=1)
        ax.set_yticks(pos, [f"{a}: {_words(b)}" for a, b in zip(f["feature"], f["measure"], strict=True)],
                      fontsize="small")
        ax.set(xlabel="estimate (95% interval); black tick: threshold",
               title="Disparity measures (red: flagged, orange: significant only)")
        return ax

    def _repr_html_(self) -> str:
        from diagtools._html import findings_html, frame_html
        from diagtools._result import escape

        headline = " · ".join(f"<strong>{escape(k)}</strong> {escape(v)}" for k, v in self.headline())
        shown = self.frame.sort_values(["flagged", "p_value"], ascending=[False, True], kind="stable")
        cols = ["feature", "measure", "estimate", "ci_low", "ci_high", "q_value", "flagged", "note"]
        notes = "".join(f"<p><small>{escape(n)}</small></p>" for n in self.params.get("notes", []))
        return "".join([
            f"<div class='dt-result'><h4>{escape(self.title)}</h4><p>{headline}</p>",
            findings_html(self.findings()), notes,
            "<p><small>Disparity measures, flagged first; group metrics in <code>.groups</code></small></p>",
            frame_html(shown[cols], max_rows=10), "</div>",
        ])
