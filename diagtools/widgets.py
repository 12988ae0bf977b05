"""ipywidgets explorers used by the templates.

Each explorer recomputes through the library and redraws on every change; ipywidgets is
imported only when an explorer is built, so ``import diagtools`` stays light. A rendered
report has no kernel, so the templates also show a static version next to every explorer.

Explorers: :func:`threshold_explorer` (metrics at a decision threshold), :func:`fit_explorer`
(learning curve and verdict over a capacity slider, backed by :class:`CapacitySweep`),
:func:`explore_slices` (slice metrics by column, metric and minimum size), :func:`browse_columns`
(drift per column).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from diagtools._validation import check_no_nan, check_same_length
from diagtools._widgets_drift import browse_columns
from diagtools._widgets_fit import CapacitySweep, fit_explorer
from diagtools._widgets_slices import explore_slices
from diagtools.errors import DiagnosticInputError

__all__ = ["CapacitySweep", "browse_columns", "explore_slices", "fit_explorer", "threshold_explorer", "threshold_table"]


def threshold_table(y_true: ArrayLike, y_score: ArrayLike, *, thresholds: ArrayLike = (0.3, 0.4, 0.5, 0.6, 0.7)) -> pd.DataFrame:
    """Confusion counts, precision, recall, F1 and accuracy at each decision threshold.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels (0/1 or two classes; the larger label is positive).
    y_score : array-like of shape (n_samples,)
        Score or probability of the positive class.
    thresholds : array-like of float, default=(0.3, 0.4, 0.5, 0.6, 0.7)
        A row is predicted positive when its score is at least the threshold.

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold, tp, fp, fn, tn, precision, recall, f1, accuracy, predicted_positive_rate``.

    Examples
    --------
    >>> from diagtools.widgets import threshold_table
    >>> threshold_table([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.55], thresholds=[0.5])[["precision", "recall"]]
       precision  recall
    0   0.666667     1.0
    """
    y = check_no_nan(y_true, "y_true")
    s = check_no_nan(y_score, "y_score").astype(float)
    check_same_length(s, y, name="y_score", ref_name="y_true")
    classes = np.unique(y)
    if len(classes) != 2:
        raise DiagnosticInputError(f"y_true must hold exactly two classes for thresholds, got {len(classes)}: {classes[:5].tolist()}.")
    positive = y == classes[1]
    t = np.asarray(thresholds, dtype=float)[:, None]
    pred = s[None, :] >= t
    tp = (pred & positive).sum(1)
    fp = (pred & ~positive).sum(1)
    fn = (~pred & positive).sum(1)
    tn = (~pred & ~positive).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = tp / (tp + fp)
        recall = tp / (tp + fn)
        f1 = 2 * precision * recall / (precision + recall)
    return pd.DataFrame(
        {
            "threshold": t.ravel(), "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision,
            "recall": recall, "f1": f1, "accuracy": (tp + tn) / len(y), "predicted_positive_rate": (tp + fp) / len(y),
        }
    )


def threshold_explorer(y_true: ArrayLike, y_score: ArrayLike, *, value: float = 0.5) -> Any:
    """Build a slider over the decision threshold that redraws the confusion counts and scores.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_score : array-like of shape (n_samples,)
    value : float, default=0.5
        Initial threshold.

    Returns
    -------
    ipywidgets.VBox
        The slider and an output area; display it in a notebook.
    """
    import ipywidgets as widgets
    from IPython.display import display

    y = check_no_nan(y_true, "y_true")
    s = check_no_nan(y_score, "y_score")
    threshold_table(y, s, thresholds=[value])  # validates the inputs before building widgets
    slider = widgets.FloatSlider(value=value, min=0.05, max=0.95, step=0.05, description="threshold", continuous_update=False)
    out = widgets.Output()

    def redraw(change: Any = None) -> None:
        row = threshold_table(y, s, thresholds=[slider.value]).iloc[0]
        with out:
            out.clear_output(wait=True)
            display(
                pd.DataFrame(
                    {"predicted 0": [int(row.tn), int(row.fn)], "predicted 1": [int(row.fp), int(row.tp)]},
                    index=["actual 0", "actual 1"],
                )
            )
            print(
                f"threshold {slider.value:.2f}: precision {row.precision:.3f}, recall {row.recall:.3f}, "
                f"F1 {row.f1:.3f}, accuracy {row.accuracy:.3f}"
            )

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, out])
