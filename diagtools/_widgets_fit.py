"""Capacity explorer for the fit area: a slider over a hyper-parameter redraws the diagnosis.

:class:`CapacitySweep` diagnoses one model at several capacities on the *same* splits,
lazily (a value is computed the first time it is asked for) and with a cache, and scores
the baseline and the reference model once for all values. :func:`fit_explorer` puts a
slider on top of it, with axes fixed across slider positions; :meth:`CapacitySweep.table`
and :meth:`CapacitySweep.plot_sweep` are the static versions for rendered reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from diagtools.fit._curves import check_model, check_param, check_scoring_arg, check_xy, resolve_cv
from diagtools.fit._diagnose import diagnose_on_splits, reference_scores
from diagtools.fit._result import TRAIN_COLOUR, VALIDATION_COLOUR, FitDiagnosis, short_param_name

__all__ = ["CapacitySweep", "fit_explorer"]

#: Background colour of each verdict in the sweep plots.
VERDICT_COLOURS = {"underfitting": "#fdb022", "good fit": "#12b76a", "data-limited": "#2e90fa", "overfitting": "#f04438",
                   "inconclusive": "#98a2b3"}
EVIDENCE_NAMES = ("gap", "lift_over_baseline", "reference_minus_validation", "reference_minus_train", "gain_per_doubling")


class CapacitySweep:
    """Diagnose a model at several values of one capacity parameter, lazily and cached.

    Parameters
    ----------
    model : estimator
        An (unfitted) scikit-learn style estimator.
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    param_name : str
        The capacity parameter (e.g. ``"max_depth"`` or ``"model__max_depth"``).
    param_range : sequence
        Values to explore, simplest first.
    train_sizes : array-like, default=(0.25, 0.5, 1.0)
        Learning-curve sizes per diagnosis (few keep the slider responsive).
    cv : int or splitter, default=3
    scoring : str or callable, optional
    n_jobs : int, optional
    random_state : int or None, default=0
    label : str, optional
        Readable name of the parameter for axes and the slider (default: ``param_name``
        without its pipeline prefix, e.g. ``"max_depth"``).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from diagtools.widgets import CapacitySweep
    >>> X, y = make_classification(400, flip_y=0.2, random_state=0)
    >>> sweep = CapacitySweep(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth",
    ...                       param_range=[1, None])
    >>> sweep.diagnose(None).verdict
    'overfitting'
    """

    def __init__(
        self,
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
    ) -> None:
        from sklearn.base import is_classifier

        self.model = check_model(model)
        self.X, self.y = check_xy(X, y)
        self.param_name = param_name
        self.label = label if label is not None else short_param_name(param_name)
        self.values = check_param(self.model, param_name, param_range)
        check_scoring_arg(self.model, scoring)
        self.scoring, self.n_jobs, self.random_state, self.train_sizes = scoring, n_jobs, random_state, train_sizes
        self.splits = resolve_cv(cv, self.model, self.X, self.y, random_state)
        self._classification = is_classifier(self.model)
        self._scores: tuple[np.ndarray, np.ndarray] | None = None
        self._cache: dict[int, FitDiagnosis] = {}

    @property
    def labels(self) -> list[str]:
        """The values as text (slider labels)."""
        return [str(v) for v in self.values]

    def _index(self, value: Any) -> int:
        for i, v in enumerate(self.values):
            if v is value or (type(v) is type(value) and v == value) or str(v) == str(value):
                return i
        from diagtools.errors import DiagnosticInputError

        raise DiagnosticInputError(f"value {value!r} is not in param_range {self.labels}. Pass one of them.")

    def _reference(self) -> tuple[np.ndarray, np.ndarray]:
        # Baseline and reference do not depend on the swept value: score them once.
        if self._scores is None:
            self._scores = reference_scores(
                self.X, self.y, self.splits, classification=self._classification, scoring=self.scoring,
                n_jobs=self.n_jobs, random_state=self.random_state,
            )
        return self._scores

    def diagnose(self, value: Any) -> FitDiagnosis:
        """Return the diagnosis at one value (computed on first use, then cached).

        Parameters
        ----------
        value : object
            One of ``param_range`` (or its text label).

        Returns
        -------
        FitDiagnosis
        """
        i = self._index(value)
        if i not in self._cache:
            estimator = self.model.set_params(**{self.param_name: self.values[i]})
            self._cache[i] = diagnose_on_splits(
                estimator, self.X, self.y, self.splits, scores=self._reference, train_sizes=self.train_sizes, scoring=self.scoring,
                n_jobs=self.n_jobs, random_state=self.random_state, progress=False,
            )
        return self._cache[i]

    def table(self) -> pd.DataFrame:
        """Diagnose every value (the static sweep) and return one row per value.

        Returns
        -------
        pandas.DataFrame
            One row per value, simplest first: ``param_label, verdict, train_score,
            validation_score, validation_ci_low, validation_ci_high, gap, gap_share,
            gap_share_ci_low, gap_share_ci_high, reference_minus_validation, fit_time_s,
            gain_per_doubling``. Scores are means across folds at the largest training size;
            the intervals are across folds (see :func:`diagtools.fit.diagnose_fit`).
            ``gap_share`` is the share of what was learned that does not carry over to new
            rows: the verdict calls overfitting above ``DEFAULT_THRESHOLDS["gap_share_overfit"]``,
            so an interval straddling it marks a knife-edge verdict. ``fit_time_s`` is the
            mean time of one fit on the largest training size.
        """
        rows = []
        for value, label in zip(self.values, self.labels, strict=True):
            d = self.diagnose(value)
            f = d.frame.set_index("evidence")
            fit_time = d.curve.at_size()["fit_time_s"].mean() if d.curve is not None else np.nan
            rows.append({
                "param_label": label, "verdict": d.verdict,
                "train_score": f.loc["train_score", "estimate"],
                "validation_score": f.loc["validation_score", "estimate"],
                "validation_ci_low": f.loc["validation_score", "ci_low"],
                "validation_ci_high": f.loc["validation_score", "ci_high"],
                "gap": f.loc["gap", "estimate"],
                "gap_share": f.loc["gap_share", "estimate"],
                "gap_share_ci_low": f.loc["gap_share", "ci_low"],
                "gap_share_ci_high": f.loc["gap_share", "ci_high"],
                "reference_minus_validation": f["estimate"].get("reference_minus_validation", np.nan),
                "fit_time_s": float(fit_time),
                "gain_per_doubling": f.loc["gain_per_doubling", "estimate"],
            })
        return pd.DataFrame(rows)

    def axis_limits(self) -> dict[str, tuple[float, float]]:
        """Axis ranges that hold every value of the sweep, so a slider move changes the data, not the axes.

        Diagnoses every value. Returns ``{"score": (low, high), "evidence": (low, high)}``:
        the score range of the learning curves with the baseline and reference, and the range
        of the evidence intervals (always including zero).
        """
        self.table()
        score_lo, score_hi, ev_lo, ev_hi = [], [], [0.0], [0.0]
        for d in self._cache.values():
            if d.curve is not None:
                s = d.curve.summary()
                score_lo.append(float(np.nanmin(s[["estimate", "ci_low"]].to_numpy(float))))
                score_hi.append(float(np.nanmax(s[["estimate", "ci_high"]].to_numpy(float))))
            f = d.frame[d.frame["evidence"].isin(EVIDENCE_NAMES)]
            ev_lo.append(float(np.nanmin(f[["estimate", "ci_low"]].to_numpy(float))))
            ev_hi.append(float(np.nanmax(f[["estimate", "ci_high"]].to_numpy(float))))
        base, ref = self._reference()
        for scores in (base, ref):
            if scores is not None and len(scores):
                score_lo.append(float(np.mean(scores)))
                score_hi.append(float(np.mean(scores)))
        return {"score": _padded(min(score_lo), max(score_hi)), "evidence": _padded(min(ev_lo), max(ev_hi))}

    def plot_sweep(self, value: Any = None, *, figsize: tuple[float, float] = (7.5, 8.0)) -> Any:
        """Draw the whole sweep: scores with verdicts, the gap share against its threshold, and fit time.

        Three panels over the swept values (simplest first): training and validation score
        with fold intervals, the trivial baseline and the reference model, each value shaded
        by its verdict; the gap share with its interval and the overfitting thresholds; and
        the time of one fit on the largest training size.

        Parameters
        ----------
        value : object, optional
            A value to mark (the slider's position in :func:`fit_explorer`).
        figsize : tuple, default=(7.5, 8.0)

        Returns
        -------
        matplotlib Figure
        """
        from diagtools._plotting import check_matplotlib

        plt = check_matplotlib()
        fig, axes = plt.subplots(3, 1, figsize=figsize, sharex=True, gridspec_kw={"height_ratios": [3, 2, 1.4]})
        self._draw_sweep(axes, value)
        fig.tight_layout()
        return fig

    def _draw_sweep(self, axes: Sequence[Any], value: Any = None) -> None:
        table = self.table()
        x = np.arange(len(table), dtype=float)
        current = None if value is None else self._index(value)
        base, ref = self._reference()
        d0 = next(iter(self._cache.values()))
        scoring = str(d0.params.get("scoring", "score"))
        thresholds = d0.params.get("thresholds", {})
        confidence = float(d0.params.get("confidence", 0.95))
        ax_score, ax_share, ax_time = axes
        for i, verdict in enumerate(table["verdict"]):
            for ax in axes:
                ax.axvspan(i - 0.5, i + 0.5, color=VERDICT_COLOURS.get(verdict, "#98a2b3"), alpha=0.13, lw=0)
        for split, colour in (("train", TRAIN_COLOUR), ("validation", VALIDATION_COLOUR)):
            stats = [self._cache[i].curve.summary() if self._cache[i].curve is not None else None for i in range(len(x))]
            est, lo, hi = [], [], []
            for s in stats:
                last = s[(s["train_size"] == s["train_size"].max()) & (s["split"] == split)].iloc[0]
                est.append(last["estimate"])
                lo.append(last["ci_low"])
                hi.append(last["ci_high"])
            ax_score.plot(x, est, marker="o", color=colour, label=f"{'training' if split == 'train' else 'validation'} score")
            ax_score.fill_between(x, np.asarray(lo, float), np.asarray(hi, float), color=colour, alpha=0.2, lw=0)
        ax_score.axhline(float(np.mean(base)), color="#475467", ls=":", lw=1.2, label="trivial baseline")
        if ref is not None:
            ax_score.axhline(float(np.mean(ref)), color="#475467", ls="-.", lw=1.2, label="reference model")
        from matplotlib.patches import Patch

        handles, _ = ax_score.get_legend_handles_labels()
        shown = [v for v in VERDICT_COLOURS if v in set(table["verdict"])]
        handles += [Patch(color=VERDICT_COLOURS[v], alpha=0.35, label=v) for v in shown]
        ax_score.legend(handles=handles, loc="lower right", fontsize="small", ncols=2)
        ax_score.set_ylabel(scoring)
        level = round(100 * confidence)
        ax_score.set_title(f"Scores at the largest training size ({level}% intervals across folds)")

        share = table["gap_share"].to_numpy(float)
        lo = np.where(np.isfinite(table["gap_share_ci_low"]), share - table["gap_share_ci_low"], 0.0)
        hi = np.where(np.isfinite(table["gap_share_ci_high"]), table["gap_share_ci_high"] - share, 0.0)
        ax_share.errorbar(x, share, yerr=[lo, hi], fmt="o", color="#344054", capsize=3)
        over = float(thresholds.get("gap_share_overfit", 0.5))
        mild = float(thresholds.get("gap_share_mild", 0.35))
        ax_share.axhline(over, color="#f04438", ls="--", lw=1.2, label=f"overfitting above {over:.0%}")
        ax_share.axhline(mild, color="#f04438", ls=":", lw=1.0, label=f"{mild:.0%}: overfitting if also below the reference")
        # With few folds a share's interval can run far past [0, 1]: keep the thresholds readable.
        finite = np.concatenate([share - lo, share + hi, [0.0, 1.0]])
        finite = finite[np.isfinite(finite)]
        ax_share.set_ylim(max(-0.5, finite.min() - 0.05), min(1.5, finite.max() + 0.05))
        ax_share.set_ylabel("gap share")
        ax_share.yaxis.set_major_formatter(_percent_formatter())
        ax_share.legend(loc="upper left", fontsize="small")
        ax_share.set_title("Share of what was learned that does not carry over to new rows")

        ax_time.plot(x, table["fit_time_s"], marker="o", color="#475467")
        ax_time.set_ylim(bottom=0)
        ax_time.set_ylabel("s per fit")
        ax_time.set_title("Fit time on the largest training size")
        for ax in axes:
            ax.set_xticks(x, table["param_label"].tolist())
        ax_time.set_xlabel(self.label)
        if current is not None:
            for ax in axes:
                ax.axvline(x[current], color="k", lw=1.5)


def _padded(low: float, high: float, pad: float = 0.05) -> tuple[float, float]:
    span = high - low if high > low else max(abs(high), 1.0)
    return low - pad * span, high + pad * span


def _percent_formatter() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


def fit_explorer(
    model: Any,
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    param_name: str,
    param_range: Sequence[Any],
    value: Any = None,
    **kwargs: Any,
) -> Any:
    """Build a slider over a capacity parameter that redraws the learning curve and the verdict.

    Every value is diagnosed first (see :class:`CapacitySweep`), so the axes stay fixed
    across slider positions and a move changes the data, not the scale; moving the slider is
    then instant. Beneath the diagnosis at the chosen value, the whole sweep is drawn with the
    value marked (:meth:`CapacitySweep.plot_sweep`).

    Parameters
    ----------
    model : estimator
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    param_name : str
        The capacity parameter.
    param_range : sequence
        Values on the slider, simplest first.
    value : object, optional
        Initial value (default: the first).
    **kwargs
        Passed to :class:`CapacitySweep` (``label``, ``train_sizes``, ``cv``, ``scoring``,
        ``n_jobs``, ``random_state``).

    Returns
    -------
    ipywidgets.VBox
        The slider and an output area; ``.sweep`` holds the :class:`CapacitySweep`.
    """
    try:
        import ipywidgets as widgets
    except ImportError as exc:  # pragma: no cover - optional extra
        from diagtools.errors import DiagnosticInputError

        raise DiagnosticInputError(
            "fit_explorer needs ipywidgets, which is not installed. Install it: pip install ipywidgets"
        ) from exc
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    from diagtools._html import findings_html

    sweep = CapacitySweep(model, X, y, param_name=param_name, param_range=param_range, **kwargs)
    start = sweep.labels[0] if value is None else sweep.labels[sweep._index(value)]
    limits = sweep.axis_limits()  # diagnoses every value: fixed axes, instant slider
    slider = widgets.SelectionSlider(options=sweep.labels, value=start, description=sweep.label,
                                     continuous_update=False, layout=widgets.Layout(width="560px"),
                                     style={"description_width": "initial"})
    out = widgets.Output()

    def redraw(change: Any = None) -> None:
        diagnosis = sweep.diagnose(slider.value)
        with out:
            out.clear_output(wait=True)
            fig = plt.figure(figsize=(12, 8.5))
            grid = fig.add_gridspec(2, 6, height_ratios=[1, 1])
            curve_ax, evidence_ax = fig.add_subplot(grid[0, :3]), fig.add_subplot(grid[0, 3:])
            sweep_axes = [fig.add_subplot(grid[1, 2 * i : 2 * i + 2]) for i in range(3)]
            diagnosis.plot(ax=curve_ax, title=f"{sweep.label} = {slider.value}: {diagnosis.verdict}")
            curve_ax.set_ylim(*limits["score"])
            diagnosis.plot_evidence(ax=evidence_ax)
            evidence_ax.set_xlim(*limits["evidence"])
            evidence_ax.set_title(f"Evidence (gap share {diagnosis.gap_share_text()})")
            sweep._draw_sweep(sweep_axes, slider.value)
            for ax, title in zip(sweep_axes, ("Scores over the sweep", "Gap share", "Fit time"), strict=True):
                ax.set_title(title, fontsize="medium")
                if ax.get_legend() is not None:  # the top panels carry the legend; keep the small ones clear
                    ax.get_legend().remove()
                ax.set_xlabel(sweep.label)
                ax.tick_params(axis="x", labelsize="small")
            fig.tight_layout()
            display(fig)  # type: ignore[no-untyped-call]
            plt.close(fig)
            display(HTML(findings_html(diagnosis.findings())))  # type: ignore[no-untyped-call]

    slider.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([slider, out])
    box.sweep = sweep
    return box
