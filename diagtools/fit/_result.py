"""The fit diagnosis result; the curve results and their helpers live in ``_curve_result``.

Re-exported here are the names other modules of the area import from ``fit._result``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import interval, number, percent, plain_number, signed
from diagtools._plotting import get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, Severity, rank_findings
from diagtools.errors import DiagnosticInputError
from diagtools.fit._curve_result import (
    COMPARISON_COLUMNS,
    TRAIN_COLOUR,
    VALIDATION_COLOUR,
    LearningCurveResult,
    ValidationCurveResult,
    comparison_row,
    difference_bounds,
    fold_interval,
    more_data_finding,
    short_param_name,
    with_interval,
)

__all__ = [
    "TRAIN_COLOUR",
    "VALIDATION_COLOUR",
    "VERDICTS",
    "FitDiagnosis",
    "LearningCurveResult",
    "ValidationCurveResult",
    "difference_bounds",
    "evidence_frame",
    "fold_interval",
    "short_param_name",
    "with_interval",
]


VERDICTS = ("underfitting", "overfitting", "good fit", "data-limited", "inconclusive")
_SEVERITY: dict[str, Severity] = {"overfitting": "high", "underfitting": "medium", "inconclusive": "low",
                                  "data-limited": "low", "good fit": "info"}
#: The evidence rows that compare two scores: (name, the thing, its reference, their difference).
COMPARISONS = (
    ("train vs validation", "train_score", "validation_score", "gap"),
    ("validation vs baseline", "validation_score", "baseline_score", "lift_over_baseline"),
    ("reference vs validation", "reference_score", "validation_score", "reference_minus_validation"),
    ("reference vs train", "reference_score", "train_score", "reference_minus_train"),
)
EVIDENCE_COLUMNS = ["evidence", "estimate", "ci_low", "ci_high", "n", "flagged", "meaning"]


def evidence_frame(rows: dict[str, tuple[float, float, float, int]], flagged: set[str],
                   meanings: dict[str, str]) -> pd.DataFrame:
    """The evidence table of a :class:`FitDiagnosis` from ``{name: (estimate, ci_low, ci_high, n)}``."""
    return pd.DataFrame(
        [{"evidence": k, "estimate": e, "ci_low": lo, "ci_high": hi, "n": n, "flagged": k in flagged,
          "meaning": meanings[k]} for k, (e, lo, hi, n) in rows.items()],
        columns=EVIDENCE_COLUMNS,
    )


def _gap_words(gap: float, share: float, significant: bool) -> str:
    """The gap described by its numbers: share of what was learned, and whether it is significant."""
    if not np.isfinite(gap):
        return "gap to training n/a"
    size = ("small" if share < 0.1 else "moderate" if share < 0.35 else "large") if np.isfinite(share) else ""
    words = f"{size + ' ' if size else ''}gap to training ({number(gap)}"
    if np.isfinite(share):
        words += f", {percent(share, 0)} of what was learned"
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
        of data, from the learning curve's end). ``flagged`` marks the evidence behind the
        verdict. :meth:`comparisons` shows the differences in the comparison schema.
    verdict : {"underfitting", "overfitting", "good fit", "data-limited", "inconclusive"}
    reason : str
        The rule that decided the verdict, in words.
    next_steps : list of str
        What to do, in plain words.
    curve : LearningCurveResult or None
        The learning curve the verdict read (None for :func:`diagnose_fitted` without one).
    params : dict
        ``scoring, cv, random_state, confidence, thresholds, reference``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from diagtools.fit import diagnose_fit
    >>> X, y = make_classification(400, random_state=0)
    >>> diag = diagnose_fit(DecisionTreeClassifier(random_state=0), X, y, cv=3, reference=None)
    >>> diag.verdict in {"underfitting", "overfitting", "good fit", "data-limited", "inconclusive"}
    True
    >>> diag.comparisons()["comparison"].tolist()
    ['train vs validation', 'validation vs baseline']
    """

    verdict: str = "inconclusive"
    reason: str = ""
    next_steps: list[str] = field(default_factory=list)
    curve: LearningCurveResult | None = None

    area: ClassVar[str] = "fit"
    title: ClassVar[str] = "Fit diagnosis: over- or underfitting"

    def _row(self, name: str) -> pd.Series | None:
        rows = self.frame[self.frame["evidence"] == name]
        return rows.iloc[0] if len(rows) else None

    def evidence(self, name: str) -> pd.Series:
        """Return one evidence row of ``.frame`` (e.g. ``"gap"``)."""
        row = self._row(name)
        if row is None:
            raise DiagnosticInputError(f"evidence {name!r} not found; available: {self.frame['evidence'].tolist()}.")
        return row

    def _value(self, name: str) -> float:
        row = self._row(name)
        return np.nan if row is None else float(row["estimate"])

    def _significant(self, name: str) -> bool:
        row = self._row(name)
        return row is not None and bool(row["ci_low"] > 0)

    def comparisons(self) -> pd.DataFrame:
        """The evidence that compares two scores, in the comparison schema.

        Returns
        -------
        pandas.DataFrame
            One row per comparison present (``"train vs validation"``, ``"validation vs
            baseline"``, ``"reference vs validation"``, ``"reference vs train"``): ``estimate,
            ci_low, ci_high, n`` (the first score), ``reference_estimate, reference_ci_low,
            reference_ci_high`` (the second) and ``difference, difference_ci_low,
            difference_ci_high`` (their difference per fold or bootstrap replicate, so its
            interval is not the difference of the two intervals).
        """
        rows = {r["evidence"]: (r["estimate"], r["ci_low"], r["ci_high"], r["n"]) for _, r in self.frame.iterrows()}
        out = [{"comparison": name, **comparison_row(rows[a], rows[b], rows[d])}
               for name, a, b, d in COMPARISONS if {a, b, d} <= set(rows)]
        return pd.DataFrame(out, columns=["comparison", *COMPARISON_COLUMNS])

    def headline(self) -> list[tuple[str, str]]:
        """Verdict, validation score, gap and gain per doubling of data."""
        out = [("verdict", self.verdict)]
        for name, label in (("validation_score", "validation"), ("gap", "train - validation gap"),
                            ("gain_per_doubling", "per doubling of data")):
            r = self._row(name)
            if r is not None:
                out.append((label, with_interval(r["estimate"], r["ci_low"], r["ci_high"])))
        out.append(("gap share (overfitting above)", self.gap_share_text()))
        return out

    def gap_share_text(self) -> str:
        """The gap share with its interval against the overfitting threshold, e.g. ``"52% [9%, 91%] vs 50%"``.

        An interval that straddles the threshold marks a knife-edge verdict: other folds or
        a little more data could tip it.
        """
        r = self._row("gap_share")
        limit = percent(float(self.params.get("thresholds", {}).get("gap_share_overfit", 0.5)), 0)
        if r is None:
            return f"n/a vs {limit}"
        span = interval(r["ci_low"], r["ci_high"], lambda v: percent(v, 0))
        return f"{percent(r['estimate'], 0)}{' ' + span if span else ''} vs {limit}"

    def findings(self) -> list[Finding]:
        """The verdict (severity by verdict) with its next steps, and whether more data helps."""
        scoring = str(self.params.get("scoring", "score"))
        gap, val = self._value("gap"), number(self._value("validation_score"))
        share, gain = self._value("gap_share"), self._value("gain_per_doubling")
        words = _gap_words(gap, share, self._significant("gap"))
        full = self.params.get("anchor") == "full"
        where = "held-out" if full else "validation"
        anchor = f" (model as trained on all {int(self.params.get('n_train', 0)):,} training rows)" if full else ""
        title = {
            "overfitting": f"Overfitting{anchor}: training {scoring} exceeds {where} by {number(gap)} ({where} {val}, "
                           f"{percent(share, 0)} of what was learned does not carry over)",
            "underfitting": f"Underfitting{anchor}: {where} {scoring} {val}; the model cannot fit even its training "
                            "data as well as a flexible reference predicts new rows",
            "good fit": f"Good fit{anchor}: {where} {scoring} {val}, {words}",
            "data-limited": f"More data would help{anchor}: {where} {scoring} {val} with no overfitting ({words}), "
                            f"and the learning curve still rises {signed(gain)} per doubling of data",
            "inconclusive": f"Fit inconclusive{anchor}: {where} {scoring} {val}",
        }[self.verdict]
        evidence = {r.evidence: r.estimate for r in self.frame.itertuples()}
        out = [Finding(self.area, _SEVERITY.get(self.verdict, "info"), title,
                       self.reason + " Next: " + " ".join(self.next_steps), evidence)]
        if self.verdict != "data-limited" and self._significant("gain_per_doubling"):
            g = self.evidence("gain_per_doubling")
            sampled = self.params.get("curve_rows")
            on = f" (learning curve on a {int(sampled):,}-row sample)" if full and sampled else ""
            out.append(more_data_finding(self.area, g, scoring, on))
        return rank_findings(out)

    def plot(self, *, ax: Any = None, title: str | None = None, xscale: str = "log", **kwargs: Any) -> Any:
        """Draw the learning curve with the baseline and reference scores, titled by the verdict.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        title : str, optional
            Default: the verdict.
        xscale : str, default="log"
        **kwargs
            Style of the learning curve's score lines (``linewidth``, ``alpha``, ...).

        Returns
        -------
        matplotlib Axes
        """
        validate_style_kwargs({}, kwargs)
        ax = get_ax(ax)
        if self.curve is not None:
            self.curve.plot(ax=ax, xscale=xscale, **kwargs)
        for name, style, label in (("baseline_score", ":", "trivial baseline"), ("reference_score", "-.", "reference model")):
            v = self._value(name)
            if np.isfinite(v):
                ax.axhline(v, color="#475467", ls=style, lw=1.2, label=f"{label} (validation)")
        full = self.params.get("anchor") == "full"
        if full:  # the model as trained, at its real training size
            self._plot_anchor(ax, xscale)
        default = f"Verdict: {self.verdict}"
        if full and self.params.get("curve_rows"):
            default += f"\n(curves: {int(self.params['curve_rows']):,}-row sample; diamonds: the model as trained)"
        ax.set_title(title or default)
        ax.legend(loc="best", fontsize="small")
        return ax

    def _plot_anchor(self, ax: Any, xscale: str) -> None:
        """Diamonds with intervals: the fitted model's training and held-out score at its training size."""
        n_train = float(self.params.get("n_train", 0))
        for name, colour, label in (("train_score", TRAIN_COLOUR, "fitted model: training rows"),
                                    ("validation_score", VALIDATION_COLOUR, "fitted model: held-out rows")):
            r = self.evidence(name)
            interval_bars(ax, [n_train], [r["estimate"]], [r["ci_low"]], [r["ci_high"]], color=colour, marker="D",
                          markersize=7, label=label)
        if self.curve is None:
            ax.set_xscale(xscale)
            ax.set_xlabel("training rows")
            ax.set_ylabel(str(self.params.get("scoring", "score")))
        else:
            ticks = sorted({*ax.get_xticks(), n_train})
            ax.set_xticks(ticks, [plain_number(v) for v in ticks])

    def plot_evidence(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the differences behind the verdict with their intervals (zero marked).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the points (``color``, ``marker``, ...).

        Returns
        -------
        matplotlib Axes
        """
        names = ["gap", "lift_over_baseline", "reference_minus_validation", "reference_minus_train", "gain_per_doubling"]
        f = self.frame[self.frame["evidence"].isin(names)].iloc[::-1]
        style = validate_style_kwargs({"color": "#344054"}, kwargs)
        ax = get_ax(ax, figsize=(6.4, 0.45 * len(f) + 1.2))
        y = np.arange(len(f))
        interval_bars(ax, y, f["estimate"], f["ci_low"], f["ci_high"], horizontal=True, **style)
        ax.axvline(0, color="k", lw=1)
        ax.set_yticks(y, f["evidence"])
        ax.set_xlabel(f"difference in {self.params.get('scoring', 'score')} (interval across folds)")
        ax.set_title(f"Evidence for: {self.verdict}")
        return ax
