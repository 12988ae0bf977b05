"""Results of the fit area: learning curve, validation curve and the fit diagnosis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._metric_registry import clip_interval, metric_bounds
from diagtools._plotting import get_ax
from diagtools._result import Finding, Result, Severity, rank_findings

TRAIN_COLOUR, VALIDATION_COLOUR = "#175cd3", "#b54708"
SUMMARY_COLUMNS = ["split", "estimate", "ci_low", "ci_high", "n"]


def fold_interval(values: np.ndarray, confidence: float = 0.95,
                  bounds: tuple[float, float] = (-np.inf, np.inf)) -> tuple[float, float, float, int]:
    """Mean and Student-t interval across folds: ``(estimate, ci_low, ci_high, n)``.

    Folds share training rows, so this interval is a little optimistic (Bengio & Grandvalet,
    2004); it still shows which differences are within fold-to-fold noise. The interval is
    clipped to ``bounds``, the range of the score (``metric_bounds``: accuracy never above 1,
    R^2 never above 1), by the rule documented in ``diagtools._metric_registry``.
    """
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(v.mean())
    if n < 2:
        return mean, np.nan, np.nan, n
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    lo, hi = clip_interval(mean - half, mean + half, bounds)
    return mean, lo, hi, n


def short_param_name(name: str) -> str:
    """Drop scikit-learn's pipeline prefixes: ``"decisiontreeclassifier__max_depth"`` -> ``"max_depth"``.

    The full name stays in ``params``; plots, sliders and findings show the short one.
    """
    return str(name).rsplit("__", 1)[-1]


def _fmt(v: Any) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"


def _fmt_ci(est: float, lo: float, hi: float) -> str:
    if not np.isfinite(lo):
        return _fmt(est)
    return f"{_fmt(est)} [{_fmt(lo)}, {_fmt(hi)}]"


def _signed(v: float) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:+.3f}"


def _summarise(frame: pd.DataFrame, keys: list[str], confidence: float, scoring: str = "score") -> pd.DataFrame:
    bounds = metric_bounds(scoring)
    rows = []
    for key, group in frame.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for split in ("train", "validation"):
            est, lo, hi, n = fold_interval(group[f"{split}_score"].to_numpy(), confidence, bounds)
            rows.append({**dict(zip(keys, key, strict=True)), "split": split, "estimate": est, "ci_low": lo, "ci_high": hi, "n": n})
    return pd.DataFrame(rows, columns=keys + SUMMARY_COLUMNS)


def _band(ax: Any, x: np.ndarray, s: pd.DataFrame, split: str, colour: str, label: str) -> None:
    part = s[s["split"] == split]
    ax.plot(x, part["estimate"], marker="o", color=colour, label=label)
    ax.fill_between(x, part["ci_low"].astype(float), part["ci_high"].astype(float), color=colour, alpha=0.2, lw=0)


@dataclass(frozen=True)
class LearningCurveResult(Result):
    """Training and validation scores of a model on growing training sets.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per training size x fold: ``train_size`` (rows fitted on), ``fold``,
        ``train_score`` (score on those training rows), ``validation_score`` (score on the
        fold's held-out rows), ``fit_time_s``, ``score_time_s`` (scikit-learn's timings).
        Scores are greater-is-better scikit-learn scorer values.
    params : dict
        ``scoring, cv, random_state, confidence, model, n_jobs``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from diagtools.fit import learning_curve
    >>> X, y = make_classification(300, random_state=0)
    >>> res = learning_curve(LogisticRegression(), X, y, train_sizes=[0.3, 1.0], cv=3)
    >>> res.summary()["split"].tolist()
    ['train', 'validation', 'train', 'validation']
    """

    area: ClassVar[str] = "fit"
    title: ClassVar[str] = "Learning curve"

    @property
    def scoring(self) -> str:
        """Name of the score."""
        return str(self.params.get("scoring", "score"))

    def summary(self) -> pd.DataFrame:
        """Mean score per training size and split with an interval across folds.

        Returns
        -------
        pandas.DataFrame
            Columns ``train_size, split, estimate, ci_low, ci_high, n`` (``n``: folds),
            Student-t interval at ``params["confidence"]``.
        """
        return _summarise(self.frame, ["train_size"], float(self.params.get("confidence", 0.95)), self.scoring)

    def at_size(self, train_size: int | None = None) -> pd.DataFrame:
        """Rows of ``.frame`` at one training size (the largest by default)."""
        size = int(self.frame["train_size"].max()) if train_size is None else int(train_size)
        return self.frame[self.frame["train_size"] == size]

    def data_gain(self, *, doublings: float = 2.0) -> dict[str, float]:
        """Validation score gained per doubling of the training data, at the curve's end.

        Fits ``score = a + b * log2(train_size)`` per fold (least squares) to the training
        sizes within the last ``doublings`` doublings (at least the last three sizes, when
        there are three) and reports ``b`` with an interval across folds. A log-linear fit is
        the local form of a power-law learning curve.

        Parameters
        ----------
        doublings : float, default=2.0
            Sizes of at least ``max_size / 2**doublings`` rows are used.

        Returns
        -------
        dict
            ``estimate, ci_low, ci_high, n`` (NaN with fewer than two training sizes).
        """
        all_sizes = np.sort(self.frame["train_size"].unique())
        if len(all_sizes) < 2:
            return {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0}
        keep = all_sizes >= all_sizes[-1] / 2.0**doublings
        keep[-min(3, len(all_sizes)):] = True
        sizes = all_sizes[keep]
        part = self.frame[self.frame["train_size"].isin(sizes)]
        wide = part.pivot(index="fold", columns="train_size", values="validation_score")[sizes].to_numpy()
        x = np.log2(sizes.astype(float))
        xc = x - x.mean()
        slopes = (wide - wide.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
        est, lo, hi, n = fold_interval(slopes, float(self.params.get("confidence", 0.95)))
        return {"estimate": est, "ci_low": lo, "ci_high": hi, "n": n}

    def headline(self) -> list[tuple[str, str]]:
        """Validation and training score at the largest size, and the gain per doubling."""
        s = self.summary()
        last = s[s["train_size"] == s["train_size"].max()].set_index("split")
        gain = self.data_gain()
        out = [("scoring", self.scoring), ("rows", f"{self.n_samples:,}")]
        for split in ("validation", "train"):
            r = last.loc[split]
            out.append((f"{split} score", _fmt_ci(r["estimate"], r["ci_low"], r["ci_high"])))
        out.append(("per doubling of data", _signed(gain["estimate"])))
        return out

    def findings(self) -> list[Finding]:
        """Say whether more data would help and how far training and validation scores differ."""
        s = self.summary()
        last = s[s["train_size"] == s["train_size"].max()].set_index("split")
        gain = self.data_gain()
        out = []
        if np.isfinite(gain["ci_low"]) and gain["ci_low"] > 0:
            out.append(Finding(
                "fit", "info",
                f"More data would likely help: about {_signed(gain['estimate'])} {self.scoring} per doubling of data",
                "Slope of the validation score against log2(training rows) over the curve's last points, "
                f"interval across folds [{_fmt(gain['ci_low'])}, {_fmt(gain['ci_high'])}].",
                gain,
            ))
        gap = last.loc["train", "estimate"] - last.loc["validation", "estimate"]
        out.append(Finding(
            "fit", "info",
            f"At {int(s['train_size'].max()):,} training rows: training {self.scoring} {_fmt(last.loc['train', 'estimate'])}, "
            f"validation {_fmt(last.loc['validation', 'estimate'])} (gap {_signed(gap)})",
            "diagnose_fit turns this curve into a verdict with baselines.",
            {"gap": gap},
        ))
        return rank_findings(out)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw training and validation score against training rows, with fold bands.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            ``title`` and ``xscale`` (default ``"log"``).

        Returns
        -------
        matplotlib Axes
        """
        ax = get_ax(ax)
        s = self.summary()
        x = s.loc[s["split"] == "train", "train_size"].to_numpy(dtype=float)
        _band(ax, x, s, "train", TRAIN_COLOUR, "training score")
        _band(ax, x, s, "validation", VALIDATION_COLOUR, "validation score")
        ax.set_xscale(kwargs.get("xscale", "log"))
        ax.set_xticks(x, [f"{v:,.0f}" for v in x])
        ax.minorticks_off()
        ax.set_xlabel("training rows")
        ax.set_ylabel(self.scoring)
        level = round(100 * float(self.params.get("confidence", 0.95)))
        ax.set_title(kwargs.get("title", f"Learning curve (bands: {level}% interval across folds)"))
        ax.legend(loc="best")
        return ax

    def plot_fit_time(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the time one fit takes against training rows, with fold bands.

        Learning more from more rows costs fitting time; this is the price side of the curve.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            ``title``, ``xscale`` (default ``"log"``) and ``color``.

        Returns
        -------
        matplotlib Axes
        """
        ax = get_ax(ax)
        confidence = float(self.params.get("confidence", 0.95))
        rows = []
        for size, group in self.frame.groupby("train_size", sort=True):
            est, lo, hi, _ = fold_interval(group["fit_time_s"].to_numpy(), confidence, (0.0, np.inf))
            rows.append((float(size), est, lo, hi))
        x, est, lo, hi = (np.array(col, dtype=float) for col in zip(*rows, strict=True))
        colour = kwargs.get("color", "#475467")
        ax.plot(x, est, marker="o", color=colour, label="fit time")
        ax.fill_between(x, np.maximum(lo, 0.0), hi, color=colour, alpha=0.2, lw=0)
        ax.set_xscale(kwargs.get("xscale", "log"))
        ax.set_xticks(x, [f"{v:,.0f}" for v in x])
        ax.minorticks_off()
        ax.set_ylim(bottom=0)
        ax.set_xlabel("training rows")
        ax.set_ylabel("seconds per fit")
        ax.set_title(kwargs.get("title", "Fit time (bands: interval across folds)"))
        return ax


@dataclass(frozen=True)
class ValidationCurveResult(Result):
    """Training and validation scores over a hyper-parameter (a capacity sweep).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per parameter value x fold: ``param_label`` (the value as text, e.g.
        ``"None"``), ``param_value`` (the value as a number, NaN when not numeric), ``fold``,
        ``train_score``, ``validation_score``.
    params : dict
        ``param_name, scoring, cv, random_state, confidence, model, n_jobs``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from diagtools.fit import validation_curve
    >>> X, y = make_classification(300, random_state=0)
    >>> res = validation_curve(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth",
    ...                        param_range=[1, 3, None], cv=3)
    >>> res.best_value in {"1", "3", "None"}
    True
    """

    area: ClassVar[str] = "fit"
    title: ClassVar[str] = "Validation curve"

    @property
    def param_name(self) -> str:
        """The swept parameter."""
        return str(self.params.get("param_name", "parameter"))

    @property
    def scoring(self) -> str:
        """Name of the score."""
        return str(self.params.get("scoring", "score"))

    def summary(self) -> pd.DataFrame:
        """Mean score per value and split with an interval across folds.

        Returns
        -------
        pandas.DataFrame
            Columns ``param_label, param_value, split, estimate, ci_low, ci_high, n``.
        """
        s = _summarise(self.frame, ["param_label"], float(self.params.get("confidence", 0.95)), self.scoring)
        values = self.frame.drop_duplicates("param_label").set_index("param_label")["param_value"]
        s.insert(1, "param_value", s["param_label"].map(values).astype(float))
        return s

    @property
    def best_value(self) -> str:
        """Label of the value with the highest mean validation score (first one on ties)."""
        s = self.summary()
        val = s[s["split"] == "validation"].reset_index(drop=True)
        return str(val.loc[int(np.argmax(val["estimate"].to_numpy())), "param_label"])

    def headline(self) -> list[tuple[str, str]]:
        """The best value and its validation score."""
        s = self.summary()
        best = s[(s["split"] == "validation") & (s["param_label"] == self.best_value)].iloc[0]
        return [
            ("parameter", self.param_name), ("best value", self.best_value),
            (f"validation {self.scoring}", _fmt_ci(best["estimate"], best["ci_low"], best["ci_high"])),
        ]

    def findings(self) -> list[Finding]:
        """Name the best value, and warn when it lies at the edge of the swept range."""
        s = self.summary()
        val = s[s["split"] == "validation"].reset_index(drop=True)
        i = int(np.argmax(val["estimate"].to_numpy()))
        best = val.loc[i]
        out = [Finding(
            "fit", "info",
            f"Best {short_param_name(self.param_name)}={best['param_label']}: validation {self.scoring} "
            f"{_fmt_ci(best['estimate'], best['ci_low'], best['ci_high'])}",
            "Highest mean validation score across folds; values whose interval overlaps it are about as good.",
            {"best_value": best["param_label"], "estimate": best["estimate"]},
        )]
        if i in (0, len(val) - 1):
            out.append(Finding(
                "fit", "low",
                f"The best {short_param_name(self.param_name)} is at the edge of the range tried ({best['param_label']})",
                "A better value may lie beyond it: extend the range in that direction.",
                {"best_value": best["param_label"]},
            ))
        return rank_findings(out)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw training and validation score over the parameter, with fold bands and the best value.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            ``title`` and ``xlabel`` (default: the parameter name without pipeline prefixes).

        Returns
        -------
        matplotlib Axes
        """
        ax = get_ax(ax)
        s = self.summary()
        labels = s.loc[s["split"] == "train", "param_label"].tolist()
        x = np.arange(len(labels), dtype=float)
        _band(ax, x, s, "train", TRAIN_COLOUR, "training score")
        _band(ax, x, s, "validation", VALIDATION_COLOUR, "validation score")
        i = labels.index(self.best_value)
        best = s[(s["split"] == "validation") & (s["param_label"] == self.best_value)]["estimate"].iloc[0]
        ax.axvline(x[i], color="k", ls="--", lw=1)
        ax.plot([x[i]], [best], marker="*", ms=14, color="k", ls="none", label=f"best: {self.best_value}")
        ax.set_xticks(x)
        ax.set_xticklabels(labels)
        ax.set_xlabel(kwargs.get("xlabel", short_param_name(self.param_name)))
        ax.set_ylabel(self.scoring)
        ax.set_title(kwargs.get("title", "Validation curve (bands: interval across folds)"))
        ax.legend(loc="best")
        return ax


VERDICTS = ("underfitting", "overfitting", "good fit", "data-limited", "inconclusive")
_SEVERITY: dict[str, Severity] = {"overfitting": "high", "underfitting": "medium", "inconclusive": "low",
                                  "data-limited": "low", "good fit": "info"}


def _gap_words(gap: float, share: float, significant: bool) -> str:
    """The gap described by its numbers: share of what was learned, and whether it is significant."""
    if not np.isfinite(gap):
        return "gap to training n/a"
    size = ("small" if share < 0.1 else "moderate" if share < 0.35 else "large") if np.isfinite(share) else ""
    words = f"{size + ' ' if size else ''}gap to training ({_fmt(gap)}"
    if np.isfinite(share):
        words += f", {share:.0%} of what was learned"
    if not significant:
        words += ", not significant"
    return words + ")"


@dataclass(frozen=True)
class FitDiagnosis(Result):
    """Over- or underfitting verdict with its evidence, the learning curve and next steps.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per piece of evidence, columns ``evidence, estimate, ci_low, ci_high, n,
        flagged, meaning``. ``n`` is the number of folds; intervals are across folds at the
        largest training size. Evidence: ``train_score``, ``validation_score``,
        ``baseline_score`` (DummyClassifier/DummyRegressor), ``reference_score`` (a flexible
        reference model, when used), ``gap`` (train - validation), ``gap_share`` (gap /
        (train - baseline): the share of what was learned on training rows that does not carry
        over), ``lift_over_baseline`` (validation - baseline), ``reference_minus_validation``,
        ``reference_minus_train``, ``gain_per_doubling`` (validation score gained per doubling
        of data, from the learning curve's end). ``flagged`` marks the evidence behind the verdict.
    verdict : {"underfitting", "overfitting", "good fit", "inconclusive"}
    reason : str
        The rule that decided the verdict, in words.
    next_steps : list of str
        What to do, in plain words.
    curve : LearningCurveResult
        The learning curve the verdict read.
    params : dict
        ``scoring, cv, random_state, confidence, thresholds, reference``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from diagtools.fit import diagnose_fit
    >>> X, y = make_classification(400, random_state=0)
    >>> diag = diagnose_fit(DecisionTreeClassifier(random_state=0), X, y, cv=3, reference=None)
    >>> diag.verdict in {"underfitting", "overfitting", "good fit", "inconclusive"}
    True
    """

    verdict: str = "inconclusive"
    reason: str = ""
    next_steps: list[str] = field(default_factory=list)
    curve: LearningCurveResult | None = None

    area: ClassVar[str] = "fit"
    title: ClassVar[str] = "Fit diagnosis: over- or underfitting"

    def evidence(self, name: str) -> pd.Series:
        """Return one evidence row of ``.frame`` (e.g. ``"gap"``)."""
        rows = self.frame[self.frame["evidence"] == name]
        if rows.empty:
            from diagtools.errors import DiagnosticInputError

            raise DiagnosticInputError(f"evidence {name!r} not found; available: {self.frame['evidence'].tolist()}.")
        return rows.iloc[0]

    def _value(self, name: str) -> float:
        rows = self.frame[self.frame["evidence"] == name]
        return float(rows["estimate"].iloc[0]) if len(rows) else np.nan

    def headline(self) -> list[tuple[str, str]]:
        """Verdict, validation score, gap and gain per doubling of data."""
        out = [("verdict", self.verdict)]
        for name, label in (("validation_score", "validation"), ("gap", "train - validation gap"),
                            ("gain_per_doubling", "per doubling of data")):
            rows = self.frame[self.frame["evidence"] == name]
            if len(rows):
                r = rows.iloc[0]
                out.append((label, _fmt_ci(r["estimate"], r["ci_low"], r["ci_high"])))
        out.append(("gap share (overfitting above)", self.gap_share_text()))
        return out

    def gap_share_text(self) -> str:
        """The gap share with its interval against the overfitting threshold, e.g. ``"52% [9%, 91%] vs 50%"``.

        An interval that straddles the threshold marks a knife-edge verdict: other folds or
        a little more data could tip it.
        """
        rows = self.frame[self.frame["evidence"] == "gap_share"]
        limit = float(self.params.get("thresholds", {}).get("gap_share_overfit", 0.5))
        if rows.empty or not np.isfinite(rows["estimate"].iloc[0]):
            return f"n/a vs {limit:.0%}"
        r = rows.iloc[0]
        interval = f" [{r['ci_low']:.0%}, {r['ci_high']:.0%}]" if np.isfinite(r["ci_low"]) else ""
        return f"{r['estimate']:.0%}{interval} vs {limit:.0%}"

    def findings(self) -> list[Finding]:
        """The verdict (severity by verdict) with its next steps, and whether more data helps."""
        scoring = str(self.params.get("scoring", "score"))
        evidence = {r.evidence: r.estimate for r in self.frame.itertuples()}
        gap, val = self._value("gap"), self._value("validation_score")
        share, gain = self._value("gap_share"), self._value("gain_per_doubling")
        gap_rows = self.frame[self.frame["evidence"] == "gap"]
        gap_sig = bool(len(gap_rows) and gap_rows["ci_low"].iloc[0] > 0)
        full = self.params.get("anchor") == "full"
        where = "held-out" if full else "validation"
        anchor = f" (model as trained on all {int(self.params.get('n_train', 0)):,} training rows)" if full else ""
        title = {
            "overfitting": f"Overfitting{anchor}: training {scoring} exceeds {where} by {_fmt(gap)} ({where} {_fmt(val)}, "
                           f"{share:.0%} of what was learned does not carry over)",
            "underfitting": f"Underfitting{anchor}: {where} {scoring} {_fmt(val)}; the model cannot fit even its training "
                            "data as well as a flexible reference predicts new rows",
            "good fit": f"Good fit{anchor}: {where} {scoring} {_fmt(val)}, {_gap_words(gap, share, gap_sig)}",
            "data-limited": f"More data would help{anchor}: {where} {scoring} {_fmt(val)} with no overfitting "
                            f"({_gap_words(gap, share, gap_sig)}), and the learning curve still rises "
                            f"{_signed(gain)} per doubling of data",
            "inconclusive": f"Fit inconclusive{anchor}: {where} {scoring} {_fmt(val)}",
        }[self.verdict]
        out = [Finding("fit", _SEVERITY.get(self.verdict, "info"), title,
                       self.reason + " Next: " + " ".join(self.next_steps), evidence)]
        gain_rows = self.frame[self.frame["evidence"] == "gain_per_doubling"]
        if self.verdict != "data-limited" and len(gain_rows) and bool(gain_rows["ci_low"].iloc[0] > 0):
            g = gain_rows.iloc[0]
            sampled = self.params.get("curve_rows")
            on = f" (learning curve on a {int(sampled):,}-row sample)" if full and sampled else ""
            out.append(Finding(
                "fit", "info",
                f"More data would likely help: about {_signed(g['estimate'])} {scoring} per doubling of data{on}",
                "From a log-linear fit of the validation score over the learning curve's last points "
                f"(interval across folds [{_fmt(g['ci_low'])}, {_fmt(g['ci_high'])}]).",
                {"gain_per_doubling": g["estimate"]},
            ))
        return rank_findings(out)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the learning curve with the baseline and reference scores, titled by the verdict.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            ``title``, ``xscale``.

        Returns
        -------
        matplotlib Axes
        """
        ax = get_ax(ax)
        if self.curve is not None:
            self.curve.plot(ax=ax, xscale=kwargs.get("xscale", "log"))
        for name, style, label in (("baseline_score", ":", "trivial baseline"), ("reference_score", "-.", "reference model")):
            v = self._value(name)
            if np.isfinite(v):
                ax.axhline(v, color="#475467", ls=style, lw=1.2, label=f"{label} (validation)")
        if self.params.get("anchor") == "full":  # the model as trained, at its real training size
            n_train = float(self.params.get("n_train", 0))
            for name, colour, label in (("train_score", TRAIN_COLOUR, "fitted model: training rows"),
                                        ("validation_score", VALIDATION_COLOUR, "fitted model: held-out rows")):
                r = self.evidence(name)
                ax.errorbar([n_train], [r["estimate"]], yerr=[[r["estimate"] - r["ci_low"]], [r["ci_high"] - r["estimate"]]],
                            fmt="D", color=colour, ms=7, capsize=3, label=label)
            if self.curve is None:
                ax.set_xscale("log")
                ax.set_xlabel("training rows")
                ax.set_ylabel(str(self.params.get("scoring", "score")))
            else:
                ticks = sorted({*ax.get_xticks(), n_train})
                ax.set_xticks(ticks, [f"{v:,.0f}" for v in ticks])
        title = f"Verdict: {self.verdict}"
        if self.params.get("anchor") == "full" and self.params.get("curve_rows"):
            title += f"\n(curves: {int(self.params['curve_rows']):,}-row sample; diamonds: the model as trained)"
        ax.set_title(kwargs.get("title", title))
        ax.legend(loc="best", fontsize="small")
        return ax

    def plot_evidence(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the differences behind the verdict with their intervals (zero marked).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Passed to ``ax.errorbar``.

        Returns
        -------
        matplotlib Axes
        """
        names = ["gap", "lift_over_baseline", "reference_minus_validation", "reference_minus_train", "gain_per_doubling"]
        f = self.frame[self.frame["evidence"].isin(names)].iloc[::-1]
        ax = get_ax(ax, figsize=(6.4, 0.45 * len(f) + 1.2))
        y = np.arange(len(f))
        est = f["estimate"].to_numpy(float)
        lo = np.where(np.isfinite(f["ci_low"].to_numpy(float)), est - f["ci_low"].to_numpy(float), 0)
        hi = np.where(np.isfinite(f["ci_high"].to_numpy(float)), f["ci_high"].to_numpy(float) - est, 0)
        kwargs.setdefault("fmt", "o")
        kwargs.setdefault("color", "#344054")
        ax.errorbar(est, y, xerr=[lo, hi], **kwargs)
        ax.axvline(0, color="k", lw=1)
        ax.set_yticks(y)
        ax.set_yticklabels(f["evidence"])
        ax.set_xlabel(f"difference in {self.params.get('scoring', 'score')} (interval across folds)")
        ax.set_title(f"Evidence for: {self.verdict}")
        return ax
