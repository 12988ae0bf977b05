"""ipywidgets explorers: controls that redraw a diagnosis as you move them.

Widgets only show: each explorer calls an area's function (or reads a result it is given)
and redraws on every change; the computing lives in the areas. Names load on first use, and
ipywidgets and matplotlib are imported only when an explorer is built, so importing this
package stays light. A rendered report has no kernel, so the templates also show a static
version next to every explorer.

Explorers: :func:`threshold_explorer` (metrics at a decision threshold, from
:func:`diagtools.metrics.threshold_table`), :func:`fit_explorer` (the fit diagnosis over a
capacity slider, from :func:`diagtools.fit.capacity_sweep`), :func:`explore_slices` (slice
metrics by column, metric and minimum size), :func:`browse_columns` (drift per column) and
:func:`explore_runs` (two runs of a benchmark history compared).

Deprecated here: ``threshold_table`` (use :func:`diagtools.metrics.threshold_table`) and
``CapacitySweep`` (use :func:`diagtools.fit.capacity_sweep`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from diagtools._lazy import lazy_names

if TYPE_CHECKING:
    from diagtools.widgets._drift import browse_columns
    from diagtools.widgets._fit import CapacitySweep, fit_explorer
    from diagtools.widgets._history import explore_runs
    from diagtools.widgets._slices import explore_slices
    from diagtools.widgets._threshold import threshold_explorer, threshold_table

_WHERE = {
    "browse_columns": "_drift",
    **dict.fromkeys(("CapacitySweep", "fit_explorer"), "_fit"),
    "explore_runs": "_history",
    "explore_slices": "_slices",
    **dict.fromkeys(("threshold_explorer", "threshold_table"), "_threshold"),
}

__all__ = ["CapacitySweep", "browse_columns", "explore_runs", "explore_slices", "fit_explorer", "threshold_explorer",
           "threshold_table"]


__getattr__, __dir__ = lazy_names(__name__, {name: f"diagtools.widgets.{module}" for name, module in _WHERE.items()})
