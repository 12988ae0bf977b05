"""Data quality and leakage: integrity checks, train/test leakage, label-noise candidates.

:func:`check_data` returns a :class:`DataQualityResult`; :func:`add_data_problems` plants
known problems into demo data.
"""

from __future__ import annotations

from diagtools.quality._compute import CHECK_GROUPS, CHECKS, DEFAULT_THRESHOLDS, check_data
from diagtools.quality._plant import add_data_problems
from diagtools.quality._result import FRAME_COLUMNS, DataQualityResult

__all__ = ["CHECKS", "CHECK_GROUPS", "DEFAULT_THRESHOLDS", "FRAME_COLUMNS", "DataQualityResult", "add_data_problems", "check_data"]
