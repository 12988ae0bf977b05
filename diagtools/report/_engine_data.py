"""Report data on an engine: all rows as files or a dask DataFrame, and a bounded sample of them.

With ``engine="chunked"`` or ``"dask"`` the metrics and slices sections run on every row
through mergeable statistics (the model applied chunk by chunk); every other section runs on a
sample of :data:`ENGINE_SAMPLE_ROWS` rows and the report says so. The sample is a bottom-k
sample (the rows with the smallest hash of their global position), so it is the same whatever
the partitioning and is drawn in one pass without collecting the data.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from diagtools.errors import DiagnosticInputError

#: Rows the sections that need rows in memory run on with the chunked or dask engine.
ENGINE_SAMPLE_ROWS = 50_000


def open_source(data_path: str | os.PathLike[str], engine: str, scheduler: str | None) -> Any:
    """The evaluation data as the engine reads it: a path (chunked) or a dask DataFrame (dask)."""
    from diagtools._sources import _files

    files, fmt = _files(data_path, "--data (data_path)")
    if engine == "chunked":
        return str(data_path)
    from diagtools._engine import connect

    if scheduler is not None:
        connect(scheduler)  # the default client of this process (the report's kernel) from now on
    import dask.dataframe as dd

    return dd.read_csv(files) if fmt == "csv" else dd.read_parquet(files)


def sample_source(source: Any, size: int, random_state: int) -> tuple[pd.DataFrame, int]:
    """At most ``size`` rows of ``source`` (in row order), and its number of rows."""
    from diagtools._sources import as_source
    from diagtools.metrics._evaluate import row_hash

    src = as_source(source, "data")

    def stats(frame: pd.DataFrame, first_row: int) -> tuple[pd.DataFrame, int]:
        keep = frame.reset_index(drop=True)
        keep["__key"] = row_hash(first_row + np.arange(len(frame)), random_state, salt=3)
        keep["__row"] = first_row + np.arange(len(frame))
        return keep.nsmallest(size, "__key"), len(frame)

    def merge(a: tuple[pd.DataFrame, int], b: tuple[pd.DataFrame, int]) -> tuple[pd.DataFrame, int]:
        return pd.concat([a[0], b[0]], ignore_index=True).nsmallest(size, "__key"), a[1] + b[1]

    rows, n = src.run(src.columns, stats, merge, desc="report: sample")
    if n == 0:
        raise DiagnosticInputError("--data (data_path): the data has no rows. Pass files with data.")
    rows = rows.sort_values("__row").set_index("__row").drop(columns="__key")
    rows.index.name = None
    return rows, int(n)


def note(rows_used: int, rows_total: int) -> str:
    """What a section run on the sample says."""
    return (f"Run on a sample of {rows_used:,} of the {rows_total:,} rows (the engine runs metrics and slices on "
            "every row; this section needs its rows in memory).")
