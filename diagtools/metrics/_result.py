"""``EvaluationResult``: metrics with intervals, baselines, curves, findings and plots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import interval, number, percent, q_value, short_number, signed
from diagtools._metric_registry import higher_is_better, metric_info
from diagtools._plotting import band, check_matplotlib, empty_panel, get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings

ALPHA = 0.05
ECE_HIGH = 0.05
LOW_RECALL = 0.3
#: From this many classes the per-class views give way to the worst classes, the most confused
#: pairs and macro/weighted averages (a 77 x 77 matrix or 77 recall findings read as noise).
MANY_CLASSES = 15
_AVERAGES_FIRST = ("f1_macro", "balanced_accuracy", "precision_macro", "recall_macro", "f1_weighted",
                   "precision_weighted", "recall_weighted", "accuracy")
_BASELINE_WORDS = {"majority_class": "the majority-class baseline", "mean": "the mean baseline",
                   "linear": "a simple linear reference"}


def _nice(metric: str) -> str:
    """A metric's display name from the registry, capitalised, with its averaging (``F1 (macro)``)."""
    name = metric_info(metric).display
    for avg in ("macro", "weighted"):
        if metric.endswith(f"_{avg}"):
            name += f" ({avg})"
    if "[" in metric:
        name += metric[metric.index("["):]
    return name[:1].upper() + name[1:]


@dataclass(frozen=True)
class EvaluationResult(Result):
    """Metrics of one model with bootstrap intervals, compared with baselines.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per model x metric, columns ``model, metric, estimate, ci_low, ci_high, n``.
        ``model`` is the evaluated model's name or a baseline's name (``majority_class`` /
        ``mean``, ``linear``, or the keys given). Metric names: classification ``accuracy,
        balanced_accuracy``, per class ``precision[<label>], recall[<label>], f1[<label>]``,
        ``precision_macro, recall_macro, f1_macro, precision_weighted, recall_weighted,
        f1_weighted``, with scores ``roc_auc`` (one-vs-rest macro for multiclass), ``pr_auc``
        (average precision), with probabilities ``log_loss, brier, ece`` (expected calibration
        error, 10 equal-width bins); regression ``mae, rmse, r2, mape, median_ae``.
        ``estimate`` equals scikit-learn's metric; ``ci_low, ci_high`` come from a vectorized
        percentile bootstrap; ``n`` is the number of rows.
    comparison : pandas.DataFrame
        Columns ``baseline, metric, estimate, ci_low, ci_high, n`` (the model's metric with its
        interval), ``reference_estimate`` (the baseline's), ``difference, difference_ci_low,
        difference_ci_high``: ``difference = model - baseline`` from a *paired* bootstrap (same
        resamples for both), ``p_value`` (two-sided bootstrap) and ``q_value``
        (Benjamini-Hochberg across all rows).
    curves : pandas.DataFrame
        Columns ``curve, x, estimate, ci_low, ci_high, n`` for ``roc`` (true positive rate at
        false positive rate x on a grid of 101 points), ``pr`` (precision at recall x) and
        ``reliability`` (observed frequency against mean predicted probability per bin), with
        bootstrap bands.
    confusion : pandas.DataFrame
        Columns ``true_label, pred_label, count``.
    predictions : pandas.DataFrame
        Regression only: a random sample of at most 2,000 rows ``row, y_true, y_pred,
        residual`` for residual plots.
    task : str
        ``"classification"`` or ``"regression"``.
    labels : list of str
        Class labels (classification).
    name : str
        Name of the evaluated model.

    Examples
    --------
    >>> import numpy as np
    >>> from diagtools.metrics import evaluate_predictions
    >>> y = np.array([0, 1] * 100)
    >>> res = evaluate_predictions(y, y_pred=y, n_boot=100)
    >>> list(res.frame.columns)
    ['model', 'metric', 'estimate', 'ci_low', 'ci_high', 'n']
    >>> float(res.metric("accuracy")["estimate"])
    1.0
    """

    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    curves: pd.DataFrame = field(default_factory=pd.DataFrame)
    confusion: pd.DataFrame = field(default_factory=pd.DataFrame)
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    task: str = "classification"
    labels: list[str] = field(default_factory=list)
    name: str = "model"

    area: ClassVar[str] = "metrics"
    title: ClassVar[str] = "Model metrics and baselines"

    # -- derived views ---------------------------------------------------------------------
    @property
    def overall(self) -> pd.DataFrame:
        """Wide view: one row per metric, one column per model (point estimates).

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> res.overall.shape
        (19, 1)
        """
        wide = self.frame.pivot(index="metric", columns="model", values="estimate")
        order = list(dict.fromkeys(self.frame["metric"]))
        cols = list(dict.fromkeys(self.frame["model"]))
        return wide.loc[order, cols]

    def table(self, *, max_classes: int = 10) -> pd.DataFrame:
        """Wide readable view: one row per metric, ``"estimate [ci_low, ci_high]"`` per model.

        Parameters
        ----------
        max_classes : int, default=10
            Per-class rows (``recall[<label>]`` ...) are left out beyond this many classes.

        Returns
        -------
        pandas.DataFrame
            Column ``metric`` then one string column per model (derived from ``.frame``).

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> list(res.table().columns)
        ['metric', 'model']
        """
        frame = self.frame
        if len(self.labels) > max_classes:
            frame = frame[~frame["metric"].str.contains("[", regex=False)]
        if self._many_classes():  # averages over classes first: accuracy alone hides weak classes
            rank = {m: i for i, m in enumerate(_AVERAGES_FIRST)}
            frame = frame.iloc[np.argsort([rank.get(m, len(rank)) for m in frame["metric"]], kind="stable")]
        text = frame.assign(cell=[
            f"{number(e)} {interval(lo, hi)}".rstrip()
            for e, lo, hi in zip(frame["estimate"], frame["ci_low"], frame["ci_high"], strict=True)
        ])
        wide = text.pivot(index="metric", columns="model", values="cell")
        order = list(dict.fromkeys(text["metric"]))
        cols = list(dict.fromkeys(text["model"]))
        out = wide.loc[order, cols].reset_index()
        out.columns.name = None
        return out

    def _repr_html_(self) -> str:
        from diagtools._html import findings_html, frame_html
        from diagtools._result import escape

        headline = " · ".join(f"<strong>{escape(k)}</strong> {escape(v)}" for k, v in self.headline())
        table = self.table()
        return "".join([
            f"<div class='dt-result'><h4>{escape(self.title)}</h4>",
            f"<p>{headline}</p>",
            findings_html(self.findings()),
            "<p><small>estimate [95% bootstrap interval]; differences to the baselines in "
            "<code>.comparison</code>, curves in <code>.curves</code></small></p>",
            frame_html(table, max_rows=40),
            "</div>",
        ])

    def metric(self, name: str, model: str | None = None) -> pd.Series:
        """Return the ``.frame`` row of one metric (of the evaluated model by default).

        Parameters
        ----------
        name : str
            Metric name, e.g. ``"accuracy"`` or ``"recall[1]"``.
        model : str, optional
            A baseline's name to read its row instead.

        Returns
        -------
        pandas.Series
            With ``model, metric, estimate, ci_low, ci_high, n``.

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> float(res.metric("roc_auc")["estimate"])
        0.505
        """
        model = self.name if model is None else model
        rows = self.frame[(self.frame["model"] == model) & (self.frame["metric"] == name)]
        if rows.empty:
            from diagtools.errors import DiagnosticInputError

            available = sorted(self.frame.loc[self.frame["model"] == model, "metric"])
            raise DiagnosticInputError(f"metric {name!r} not in this result (model {model!r}). Available: {available}.")
        return rows.iloc[0]

    def _est(self, name: str) -> tuple[float, float, float] | None:
        rows = self.frame[(self.frame["model"] == self.name) & (self.frame["metric"] == name)]
        if rows.empty:
            return None
        r = rows.iloc[0]
        return float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])

    def _many_classes(self) -> bool:
        return self.task == "classification" and len(self.labels) > MANY_CLASSES

    def _primary(self) -> list[str]:
        present = set(self.frame["metric"])
        if self.task == "regression":
            return [m for m in ("rmse", "r2", "mae") if m in present]
        if self._many_classes():
            return [m for m in ("f1_macro", "accuracy", "roc_auc", "log_loss") if m in present]
        return [m for m in ("accuracy", "roc_auc", "log_loss") if m in present]

    def _with_ci(self, metric: str) -> str:
        est = self._est(metric)
        if est is None:
            return "n/a"
        e, lo, hi = est
        if not np.isfinite(lo) or not np.isfinite(hi):
            return number(e)
        return f"{number(e)} (95% CI {number(lo)}-{number(hi)})"

    # -- conclusions ------------------------------------------------------------------------
    def headline(self) -> list[tuple[str, str]]:
        """Main metrics of the evaluated model with their intervals, and the row count.

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> res.headline()[0]
        ('rows', '200')
        """
        out = [("rows", f"{self.n_samples:,}")]
        for m in self._primary()[:2] + (["ece"] if self.task == "classification" else ["mape"]):
            if self._est(m) is not None:
                out.append((_nice(m), self._with_ci(m)))
        return out[:5]

    def findings(self) -> list[Finding]:
        """Plain-words conclusions: headline, baselines, calibration, weak classes.

        Returns
        -------
        list of Finding
            Most severe first.

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> res.findings()[-1].title
        'Accuracy 0.500 (95% CI 0.432-0.554), ROC AUC 0.505 (95% CI 0.421-0.579) on 200 rows'
        """
        out: list[Finding] = []
        prim = self._primary()
        if prim:
            m = prim[0]
            extra = f", {_nice(prim[1])} {self._with_ci(prim[1])}" if len(prim) > 1 else ""
            out.append(Finding(
                "metrics", "info", f"{_nice(m)} {self._with_ci(m)}{extra} on {self.n_samples:,} rows",
                evidence={"metric": m, "estimate": self._est(m)},
            ))
        comp = self.comparison
        for base in dict.fromkeys(comp["baseline"]) if len(comp) else []:
            rows = comp[comp["baseline"] == base].set_index("metric")
            out.extend(self._baseline_findings(base, rows))
        sampled = self.params.get("baselines_sample_rows")
        if sampled and len(comp):
            out.append(Finding(
                "metrics", "info",
                f"Baselines fitted on a sample of {int(sampled):,} of the {self.n_samples:,} rows",
                "No training data was given, so the baselines were fitted on the evaluation data: on a "
                "stratified sample, by cross-fitting, with every row scored by a model that did not see it. "
                "Their metrics and the comparisons use all rows.",
                evidence={"baselines_sample_rows": int(sampled), "n": self.n_samples},
            ))
        bound = (self.params.get("large") or {}).get("binning_bounds", {}).get(self.name, {})
        if bound:
            worst = max(bound.values())
            out.append(Finding(
                "metrics", "info",
                f"ROC-AUC / PR-AUC from {self.params['large']['score_bins']:,} score bins: within "
                f"{short_number(worst)} of the exact values",
                "The large-data path computes ranking metrics from fixed score bins that merge across "
                "chunks; the bound is the largest possible difference from the unbinned value "
                + ", ".join(f"({_nice(m)} ±{short_number(b)})" for m, b in bound.items()) + ".",
                evidence={"bounds": bound, "backend": self.params["large"]["backend"]},
            ))
        out.extend(self._calibration_findings())
        out.extend(self._recall_findings())
        if self.task == "regression":
            est = self._est("r2")
            if est is not None and np.isfinite(est[1]) and est[1] <= 0:
                out.append(Finding(
                    "metrics", "high", f"R² {self._with_ci('r2')}: the interval includes 0",
                    "The model may explain no more variance than predicting the mean.",
                    evidence={"r2": est},
                ))
        return rank_findings(out)

    def _better(self, row: pd.Series, metric: str) -> bool:
        """Whether the model is significantly better than the baseline on this row."""
        d, q = float(row["difference"]), float(row["q_value"])
        good = d > 0 if higher_is_better(metric) else d < 0
        return bool(good and np.isfinite(q) and q < ALPHA)

    @staticmethod
    def _versus(r: pd.Series, *, both: bool = True) -> str:
        """``0.812 vs 0.700, difference +0.112 (95% CI 0.080 to 0.140), q<0.001`` of a comparison row."""
        head = f"{number(r['estimate'])} vs {number(r['reference_estimate'])}, " if both else ""
        return (f"{head}difference {signed(r['difference'])} (95% CI {number(r['difference_ci_low'])} to "
                f"{number(r['difference_ci_high'])}), {q_value(r['q_value'])}")

    def _baseline_findings(self, base: str, rows: pd.DataFrame) -> list[Finding]:
        prim = [m for m in self._primary() if m in rows.index]
        if not prim:
            return []
        words = _BASELINE_WORDS.get(base, f"baseline {base!r}")
        m = prim[0]
        r = rows.loc[m]
        detail = f"{_nice(m)} {self._versus(r)}"
        evidence = {k: rows.loc[k].to_dict() for k in prim}
        if base in ("majority_class", "mean") or base.startswith("dummy"):
            out = []
            if "log_loss" in rows.index and base == "majority_class":
                ll = rows.loc["log_loss"]
                if ll["difference"] > 0 and np.isfinite(ll["q_value"]) and ll["q_value"] < ALPHA:
                    out.append(Finding(
                        "metrics", "medium",
                        f"Log loss {number(ll['estimate'])} is worse than predicting the class priors "
                        f"({number(ll['reference_estimate'])}), {self._versus(ll, both=False)}",
                        "The probabilities are over-confident: confident mistakes cost more than the model's "
                        "ranking gains. Regularize or recalibrate.", {"log_loss": ll.to_dict()}))
            better = {k: self._better(rows.loc[k], k) for k in prim}
            if not any(better.values()):
                return [Finding("metrics", "high", f"Not significantly better than {words}: {detail}",
                                "The model adds nothing measurable over a trivial prediction. Check the "
                                "features, the target and the training data.", evidence), *out]
            if not better[m]:
                ok = [k for k, v in better.items() if v]
                return [Finding("metrics", "medium",
                                f"{_nice(m)} not significantly better than {words}: {detail}",
                                f"The model beats it on {', '.join(_nice(k) for k in ok)} only: its ranking "
                                "carries information but its decisions do not; tune the threshold.", evidence), *out]
            return out
        if not self._better(r, m):
            worse = r["difference"] < 0 if higher_is_better(m) else r["difference"] > 0
            how = "better" if worse and float(r["q_value"]) < ALPHA else "as well"
            return [Finding("metrics", "medium", f"{words[0].upper() + words[1:]} does {how}: {detail}",
                            "A simpler model would serve as well: the extra complexity buys no accuracy here.",
                            evidence)]
        return []

    def _calibration_findings(self) -> list[Finding]:
        est = self._est("ece")
        if est is None or not np.isfinite(est[1]) or est[1] < ECE_HIGH:
            return []
        return [Finding("metrics", "medium", f"Poorly calibrated: ECE {self._with_ci('ece')}",
                        "Predicted probabilities do not match observed frequencies (see the reliability "
                        "diagram). Recalibrate (CalibratedClassifierCV) before using them as risks.",
                        evidence={"ece": est})]

    # -- many classes ------------------------------------------------------------------
    def class_table(self) -> pd.DataFrame:
        """Per-class recall, precision and F1 with intervals, worst recall first.

        Returns
        -------
        pandas.DataFrame
            Columns ``label, metric, estimate, ci_low, ci_high, n`` where ``n`` is the class's
            support (true rows), one row per class and metric (``recall``, ``precision``,
            ``f1``), derived from ``.frame``; classes ordered by recall, lowest first.

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1, 2] * 50), y_pred=np.array([0, 1, 1] * 50), n_boot=50)
        >>> row = res.class_table().iloc[0]
        >>> row["label"], row["metric"], float(row["estimate"])
        ('2', 'recall', 0.0)
        """
        cols = ["label", "metric", "estimate", "ci_low", "ci_high", "n"]
        if self.task != "classification" or not self.labels:
            return pd.DataFrame(columns=cols)
        f = self.frame[self.frame["model"] == self.name]
        parts = f["metric"].str.extract(r"^(recall|precision|f1)\[(.*)\]$")
        rows = f.assign(metric=parts[0], label=parts[1]).dropna(subset=["metric"])
        support = self.confusion.assign(t=self.confusion["true_label"].astype(str)).groupby("t")["count"].sum() \
            if len(self.confusion) else pd.Series(dtype=float)
        rows = rows.assign(n=rows["label"].map(support).fillna(0).astype(int))
        recall = rows[rows["metric"] == "recall"].set_index("label")["estimate"]
        order = {lab: i for i, lab in enumerate(recall.sort_values(kind="stable").index)}
        metric_order = {"recall": 0, "precision": 1, "f1": 2}
        rows = rows.assign(_o=rows["label"].map(order), _m=rows["metric"].map(metric_order))
        return rows.sort_values(["_o", "_m"], kind="stable")[cols].reset_index(drop=True)

    def worst_classes(self, k: int = 5, metric: str = "recall") -> pd.DataFrame:
        """The ``k`` classes with the lowest ``metric`` (``"recall"``, ``"precision"`` or ``"f1"``), with intervals.

        Returns
        -------
        pandas.DataFrame
            Rows of :meth:`class_table` for that metric.
        """
        from diagtools._validation import check_option

        check_option(metric, ("recall", "precision", "f1"), "metric")
        t = self.class_table()
        t = t[t["metric"] == metric]
        return t.sort_values("estimate", kind="stable").head(k).reset_index(drop=True)

    def confused_pairs(self, k: int = 10) -> pd.DataFrame:
        """The most frequent mistakes: (true, predicted) pairs by count.

        Returns
        -------
        pandas.DataFrame
            Columns ``true_label, pred_label, count, share_of_true`` (share of the true class's
            rows predicted as ``pred_label``), largest count first, at most ``k`` rows.

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1, 2] * 50), y_pred=np.array([0, 1, 1] * 50), n_boot=50)
        >>> res.confused_pairs(1)[["true_label", "pred_label", "count"]].values.tolist()
        [['2', '1', 50]]
        """
        cols = ["true_label", "pred_label", "count", "share_of_true"]
        c = self.confusion
        if c.empty:
            return pd.DataFrame(columns=cols)
        c = c.assign(true_label=c["true_label"].astype(str), pred_label=c["pred_label"].astype(str))
        support = c.groupby("true_label")["count"].transform("sum")
        off = c[(c["true_label"] != c["pred_label"]) & (c["count"] > 0)].assign(share_of_true=lambda d: d["count"] / support[d.index])
        return off.sort_values(["count", "true_label"], ascending=[False, True], kind="stable").head(k)[cols].reset_index(drop=True)

    def _many_class_findings(self) -> list[Finding]:
        worst = self.worst_classes(3)
        worst = worst[worst["estimate"] < 1.0]  # a class without misses is not among the worst
        pairs = self.confused_pairs(3)
        if worst.empty or pairs.empty:  # no mistakes: no class is worse than another
            return []
        overall = self._est("recall_macro") or self._est("balanced_accuracy")
        named = ", ".join(f"{r.label} {number(r.estimate)} {interval(r.ci_low, r.ci_high)}".rstrip()
                          for r in worst.itertuples())
        title = f"Lowest recall of {len(self.labels)} classes: {named}"
        if len(pairs):
            p = pairs.iloc[0]
            title += (f"; most confused pair: {p['true_label']} predicted as {p['pred_label']} "
                      f"({int(p['count']):,} rows, {percent(p['share_of_true'], 0)} of {p['true_label']})")
        below = bool(overall is not None and np.isfinite(worst["ci_high"].iloc[0]) and worst["ci_high"].iloc[0] < overall[0])
        detail = ("Recall per class with 95% bootstrap intervals (class_table()); mistakes by pair in confused_pairs(). "
                  + (f"Macro recall is {number(overall[0])}: " if overall is not None else "")
                  + ("the worst class is significantly below it. " if below else "")
                  + "Other frequent confusions: "
                  + "; ".join(f"{r.true_label} -> {r.pred_label} ({int(r.count):,})" for r in pairs.iloc[1:].itertuples())
                  + ". Merge or relabel classes that overlap, or add examples that separate them.")
        return [Finding("metrics", "medium" if below else "info", title, detail,
                        {"worst_classes": worst["label"].tolist(),
                         "confused_pairs": pairs[["true_label", "pred_label"]].values.tolist()})]

    def _recall_findings(self) -> list[Finding]:
        if self._many_classes():
            return self._many_class_findings()
        out = []
        for lab in self.labels:
            est = self._est(f"recall[{lab}]")
            if est is not None and est[0] < LOW_RECALL:
                out.append(Finding("metrics", "medium", f"Class {lab!s} has very low recall: {self._with_ci(f'recall[{lab}]')}",
                                   "The model misses most rows of this class. Consider class weights, "
                                   "more data for it, or a lower threshold.", evidence={"recall": est}))
        return out

    # -- plots ---------------------------------------------------------------------------
    def plot(self, *, ax: Any = None, kind: str = "metrics", **kwargs: Any) -> Any:
        """Draw a view of the result and return the Axes.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure when None.
        kind : {"metrics", "roc", "pr", "calibration", "confusion", "residuals"}, default="metrics"
            ``"metrics"``: main metrics of the model and of each baseline with intervals; the
            others call ``plot_<kind>``.
        **kwargs
            Style of the main artist (bars for ``"metrics"``), checked by
            :func:`diagtools._plotting.validate_style_kwargs`.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> ax = res.plot()
        """
        from diagtools._validation import check_option

        check_option(kind, ("metrics", "roc", "pr", "calibration", "confusion", "residuals"), "kind")
        if kind != "metrics":
            return getattr(self, f"plot_{kind}")(ax=ax, **kwargs)
        validate_style_kwargs({}, kwargs, artist="patch")
        ax = get_ax(ax)
        # one scale per panel: scores in [0, 1] for classification, errors in target units for regression
        shown = (("accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "pr_auc", "brier", "ece")
                 if self.task == "classification" else ("mae", "rmse", "median_ae"))
        metrics = [m for m in self.frame["metric"].drop_duplicates() if m in shown]
        if not metrics:
            return empty_panel(ax, "no metric of this view in the result", title=f"{self.name}: metrics")
        models = list(dict.fromkeys(self.frame["model"]))
        width = 0.8 / max(len(models), 1)
        y0 = np.arange(len(metrics))
        for i, model in enumerate(models):
            sub = self.frame[self.frame["model"] == model].set_index("metric").reindex(metrics)
            style = {"color": f"C{i % 10}", "label": model, **kwargs}
            interval_bars(ax, y0 + i * width, sub["estimate"], sub["ci_low"], sub["ci_high"], horizontal=True,
                          kind="bar", width=width, **style)
        ax.set_yticks(y0 + width * (len(models) - 1) / 2)
        ax.set_yticklabels([_nice(m) for m in metrics])
        ax.invert_yaxis()
        ax.set_xlabel("estimate (95% bootstrap interval)" + (" in target units" if self.task == "regression" else ""))
        title = f"{self.name}: metrics vs baselines"
        if self.task == "regression" and self._est("r2") is not None:
            title += f" (R² {self._with_ci('r2')})"
        ax.set_title(title)
        ax.legend(loc="best", fontsize="small")
        return ax

    def _curve(self, name: str) -> pd.DataFrame:
        return self.curves[self.curves["curve"] == name] if len(self.curves) else self.curves

    def _curve_plot(self, ax: Any, name: str, label: str, title: str, empty: str, kwargs: dict[str, Any],
                    line: dict[str, Any] | None = None) -> tuple[Any, bool]:
        """Curve ``name`` with its bootstrap band on ``ax`` (new when None), titled; whether it was drawn.

        ``kwargs`` (the user's style, validated) go over ``line`` (the view's own); without the
        curve an empty panel says ``empty``.
        """
        style = validate_style_kwargs({"color": "C0", "label": label, **(line or {})}, kwargs)
        ax = get_ax(ax)
        ax.set_title(title)
        c = self._curve(name)
        if c.empty:
            empty_panel(ax, empty)
            return ax, False
        band(ax, c["x"], c["estimate"], c["ci_low"], c["ci_high"], band_label="95% bootstrap band", **style)
        return ax, True

    def plot_roc(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """ROC curve with its 95% bootstrap band (binary tasks). Returns the Axes.

        ``**kwargs`` style the curve (checked by ``validate_style_kwargs``).

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> ax = res.plot_roc()
        """
        ax, drawn = self._curve_plot(ax, "roc", f"{self.name} (AUC {self._with_ci('roc_auc')})", "ROC curve",
                                     "no ROC curve for this task", kwargs)
        if drawn:
            ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="chance")
            ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.01))
            ax.legend(loc="lower right", fontsize="small")
        return ax

    def plot_pr(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Precision-recall curve with its 95% bootstrap band (binary tasks). Returns the Axes.

        ``**kwargs`` style the curve (checked by ``validate_style_kwargs``).

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> ax = res.plot_pr()
        """
        ax, drawn = self._curve_plot(ax, "pr", f"{self.name} (AP {self._with_ci('pr_auc')})",
                                     "Precision-recall curve", "no precision-recall curve for this task", kwargs)
        if drawn:
            ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.01))
            ax.legend(loc="lower left", fontsize="small")
        return ax

    def plot_calibration(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Reliability diagram with 95% bootstrap bands per bin. Returns the Axes.

        ``**kwargs`` style the line of observed frequencies (checked by ``validate_style_kwargs``).

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> ax = res.plot_calibration()
        """
        ax, drawn = self._curve_plot(ax, "reliability", f"{self.name} (ECE {self._with_ci('ece')})",
                                     "Reliability diagram", "no probabilities: no reliability diagram", kwargs,
                                     {"marker": "o"})
        if drawn:
            ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
            multi = len(self.labels) > 2
            ax.set(xlabel="mean predicted probability" + (" (top class)" if multi else ""),
                   ylabel="observed frequency" + (" (accuracy)" if multi else ""), xlim=(0, 1), ylim=(0, 1))
            ax.legend(loc="upper left", fontsize="small")
        return ax

    def plot_confusion(self, *, ax: Any = None, normalize: bool = False, **kwargs: Any) -> Any:
        """Confusion matrix heat map (counts, or row shares with ``normalize=True``). Returns the Axes.

        ``**kwargs`` style the image (``cmap``, ``alpha``, ...; checked by ``validate_style_kwargs``).

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> ax = res.plot_confusion(normalize=True)
        """
        style = validate_style_kwargs({"cmap": "Blues"}, kwargs, artist="collection")
        many = self._many_classes()
        ax = get_ax(ax, figsize=(7.5, 6.5) if many else (4.8, 4.2))
        if self.confusion.empty:
            return empty_panel(ax, "no confusion matrix (regression)", title="Confusion matrix")
        labs = list(dict.fromkeys(self.confusion["true_label"].astype(str)))
        title = "Confusion matrix"
        if many:  # only the classes in the most frequent mistakes: all of them would be an unreadable block
            kept = list(dict.fromkeys(v for p in self.confused_pairs(12)[["true_label", "pred_label"]].values for v in p))[:12]
            kept = [lab for lab in labs if lab in kept] or labs[:12]
            title = f"Confusion among the {len(kept)} of {len(labs)} classes in the most frequent mistakes"
            labs = kept
        wide = self.confusion.assign(t=self.confusion["true_label"].astype(str), p=self.confusion["pred_label"].astype(str)) \
            .pivot(index="t", columns="p", values="count").fillna(0)
        totals = wide.sum(axis=1).reindex(labs).to_numpy(dtype=float)[:, None]  # every row of the class, shown or not
        mat = wide.reindex(index=labs, columns=labs).fillna(0).to_numpy(dtype=float)
        if normalize:
            mat = mat / np.maximum(totals, 1)
        im = ax.imshow(mat, **style)
        for (i, j), v in np.ndenumerate(mat):
            ax.text(j, i, f"{v:.2f}" if normalize else f"{int(v):,}", ha="center", va="center",
                    color="white" if v > mat.max() / 2 else "black", fontsize="small")
        short = [lab if len(lab) <= 24 else lab[:23] + "…" for lab in labs]
        ax.set_xticks(range(len(labs)), short, rotation=45 if many else 0, ha="right" if many else "center")
        ax.set_yticks(range(len(labs)), short)
        ax.set(xlabel="predicted label", ylabel="true label", title=title)
        ax.figure.colorbar(im, ax=ax, fraction=0.046)
        return ax

    def plot_residuals(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Residuals against predictions on a sample of rows (regression). Returns the Axes.

        ``**kwargs`` style the points (checked by ``validate_style_kwargs``).

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> ax = res.plot_residuals()  # classification: an empty panel with a note
        """
        style = validate_style_kwargs({"s": 8, "alpha": 0.4}, kwargs, artist="collection")
        ax = get_ax(ax)
        p = self.predictions
        if len(p) == 0:
            return empty_panel(ax, "no residuals (classification)", title="Residuals")
        ax.scatter(p["y_pred"], p["residual"], **style)
        ax.axhline(0, color="grey", ls="--", lw=1)
        ax.set(xlabel="predicted value", ylabel="residual (true - predicted)",
               title=f"Residuals ({len(p):,} sampled rows)")
        return ax

    def plot_summary(self) -> Any:
        """Figure with the main panels (metrics vs baselines, ROC/PR, calibration, confusion or residuals).

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> import numpy as np
        >>> from diagtools.metrics import evaluate_predictions
        >>> res = evaluate_predictions(np.array([0, 1] * 100), y_score=np.linspace(0, 1, 200), n_boot=50)
        >>> fig = res.plot_summary()
        """
        plt = check_matplotlib()
        if self.task == "regression":
            fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
            self.plot(ax=axes[0])
            self.plot_residuals(ax=axes[1])
        else:
            fig, axes = plt.subplots(2, 2, figsize=(12, 9))
            self.plot(ax=axes[0, 0])
            if len(self.labels) == 2 and not self._curve("roc").empty:
                self.plot_roc(ax=axes[0, 1])
            else:
                self.plot_confusion(ax=axes[0, 1])
            self.plot_calibration(ax=axes[1, 0])
            if len(self.labels) == 2 and not self._curve("pr").empty:
                self.plot_pr(ax=axes[1, 1])
            else:
                axes[1, 1].axis("off")
        fig.tight_layout()
        return fig
