"""Fit explorer: a slider over a capacity parameter redraws the fit diagnosis at that value.

The computing is :func:`diagtools.fit.capacity_sweep`; this module only draws its result and
reacts to the slider. ``CapacitySweep`` is the deprecated lazy object that used to compute here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from numpy.typing import ArrayLike

from diagtools._html import findings_html
from diagtools.fit import CapacitySweepResult, FitDiagnosis, capacity_sweep
from diagtools.widgets._common import deprecated, live_output, show

__all__ = ["CapacitySweep", "fit_explorer"]

#: ``CapacitySweep.table()`` columns named as before the sweep became a Result.
_OLD_NAMES = {"estimate": "validation_score", "ci_low": "validation_ci_low", "ci_high": "validation_ci_high"}


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

    Every value is diagnosed first (:func:`diagtools.fit.capacity_sweep`), so the axes stay
    fixed across slider positions and a move changes the data, not the scale; moving the
    slider is then instant. Beneath the diagnosis at the chosen value, the whole sweep is drawn
    with the value marked.

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
        Passed to :func:`~diagtools.fit.capacity_sweep` (``label``, ``train_sizes``, ``cv``,
        ``scoring``, ``n_jobs``, ``random_state``).

    Returns
    -------
    ipywidgets.VBox
        The slider and an output area; ``.sweep`` holds the :class:`~diagtools.fit.CapacitySweepResult`
        (its ``frame`` and ``plot_sweep()`` are the static version for a rendered report).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = make_classification(400, random_state=0)
    >>> box = fit_explorer(DecisionTreeClassifier(), X, y, param_name="max_depth", param_range=[1, 4])  # doctest: +SKIP
    """
    import ipywidgets as widgets

    sweep = capacity_sweep(model, X, y, param_name=param_name, param_range=param_range, **kwargs)
    start = sweep.labels[0 if value is None else sweep.position(value)]
    slider = widgets.SelectionSlider(options=sweep.labels, value=start, description=sweep.label,
                                     continuous_update=False, layout=widgets.Layout(width="560px"),
                                     style={"description_width": "initial"})
    limits = sweep.axis_limits()

    def draw() -> None:
        diagnosis = sweep.diagnosis(slider.value)
        show(_sweep_figure(sweep, diagnosis, slider.value, limits), findings_html(diagnosis.findings()))

    box = widgets.VBox([slider, live_output(draw, [slider])])
    box.sweep = sweep
    return box


def _sweep_figure(sweep: CapacitySweepResult, diagnosis: FitDiagnosis, value: str,
                  limits: dict[str, tuple[float, float]]) -> Any:
    """The diagnosis at ``value`` (top: learning curve, evidence) over the whole sweep (bottom)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(12, 8.5))
    grid = fig.add_gridspec(2, 6, height_ratios=[1, 1])
    curve_ax, evidence_ax = fig.add_subplot(grid[0, :3]), fig.add_subplot(grid[0, 3:])
    diagnosis.plot(ax=curve_ax, title=f"{sweep.label} = {value}: {diagnosis.verdict}")
    curve_ax.set_ylim(*limits["score"])
    diagnosis.plot_evidence(ax=evidence_ax)
    evidence_ax.set_xlim(*limits["evidence"])
    evidence_ax.set_title(f"Evidence (gap share {diagnosis.gap_share_text()})")
    # The small panels share the verdict shading; the top ones carry the legends.
    scores, share, time = (fig.add_subplot(grid[1, 2 * i : 2 * i + 2]) for i in range(3))
    sweep.plot(ax=scores, value=value, legend=False)
    sweep.plot_gap_share(ax=share, value=value, legend=False)
    sweep.plot_fit_time(ax=time, value=value)
    for ax, title in ((scores, "Scores over the sweep"), (share, "Gap share"), (time, "Fit time")):
        ax.set_title(title, fontsize="medium")
        ax.tick_params(axis="x", labelsize="small")
    fig.tight_layout()
    return fig


class CapacitySweep:
    """Deprecated: use :func:`diagtools.fit.capacity_sweep`, which returns a :class:`~diagtools.fit.CapacitySweepResult`.

    Kept so existing notebooks run: every method reads the sweep computed (once, on first
    use) by :func:`~diagtools.fit.capacity_sweep`. Constructing it warns FutureWarning.

    Parameters
    ----------
    model, X, y, param_name, param_range, **kwargs
        As for :func:`diagtools.fit.capacity_sweep`.
    """

    def __init__(self, model: Any, X: ArrayLike | pd.DataFrame, y: ArrayLike, *, param_name: str,
                 param_range: Sequence[Any], **kwargs: Any) -> None:
        deprecated("diagtools.widgets.CapacitySweep", "diagtools.fit.capacity_sweep")
        self._arguments = (model, X, y, {"param_name": param_name, "param_range": param_range, **kwargs})
        self._result: CapacitySweepResult | None = None

    @property
    def result(self) -> CapacitySweepResult:
        """The computed sweep (computed on first use)."""
        if self._result is None:
            model, X, y, kwargs = self._arguments
            self._result = capacity_sweep(model, X, y, **kwargs)
        return self._result

    @property
    def label(self) -> str:
        """Readable name of the swept parameter."""
        return self.result.label

    @property
    def labels(self) -> list[str]:
        """The values as text (slider labels)."""
        return self.result.labels

    def diagnose(self, value: Any) -> FitDiagnosis:
        """The :class:`~diagtools.fit.FitDiagnosis` at one value; see :meth:`CapacitySweepResult.diagnosis`."""
        return self.result.diagnosis(value)

    def table(self) -> pd.DataFrame:
        """``result.frame`` with its former column names (``validation_score``, ``validation_ci_low``, ...)."""
        return self.result.frame.rename(columns=_OLD_NAMES)

    def axis_limits(self) -> dict[str, tuple[float, float]]:
        """See :meth:`CapacitySweepResult.axis_limits`."""
        return self.result.axis_limits()

    def plot_sweep(self, value: Any = None, *, figsize: tuple[float, float] = (7.5, 8.0)) -> Any:
        """See :meth:`CapacitySweepResult.plot_sweep`."""
        return self.result.plot_sweep(value=value, figsize=figsize)
