"""Slice explorer: pick columns, metric and minimum slice size; :func:`slice_metrics` recomputes."""

from __future__ import annotations

from typing import Any

import pandas as pd

from diagtools._html import findings_html, frame_html
from diagtools.slices import _inputs as I
from diagtools.slices import slice_metrics
from diagtools.widgets._common import live_output, show

__all__ = ["explore_slices"]

#: Columns of the table under the bars, those the result has, in this order.
_SHOWN = ("slice", "n", "estimate", "ci_low", "ci_high", "reference_estimate", "difference", "q_value", "reported")


def explore_slices(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    y_pred: Any = None,
    columns: list[str] | None = None,
    min_size: int = 30,
    n_boot: int = 100,
    random_state: int = 0,
) -> Any:
    """Return a widget that recomputes :func:`~diagtools.slices.slice_metrics` as you pick.

    The model predicts once; each change of the columns (one or two: two also shows their
    cross), the metric or the minimum slice size recomputes the slices and redraws the bars
    and the table of the most significant slices.

    Parameters
    ----------
    model : fitted model or None
        ``None`` when ``y_pred`` is given.
    X : DataFrame
        Rows to slice.
    y : array-like of shape (n_samples,)
        True targets.
    y_pred : array-like, optional
        Predictions instead of calling ``model``.
    columns : list of str, optional
        Columns offered; every column of ``X`` by default. The first two start selected.
    min_size : int, default=30
        Initial minimum slice size.
    n_boot : int, default=100
    random_state : int, default=0

    Returns
    -------
    ipywidgets.VBox
        The pickers, a one-line note and the output area; display it in a notebook.

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> df = load_loans("current")
    >>> box = explore_slices(None, df, df["defaulted"], y_pred=df["defaulted"])  # doctest: +SKIP
    """
    import ipywidgets as widgets

    X = I.check_frame(X)
    offered = I.resolve_columns(X, columns, name="columns")
    y_true, pred = I.predictions(model, X, y, y_pred)
    first = slice_metrics(None, X[offered[:1]], y_true, y_pred=pred, n_boot=n_boot, min_size=min_size,
                          random_state=random_state)
    pick = widgets.SelectMultiple(options=offered, value=tuple(offered[:2]), description="columns",
                                  rows=min(8, len(offered)))
    metric = widgets.Dropdown(options=list(first.params["metrics"]), value=first.primary_metric, description="metric")
    size = widgets.IntSlider(value=min_size, min=5, max=max(min_size, 10, len(X) // 10), step=5, description="min size",
                             continuous_update=False)

    def draw() -> None:
        cols = list(pick.value)[:2] or offered[:1]
        res = slice_metrics(None, X[cols], y_true, y_pred=pred, n_boot=n_boot, min_size=int(size.value), crosses=2,
                            random_state=random_state)
        rows = res.frame[res.frame["metric"] == metric.value].sort_values("p_value", kind="stable")
        shown = [c for c in _SHOWN if c in rows.columns]
        show(res.plot(metric=metric.value), findings_html(res.findings()) + frame_html(rows[shown], max_rows=15))

    note = widgets.HTML("<small>Pick one or two columns (two adds their cross); bars show the metric per slice with "
                        "its 95% interval, the dashed line all rows.</small>")
    out = live_output(draw, [pick, metric, size])
    return widgets.VBox([widgets.HBox([pick, widgets.VBox([metric, size])]), note, out])
