"""Train/test leakage: rows shared across the splits (exact and near), ID-like columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from diagtools.quality._hashing import combine, normalised_hash
from diagtools.quality._integrity import ALL, Row, make_row


def cross_split_rows(h_train: np.ndarray, h_test: np.ndarray, y_train: pd.Series | None, y_test: pd.Series | None,
                     confidence: float, *, check: str = "train_test_duplicates", extra: str = "",
                     exclude: np.ndarray | None = None) -> tuple[list[Row], np.ndarray]:
    """Test rows whose feature hash occurs in training; returns the row and the boolean mask."""
    in_train = np.array(pd.Series(h_test).isin(h_train).to_numpy(), dtype=bool)
    if exclude is not None:
        in_train &= ~exclude
    k, n = int(in_train.sum()), len(h_test)
    detail = ""
    if k:
        detail = f"{k:,} test rows match a training row{extra}"
        if y_train is not None and y_test is not None:
            first = pd.Series(y_train.to_numpy(), index=h_train)
            first = first[~first.index.duplicated()]
            same = first.reindex(h_test[in_train]).to_numpy() == y_test.to_numpy()[in_train]
            detail += f"; {int(same.sum()):,} of them with the same label"
    row = make_row(check, ALL, "test", k, k / n if n else np.nan, n, flagged=k > 0, detail=detail, confidence=confidence)
    return [row], in_train


def near_hashes(cols_train: Mapping[str, pd.Series], cols_test: Mapping[str, pd.Series], digits: int) -> tuple[np.ndarray, np.ndarray]:
    """Row hashes of both splits after normalising numbers and text (see ``normalise``)."""
    ht = combine((normalised_hash(s, digits) for s in cols_train.values()), len(cols_train))
    hs = combine((normalised_hash(s, digits) for s in cols_test.values()), len(cols_test))
    return ht, hs


def id_like_rows(splits: Mapping[str, pd.DataFrame], columns: Sequence[str], confidence: float, min_rows: int = 20) -> list[Row]:
    """Columns that look like row identifiers: unique per training row and integer/text, or monotone."""
    rows: list[Row] = []
    train = splits["train"]
    n = len(train)
    for c in columns:
        s = train[c]
        if pd.api.types.is_bool_dtype(s):
            continue
        m = int(s.notna().sum())
        k = int(s.nunique(dropna=True))
        unique = n >= min_rows and m == n and k == n
        if not unique:
            rows.append(make_row("id_like", c, "train", k, k / m if m else np.nan, m, detail=""))
            continue
        monotone = bool(s.is_monotonic_increasing or s.is_monotonic_decreasing) if pd.api.types.is_numeric_dtype(s) else False
        integerish = pd.api.types.is_integer_dtype(s) or (
            pd.api.types.is_float_dtype(s) and bool(np.all(np.mod(s.to_numpy(dtype=float), 1) == 0)))
        # datetimes and durations are measurements (unique timestamps are normal), not text IDs
        timeish = s.dtype.kind in "mM" or isinstance(s.dtype, pd.DatetimeTZDtype)
        text = not pd.api.types.is_numeric_dtype(s) and not timeish
        flagged = bool(monotone or integerish or text)
        words = ["unique per row"] + (["monotone in row order"] if monotone else [])
        if flagged and "test" in splits and c in splits["test"].columns:
            overlap = int(splits["test"][c].isin(s).sum())
            if overlap:
                words.append(f"{overlap:,} test values also occur in training")
        rows.append(make_row("id_like", c, "train", k, k / m, m, flagged=flagged,
                             detail=", ".join(words) if flagged else "", confidence=confidence))
    return rows
