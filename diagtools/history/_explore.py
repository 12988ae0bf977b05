"""``explore``: deprecated home of the run explorer, now :func:`diagtools.widgets.explore_runs`."""

from __future__ import annotations

from typing import Any

__all__ = ["explore"]


def explore(history: Any, **kwargs: Any) -> Any:
    """Deprecated alias of :func:`diagtools.widgets.explore_runs` (warns FutureWarning).

    Widgets live in :mod:`diagtools.widgets`; this name stays so existing notebooks run.

    Parameters
    ----------
    history : History
    **kwargs
        As for :func:`diagtools.widgets.explore_runs` (``baseline``, ``candidate``,
        ``metrics``, ``n_boot``, ``random_state``).

    Returns
    -------
    ipywidgets.VBox
    """
    from diagtools.widgets._common import deprecated
    from diagtools.widgets._history import explore_runs

    deprecated("diagtools.history.explore", "diagtools.widgets.explore_runs")
    return explore_runs(history, **kwargs)
