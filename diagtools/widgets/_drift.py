"""Drift explorer: browse the columns of a :class:`~diagtools.drift.DriftResult`, most drifted first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from diagtools._html import frame_html
from diagtools.widgets._common import live_output, show

if TYPE_CHECKING:
    from diagtools.drift import DriftResult

__all__ = ["browse_columns"]


def browse_columns(result: DriftResult) -> Any:
    """Return a widget to browse the columns of a drift result, most drifted first.

    A dropdown lists the columns ranked by effect size (flagged ones marked); choosing one
    shows its overlaid reference/current distribution and its rows of ``result.frame``.

    Parameters
    ----------
    result : DriftResult
        Output of :func:`~diagtools.drift.detect_drift`.

    Returns
    -------
    ipywidgets.VBox
        The column picker above its plot and table; display it in a notebook.

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.drift import detect_drift
    >>> res = detect_drift(load_loans("reference"), load_loans("current"), domain_classifier=False)
    >>> box = browse_columns(res)  # doctest: +SKIP
    """
    import ipywidgets as widgets

    summary = result.summary()
    options = [(f"{'[drifted] ' if d else ''}{c}", c) for c, d in zip(summary["column"], summary["drifted"], strict=True)]
    dropdown = widgets.Dropdown(options=options, description="column", layout=widgets.Layout(width="360px"))

    def draw() -> None:
        if dropdown.value is not None:  # a result without columns leaves the area empty
            rows = result.frame[result.frame["column"] == dropdown.value]
            show(result.plot_column(dropdown.value), frame_html(rows, max_rows=20))

    return widgets.VBox([dropdown, live_output(draw, [dropdown])])
