"""Threshold explorer: a slider over the decision threshold redraws the confusion counts and scores."""

from __future__ import annotations

from typing import Any

import pandas as pd
from numpy.typing import ArrayLike

from diagtools._format import number
from diagtools._validation import check_no_nan
from diagtools.metrics import threshold_table as _threshold_table
from diagtools.widgets._common import deprecated, live_output

__all__ = ["threshold_explorer", "threshold_table"]


def threshold_table(y_true: ArrayLike, y_score: ArrayLike, *, thresholds: ArrayLike = (0.3, 0.4, 0.5, 0.6, 0.7)) -> pd.DataFrame:
    """Deprecated alias of :func:`diagtools.metrics.threshold_table` (warns FutureWarning).

    Parameters
    ----------
    y_true, y_score, thresholds
        As for :func:`diagtools.metrics.threshold_table`.

    Returns
    -------
    pandas.DataFrame
    """
    deprecated("diagtools.widgets.threshold_table", "diagtools.metrics.threshold_table")
    return _threshold_table(y_true, y_score, thresholds=thresholds)


def threshold_explorer(y_true: ArrayLike, y_score: ArrayLike, *, value: float = 0.5) -> Any:
    """Build a slider over the decision threshold that redraws the confusion counts and scores.

    The numbers come from :func:`diagtools.metrics.threshold_table`; a rendered report shows
    that table at a few thresholds instead.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_score : array-like of shape (n_samples,)
        Score or probability of the positive class.
    value : float, default=0.5
        Initial threshold.

    Returns
    -------
    ipywidgets.VBox
        The slider and an output area; display it in a notebook.

    Examples
    --------
    >>> box = threshold_explorer([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.55])  # doctest: +SKIP
    """
    import ipywidgets as widgets
    from IPython.display import display

    y = check_no_nan(y_true, "y_true")
    s = check_no_nan(y_score, "y_score")
    _threshold_table(y, s, thresholds=[value])  # validates the inputs before building widgets
    slider = widgets.FloatSlider(value=value, min=0.05, max=0.95, step=0.05, description="threshold", continuous_update=False)

    def draw() -> None:
        row = _threshold_table(y, s, thresholds=[slider.value]).iloc[0]
        counts = {"predicted 0": [int(row.tn), int(row.fn)], "predicted 1": [int(row.fp), int(row.tp)]}
        display(pd.DataFrame(counts, index=["actual 0", "actual 1"]))  # type: ignore[no-untyped-call]
        print(f"threshold {slider.value:.2f}: precision {number(row.precision)}, recall {number(row.recall)}, "
              f"F1 {number(row.f1)}, accuracy {number(row.accuracy)}")

    return widgets.VBox([slider, live_output(draw, [slider])])
