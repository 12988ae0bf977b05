"""``DuplicateCheckResult``: the result of ``check_duplicates`` and how its tables are built."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from diagtools._format import metric_value
from diagtools._plotting import empty_panel, get_ax, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools.quality._integrity import ALL, NAN, Row, make_row
from diagtools.quality._result import FRAME_COLUMNS

if TYPE_CHECKING:
    from diagtools.quality._large import ColumnCounts, RowHashes

EXAMPLE_COLUMNS = ["check", "split", "row", "matches_row", "copies"]
_ROW_CHECKS = ("duplicate_rows", "train_test_duplicates")


def _duplicates(tables: list[RowHashes], split: str, confidence: float) -> tuple[Row, pd.DataFrame]:
    """Rows repeating an earlier row, and per group the first repeat with the row it repeats."""
    n = _n(tables)
    k = n - sum(len(t.hash) for t in tables)
    groups = sum(int((t.count > 1).sum()) for t in tables)
    detail = f"{k:,} rows repeat an earlier row ({groups:,} groups of identical rows)" if k else ""
    ex = pd.DataFrame({"check": "duplicate_rows", "split": split,
                       "row": np.concatenate([t.second[t.count > 1] for t in tables]),
                       "matches_row": np.concatenate([t.first[t.count > 1] for t in tables]),
                       "copies": np.concatenate([t.count[t.count > 1] for t in tables])}, columns=EXAMPLE_COLUMNS)
    return make_row("duplicate_rows", ALL, split, k, k / n, n, flagged=k > 0, detail=detail,
                    confidence=confidence), ex


def _overlap(tables: list[RowHashes], ref: list[RowHashes], confidence: float) -> tuple[Row, pd.DataFrame]:
    """Rows of data equal to a row of the reference; per distinct such row its first positions."""
    n, k, parts = _n(tables), 0, []
    for t, r in zip(tables, ref, strict=True):
        _, ia, ib = np.intersect1d(t.hash, r.hash, assume_unique=True, return_indices=True)
        k += int(t.count[ia].sum())
        parts.append(pd.DataFrame({"check": "train_test_duplicates", "split": "data", "row": t.first[ia],
                                   "matches_row": r.first[ib], "copies": t.count[ia]}, columns=EXAMPLE_COLUMNS))
    detail = f"{k:,} rows of data equal a row of the reference" if k else ""
    return (make_row("train_test_duplicates", ALL, "data", k, k / n, n, flagged=k > 0, detail=detail,
                     confidence=confidence), pd.concat(parts, ignore_index=True))


def _column_rows(counts: ColumnCounts, columns: list[str], split: str, n: int, cap: int, confidence: float) -> list[Row]:
    rows = []
    for c in columns:
        miss, inf, values = counts.missing[c], counts.infinite[c], counts.distinct[c]
        rows.append(make_row("missing", c, split, miss, miss / n, n, flagged=miss > 0,
                             detail=f"{miss:,} missing values" if miss else "", confidence=confidence))
        rows.append(make_row("infinite", c, split, inf, inf / n, n, flagged=inf > 0,
                             detail=f"{inf:,} infinite values" if inf else "", confidence=confidence))
        k = cap if values is None else len(values)
        rows.append(make_row("distinct", c, split, k, float(k), n, ci=(NAN, NAN),
                             detail=f"at least {cap:,} distinct values (counted up to distinct_cap)"
                             if values is None else f"{k:,} distinct values"))
        rows.append(make_row("constant", c, split, int(k <= 1), float(k <= 1), n, ci=(NAN, NAN), flagged=k <= 1,
                             detail=("only missing values" if k == 0 else "one value") if k <= 1 else ""))
    return rows


def build_frames(tables: list[RowHashes], counts: ColumnCounts, ref_tables: list[RowHashes] | None,
                 ref_counts: ColumnCounts | None, columns: list[str], max_examples: int, cap: int,
                 confidence: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame`` and ``examples`` of a :class:`DuplicateCheckResult` from the merged statistics."""
    row, ex = _duplicates(tables, "data", confidence)
    rows, examples = [row], [ex]
    if ref_tables is not None:
        assert ref_counts is not None
        row, ex = _overlap(tables, ref_tables, confidence)
        ref_row, ref_ex = _duplicates(ref_tables, "reference", confidence)
        rows += [row, ref_row]
        examples += [ex, ref_ex]
    rows += _column_rows(counts, columns, "data", _n(tables), cap, confidence)
    if ref_counts is not None and ref_tables is not None:
        rows += _column_rows(ref_counts, columns, "reference", _n(ref_tables), cap, confidence)
    kept = [e.sort_values("row", kind="stable").head(max_examples) for e in examples]
    return (pd.DataFrame(rows, columns=FRAME_COLUMNS),
            pd.concat(kept, ignore_index=True).astype({"row": "int64", "matches_row": "int64", "copies": "int64"}))


def _n(tables: list[RowHashes]) -> int:
    """Rows behind the row-hash tables of all passes."""
    return sum(t.rows for t in tables)


@dataclass(frozen=True)
class DuplicateCheckResult(Result):
    """Duplicate rows, rows shared with a reference set, and per-column counts (any data size).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per check, column and split (``"data"`` or ``"reference"``), with the columns of
        :data:`~diagtools.quality.FRAME_COLUMNS`. Checks: ``duplicate_rows`` (rows repeating an
        earlier row of the same split), ``train_test_duplicates`` (rows of data equal to a row
        of the reference), per column ``missing`` and ``infinite`` (count and share of rows,
        Wilson interval), ``distinct`` (distinct non-missing values, no interval) and
        ``constant`` (1 when the column holds at most one value).
    examples : pandas.DataFrame
        ``check, split, row, matches_row, copies``: for each duplicate group its first repeat
        (``row``), the row it repeats (``matches_row``) and the group size; for each row of data
        found in the reference its first position in each. Positions count from 0 across all
        chunks; earliest first, at most ``max_examples`` per check and split.

    Examples
    --------
    >>> import pandas as pd
    >>> from diagtools.quality import check_duplicates
    >>> res = check_duplicates(pd.DataFrame({"a": [1, 1, 2], "b": [0.5, 0.5, None]}))
    >>> res.examples[["row", "matches_row", "copies"]].to_numpy().tolist()
    [[1, 0, 2]]
    """

    examples: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EXAMPLE_COLUMNS))

    area = "quality"
    title = "Duplicate rows and column counts"

    def count(self, check: str, split: str = "data") -> int:
        """Total ``count`` of a check on one split (e.g. ``"duplicate_rows"``).

        Parameters
        ----------
        check : str
        split : {"data", "reference"}, default="data"

        Returns
        -------
        int
        """
        f = self.frame
        return int(f.loc[(f["check"] == check) & (f["split"] == split), "count"].sum())

    def headline(self) -> list[tuple[str, str]]:
        """Rows, duplicate rows and rows shared with the reference."""
        out = [("rows", f"{self.n_samples:,}"), ("duplicate rows", f"{self.count('duplicate_rows'):,}")]
        if self.params.get("reference_backend") is not None:
            out.append(("in reference", f"{self.count('train_test_duplicates'):,}"))
        return out

    def findings(self) -> list[Finding]:
        """Duplicates and shared rows first, then constant and infinite-valued columns.

        Returns
        -------
        list of Finding
        """
        A, f, out = self.area, self.frame, []
        flagged = f[f["flagged"].astype(bool)]
        for r in flagged[flagged["check"] == "train_test_duplicates"].itertuples(index=False):
            out.append(Finding(A, "high", f"{r.count:,} rows ({_share(r)}) also appear in the reference set",
                               f"{r.detail}. Scores on these rows are optimistic: remove them (or deduplicate "
                               "before splitting) and re-evaluate.", {"count": r.count, "share": r.estimate}))
        for r in flagged[flagged["check"] == "duplicate_rows"].itertuples(index=False):
            out.append(Finding(A, "medium", f"{r.count:,} duplicate rows ({_share(r)}) in the {r.split}",
                               f"{r.detail}. Copies weigh those rows more in training and evaluation; "
                               "drop them unless they are real repeats.", {"count": r.count, "share": r.estimate}))
        for check, words, advice in (
                ("constant", "hold at most one value", "They carry no information: drop them."),
                ("infinite", "hold infinite values", "Most models fail or mislearn on them: clip or mark them missing.")):
            sub = flagged[flagged["check"] == check]
            if len(sub):
                cols = sorted(set(sub["column"]))
                out.append(Finding(A, "low", f"{len(cols)} column(s) {words}: {', '.join(cols[:8])}", advice,
                                   {"columns": cols}))
        if not out:
            out.append(Finding(A, "info", "No duplicate, shared, constant or infinite-valued rows or columns",
                               f"Checked {self.n_samples:,} rows."))
        return rank_findings(out)

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Bars of the duplicate and shared rows per split (grey: none).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the bars (``ax.barh``); ``color`` replaces the red (found) / grey colours.

        Returns
        -------
        matplotlib.axes.Axes
        """
        f = self.frame[self.frame["check"].isin(_ROW_CHECKS)]
        style = validate_style_kwargs({"color": ["#b42318" if k else "#98a2b3" for k in f["count"]]}, kwargs,
                                      artist="patch")
        ax = get_ax(ax, figsize=(6.4, 3.0))
        if f.empty:
            return empty_panel(ax, "no row check ran", title=self.title)
        labels = [f"{c} ({s})" for c, s in zip(f["check"], f["split"], strict=True)]
        ypos = np.arange(len(f))
        ax.barh(ypos, f["count"].to_numpy(dtype=float), **style)
        ax.set_yticks(ypos, labels)
        ax.invert_yaxis()
        ax.set_xlabel("rows")
        ax.set_title(self.title)
        return ax


def _share(r: Any) -> str:
    return metric_value("share", r.estimate, low=r.ci_low, high=r.ci_high)
