"""What every explorer shares: an output area redrawn when a control changes, and showing a figure."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["deprecated", "live_output", "show"]


def live_output(draw: Callable[[], None], controls: Sequence[Any]) -> Any:
    """Return an ``ipywidgets.Output`` that ``draw()`` fills now and again whenever a control's value changes.

    The area is cleared with ``wait=True``, so it keeps its height until the new drawing
    arrives instead of collapsing and jumping on every slider move.
    """
    import ipywidgets as widgets

    out = widgets.Output()

    def redraw(change: Any = None) -> None:
        with out:
            out.clear_output(wait=True)
            draw()

    for control in controls:
        control.observe(redraw, names="value")
    redraw()
    return out


def show(figure: Any = None, html: str = "") -> None:
    """Display a matplotlib figure (or the figure of an Axes), then close it, then ``html``.

    Closing keeps pyplot from holding one figure per slider move and from drawing it a second
    time at the end of the cell.
    """
    from IPython.display import HTML, display

    if figure is not None:
        import matplotlib.pyplot as plt

        fig = getattr(figure, "figure", figure)
        display(fig)  # type: ignore[no-untyped-call]
        plt.close(fig)
    if html:
        display(HTML(html))  # type: ignore[no-untyped-call]


def deprecated(old: str, new: str) -> None:
    """Warn (FutureWarning, at the caller's caller) that ``old`` moved to ``new``."""
    warnings.warn(f"{old} is deprecated and will be removed; use {new} instead.", FutureWarning, stacklevel=3)
