"""Data quality and leakage: integrity checks, train/test leakage, label-noise candidates.

:func:`check_data` returns a :class:`DataQualityResult`; :func:`add_data_problems` plants
known problems into demo data. :func:`check_duplicates` counts duplicate rows, rows shared
with a reference set and per-column values on data of any size (pandas, parquet / CSV files
read in chunks, dask) and returns a :class:`DuplicateCheckResult`.
"""

from __future__ import annotations

from diagtools.quality._compute import CHECK_GROUPS, CHECKS, DEFAULT_THRESHOLDS, check_data
from diagtools.quality._dup_result import DuplicateCheckResult
from diagtools.quality._large import check_duplicates
from diagtools.quality._plant import add_data_problems
from diagtools.quality._result import FRAME_COLUMNS, DataQualityResult

__all__ = ["CHECKS", "CHECK_GROUPS", "DEFAULT_THRESHOLDS", "FRAME_COLUMNS", "DataQualityResult", "DuplicateCheckResult",
           "add_data_problems", "check_data", "check_duplicates"]
