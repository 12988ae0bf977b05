"""Drawing helpers shared by every ``Result.plot``: they take tidy frames and an Axes."""

from __future__ import annotations

from typing import Any

from diagtools.errors import DiagnosticInputError

__all__ = ["check_matplotlib", "get_ax", "plain_log_ticks", "plain_number"]


def check_matplotlib() -> Any:
    """Import and return ``matplotlib.pyplot`` with a helpful message when it is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise DiagnosticInputError(
            "Plotting needs matplotlib, which is not installed. Install it: pip install matplotlib"
        ) from exc
    return plt


def get_ax(ax: Any = None, *, figsize: tuple[float, float] = (6.4, 4.2)) -> Any:
    """Return ``ax`` or a new Axes from ``plt.subplots`` (never ``plt.gca``)."""
    if ax is not None:
        return ax
    plt = check_matplotlib()
    _, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def plain_number(value: float) -> str:
    """Write a tick value as a reader would: ``40``, ``1,000``, ``0.5``, ``0.002`` (no ``4×10¹``)."""
    if value == 0:
        return "0"
    if abs(value) >= 1 and float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 1e-4:
        return f"{value:.4g}"
    return f"{value:.0e}"


def plain_log_ticks(ax: Any, axis: str = "y", *, ticks: Any = None) -> Any:
    """Label a log axis with plain numbers instead of matplotlib's ``4×10¹`` scientific ticks.

    Parameters
    ----------
    ax : matplotlib Axes
    axis : {"x", "y", "both"}, default="y"
    ticks : sequence of float, optional
        Put the major ticks exactly here (e.g. the batch sizes measured) and hide the minor
        labels. Without it, the decades are labelled and, when the axis spans less than about
        1.5 decades (where a decade or two of ticks would leave it nearly unlabelled), also
        the 2s and 5s between them.

    Returns
    -------
    matplotlib Axes
    """
    import math

    from matplotlib.ticker import FixedLocator, Formatter, FuncFormatter, NullFormatter

    class _Between(Formatter):  # type: ignore[misc]
        def __call__(self, value: float, pos: Any = None) -> str:
            lo, hi = sorted(self.axis.get_view_interval())
            if value <= 0 or lo <= 0 or hi / lo > 30:
                return ""
            lead = round(value / 10 ** math.floor(math.log10(value)), 6)
            return plain_number(value) if lead in (2.0, 5.0) or (hi / lo < 4 and lead in (3.0, 4.0, 6.0, 8.0)) else ""

    for name in ("x", "y") if axis == "both" else (axis,):
        target = ax.xaxis if name == "x" else ax.yaxis
        target.set_major_formatter(FuncFormatter(lambda v, _pos: plain_number(v)))
        if ticks is not None:
            target.set_major_locator(FixedLocator([float(t) for t in ticks]))
            target.set_minor_formatter(NullFormatter())
        else:
            target.set_minor_formatter(_Between())
    return ax
