"""``DataQualityResult``: the checks of ``check_data``, findings in plain words and plots."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools._format import interval, metric_value, percent, q_value, signed
from diagtools._plotting import empty_panel, get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings

#: Columns of :attr:`DataQualityResult.frame`, in order.
FRAME_COLUMNS = [
    "check", "column", "split", "count", "estimate", "ci_low", "ci_high", "n", "p_value", "q_value", "flagged", "detail",
]
_SPLIT_WORD = {"train": "training", "test": "test", "all": "all"}


#: Empty frames of the optional parts, so ``result.label_issues.empty`` always works.
_EMPTY = {
    "label_issues": ["rank", "row", "given_label", "suggested_label", "self_confidence", "suggested_proba"],
    "confidence_hist": ["bin_left", "bin_right", "n_rows", "n_candidates"],
    "noise_joint": ["given_label", "true_label", "share"],
    "missing_blocks": ["split", "block", "column", "missing_share"],
    "noise_pairs": ["given_label", "suggested_label", "observed", "expected", "excess", "p_value", "q_value",
                    "significant"],
}


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=_EMPTY[name])


def _share(value: float, low: float = np.nan, high: float = np.nan) -> str:
    """A share with its interval: ``1.2% [0.8%, 1.6%]``."""
    return metric_value("share", value, low=low, high=high)


@dataclass(frozen=True)
class DataQualityResult(Result):
    """Integrity, train/test leakage and label-noise checks of one training (and test) table.

    Attributes
    ----------
    frame : DataFrame
        One row per check x column x split, columns ``check, column, split, count, estimate,
        ci_low, ci_high, n, p_value, q_value, flagged, detail``. ``column`` is ``"*"`` for
        row-level checks; ``split`` is ``"train"``, ``"test"`` or ``"all"`` (both together).
        Checks and the meaning of ``count`` / ``estimate`` (interval: Wilson unless noted):

        - ``missing``: missing values, NaN or a marker string such as ``"?"``, ``"NA"``, ``"null"``
          or an empty string (named in ``detail``) / their share (``p_value``: test vs train rates);
        - ``constant``: rows holding the dominant value / its share;
        - ``mixed_types``: values of the minority type / share of non-missing values;
        - ``high_cardinality``: distinct values / distinct values per row;
        - ``outliers``: values beyond the robust z (training median and MAD) / share;
        - ``duplicate_rows``: rows repeating an earlier row (features and label) / share;
        - ``conflicting_labels``: rows in groups of identical features with different labels / share;
        - ``train_test_duplicates``: test rows whose features occur in training / share of test rows;
        - ``near_duplicates``: further test rows matching a training row after normalisation / share;
        - ``id_like``: distinct values / per row (flagged: unique per row and integer, text or monotone);
        - ``target_leakage``: rows / cross-validated score of a one-column model (ROC-AUC or R^2,
          bootstrap interval; ``p_value``: paired bootstrap test vs the full model);
        - ``full_model``: rows / cross-validated score of the model on all features;
        - ``label_noise``: candidates with this given label (``column``) / estimated noise rate
          of the class (confident learning); flagged only when the class is the given label of a
          pair with significantly more confident disagreements than expected (``noise_pairs``);
        - ``removal_impact``: test rows kept / change of the test metric when the flagged rows
          (``column="*"``) or a leaking column are removed (bootstrap interval).

        ``q_value``: Benjamini-Hochberg over every p-value in the frame.
    label_issues : DataFrame
        Top label-noise candidates: ``rank, row, given_label, suggested_label,
        self_confidence, suggested_proba`` (``row`` is the index label in ``train``).
    confidence_hist : DataFrame
        ``bin_left, bin_right, n_rows, n_candidates``: self-confidence histogram.
    noise_joint : DataFrame
        ``given_label, true_label, share``: calibrated joint distribution of labels.
    missing_blocks : DataFrame
        ``split, block, column, missing_share``: the missingness matrix (blocks of rows).
    noise_pairs : DataFrame
        ``given_label, suggested_label, observed, expected, excess, p_value, q_value,
        significant``: confident disagreements per pair of classes against the count the
        model's own (temperature-calibrated) probabilities predict if every label were drawn
        from them. Only ``significant`` pairs are evidence of wrong labels; elsewhere the
        disagreements are what a model this uncertain makes on correct labels.

    Examples
    --------
    >>> from diagtools.datasets import make_loans
    >>> from diagtools.quality import check_data
    >>> res = check_data(make_loans(1_000), make_loans(500, random_state=1), target="defaulted", checks="fast")
    >>> res.count("train_test_duplicates")
    0
    >>> res.flagged("id_like").empty
    True
    """

    label_issues: pd.DataFrame = field(default_factory=lambda: _empty("label_issues"))
    confidence_hist: pd.DataFrame = field(default_factory=lambda: _empty("confidence_hist"))
    noise_joint: pd.DataFrame = field(default_factory=lambda: _empty("noise_joint"))
    missing_blocks: pd.DataFrame = field(default_factory=lambda: _empty("missing_blocks"))
    noise_pairs: pd.DataFrame = field(default_factory=lambda: _empty("noise_pairs"))

    area = "quality"
    title = "Data quality and leakage"

    # -- views -----------------------------------------------------------------------
    def flagged(self, check: str | None = None) -> pd.DataFrame:
        """Return the flagged rows of ``frame`` (optionally of one check).

        Parameters
        ----------
        check : str, optional

        Returns
        -------
        DataFrame
        """
        f = self.frame[self.frame["flagged"].astype(bool)]
        return f if check is None else f[f["check"] == check]

    def count(self, check: str, split: str | None = None) -> int:
        """Total ``count`` of a row-level check (e.g. ``"train_test_duplicates"``).

        Parameters
        ----------
        check : str
        split : str, optional

        Returns
        -------
        int
        """
        f = self.frame[self.frame["check"] == check]
        if split is not None:
            f = f[f["split"] == split]
        return int(f["count"].sum())

    @property
    def leaking_columns(self) -> list[str]:
        """Columns flagged as target leakage, highest one-column score first."""
        f = self.flagged("target_leakage").sort_values("estimate", ascending=False)
        return f["column"].astype(str).tolist()

    @property
    def predictive_power(self) -> pd.DataFrame:
        """One-column predictive power (rows of ``target_leakage`` and ``full_model``), best first."""
        f = self.frame[self.frame["check"].isin(["target_leakage", "full_model"])]
        return f.sort_values("estimate", ascending=False).reset_index(drop=True)

    def _score_name(self) -> str:
        return "ROC-AUC" if self.params.get("task") == "classification" else "R2"

    def _score_metric(self) -> str:
        """The one-column score's name in the metric registry."""
        return "roc_auc" if self.params.get("task") == "classification" else "r2"

    def _full(self) -> pd.Series | None:
        f = self.frame[self.frame["check"] == "full_model"]
        return None if f.empty else f.iloc[0]

    def _noise_findings(self) -> list[Finding]:
        """Label noise claimed only where confident disagreements exceed what the model's uncertainty predicts."""
        pairs = self.noise_pairs
        candidates = self.frame[self.frame["check"] == "label_noise"]
        total = int(candidates["count"].sum())
        if pairs.empty or total == 0:
            return []
        observed = int(self.params.get("confident_disagreements", pairs["observed"].sum()))
        expected = float(self.params.get("expected_disagreements", pairs["expected"].sum()))
        sig = pairs[pairs["significant"].astype(bool)]
        A = self.area
        if sig.empty:
            return [Finding(A, "info", f"{total:,} label-noise candidates, but no pair of classes has more confident "
                                       "disagreements than the model's own uncertainty predicts: low confidence that they "
                                       "are label errors",
                            f"{observed:,} rows disagree confidently with the model; if every label were drawn from its "
                            f"calibrated out-of-fold probabilities, {expected:.0f} would be expected. No single pair of "
                            "classes shows a significant excess (Poisson test, FDR 5%, at least 1.5x and 3 rows), so a "
                            "weak model or overlapping classes explain these disagreements as well as wrong labels do. "
                            "The candidates are listed in .label_issues as hard cases to review.",
                            {"count": total, "observed": observed, "expected": expected, "confidence": "low"})]
        excess = float(sig["excess"].sum())
        top = sig.iloc[0]
        parts = "; ".join(
            f"labelled {r.given_label!s} but look like {r.suggested_label!s}: {r.observed:,} vs {r.expected:.1f} expected "
            f"({q_value(r.q_value)})" for r in sig.head(5).itertuples(index=False))
        sev = "medium" if excess >= 5 else "low"
        return [Finding(A, sev, f"About {excess:.0f} labels look wrong beyond the model's own uncertainty, most between "
                                f"{top['given_label']!s} and {top['suggested_label']!s} ({int(top['observed']):,} rows "
                                f"labelled {top['given_label']!s} look like {top['suggested_label']!s}; "
                                f"{top['expected']:.1f} expected)",
                        f"Confident disagreements per pair of classes against what the model's calibrated probabilities "
                        f"predict: {parts}. Review those rows in .label_issues (given_label / suggested_label); "
                        f"{total:,} candidates in all, {observed:,} confident disagreements vs {expected:.0f} expected "
                        "overall.",
                        {"count": total, "excess": excess, "pairs": sig[["given_label", "suggested_label"]].astype(str)
                         .values.tolist()})]

    # -- conclusions -----------------------------------------------------------------
    def findings(self) -> list[Finding]:
        """Ranked findings in plain words, one per problem (columns grouped per check).

        Returns
        -------
        list of Finding
        """
        A = self.area
        out = self._leakage_findings() + self._label_findings() + self._integrity_findings() + self._impact_findings()
        if not out:
            ran = ", ".join(self.params.get("checks", []))
            out.append(Finding(A, "info", "No data-quality problem found", f"Checks run: {ran}."))
        return rank_findings(out)

    def _leakage_findings(self) -> list[Finding]:
        """Test rows seen in training, leaking columns, row IDs."""
        out: list[Finding] = []
        A = self.area
        for r in self.flagged("train_test_duplicates").itertuples(index=False):
            sev = "high" if r.estimate >= 0.001 else "medium"
            out.append(Finding(A, sev, f"{r.count:,} test rows ({_share(r.estimate, r.ci_low, r.ci_high)}) also appear in "
                                       "training: held-out scores are optimistic",
                               f"{r.detail}. Remove them from the test set (or deduplicate before splitting) and re-evaluate.",
                               {"count": r.count, "share": r.estimate}))
        for r in self.flagged("near_duplicates").itertuples(index=False):
            out.append(Finding(A, "medium", f"{r.count:,} more test rows ({percent(r.estimate)}) nearly match a training row",
                               f"{r.detail}. Near copies leak like exact ones: check how the data was split.",
                               {"count": r.count, "share": r.estimate}))
        full = self._full()
        name = self._score_name()
        for r in self.flagged("target_leakage").sort_values("estimate", ascending=False).itertuples(index=False):
            vs = f" vs {metric_value(self._score_metric(), full['estimate'])} for the full model" if full is not None else ""
            out.append(Finding(A, "high", f"Column {r.column} alone predicts the target with {name} "
                                          f"{metric_value(self._score_metric(), r.estimate, low=r.ci_low, high=r.ci_high)}{vs}: likely target leakage",
                               "A single column this predictive is usually computed from the label or recorded after the "
                               "outcome. Check how it is produced; drop it if it is not available at prediction time.",
                               {"column": r.column, "score": r.estimate}))
        for r in self.flagged("id_like").itertuples(index=False):
            out.append(Finding(A, "medium", f"Column {r.column} looks like a row ID ({r.detail})",
                               "IDs carry no signal that generalises, and a monotone ID encodes time or order. Drop it from "
                               "the features, or pass exclude=[...] to leave it out of these checks.", {"column": r.column}))
        return out

    def _label_findings(self) -> list[Finding]:
        """Label-noise candidates, claimed only beyond the model's own uncertainty."""
        out: list[Finding] = []
        A = self.area
        issues = self.flagged("label_noise")
        if not self.noise_pairs.empty:
            out.extend(self._noise_findings())
        elif len(issues):
            total = int(issues["count"].sum())
            n = int(self.params.get("n_train", 0)) or int(issues["n"].sum())
            worst = issues.sort_values("estimate", ascending=False).iloc[0]
            per = "; ".join(f"class {r.column}: {_share(r.estimate, r.ci_low, r.ci_high)}" for r in issues.itertuples(index=False))
            sev = "medium" if total / max(n, 1) >= 0.01 else "low"
            out.append(Finding(A, sev, f"{total:,} training rows ({percent(total / max(n, 1))}) carry a label the model finds unlikely "
                                       f"(label-noise candidates); estimated noise highest in class {worst['column']} "
                                       f"({percent(worst['estimate'])})",
                               f"Confident learning on out-of-fold probabilities; estimated noise rate per given label: {per}. "
                               "Review the top candidates in .label_issues: where classes overlap naturally, many are hard "
                               "cases rather than wrong labels.", {"count": total}))
        return out

    def _integrity_findings(self) -> list[Finding]:
        """Duplicates, conflicting labels, missing values, constant, mixed, wide and outlying columns."""
        out: list[Finding] = []
        A = self.area
        for check, word in (("duplicate_rows", "are exact duplicates of other rows"),
                            ("conflicting_labels", "share identical features with rows of a different label")):
            for r in self.flagged(check).itertuples(index=False):
                sev = "medium" if r.estimate >= 0.01 or check == "conflicting_labels" else "low"
                out.append(Finding(A, sev, f"{r.count:,} {_SPLIT_WORD.get(r.split, r.split)} rows ({percent(r.estimate)}) {word}",
                                   r.detail + ".", {"split": r.split, "count": r.count}))
        miss = self.flagged("missing")
        for col, g in miss.groupby("column", sort=False):
            parts = ", ".join(f"{percent(r.estimate)} of {_SPLIT_WORD.get(r.split, r.split)} rows" for r in g.itertuples(index=False))
            test = g[g["split"] == "test"]
            differ = len(test) and np.isfinite(test["q_value"].iloc[0]) and test["q_value"].iloc[0] < 0.05
            sev = "medium" if g["estimate"].max() >= 0.2 or differ else "low"
            extra = " (rates differ between splits, q<0.05)" if differ else ""
            written = list(dict.fromkeys(m for r in g.itertuples(index=False) if "(written as " in r.detail
                                         for m in re.findall(r"\d[\d,]* ('.*?'|\".*?\")", r.detail)))
            how = f" (written as {', '.join(written)})" if written else ""
            out.append(Finding(A, sev, f"Column {col} has missing values: {parts}{extra}{how}",
                               ("Marker strings count as missing here, but a model reading the raw column sees them as "
                                "a category or text: convert them to missing (e.g. pd.read_csv(..., na_values=[...])). "
                                if written else "")
                               + "Check that missingness is handled the same way in training and at prediction time.",
                               {"column": col, "markers": written}))
        for r in self.flagged("constant").itertuples(index=False):
            sev = "medium" if r.estimate >= 1.0 else "low"
            out.append(Finding(A, sev, f"Column {r.column} is {r.detail}", "It carries (almost) no information; consider dropping it.",
                               {"column": r.column}))
        for r in self.flagged("mixed_types").itertuples(index=False):
            out.append(Finding(A, "medium", f"Column {r.column} mixes value types ({r.detail})",
                               "Parse the column to one type; stray text in a numeric column often marks missing values.",
                               {"column": r.column}))
        for r in self.flagged("high_cardinality").itertuples(index=False):
            out.append(Finding(A, "low", f"Column {r.column} has {r.count:,} categories ({r.estimate:.2f} per row)",
                               "Too many categories to learn from: group rare ones or encode them differently.",
                               {"column": r.column}))
        outl = self.flagged("outliers")
        if len(outl):
            worst = outl.sort_values("estimate", ascending=False).drop_duplicates("column")
            parts = ", ".join(f"{r.column} {percent(r.estimate)} ({r.split})" for r in worst.head(5).itertuples(index=False))
            out.append(Finding(A, "low", f"{worst['column'].nunique()} numeric column(s) with >= "
                                         f"{percent(float(self.params.get('outlier_share', 0.01)))} outliers: {parts}",
                               f"Robust z-score above {self.params.get('outlier_z', 3.5)} against the training median and MAD. "
                               "Check for unit errors or sentinel values (e.g. 999).", {"columns": worst["column"].tolist()}))
        return out

    def _impact_findings(self) -> list[Finding]:
        """How the test metric changes when flagged rows or leaking columns are removed."""
        out: list[Finding] = []
        A = self.area
        name = self._score_name()
        for r in self.frame[self.frame["check"] == "removal_impact"].itertuples(index=False):
            what = "removing the duplicated test rows" if r.column == "*" else f"dropping column {r.column}"
            sig = "" if r.flagged else " (interval includes 0)"
            out.append(Finding(A, "medium" if r.flagged else "info",
                               f"Test {name} changes by {' '.join(filter(None, (signed(r.estimate), interval(r.ci_low, r.ci_high, signed))))} "
                               f"when {what}{sig}", r.detail + ".", {"column": r.column, "change": r.estimate}))
        return out

    def headline(self) -> list[tuple[str, str]]:
        """Rows, cross-split duplicates, leaking columns, label-noise candidates, flagged checks.

        Returns
        -------
        list of (str, str)
        """
        out = [("rows", f"{self.params.get('n_train', self.n_samples):,} train / {self.params.get('n_test', 0):,} test")]
        f = self.frame
        if (f["check"] == "train_test_duplicates").any():
            out.append(("test rows in train", f"{self.count('train_test_duplicates'):,}"))
        if (f["check"] == "target_leakage").any():
            out.append(("leaking columns", str(len(self.leaking_columns))))
        if (f["check"] == "label_noise").any():
            out.append(("label-noise candidates", f"{self.count('label_noise'):,}"))
        out.append(("flagged checks", str(len(self.flagged()))))
        return out[:5]

    # -- plots -----------------------------------------------------------------------
    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Overview: number of flagged columns/rows entries per check (grey: ran, nothing flagged).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the bars, one per check (``ax.barh``); ``color`` replaces the red (flagged) / grey
            colours.

        Returns
        -------
        matplotlib.axes.Axes
        """
        f = self.frame
        checks = list(dict.fromkeys(f["check"].tolist()))
        n_flag = [int(f[(f["check"] == c)]["flagged"].astype(bool).sum()) for c in checks]
        style = validate_style_kwargs({"color": ["#b42318" if k else "#98a2b3" for k in n_flag]}, kwargs, artist="patch")
        ax = get_ax(ax, figsize=(6.4, 4.0))
        if not checks:
            return empty_panel(ax, "no check ran", title="Data-quality checks")
        ypos = np.arange(len(checks))
        ax.barh(ypos, [max(k, 0.05) for k in n_flag], **style)
        ax.set_yticks(ypos, checks)
        ax.invert_yaxis()
        for y, k in zip(ypos, n_flag, strict=True):
            ax.text(max(k, 0.05), y, f" {k}" if k else " ok", va="center", fontsize=8)
        ax.set_xlabel("flagged entries (column x split)")
        ax.set_title("Data-quality checks")
        return ax

    def plot_missing(self, *, ax: Any = None, cmap: str = "Greys", **kwargs: Any) -> Any:
        """Missingness matrix: share of missing values per block of rows (y) and column (x).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        cmap : str, default="Greys"
            Colour map of the shares.
        **kwargs
            Style of the image (``ax.imshow``), e.g. ``alpha``, ``norm``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        style = validate_style_kwargs({"cmap": cmap}, kwargs, artist="collection")
        ax = get_ax(ax, figsize=(6.4, 4.2))
        mb = self.missing_blocks
        if mb.empty:
            return empty_panel(ax, "missing values not checked")
        cols = list(dict.fromkeys(mb["column"].tolist()))
        mats, labels = [], []
        for split in dict.fromkeys(mb["split"].tolist()):
            piv = mb[mb["split"] == split].pivot(index="block", columns="column", values="missing_share")[cols]
            mats.append(piv.to_numpy(dtype=float))
            labels.append((split, len(piv)))
        mat = np.vstack(mats)
        style.setdefault("norm", None)
        clim = {} if style["norm"] is not None else {"vmin": 0.0, "vmax": max(0.05, float(np.nanmax(mat)))}
        im = ax.imshow(mat, interpolation="nearest", aspect="auto", **clim, **style)
        ax.set_xticks(np.arange(len(cols)), cols, rotation=60, ha="right", fontsize=8)
        start = 0
        ticks, names = [], []
        for split, size in labels:
            ticks.append(start + size / 2 - 0.5)
            names.append(split)
            start += size
            if start < len(mat):
                ax.axhline(start - 0.5, color="#b42318", lw=1)
        ax.set_yticks(ticks, names)
        ax.figure.colorbar(im, ax=ax, label="share missing")
        ax.set_title("Missing values (rows in blocks, top to bottom)")
        return ax

    def plot_leakage(self, *, ax: Any = None, top: int = 30, **kwargs: Any) -> Any:
        """One-column predictive power with intervals; the full model's score as a reference band.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        top : int, default=30
            Most predictive columns shown.
        **kwargs
            Style of the one-column score bars (``ax.barh``); ``color`` replaces red (flagged) / blue.

        Returns
        -------
        matplotlib.axes.Axes
        """
        f = self.frame[self.frame["check"] == "target_leakage"].sort_values("estimate", ascending=False).head(top)
        style = validate_style_kwargs({"color": ["#b42318" if v else "#5b8db8" for v in f["flagged"].astype(bool)]},
                                      kwargs, artist="patch")
        ax = get_ax(ax, figsize=(6.4, 4.2))
        if f.empty:
            return empty_panel(ax, "target leakage not checked")
        base = 0.5 if self.params.get("task") == "classification" else 0.0
        y = np.arange(len(f))
        est = f["estimate"].to_numpy(dtype=float)
        ax.barh(y, est - base, left=base, **style)
        interval_bars(ax, y, est, f["ci_low"], f["ci_high"], horizontal=True, color="0.25", marker="")
        ax.set_yticks(y, f["column"].astype(str).tolist())
        ax.invert_yaxis()
        full = self._full()
        if full is not None:
            ax.axvspan(full["ci_low"], full["ci_high"], color="#fdb022", alpha=0.25)
            ax.axvline(full["estimate"], color="#b54708", lw=1.5,
                       label=f"full model {metric_value(self._score_metric(), full['estimate'])}")
        ax.axvline(float(self.params.get("leakage_threshold", np.nan)), color="#b42318", ls="--", lw=1, label="leakage threshold")
        ax.legend(loc="lower right", fontsize=8)
        ax.set_xlabel(f"cross-validated {self._score_name()} of the column alone")
        ax.set_title("One-column predictive power (red: too good to be true)")
        return ax

    def plot_label_noise(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Histogram of the probability of the given label, label-noise candidates highlighted.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the bars of all rows (``ax.bar``), e.g. ``color``, ``alpha``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        style = validate_style_kwargs({"color": "#98a2b3", "label": "all training rows"}, kwargs, artist="patch")
        ax = get_ax(ax, figsize=(6.4, 4.2))
        h = self.confidence_hist
        if h.empty:
            return empty_panel(ax, "label noise not checked")
        left = h["bin_left"].to_numpy(dtype=float)
        width = (h["bin_right"] - h["bin_left"]).to_numpy(dtype=float)
        ax.bar(left, h["n_rows"], width=width, align="edge", **style)
        ax.bar(left, h["n_candidates"], width=width, align="edge", color="#b42318", label="label-noise candidates")
        ax.set_yscale("symlog", linthresh=1)
        ax.set_xlabel("out-of-fold probability of the given label (self-confidence)")
        ax.set_ylabel("rows")
        ax.legend(fontsize=8)
        ax.set_title("Label-noise candidates (confident learning)")
        return ax

    def plot_all(self) -> Any:
        """Four panels: overview, missing values, one-column power, label noise.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from diagtools._plotting import check_matplotlib

        plt = check_matplotlib()
        fig, axes = plt.subplots(2, 2, figsize=(12, 8))
        for method, panel in zip((self.plot, self.plot_missing, self.plot_leakage, self.plot_label_noise),
                                 axes.ravel(), strict=True):
            method(ax=panel)
        fig.tight_layout()
        return fig
