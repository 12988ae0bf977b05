"""The result of :func:`diagtools.explanations.explain`: SHAP attributions and how to show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import interval, short_number, signed
from diagtools._plotting import get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools.errors import DiagnosticInputError

__all__ = ["AREA", "FRAME_COLUMNS", "Explanation"]

AREA = "explanations"
FRAME_COLUMNS = ["feature", "estimate", "ci_low", "ci_high", "n", "rank"]


def _encode(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric view of feature values (categories as codes) for colouring and dependence."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[c] = s.astype(float).to_numpy()
        else:
            out[c] = pd.Categorical(s.astype(str)).codes.astype(float)
    return pd.DataFrame(out, index=frame.index)


@dataclass(frozen=True)
class Explanation(Result):
    """SHAP attributions per original column, with global importance and its intervals.

    ``frame`` columns: ``feature`` (original column, or ``a+b`` for a column derived from several
    inputs), ``estimate`` (mean |SHAP| over rows), ``ci_low``/``ci_high`` (bootstrap percentile
    interval over rows), ``n`` (rows explained), ``rank`` (1 = most important).
    ``shap_values``: rows x original columns, in the output space named by ``params["output"]``
    (``"log-odds"``, ``"probability"``, ``"decision margin"``, ``"prediction (target units)"``,
    read from the model, never guessed); ``shap_expanded``: the same rows x transformed columns;
    ``feature_values``: the explained rows of X; ``row_index``: their positions in X;
    ``explained_class``: the class explained in each row (the predicted class for multiclass
    models by default; empty for regression); ``base_values``: the base value of each row
    (``base_value + shap_values.sum(axis=1)`` is the model's output for the explained class,
    checked on a sample: ``params["additivity_gap"]``).

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.explanations import explain
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> df = load_loans().head(400)
    >>> X = df[["age", "income", "credit_score"]]
    >>> model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, df["defaulted"])
    >>> res = explain(model, X, max_rows=100, n_boot=50)
    >>> res.params["explainer"]
    'tree'
    """

    area: ClassVar[str] = AREA
    title: ClassVar[str] = "SHAP explanations"
    shap_values: pd.DataFrame = field(default_factory=pd.DataFrame)
    shap_expanded: pd.DataFrame = field(default_factory=pd.DataFrame)
    feature_values: pd.DataFrame = field(default_factory=pd.DataFrame)
    row_index: list = field(default_factory=list)
    base_value: float = 0.0
    groups: dict = field(default_factory=dict)
    explained_class: list = field(default_factory=list)
    base_values: list = field(default_factory=list)

    def findings(self) -> list[Finding]:
        """Which explainer was used and why, whether its values add up, the top columns."""
        p = self.params
        gap = p.get("additivity_gap")
        checked = ("" if gap is None else
                   f" Checked: base + sum of SHAP equals the model's {p['output']} output on "
                   f"{p.get('additivity_rows', 0)} rows (largest gap {short_number(gap)}).")
        out = [Finding(self.area, "info", f"Explained with shap {p['explainer_class']} ({p['output']}), "
                       f"{self.n_samples} rows, {p.get('class_explained', 'regression output')}",
                       p["reason"] + "." + checked,
                       {"explainer": p["explainer"], "n_rows": self.n_samples, "output": p["output"],
                        "additivity_gap": gap})]
        if p.get("fallback"):
            out.append(Finding(self.area, "medium", "Exact SHAP values did not match the model; explained model-agnostically",
                               p["fallback"], {"failed_explainer": p.get("failed_explainer"),
                                               "failed_gap": p.get("failed_gap")}))
        top = self.frame.head(3)
        if len(top):
            parts = [f"{r.feature} {short_number(r.estimate)} {interval(r.ci_low, r.ci_high, short_number)}"
                     for r in top.itertuples()]
            out.append(Finding(self.area, "info", "Top columns by mean |SHAP|: " + "; ".join(parts),
                               "Mean absolute attribution over the explained rows, 95% bootstrap interval over rows.",
                               {"features": list(top["feature"])}))
            multi = [g for g in self.frame["feature"] if "+" in str(g)]
            if multi:
                out.append(Finding(self.area, "info", f"Derived columns attributed to their input group: {', '.join(multi)}",
                                   "A column computed from several inputs cannot be split between them by SHAP; "
                                   "its attribution is reported for the group."))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Explainer, rows explained, top column."""
        top = self.frame.iloc[0]["feature"] if len(self.frame) else "-"
        return [("explainer", self.params["explainer"]), ("rows explained", str(self.n_samples)),
                ("top column", str(top)), ("output", self.params["output"])]

    def plot(self, *, ax: Any = None, top: int = 15, **kwargs: Any) -> Any:
        """Importance bars (mean |SHAP|) with 95% bootstrap intervals.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        top : int, default=15
            Columns shown, most important first.
        **kwargs
            Style of the bars (``color``, ``alpha``, ...).

        Returns
        -------
        matplotlib Axes
        """
        style = validate_style_kwargs({"color": "#4c72b0"}, kwargs, artist="patch")
        ax = get_ax(ax)
        f = self.frame.head(top).iloc[::-1]
        y = np.arange(len(f))
        interval_bars(ax, y, f["estimate"], f["ci_low"], f["ci_high"], horizontal=True, kind="bar", **style)
        ax.set_yticks(y, f["feature"])
        ax.set_xlabel(f"mean |SHAP| ({self.params['output']})")
        ax.set_title("Global importance, 95% bootstrap interval")
        return ax

    def plot_beeswarm(self, *, ax: Any = None, top: int = 12, **kwargs: Any) -> Any:
        """One row of dots per column: SHAP value (x) coloured by the feature value (low to high).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        top : int, default=12
        **kwargs
            Style of the dots (``alpha``, ``cmap``, ``edgecolor``, ...).

        Returns
        -------
        matplotlib Axes
        """
        style = validate_style_kwargs({"cmap": "coolwarm", "s": 6}, kwargs, artist="collection")
        ax = get_ax(ax, figsize=(7, 5))
        feats = list(self.frame["feature"].head(top))[::-1]
        enc = _encode(self.feature_values.reset_index(drop=True)) if len(self.feature_values.columns) else None
        rng = np.random.default_rng(0)
        for i, f in enumerate(feats):
            s = self.shap_values[f].to_numpy()
            if enc is not None and f in enc:
                v = enc[f].to_numpy()
                lo, hi = np.nanpercentile(v, [5, 95]) if np.isfinite(v).any() else (0, 1)
                c = np.clip((v - lo) / (hi - lo), 0, 1) if hi > lo else np.full(len(v), 0.5)
            else:
                c = np.full(len(s), 0.5)
            ax.scatter(s, i + rng.uniform(-0.3, 0.3, len(s)), c=c, vmin=0, vmax=1, **style)
        ax.set_yticks(range(len(feats)), feats)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlabel(f"SHAP value ({self.params['output']}); colour: feature value low (blue) to high (red)")
        return ax

    def plot_dependence(self, feature: str, *, ax: Any = None, **kwargs: Any) -> Any:
        """SHAP value of ``feature`` against its value (categories as their labels).

        Parameters
        ----------
        feature : str
            A column of ``shap_values``.
        ax : matplotlib Axes, optional
        **kwargs
            Style of the dots (``alpha``, ``color``, ``edgecolor``, ...).

        Returns
        -------
        matplotlib Axes
        """
        if feature not in self.shap_values.columns:
            raise DiagnosticInputError(f"feature: no column {feature!r}. Available: {list(self.shap_values.columns)}.")
        style = validate_style_kwargs({"s": 8, "alpha": 0.6}, kwargs, artist="collection")
        ax = get_ax(ax)
        s = self.shap_values[feature].to_numpy()
        x: Any = np.arange(len(s))
        if feature in self.feature_values.columns:
            v = self.feature_values[feature].reset_index(drop=True)
            if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
                x = v.astype(float)
            else:
                cat = pd.Categorical(v.astype(str))
                x = cat.codes + np.random.default_rng(0).uniform(-0.2, 0.2, len(v))
                ax.set_xticks(range(len(cat.categories)), list(cat.categories), rotation=30)
        ax.scatter(x, s, **style)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel(feature)
        ax.set_ylabel(f"SHAP ({self.params['output']})")
        return ax

    def plot_waterfall(self, row: int = 0, *, ax: Any = None, top: int = 10, **kwargs: Any) -> Any:
        """Waterfall for explained row ``row`` (position in ``shap_values``): base value to prediction.

        Parameters
        ----------
        row : int, default=0
        ax : matplotlib Axes, optional
        top : int, default=10
            Columns shown; the rest are summed into one bar.
        **kwargs
            Style of the bars (``alpha``, ``edgecolor``, ...); colour says the sign.

        Returns
        -------
        matplotlib Axes
        """
        if not 0 <= row < len(self.shap_values):
            raise DiagnosticInputError(f"row must be in [0, {len(self.shap_values)}), got {row}.")
        style = validate_style_kwargs({}, kwargs, artist="patch")
        ax = get_ax(ax, figsize=(7, 5))
        s = self.shap_values.iloc[row]
        order = s.abs().sort_values(ascending=False).index
        shown, rest = list(order[:top]), float(s[order[top:]].sum())
        vals = [float(s[f]) for f in shown] + ([rest] if len(order) > top else [])
        labels = shown + ([f"{len(order) - top} other columns"] if len(order) > top else [])
        start = float(self.base_values[row]) if len(self.base_values) > row else self.base_value
        cum = start + np.concatenate([[0], np.cumsum(vals)])
        for i, v in enumerate(vals):
            y = len(vals) - 1 - i
            ax.barh(y, v, left=cum[i], **{"color": "#d62728" if v > 0 else "#1f77b4", **style})
            ax.text(cum[i + 1], y, f" {signed(v)}", va="center", fontsize=8)
        ax.set_yticks(range(len(vals)), labels[::-1])
        ax.axvline(start, color="grey", ls="--", lw=0.8)
        label = f", class {self.explained_class[row]}" if len(self.explained_class) > row else ""
        ax.set_xlabel(f"model output ({self.params['output']}{label}): base {short_number(start)} -> "
                      f"{short_number(cum[-1])}")
        return ax
