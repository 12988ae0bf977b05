"""ipywidgets explorer of a :class:`~diagtools.drift.DriftResult`: browse columns."""

from __future__ import annotations

from typing import Any

from diagtools._html import frame_html
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

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.drift import detect_drift
    >>> res = detect_drift(load_loans("reference"), load_loans("current"), domain_classifier=False)
    >>> box = browse_columns(res)  # doctest: +SKIP
    """
    try:
        import ipywidgets as w
    except ImportError as exc:  # pragma: no cover - optional extra
        from diagtools.errors import DiagnosticInputError

        raise DiagnosticInputError(
            "browse_columns needs ipywidgets, which is not installed. Install it: pip install ipywidgets"
        ) from exc
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    summary = result.summary()
    options = [(f"{'[drifted] ' if d else ''}{c}", c) for c, d in zip(summary["column"], summary["drifted"])]
    dropdown = w.Dropdown(options=options, description="column", layout=w.Layout(width="360px"))
    out = w.Output()

    def show(column: str) -> None:
        out.clear_output(wait=True)
        with out:
            ax = result.plot_column(column)
            display(ax.figure)
            plt.close(ax.figure)
            rows = result.frame[result.frame["column"] == column]
            display(HTML(frame_html(rows, max_rows=20)))

    dropdown.observe(lambda change: show(change["new"]), names="value")
    if options:
        show(options[0][1])
    return w.VBox([dropdown, out])
