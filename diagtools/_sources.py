"""Data sources for large data: pandas in memory, a chunked file reader, Dask DataFrames.

Every data-sized computation is a function ``stats(frame, first_row) -> statistics`` on one
chunk (a pandas DataFrame holding only the needed columns, ``first_row`` its global row
position) whose results merge by a ``merge(a, b)`` function. A :class:`Source` runs such a
computation over its chunks:

- ``"pandas"``: one chunk, the frame itself;
- ``"chunked"``: parquet / CSV files read batch by batch with pyarrow (constant memory; files
  in sorted path order, rows in file order);
- ``"dask"``: one chunk per partition, through ``to_delayed`` (the statistics of each partition
  are computed where it lives) and a tree reduction of the merges on the active scheduler
  (a ``dask.distributed`` client when one is running).

The global row position of each row is the same in the three back ends, so statistics keyed
by it (the Poisson bootstrap) do not depend on the back end or the partitioning. On Dask the
positions need the partition lengths, which cost a pass over the data: a computation that
does not key anything by row (``run(..., offsets=False)``) gets ``first_row=None`` there and
records the lengths on the way (per set of columns: dask may fuse the partitions of a narrow
parquet read), so a later pass over the same columns reads the data once.
"""

from __future__ import annotations

import glob as _glob
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diagtools.errors import DiagnosticInputError

#: Rows per batch of the chunked file reader.
CHUNK_ROWS = 250_000


def is_dask_frame(obj: Any) -> bool:
    """Whether ``obj`` is a ``dask.dataframe`` DataFrame (without importing dask)."""
    mod = type(obj).__module__ or ""
    return mod.startswith("dask") and hasattr(obj, "npartitions") and hasattr(obj, "to_delayed")


def near(first_row: int | None) -> str:
    """Where a chunk starts, for messages: its first row, or the partition when that is unknown."""
    return f"near row {first_row:,}" if first_row is not None else "in one of the partitions"


def _files(path: str | os.PathLike[str], name: str) -> tuple[list[str], str]:
    text = os.fspath(path)
    if any(ch in text for ch in "*?["):
        files = sorted(_glob.glob(text, recursive=True))
    elif Path(text).is_dir():
        files = sorted(str(p) for p in Path(text).rglob("*") if p.suffix.lower() in (".parquet", ".pq", ".csv"))
    else:
        files = [text] if Path(text).is_file() else []
    if not files:
        raise DiagnosticInputError(
            f"{name}={text!r} matches no file. Pass a parquet or CSV file, a folder of them, or a glob "
            "such as 'events/*.parquet'."
        )
    kinds = {"csv" if f.lower().endswith(".csv") else "parquet" for f in files}
    if len(kinds) > 1:
        raise DiagnosticInputError(
            f"{name}={text!r} mixes CSV and parquet files. Pass one format (e.g. 'events/*.parquet')."
        )
    return files, kinds.pop()


@dataclass
class Source:
    """Where the rows live; see the module docstring for the back ends."""

    backend: str
    data: Any
    files: list[str] = field(default_factory=list)
    fmt: str = "parquet"
    chunk_rows: int = CHUNK_ROWS
    #: Partition lengths of a dask source per set of columns read, once a pass has seen them
    #: (dask may fuse the partitions of a narrow parquet read, so they depend on the columns).
    lengths: dict[tuple[str, ...], list[int]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Column names."""
        if self.backend in ("pandas", "dask"):
            return [str(c) for c in self.data.columns]
        return list(self._dataset().schema.names)

    def _dataset(self) -> Any:
        try:
            import pyarrow.dataset as ds
        except ImportError as exc:  # an optional dependency: say how to get it
            raise DiagnosticInputError(
                "reading parquet/CSV files in chunks needs pyarrow. Install it: pip install 'diagtools[dask]'."
            ) from exc

        return ds.dataset(self.files, format=self.fmt)

    def _text_columns(self, columns: list[str]) -> list[str]:
        """Which of ``columns`` hold text in the files (parquet only; the first file's schema)."""
        if self.backend != "chunked" or self.fmt != "parquet":
            return []
        import pyarrow as pa

        schema = self._dataset().schema
        out = []
        for c in columns:
            t = schema.field(c).type
            t = t.value_type if pa.types.is_dictionary(t) else t
            if pa.types.is_string(t) or pa.types.is_large_string(t):
                out.append(c)
        return out

    def head(self, columns: list[str], n: int) -> pd.DataFrame:
        """The first ``n`` rows of ``columns`` (reads the first file or partition, as far as needed)."""
        if self.backend == "pandas":
            return self.data[columns].head(n)
        if self.backend == "dask":
            # partition by partition (dask's own head warns on a short first partition)
            frame = self.data[columns]
            for i in range(frame.npartitions):
                head = frame.partitions[i].compute().head(n)
                if len(head):
                    return head
            return head
        if self.fmt == "parquet":  # the first batch of the first non-empty file: pages, not a whole row group
            import pyarrow.parquet as pq

            for path in self.files:
                batch = next(pq.ParquetFile(path).iter_batches(batch_size=n, columns=columns, use_threads=False), None)
                if batch is not None and batch.num_rows:
                    return batch.to_pandas()
        scanner = self._dataset().scanner(columns=columns, use_threads=False, batch_readahead=0, fragment_readahead=0)
        return scanner.head(n).to_pandas()  # no read-ahead (see :meth:`chunks`)

    def partition_lengths(self, columns: list[str]) -> list[int]:
        """Rows per partition of a dask source's read of ``columns``: remembered, else one pass."""
        import dask

        parts = self.data[columns].to_delayed()
        known = self.lengths.get(tuple(columns))
        if known is None or len(known) != len(parts):  # unknown, or partitioned differently since
            known = self.lengths[tuple(columns)] = [int(v) for v in dask.compute(*[dask.delayed(len)(p) for p in parts])]
        return known

    def check_columns(self, needed: dict[str, str]) -> None:
        """Raise a clear error when a named column (argument -> column) is missing."""
        have = self.columns
        for arg, col in needed.items():
            if col not in have:
                import difflib

                close = difflib.get_close_matches(str(col), have, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else f" Available: {have[:20]}."
                raise DiagnosticInputError(
                    f"{arg}={col!r} is not a column of the data (with data= given, {arg} names a column).{hint}"
                )

    def run(self, columns: list[str], stats: Callable[[pd.DataFrame, int | None], Any],
            merge: Callable[[Any, Any], Any], *, progress: bool = False, desc: str = "chunks",
            offsets: bool = True, text_as_categories: bool = False) -> Any:
        """Compute ``stats`` on every chunk (with its first global row) and merge the results.

        With ``offsets=False`` the statistics do not depend on the row position (it is used in
        messages only): a dask source then passes ``first_row=None`` unless it already knows
        its partition lengths, and learns them in the same pass. With ``text_as_categories``
        the chunked reader hands parquet text columns over as categoricals (see :meth:`chunks`).
        """
        if self.backend == "pandas":
            return stats(self.data[columns], 0)
        if self.backend == "dask":
            known = self.partition_lengths(columns) if offsets else self.lengths.get(tuple(columns))
            total, self.lengths[tuple(columns)] = _run_dask(self.data[columns], stats, merge, progress, known)
            return total
        total = None
        for frame, start in self.chunks(columns, progress=progress, desc=desc, text_as_categories=text_as_categories):
            part = stats(frame, start)
            total = part if total is None else merge(total, part)
        if total is None:
            raise DiagnosticInputError("the data has no rows. Pass files with at least one row.")
        return total

    def chunks(self, columns: list[str], *, progress: bool = False, desc: str = "chunks",
               text_as_categories: bool = False) -> Iterator[tuple[pd.DataFrame, int]]:
        """The chunked reader: ``(frame, first_row)`` per non-empty batch of the files, in order.

        With ``text_as_categories``, parquet text columns come as pandas categoricals whose
        categories are sorted (parquet stores text dictionary-encoded, so reading the codes saves
        hashing every string; sorted categories make ``pd.factorize(..., sort=True)`` give the
        codes of the text itself). Only for statistics that read the values, not for a model.
        """
        text = self._text_columns(columns) if text_as_categories else []
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(desc=desc, unit="row", unit_scale=True)
        # no read-ahead: by default pyarrow decodes up to 16 batches and 4 files ahead, which held
        # hundreds of MB more (and ran no faster: the chunks are computed on this one thread)
        dataset = self._dataset()
        if text:
            import pyarrow.dataset as ds

            fmt = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=set(text)))
            dataset = ds.dataset(self.files, format=fmt)
        scanner = dataset.scanner(columns=columns, batch_size=self.chunk_rows, use_threads=False,
                                  batch_readahead=0, fragment_readahead=0)
        start = 0
        try:
            for batch in scanner.to_batches():
                if batch.num_rows == 0:
                    continue
                # split_blocks: numeric columns stay zero-copy views of the batch (no 2-D block copy)
                frame = batch.to_pandas(split_blocks=True)
                for c in text:
                    if isinstance(frame[c].dtype, pd.CategoricalDtype):
                        frame[c] = frame[c].cat.set_categories(sorted(frame[c].cat.categories))
                yield frame, start
                start += batch.num_rows
                if bar is not None:
                    bar.update(batch.num_rows)
        finally:
            if bar is not None:
                bar.close()


def _run_dask(frame: Any, stats: Callable[[pd.DataFrame, int | None], Any], merge: Callable[[Any, Any], Any],
              progress: bool, lengths: list[int] | None) -> tuple[Any, list[int]]:
    """Statistics per partition (at their global row offsets), merged by a binary tree.

    Returns the merged statistics and the partition lengths. Without (valid) ``lengths`` each
    partition's length is taken in the same task as its statistics (which then see
    ``first_row=None``), so the data are read once.
    """
    import dask

    parts = frame.to_delayed()
    if not parts:
        raise DiagnosticInputError("the dask DataFrame has no partitions. Pass data with at least one row.")
    if lengths is not None and len(lengths) != len(parts):  # partitioned differently since: learn them again
        lengths = None
    if lengths is not None:
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int)
        leaves = [dask.delayed(stats)(p, int(o)) for p, o in zip(parts, starts, strict=True)]
        counts: list[Any] = []
    else:
        leaves = [dask.delayed(stats)(p, None) for p in parts]
        counts = [dask.delayed(len)(p) for p in parts]  # same partition keys: read once with the leaf
    level = leaves
    while len(level) > 1:  # tree reduction: log2(partitions) rounds of pairwise merges
        nxt = [dask.delayed(merge)(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    total, *seen = _compute([level[0], *counts], progress)
    return total, (lengths if lengths is not None else [int(v) for v in seen])


def _client() -> Any:
    """The running ``dask.distributed`` client, or ``None`` (then the local schedulers run)."""
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError):
        return None


def _with_progress(start: Callable[[], Any], finish: Callable[[Any], Any], progress: bool) -> Any:
    """``finish(start())`` with dask's own progress bar when asked: ``distributed.progress`` on a
    cluster (a widget in a notebook), ``dask.diagnostics.ProgressBar`` on the local schedulers."""
    if not progress:
        return finish(start())
    if _client() is not None:
        from distributed import progress as dprogress

        out = start()
        dprogress(out)
        return finish(out)
    from dask.diagnostics import ProgressBar

    with ProgressBar():
        return finish(start())


def _compute(graphs: list[Any], progress: bool) -> list[Any]:
    """``dask.compute`` of ``graphs`` together, with dask's own progress bar when asked."""
    import dask

    client = _client() if progress else None
    if client is not None:  # futures, so that the bar can follow them
        return _with_progress(lambda: client.compute(graphs), client.gather, progress)
    return _with_progress(lambda: graphs, lambda g: list(dask.compute(*g)), progress)


def _persist(frame: Any, progress: bool) -> Any:
    """``frame.persist()``, with dask's progress bar when asked."""
    return _with_progress(frame.persist, lambda out: out, progress)


def map_chunks(src: Source, columns: list[str], transform: Callable[[pd.DataFrame, int], pd.DataFrame],
               meta: pd.DataFrame, folder: str | os.PathLike[str], *, progress: bool = False,
               desc: str = "chunks") -> Source:
    """A source of ``transform(chunk, first_row)`` of every chunk of ``src``, computed once.

    For derived columns that later passes read several times (a model's outputs): the
    expensive transform runs once per row. In memory the result is a DataFrame; files are
    streamed through the transform into one parquet file in ``folder`` (the caller's temporary
    directory; memory stays one chunk); a dask frame becomes a persisted dask frame of the
    outputs (held by the workers, partition lengths known). ``meta`` is an empty frame with the
    output columns and dtypes.
    """
    if src.backend == "pandas":
        return Source("pandas", transform(src.data[columns], 0))
    if src.backend == "dask":
        import dask
        import dask.dataframe as dd

        parts = src.data[columns].to_delayed()
        lengths = src.partition_lengths(columns)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int)
        out = dd.from_delayed([dask.delayed(transform)(p, int(o)) for p, o in zip(parts, starts, strict=True)],
                              meta=meta.iloc[:0], verify_meta=False)
        return Source("dask", _persist(out, progress))
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(folder) / "outputs.parquet"
    writer = schema = None
    try:
        for frame, start in src.chunks(columns, progress=progress, desc=desc):
            table = pa.Table.from_pandas(transform(frame, start), preserve_index=False)
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(path, schema)
            writer.write_table(table.cast(schema))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise DiagnosticInputError("the data has no rows. Pass files with at least one row.")
    return Source("chunked", None, files=[str(path)], fmt="parquet", chunk_rows=src.chunk_rows)


def as_source(data: Any, name: str = "data", *, chunk_rows: int = CHUNK_ROWS) -> Source:
    """A :class:`Source` from a pandas DataFrame, a dask DataFrame, or a file path / folder / glob."""
    if isinstance(data, Source):  # already a source (e.g. a model's outputs per chunk)
        return data
    if isinstance(data, pd.DataFrame):
        return Source("pandas", data)
    if is_dask_frame(data):
        return Source("dask", data)
    if isinstance(data, (str, os.PathLike)):
        files, fmt = _files(data, name)
        return Source("chunked", None, files=files, fmt=fmt, chunk_rows=int(chunk_rows))
    raise DiagnosticInputError(
        f"{name} must be a pandas DataFrame, a dask DataFrame, or a parquet/CSV path, folder or glob; "
        f"got {type(data).__name__}."
    )
