"""Where the model fails: metrics by slice with significance, and automatic slice discovery.

* :func:`slice_metrics` - every slice of each column (numeric ones in quantile bins) and of
  crosses of columns: size, metrics with intervals, difference from the rest, p- and q-values.
  Computed from per-slice sufficient statistics (:func:`slice_stats`), which merge across
  chunks or workers (:meth:`SliceStats.merge`, :func:`metrics_from_stats`).
* :func:`find_slices` - the SliceLine search for the worst conjunctions of predicates, each
  tested with FDR control, plus the leaves of a shallow error tree as readable cohorts.
"""

from __future__ import annotations

from diagtools.slices._compute import metrics_from_stats, slice_metrics, slice_stats
from diagtools.slices._result import SliceResult, SliceSearchResult
from diagtools.slices._search import find_slices
from diagtools.slices._sufficient import SliceStats

__all__ = [
    "SliceResult",
    "SliceSearchResult",
    "SliceStats",
    "find_slices",
    "metrics_from_stats",
    "slice_metrics",
    "slice_stats",
]
