"""Vectorised row hashing: per-column ``hash_pandas_object`` combined without copying the frame."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

_SEED = np.uint64(0x345678)
_MULT = np.uint64(1000003)


def column_hash(s: pd.Series) -> np.ndarray:
    """Return a uint64 hash per value of ``s`` (equal values hash equally, NaN included)."""
    return pd.util.hash_pandas_object(s, index=False).to_numpy()


def combine(hashes: Iterable[np.ndarray], k: int | None = None) -> np.ndarray:
    """Combine per-column hashes into one row hash (order-sensitive, as pandas does).

    ``hashes`` may be a generator (pass its length as ``k``): columns are then hashed and
    folded in one at a time, so only one column's hashes are held in memory.
    """
    if k is None:
        hashes = list(hashes)
        k = len(hashes)
    out: np.ndarray | None = None
    mult = _MULT
    for i, h in enumerate(hashes):
        if out is None:
            out = np.full(len(h), _SEED, dtype=np.uint64)
        out ^= h
        out *= mult
        mult = mult + np.uint64(82520 + 2 * (k - i))
    if out is None:
        return np.zeros(0, dtype=np.uint64)
    out += np.uint64(97531)
    return out


def row_hashes(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Hash the rows of ``df[columns]`` without building the sub-frame."""
    return combine((column_hash(df[c]) for c in columns), len(columns))


def align_dtypes(a: pd.DataFrame, b: pd.DataFrame, columns: Sequence[str]) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """Return per-column Series of both frames cast to a common dtype where they differ.

    ``1`` (int) and ``1.0`` (float) must hash equally across the splits, as must the same
    strings held as ``object`` in one frame and as ``str``/``category`` in the other.
    """
    out_a: dict[str, pd.Series] = {}
    out_b: dict[str, pd.Series] = {}
    for c in columns:
        sa, sb = a[c], b[c]
        if sa.dtype != sb.dtype:
            num_a = pd.api.types.is_numeric_dtype(sa) and not pd.api.types.is_bool_dtype(sa)
            num_b = pd.api.types.is_numeric_dtype(sb) and not pd.api.types.is_bool_dtype(sb)
            if num_a and num_b:
                sa, sb = sa.astype("float64"), sb.astype("float64")
            else:
                sa, sb = sa.astype(object), sb.astype(object)
        elif isinstance(sa.dtype, pd.CategoricalDtype):
            sa, sb = sa.astype(object), sb.astype(object)
        out_a[c], out_b[c] = sa, sb
    return out_a, out_b


def normalise(s: pd.Series, digits: int) -> pd.Series:
    """Normalise one column for near-duplicate matching.

    Numbers are rounded to ``digits`` significant digits; text is lower-cased with runs of
    whitespace collapsed and the ends stripped. Other values are kept as they are.
    """
    if pd.api.types.is_bool_dtype(s):
        return s
    if pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(all="ignore"):
            mag = np.floor(np.log10(np.abs(x)))
            mag = np.where(np.isfinite(mag), mag, 0.0)
            scale = 10.0 ** (digits - 1 - mag)
            out = np.round(x * scale) / scale
        return pd.Series(out, index=s.index)
    if pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object:
        t = s.astype("string")
        return t.str.lower().str.replace(r"\s+", " ", regex=True).str.strip()
    return s


def normalised_hash(s: pd.Series, digits: int) -> np.ndarray:
    """Hashes of ``normalise(s, digits)``; text is normalised once per distinct value."""
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return column_hash(normalise(s, digits))
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    norm = normalise(pd.Series(np.asarray(uniques, dtype=object)), digits)
    hashed = column_hash(pd.concat([norm, pd.Series([pd.NA], dtype=norm.dtype)], ignore_index=True))
    return hashed[np.where(codes < 0, len(uniques), codes)]
