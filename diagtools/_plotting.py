"""Drawing helpers shared by every ``Result.plot``: they take tidy frames and an Axes."""

from __future__ import annotations

from typing import Any

from diagtools.errors import DiagnosticInputError

__all__ = ["check_matplotlib", "get_ax"]


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
