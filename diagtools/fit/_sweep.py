"""Capacity sweep: diagnose one model at several values of a capacity parameter on the same folds.

:func:`capacity_sweep` computes; :class:`CapacitySweepResult` holds one :class:`FitDiagnosis`
per value and draws the sweep. The baseline and the reference model do not depend on the swept
value, so they are scored once for all values, and every value sees the same splits: a change
of verdict along the sweep comes from the capacity, not from other folds.
:func:`diagtools.widgets.fit_explorer` puts a slider on top of the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from diagtools._format import duration, interval, number, percent
from diagtools._plotting import band, check_matplotlib, get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result
from diagtools.errors import DiagnosticInputError
from diagtools.fit._curves import check_model, check_param, check_scoring_arg, check_xy, resolve_cv
from diagtools.fit._diagnose import DEFAULT_THRESHOLDS, diagnose_on_splits, reference_scores
from diagtools.fit._result import TRAIN_COLOUR, VALIDATION_COLOUR, FitDiagnosis, short_param_name

__all__ = ["CapacitySweepResult", "capacity_sweep"]

#: Background colour of each verdict in the sweep plots.
VERDICT_COLOURS = {"underfitting": "#fdb022", "good fit": "#12b76a", "data-limited": "#2e90fa", "overfitting": "#f04438",
                   "inconclusive": "#98a2b3"}
#: The differences :meth:`FitDiagnosis.plot_evidence` draws (their range fixes the evidence axis).
EVIDENCE_NAMES = ("gap", "lift_over_baseline", "reference_minus_validation", "reference_minus_train", "gain_per_doubling")
#: Evidence rows copied into the sweep's frame: ``evidence: (estimate, ci_low, ci_high)`` columns.
_COLUMNS = {
    "validation_score": ("estimate", "ci_low", "ci_high"),
    "train_score": ("train_score", "train_ci_low", "train_ci_high"),
    "gap": ("gap", None, None),
    "gap_share": ("gap_share", "gap_share_ci_low", "gap_share_ci_high"),
    "reference_minus_validation": ("reference_minus_validation", None, None),
    "gain_per_doubling": ("gain_per_doubling", None, None),
}
SWEEP_COLUMNS = ["param_label", "verdict", "estimate", "ci_low", "ci_high", "n", "train_score", "train_ci_low",
                 "train_ci_high", "gap", "gap_share", "gap_share_ci_low", "gap_share_ci_high",
                 "reference_minus_validation", "gain_per_doubling", "fit_time_s"]


@dataclass(frozen=True)
class CapacitySweepResult(Result):
    """The fit diagnosis of one model at every value of a capacity parameter.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per swept value, simplest first. ``param_label`` (the value as text),
        ``verdict``; ``estimate, ci_low, ci_high`` the validation score (mean across folds at
        the largest training size, interval across folds) and ``n`` the number of folds;
        ``train_score, train_ci_low, train_ci_high``; ``gap`` (train - validation);
        ``gap_share, gap_share_ci_low, gap_share_ci_high`` (the share of what was learned
        that does not carry over to new rows: the verdict calls overfitting above
        ``thresholds["gap_share_overfit"]``, so an interval straddling it marks a knife-edge
        verdict); ``reference_minus_validation``; ``gain_per_doubling``; ``fit_time_s`` (mean
        time of one fit on the largest training size).
    diagnoses : list of FitDiagnosis
        The full diagnosis at each value, in the order of ``frame``.
    baseline_score, reference_score : float
        Mean validation score of the trivial baseline and of the reference model (NaN
        without one), the same for every value.
    params : dict
        ``param_name, label, scoring, cv, random_state, confidence, thresholds, train_sizes``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from diagtools.fit import capacity_sweep
    >>> X, y = make_classification(400, flip_y=0.2, random_state=0)
    >>> sweep = capacity_sweep(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth",
    ...                        param_range=[1, None])
    >>> sweep.frame["param_label"].tolist(), sweep.diagnosis(None).verdict
    (['1', 'None'], 'overfitting')
    """

    diagnoses: list[FitDiagnosis] = field(default_factory=list)
    baseline_score: float = np.nan
    reference_score: float = np.nan

    area: ClassVar[str] = "fit"
    title: ClassVar[str] = "Capacity sweep: the fit diagnosis over a capacity parameter"

    def __post_init__(self) -> None:
        # ``to_dict`` writes NaN as None; a rebuilt result reads it back as NaN.
        for name in ("baseline_score", "reference_score"):
            value = getattr(self, name)
            object.__setattr__(self, name, np.nan if value is None else float(value))
        object.__setattr__(self, "diagnoses", list(self.diagnoses))

    @property
    def label(self) -> str:
        """Readable name of the swept parameter (axes, slider, findings)."""
        return str(self.params.get("label", "value"))

    @property
    def labels(self) -> list[str]:
        """The swept values as text, simplest first."""
        return [str(v) for v in self.frame["param_label"]]

    @property
    def scoring(self) -> str:
        """Name of the score."""
        return str(self.params.get("scoring", "score"))

    def position(self, value: Any) -> int:
        """Index of ``value`` (a swept value or its text label) in the sweep."""
        labels = self.labels
        if str(value) not in labels:
            raise DiagnosticInputError(f"value {value!r} is not in param_range {labels}. Pass one of them.")
        return labels.index(str(value))

    def diagnosis(self, value: Any) -> FitDiagnosis:
        """Return the :class:`FitDiagnosis` at one swept value (or its text label)."""
        return self.diagnoses[self.position(value)]

    def axis_limits(self) -> dict[str, tuple[float, float]]:
        """Axis ranges that hold every value, so a slider move changes the data, not the axes.

        Returns
        -------
        dict
            ``{"score": (low, high), "evidence": (low, high)}``: the score range of every
            learning curve with the baseline and reference, and the range of the evidence
            intervals (always including zero).
        """
        scores = [self.baseline_score, self.reference_score]
        evidence = [0.0]
        for d in self.diagnoses:
            if d.curve is not None:
                scores += d.curve.summary()[["estimate", "ci_low", "ci_high"]].to_numpy(float).ravel().tolist()
            rows = d.frame[d.frame["evidence"].isin(EVIDENCE_NAMES)]
            evidence += rows[["estimate", "ci_low", "ci_high"]].to_numpy(float).ravel().tolist()
        return {"score": _padded(scores), "evidence": _padded(evidence)}

    def headline(self) -> list[tuple[str, str]]:
        """Values swept, the sweet spot and its validation score."""
        out = [("parameter", self.label), ("values", str(len(self.frame)))]
        best = self._sweet_spot()
        if best is not None:
            out.append(("sweet spot", f"{best['param_label']} ({best['verdict']})"))
            out.append((f"validation {self.scoring}", number(best["estimate"]) + _spaced(interval(best["ci_low"], best["ci_high"]))))
        return out

    def _sweet_spot(self) -> pd.Series | None:
        """The cheapest good fit; without one, the value with the best validation score."""
        f = self.frame
        if f.empty or f["estimate"].isna().all():
            return None
        good = f[f["verdict"] == "good fit"]
        if len(good):
            return good.loc[good["fit_time_s"].fillna(np.inf).idxmin()]
        return f.loc[f["estimate"].idxmax()]

    def findings(self) -> list[Finding]:
        """Where each verdict holds along the sweep, and the value to pick."""
        if self.frame.empty:
            return []
        runs = ", ".join(f"{v} at {', '.join(g['param_label'])}" for v, g in self.frame.groupby("verdict", sort=False))
        out = [Finding("fit", "info", f"{self.label}: {runs}",
                       "Each value is diagnosed on the same folds; the verdict rules are those of diagnose_fit.",
                       {"verdicts": dict(zip(self.frame["param_label"], self.frame["verdict"], strict=True))})]
        best = self._sweet_spot()
        if best is not None:
            score = f"validation {self.scoring} {number(best['estimate'])}{_spaced(interval(best['ci_low'], best['ci_high']))}"
            if best["verdict"] == "good fit":
                title = f"Sweet spot: {self.label} = {best['param_label']}, the cheapest good fit ({score}, {duration(best['fit_time_s'])} per fit)"
                severity = "info"
            else:
                title = f"No value fits well: the best is {self.label} = {best['param_label']} ({best['verdict']}, {score})"
                severity = "low"
            out.append(Finding("fit", severity, title, "Between values whose intervals overlap, prefer the cheaper one.",
                               {"param_label": best["param_label"], "estimate": best["estimate"]}))
        return sorted(out, key=lambda f: f.rank)

    # -- showing ----------------------------------------------------------------------
    def _shade(self, ax: Any, value: Any) -> np.ndarray:
        """Shade each value by its verdict, mark ``value``, label the x axis; return the positions."""
        x = np.arange(len(self.frame), dtype=float)
        for i, verdict in enumerate(self.frame["verdict"]):
            ax.axvspan(i - 0.5, i + 0.5, color=VERDICT_COLOURS.get(verdict, "#98a2b3"), alpha=0.13, lw=0)
        ax.set_xticks(x, self.labels)
        ax.set_xlabel(self.label)
        if value is not None:
            ax.axvline(x[self.position(value)], color="k", lw=1.5)
        return x

    def plot(self, *, ax: Any = None, value: Any = None, legend: bool = True, **kwargs: Any) -> Any:
        """Draw the training and validation score over the sweep, each value shaded by its verdict.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        value : object, optional
            A swept value to mark (the slider's position in :func:`~diagtools.widgets.fit_explorer`).
        legend : bool, default=True
            Draw the legend (scores, baseline, reference and the verdict colours).
        **kwargs
            Style of the validation line (``color``, ``linewidth``, ...).

        Returns
        -------
        matplotlib Axes
        """
        from matplotlib.patches import Patch

        style = validate_style_kwargs({"color": VALIDATION_COLOUR, "marker": "o", "label": "validation score"}, kwargs)
        ax = get_ax(ax, figsize=(7.5, 4.0))
        x = self._shade(ax, value)
        f = self.frame
        band(ax, x, f["train_score"], f["train_ci_low"], f["train_ci_high"], band_label=None, color=TRAIN_COLOUR,
             marker="o", label="training score")
        band(ax, x, f["estimate"], f["ci_low"], f["ci_high"], band_label=None, **style)
        ax.axhline(self.baseline_score, color="#475467", ls=":", lw=1.2, label="trivial baseline")
        if np.isfinite(self.reference_score):
            ax.axhline(self.reference_score, color="#475467", ls="-.", lw=1.2, label="reference model")
        if legend:
            handles, _ = ax.get_legend_handles_labels()
            handles += [Patch(color=c, alpha=0.35, label=v) for v, c in VERDICT_COLOURS.items() if v in set(f["verdict"])]
            ax.legend(handles=handles, loc="lower right", fontsize="small", ncols=2)
        ax.set_ylabel(self.scoring)
        level = round(100 * float(self.params.get("confidence", 0.95)))
        ax.set_title(f"Scores at the largest training size ({level}% intervals across folds)")
        return ax

    def plot_gap_share(self, *, ax: Any = None, value: Any = None, legend: bool = True, **kwargs: Any) -> Any:
        """Draw the gap share of every value with its interval against the overfitting thresholds.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        value : object, optional
            A swept value to mark.
        legend : bool, default=True
        **kwargs
            Style of the points (``color``, ``marker``, ...).

        Returns
        -------
        matplotlib Axes
        """
        from matplotlib.ticker import PercentFormatter

        style = validate_style_kwargs({"color": "#344054"}, kwargs)
        ax = get_ax(ax, figsize=(7.5, 2.8))
        x = self._shade(ax, value)
        share, lo, hi = (self.frame[c].to_numpy(float) for c in ("gap_share", "gap_share_ci_low", "gap_share_ci_high"))
        interval_bars(ax, x, share, lo, hi, **style)
        limits = {**DEFAULT_THRESHOLDS, **self.params.get("thresholds", {})}
        over, mild = float(limits["gap_share_overfit"]), float(limits["gap_share_mild"])
        ax.axhline(over, color="#f04438", ls="--", lw=1.2, label=f"overfitting above {percent(over, 0)}")
        ax.axhline(mild, color="#f04438", ls=":", lw=1.0, label=f"{percent(mild, 0)}: overfitting if also below the reference")
        # With few folds a share's interval can run far past [0, 1]: keep the thresholds readable.
        ends = np.concatenate([share, lo, hi, [0.0, 1.0]])
        ends = ends[np.isfinite(ends)]
        ax.set_ylim(max(-0.5, ends.min() - 0.05), min(1.5, ends.max() + 0.05))
        ax.set_ylabel("gap share")
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        if legend:
            ax.legend(loc="upper left", fontsize="small")
        ax.set_title("Share of what was learned that does not carry over to new rows")
        return ax

    def plot_fit_time(self, *, ax: Any = None, value: Any = None, **kwargs: Any) -> Any:
        """Draw the time of one fit on the largest training size for every value.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        value : object, optional
            A swept value to mark.
        **kwargs
            Style of the line (``color``, ``marker``, ...).

        Returns
        -------
        matplotlib Axes
        """
        style = validate_style_kwargs({"color": "#475467", "marker": "o"}, kwargs)
        ax = get_ax(ax, figsize=(7.5, 2.2))
        x = self._shade(ax, value)
        ax.plot(x, self.frame["fit_time_s"].to_numpy(float), **style)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("s per fit")
        ax.set_title("Fit time on the largest training size")
        return ax

    def plot_sweep(self, *, value: Any = None, figsize: tuple[float, float] = (7.5, 8.0)) -> Any:
        """Draw the whole sweep in three panels: scores, gap share and fit time.

        Parameters
        ----------
        value : object, optional
            A swept value to mark on every panel.
        figsize : tuple, default=(7.5, 8.0)

        Returns
        -------
        matplotlib Figure
        """
        plt = check_matplotlib()
        fig, axes = plt.subplots(3, 1, figsize=figsize, sharex=True, gridspec_kw={"height_ratios": [3, 2, 1.4]})
        self.plot(ax=axes[0], value=value)
        self.plot_gap_share(ax=axes[1], value=value)
        self.plot_fit_time(ax=axes[2], value=value)
        for ax in axes[:2]:
            ax.set_xlabel("")
        fig.tight_layout()
        return fig


def _spaced(text: str) -> str:
    return f" {text}" if text else ""


def _padded(values: Sequence[float], pad: float = 0.05) -> tuple[float, float]:
    """The range of the finite ``values``, widened by ``pad`` of its span on each side."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    low, high = (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)
    span = high - low if high > low else max(abs(high), 1.0)
    return low - pad * span, high + pad * span


def _row(label: str, d: FitDiagnosis) -> dict[str, Any]:
    """One row of the sweep's frame from the diagnosis at one value."""
    f = d.frame.set_index("evidence")
    row: dict[str, Any] = {"param_label": label, "verdict": d.verdict, "n": int(f["n"].get("validation_score", 0))}
    for evidence, columns in _COLUMNS.items():
        for column, source in zip(columns, ("estimate", "ci_low", "ci_high"), strict=True):
            if column is not None:
                row[column] = float(f.loc[evidence, source]) if evidence in f.index else np.nan
    row["fit_time_s"] = float(d.curve.at_size()["fit_time_s"].mean()) if d.curve is not None else np.nan
    return row


def capacity_sweep(
    model: Any,
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    param_name: str,
    param_range: Sequence[Any],
    train_sizes: Sequence[float] = (0.25, 0.5, 1.0),
    cv: Any = 3,
    scoring: str | Callable[..., float] | None = None,
    n_jobs: int | None = None,
    random_state: int | None = 0,
    label: str | None = None,
) -> CapacitySweepResult:
    """Diagnose a model at every value of one capacity parameter, on the same folds.

    Each value gets the full :func:`~diagtools.fit.diagnose_fit` (learning curve, verdict,
    evidence); the trivial baseline and the reference model are scored once for all values.

    Parameters
    ----------
    model : estimator
        An (unfitted) scikit-learn style estimator; it is cloned, never changed.
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    param_name : str
        The capacity parameter (e.g. ``"max_depth"`` or ``"model__max_depth"``).
    param_range : sequence
        At least two values, simplest first.
    train_sizes : array-like, default=(0.25, 0.5, 1.0)
        Learning-curve sizes per value (few keep a long sweep quick).
    cv : int or splitter, default=3
    scoring : str or callable, optional
    n_jobs : int, optional
    random_state : int or None, default=0
    label : str, optional
        Readable name of the parameter for axes and findings (default: ``param_name``
        without its pipeline prefix, e.g. ``"max_depth"``).

    Returns
    -------
    CapacitySweepResult

    Raises
    ------
    DiagnosticInputError
        When ``param_name`` is not a parameter of ``model``, ``param_range`` holds fewer than
        two values, or the inputs do not suit :func:`~diagtools.fit.diagnose_fit`.
    """
    from sklearn.base import clone, is_classifier

    model = check_model(model)
    X, y_arr = check_xy(X, y)
    values = check_param(model, param_name, param_range)
    check_scoring_arg(model, scoring)
    splits = resolve_cv(cv, model, X, y_arr, random_state)
    cached: list[tuple[np.ndarray, np.ndarray]] = []

    def scores() -> tuple[np.ndarray, np.ndarray]:
        # Baseline and reference do not depend on the swept value: score them once.
        if not cached:
            cached.append(reference_scores(X, y_arr, splits, classification=is_classifier(model), scoring=scoring,
                                           n_jobs=n_jobs, random_state=random_state))
        return cached[0]

    diagnoses = [
        diagnose_on_splits(clone(model).set_params(**{param_name: v}), X, y_arr, splits, scores=scores,
                           train_sizes=train_sizes, scoring=scoring, n_jobs=n_jobs, random_state=random_state,
                           progress=False)
        for v in values
    ]
    frame = pd.DataFrame([_row(str(v), d) for v, d in zip(values, diagnoses, strict=True)], columns=SWEEP_COLUMNS)
    base, ref = scores()
    first = diagnoses[0].params
    params = {"param_name": param_name, "label": label if label is not None else short_param_name(param_name),
              "scoring": first.get("scoring"), "cv": len(splits), "random_state": random_state,
              "confidence": first.get("confidence", 0.95), "thresholds": first.get("thresholds", {}),
              "train_sizes": list(train_sizes), "model": type(model).__name__}
    return CapacitySweepResult(frame=frame, params=params, n_samples=len(y_arr), diagnoses=diagnoses,
                               baseline_score=float(np.mean(base)),
                               reference_score=float(np.mean(ref)) if ref is not None and len(ref) else np.nan)
