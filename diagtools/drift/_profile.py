"""Per-column profiles: the sufficient statistics every drift statistic is computed from.

A profile keeps, per column, the number of missing values and either the **sorted
non-missing values** (numeric columns) or the **category counts** (categorical columns).
From these alone the Kolmogorov-Smirnov and Wasserstein statistics are exact (they equal
scipy's), PSI histograms follow from ``searchsorted`` on reference quantile edges, and
chi-square / Jensen-Shannon follow from counts. Profiles merge across chunks
(:meth:`DriftProfile.merge`), serialise to JSON (:meth:`DriftProfile.to_dict`) and a
reference profile computed once can be reused against many current windows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools._validation import check_columns, check_not_empty, column_label, string_columns
from diagtools.errors import DiagnosticInputError

__all__ = ["DriftProfile", "profile_data"]

KINDS = ("numeric", "categorical", "datetime")
#: Kinds whose profile holds sorted values (datetimes as seconds since 1970-01-01 UTC).
VALUE_KINDS = ("numeric", "datetime")


@dataclass(frozen=True)
class ColumnProfile:
    """Sufficient statistics of one column.

    Parameters
    ----------
    name : str
        Column name.
    kind : {"numeric", "categorical", "datetime"}
        How the column is compared (timedeltas are numeric, in seconds).
    n_missing : int
        Missing values (NaN/None/NaT).
    values : ndarray or None
        Sorted finite non-missing values (numeric columns; datetimes as seconds since the epoch).
    counts : dict or None
        Category -> count of non-missing values (categorical columns), categories as strings.
    n_infinite : int, default=0
        Infinite values (+-inf) of a numeric column: counted, kept out of ``values`` so every
        statistic is computed on the finite values.
    """

    name: str
    kind: str
    n_missing: int
    values: np.ndarray | None = None
    counts: dict[str, int] | None = None
    n_infinite: int = 0

    @property
    def n(self) -> int:
        """Number of finite non-missing values (numeric) or of non-missing values (categorical)."""
        if self.kind in VALUE_KINDS:
            return len(self.values) if self.values is not None else 0
        return int(sum(self.counts.values())) if self.counts else 0

    @property
    def n_rows(self) -> int:
        """Rows including missing and infinite values."""
        return self.n + self.n_missing + self.n_infinite

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """Return the profile of the two chunks together."""
        if other.kind != self.kind or other.name != self.name:
            raise DiagnosticInputError(
                f"profiles: cannot merge column {other.name!r} ({other.kind}) into {self.name!r} ({self.kind}). "
                "Merge profiles of the same columns."
            )
        if self.kind in VALUE_KINDS:
            merged = np.concatenate([self.values, other.values])
            merged.sort(kind="stable")  # two sorted runs: timsort merges them in linear time
            return ColumnProfile(self.name, self.kind, self.n_missing + other.n_missing, values=merged,
                                 n_infinite=self.n_infinite + other.n_infinite)
        counts = dict(self.counts or {})
        for k, v in (other.counts or {}).items():
            counts[k] = counts.get(k, 0) + int(v)
        return ColumnProfile(self.name, self.kind, self.n_missing + other.n_missing, counts=counts)


@dataclass(frozen=True)
class DriftProfile:
    """Profile of a data window: one :class:`ColumnProfile` per column.

    Compute it once for the reference data with :func:`profile_data`, save it with
    :meth:`to_json`, and pass it as ``reference`` to :func:`~diagtools.drift.detect_drift`
    for every new window.

    Parameters
    ----------
    columns : dict of str to ColumnProfile
        Column profiles in column order.
    n_rows : int
        Rows profiled.

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.drift import profile_data
    >>> ref = load_loans("reference")
    >>> prof = profile_data(ref.iloc[:10_000]).merge(profile_data(ref.iloc[10_000:]))
    >>> prof.n_rows
    20000
    """

    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    n_rows: int = 0

    @property
    def kinds(self) -> dict[str, str]:
        """Column -> kind."""
        return {c: p.kind for c, p in self.columns.items()}

    def merge(self, other: DriftProfile) -> DriftProfile:
        """Combine the profiles of two chunks of the same columns.

        Parameters
        ----------
        other : DriftProfile
            Profile of another chunk with the same columns.

        Returns
        -------
        DriftProfile
        """
        if list(other.columns) != list(self.columns):
            raise DiagnosticInputError(
                f"profiles: columns differ ({list(self.columns)} vs {list(other.columns)}). "
                "Profile every chunk with the same columns."
            )
        cols = {c: p.merge(other.columns[c]) for c, p in self.columns.items()}
        return DriftProfile(cols, self.n_rows + other.n_rows)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (rebuild with :meth:`from_dict`)."""
        cols = []
        for p in self.columns.values():
            cols.append(
                {
                    "name": p.name,
                    "kind": p.kind,
                    "n_missing": int(p.n_missing),
                    "values": None if p.values is None else p.values.tolist(),
                    "counts": None if p.counts is None else {str(k): int(v) for k, v in p.counts.items()},
                    "n_infinite": int(p.n_infinite),
                }
            )
        return {"kind": "DriftProfile", "schema_version": 1, "n_rows": int(self.n_rows), "columns": cols}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftProfile:
        """Rebuild a profile from :meth:`to_dict` output.

        Parameters
        ----------
        data : dict

        Returns
        -------
        DriftProfile
        """
        cols = {}
        for c in data["columns"]:
            values = None if c["values"] is None else np.asarray(c["values"], dtype=float)
            cols[c["name"]] = ColumnProfile(c["name"], c["kind"], int(c["n_missing"]), values=values, counts=c["counts"],
                                            n_infinite=int(c.get("n_infinite", 0)))
        return cls(cols, int(data["n_rows"]))

    def to_json(self) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> DriftProfile:
        """Rebuild a profile from :meth:`to_json` output.

        Parameters
        ----------
        text : str

        Returns
        -------
        DriftProfile
        """
        return cls.from_dict(json.loads(text))


def column_kind(series: pd.Series) -> str:
    """How a column is compared.

    ``"numeric"`` for int/float and timedelta columns (durations, in seconds), ``"datetime"``
    for datetime columns (naive or with a time zone), ``"categorical"`` otherwise (bool,
    strings, category).
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if isinstance(dtype, pd.DatetimeTZDtype) or dtype.kind == "M":
        return "datetime"
    if dtype.kind in "iufm":
        return "numeric"
    return "categorical"


def numeric_values(series: pd.Series) -> np.ndarray:
    """Float values of a numeric, timedelta (seconds) or datetime (seconds since the epoch) column.

    Missing values (NaN, None, NaT, pd.NA) become NaN. Raises ``TypeError``/``ValueError`` for
    values that are not numbers.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        dtype = series.dtype
    if dtype.kind == "M":
        return ((series - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
    if dtype.kind == "m":
        return (series / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
    if dtype.kind == "b":
        return series.to_numpy(dtype=float)
    return series.to_numpy(dtype=float, na_value=np.nan)


def profile_data(
    data: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    kinds: dict[str, str] | None = None,
    name: str = "data",
) -> DriftProfile:
    """Profile a data window: sorted values of numeric columns, counts of categorical ones.

    Parameters
    ----------
    data : DataFrame of shape (n_samples, n_columns)
        The window to profile.
    columns : list of str, optional
        Columns to profile (default: all).
    kinds : dict of str to {"numeric", "categorical", "datetime"}, optional
        Force the kind of some columns (default: int/float and timedelta columns are numeric,
        datetime columns datetime, the rest, bools included, categorical).
    name : str, default="data"
        Argument name used in error messages.

    Notes
    -----
    Column names may be any hashable: they become text once (``str(name)``, a tuple of a
    MultiIndex joined with ``"_"``); duplicates, or names equal once turned into text, raise
    a ``DiagnosticInputError``. Infinite values are counted (``n_infinite``) and kept out of
    the sorted values.

    Returns
    -------
    DriftProfile

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.drift import profile_data
    >>> prof = profile_data(load_loans("reference"), columns=["income", "purpose"])
    >>> prof.kinds
    {'income': 'numeric', 'purpose': 'categorical'}
    """
    if not isinstance(data, pd.DataFrame):
        raise DiagnosticInputError(
            f"{name} must be a pandas DataFrame, got {type(data).__name__}. Convert it, e.g. pd.DataFrame(X)."
        )
    check_not_empty(data, name)
    data, _ = string_columns(data, name)  # any hashable names: text once, here
    if columns is not None:
        columns = [column_label(c) for c in ([columns] if isinstance(columns, str) else columns)]
    cols = list(data.columns) if columns is None else check_columns(data, columns, name=name)
    if kinds is not None and not isinstance(kinds, dict):
        raise DiagnosticInputError(f"kinds must be a dict of column -> kind, got {type(kinds).__name__}.")
    kinds = None if kinds is None else {column_label(k): v for k, v in kinds.items()}
    unknown = [k for k in (kinds or {}) if k not in cols]
    if unknown:
        raise DiagnosticInputError(
            f"kinds names column(s) {unknown!r} that are not profiled. Profiled columns: {cols[:20]!r}."
        )
    kinds = dict(kinds or {})
    for c in cols:
        kinds.setdefault(c, column_kind(data[c]))
        if kinds[c] not in KINDS:
            raise DiagnosticInputError(f"kinds[{c!r}] must be one of {KINDS}, got {kinds[c]!r}.")
    numeric = [c for c in cols if kinds[c] in VALUE_KINDS]
    out: dict[str, ColumnProfile] = {}
    if numeric:
        try:
            # (columns, rows) C-ordered: each column's values are contiguous for the sort.
            block = np.empty((len(numeric), len(data)))
            for j, c in enumerate(numeric):
                block[j] = numeric_values(data[c])
        except (TypeError, ValueError) as exc:
            bad = [c for c in numeric if column_kind(data[c]) != kinds[c]]
            raise DiagnosticInputError(
                f"{name}: column(s) {bad} hold values that are not {kinds[bad[0]] if bad else 'numeric'} but are "
                "in the reference. Pass the same column types in both windows."
            ) from exc
        n_missing = np.isnan(block).sum(axis=1)
        n_inf = np.isinf(block).sum(axis=1)
        # +-inf is counted and kept out: the tests run on the finite values (inf - inf is NaN)
        block[np.isinf(block)] = np.nan
        block.sort(axis=1)  # one vectorized sort for every numeric column; NaNs go last
        for j, c in enumerate(numeric):
            n_ok = block.shape[1] - int(n_missing[j]) - int(n_inf[j])
            out[c] = ColumnProfile(str(c), kinds[c], int(n_missing[j]), values=block[j, :n_ok],
                                   n_infinite=int(n_inf[j]))
    for c in cols:
        if kinds[c] == "categorical":
            s = data[c]
            vc = s.value_counts(dropna=True, sort=False)
            counts = {str(k): int(v) for k, v in vc.items() if v > 0}
            out[c] = ColumnProfile(str(c), "categorical", int(s.isna().sum()), counts=counts)
    ordered = {str(c): out[str(c)] for c in cols}
    return DriftProfile(ordered, len(data))
