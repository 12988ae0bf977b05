"""Integrity checks: missing values, constant columns, mixed types, cardinality, outliers, duplicates."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diagtools._stats import wilson_interval
from diagtools.quality._hashing import column_hash, combine

Row = dict[str, Any]
NAN = float("nan")
ALL = "*"


def make_row(check: str, column: str, split: str, count: int, estimate: float, n: int, *, ci: tuple[float, float] | None = None,
             p_value: float = NAN, flagged: bool = False, detail: str = "", confidence: float = 0.95) -> Row:
    """One frame row; ``ci=None`` gives a Wilson interval of ``count / n`` when ``estimate`` is that share."""
    if ci is None:
        lo, hi = wilson_interval(count, n, confidence)
        ci = (float(lo), float(hi))
    return {"check": check, "column": column, "split": split, "count": int(count), "estimate": float(estimate),
            "ci_low": ci[0], "ci_high": ci[1], "n": int(n), "p_value": float(p_value), "q_value": NAN,
            "flagged": bool(flagged), "detail": detail}


def _share(k: int, n: int) -> float:
    return k / n if n else NAN


#: Strings that stand for a missing value in exported tables (compared after stripping
#: surrounding whitespace, case-insensitively). UCI files use "?", R and pandas "NA"/"NaN",
#: SQL dumps "NULL", spreadsheets "#N/A" or an empty cell.
MISSING_MARKERS = frozenset({"", "?", "na", "n/a", "n.a.", "nan", "null", "nil", "#n/a", "missing", "undefined"})


def missing_mask(s: pd.Series) -> tuple[np.ndarray, dict[str, int]]:
    """Missing values of a column: NaN/None plus missing-value marker strings; returns the markers seen.

    Returns
    -------
    mask : ndarray of bool
    markers : dict of str to int
        Each marker as written in the data (e.g. ``"?"``, ``" N/A"``) and how often it occurs.
    """
    mask = s.isna().to_numpy()
    if not (pd.api.types.is_string_dtype(s) or s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype)):
        return mask, {}
    present = s[~mask]
    if present.empty:
        return mask, {}
    if isinstance(present.dtype, pd.CategoricalDtype):  # test each category once, not each row
        cats = pd.Series(present.cat.categories)
        hit_cats = cats[cats.astype(str).str.strip().str.lower().isin(MISSING_MARKERS)]
        hits = present.isin(hit_cats).to_numpy()
    else:
        text = present.map(lambda v: v if isinstance(v, str) else None)
        hits = text.str.strip().str.lower().isin(MISSING_MARKERS).fillna(False).to_numpy(dtype=bool)
    if not hits.any():
        return mask, {}
    seen = present[hits].astype(str).value_counts()
    mask = mask.copy()
    mask[np.flatnonzero(~mask)[hits]] = True
    return mask, {str(k): int(v) for k, v in seen.items()}


def _markers_text(markers: Mapping[str, int]) -> str:
    return ", ".join(f"{v:,} {k!r}" for k, v in sorted(markers.items(), key=lambda kv: -kv[1]))


def missing_rows(splits: Mapping[str, pd.DataFrame], columns: Sequence[str], confidence: float) -> list[Row]:
    """Missing values (NaN and marker strings such as ``"?"``) per column and split; the test row carries a test vs train."""
    from scipy import stats as sps

    rows: list[Row] = []
    counts: dict[str, dict[str, int]] = {s: {} for s in splits}
    markers: dict[str, dict[str, dict[str, int]]] = {s: {} for s in splits}
    for s, df in splits.items():
        for c in columns:
            m, seen = missing_mask(df[c])
            counts[s][c], markers[s][c] = int(m.sum()), seen
    for c in columns:
        for s, df in splits.items():
            k, n = int(counts[s][c]), len(df)
            p = NAN
            if s == "test" and "train" in splits:
                k0, n0 = int(counts["train"][c]), len(splits["train"])
                if k + k0 > 0:
                    table = np.array([[k0, n0 - k0], [k, n - k]])
                    p = float(sps.fisher_exact(table)[1]) if min(n, n0) < 1000 else float(sps.chi2_contingency(table)[1])
                else:
                    p = 1.0
            detail = f"{k:,} of {n:,} values missing" if k else ""
            if markers[s][c]:
                detail += f" (written as {_markers_text(markers[s][c])})"
            rows.append(make_row("missing", c, s, k, _share(k, n), n, p_value=p, flagged=k > 0, detail=detail,
                                 confidence=confidence))
    return rows


def constant_rows(data: pd.DataFrame, columns: Sequence[str], near_constant: float, confidence: float,
                  step: Callable[[], None]) -> tuple[list[Row], dict[str, int]]:
    """Share of the dominant value per column (both splits together); returns the distinct counts too."""
    rows: list[Row] = []
    n_unique: dict[str, int] = {}
    n = len(data)
    for c in columns:
        vc = data[c].value_counts(dropna=False, sort=True)
        n_unique[c] = int(data[c].nunique(dropna=True))
        top = int(vc.iloc[0]) if len(vc) else 0
        share = _share(top, n)
        if n_unique[c] <= 1:
            detail = f"constant: every row is {vc.index[0]!r}" if len(vc) else "empty"
        elif share >= near_constant:
            detail = f"near-constant: {share:.2%} of rows are {vc.index[0]!r}"
        else:
            detail = ""
        rows.append(make_row("constant", c, "all", top, share, n, flagged=n_unique[c] <= 1 or share >= near_constant,
                             detail=detail, confidence=confidence))
        step()
    return rows, n_unique


def _is_text(s: pd.Series) -> bool:
    return (pd.api.types.is_string_dtype(s) or s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype)) and not pd.api.types.is_bool_dtype(s)


def mixed_type_rows(data: pd.DataFrame, columns: Sequence[str], confidence: float) -> list[Row]:
    """Columns mixing Python types, or numbers stored as text alongside non-numeric text."""
    rows: list[Row] = []
    len(data)
    for c in columns:
        s = data[c]
        if not _is_text(s) or isinstance(s.dtype, pd.CategoricalDtype):
            continue
        kind = pd.api.types.infer_dtype(s, skipna=True)
        values = s.dropna()
        m = len(values)
        minority, detail = 0, ""
        if kind.startswith("mixed"):
            types = values.map(lambda v: type(v).__name__).value_counts()
            minority = int(m - types.iloc[0])
            detail = "types: " + ", ".join(f"{t} {k / m:.1%}" for t, k in types.head(4).items())
        elif kind == "string" and m:
            numeric = pd.to_numeric(values, errors="coerce").notna()
            k_num = int(numeric.sum())
            if 0.5 <= k_num / m < 1.0:
                minority = m - k_num
                examples = values[~numeric].astype(str).unique()[:3].tolist()
                detail = f"{k_num / m:.1%} numbers stored as text, {minority:,} non-numeric values (e.g. {examples})"
        rows.append(make_row("mixed_types", c, "all", minority, _share(minority, m), m, flagged=minority > 0, detail=detail,
                             confidence=confidence))
    return rows


def cardinality_rows(data: pd.DataFrame, columns: Sequence[str], n_unique: Mapping[str, int], threshold: float,
                     confidence: float) -> list[Row]:
    """Distinct values per row for text/categorical columns; flagged at ``threshold`` (and >= 50 values)."""
    rows: list[Row] = []
    for c in columns:
        s = data[c]
        if not _is_text(s):
            continue
        m = int(s.notna().sum())
        k = n_unique.get(c, int(s.nunique()))
        share = _share(k, m)
        flagged = bool(k >= 50 and share >= threshold)
        detail = f"{k:,} distinct values in {m:,} rows" + ("; too many categories to learn from" if flagged else "")
        rows.append(make_row("high_cardinality", c, "all", k, share, m, flagged=flagged, detail=detail, confidence=confidence))
    return rows


#: Share of rows at one value from which that value counts as a mode (40 hours a week, 0
#: capital gain): it is left out when the scale is estimated, or it shrinks the MAD towards 0
#: and turns ordinary values into "outliers".
DOMINANT_MODE = 0.3


def outlier_rows(splits: Mapping[str, pd.DataFrame], columns: Sequence[str], z: float, share_threshold: float,
                 confidence: float) -> list[Row]:
    """Robust z-score outliers (|0.6745 (x - median) / MAD| > z) with training median/MAD.

    When the MAD is 0, one value (a mode such as 40 hours a week, or 0 capital gain) holds at
    least half the rows. That spike is legitimate data, not a scale: the median and MAD are then
    taken over the other values, so only values far from *those* count as outliers; a column
    whose other values have no spread either is skipped.
    """
    rows: list[Row] = []
    train = splits["train"]
    for c in columns:
        s = train[c]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        x0 = s.to_numpy(dtype=float, na_value=np.nan)
        x0 = x0[np.isfinite(x0)]
        if len(x0) == 0:
            continue
        med = float(np.median(x0))
        mad = float(np.median(np.abs(x0 - med)))
        mode_note = ""
        values, counts = np.unique(x0, return_counts=True)
        mode_value = float(values[counts.argmax()])
        mode_share = float(counts.max() / len(x0))
        if mad == 0 or mode_share >= DOMINANT_MODE:
            rest = x0[x0 != mode_value]
            if len(rest) < 20:
                continue
            med = float(np.median(rest))
            mad = float(np.median(np.abs(rest - med)))
            if mad == 0:
                continue
            mode_note = f"; the {mode_share:.0%} of rows at {mode_value:.4g} are a mode, left out of the scale"
        for split, df in splits.items():
            x = df[c].to_numpy(dtype=float, na_value=np.nan)
            ok = np.isfinite(x)
            out = np.abs(0.6745 * (x[ok] - med) / mad) > z
            if mode_note:
                out &= x[ok] != mode_value
            rule = f"robust z > {z:g}"
            k, m = int(out.sum()), int(ok.sum())
            share = _share(k, m)
            rows.append(make_row("outliers", c, split, k, share, m, flagged=bool(m and share >= share_threshold),
                                 detail=f"{k:,} values {rule} (training median {med:.4g}{mode_note})" if k else "",
                                 confidence=confidence))
    return rows


def duplicate_rows(split: str, feature_hash: np.ndarray, y: pd.Series | None, confidence: float) -> list[Row]:
    """Exact duplicate rows within a split (features and label) and conflicting labels."""
    n = len(feature_hash)
    h = pd.Series(feature_hash)
    dup_any = h.duplicated(keep=False).to_numpy()
    rows: list[Row] = []
    if y is None:
        k = int(h.duplicated().sum())
        rows.append(make_row("duplicate_rows", ALL, split, k, _share(k, n), n, flagged=k > 0,
                             detail=f"{k:,} rows repeat an earlier row (features only; no label)" if k else "", confidence=confidence))
        return rows
    idx = np.flatnonzero(dup_any)
    if len(idx):
        fh = feature_hash[idx]
        full = combine([fh, column_hash(y.iloc[idx].reset_index(drop=True))])
        k_dup = int(pd.Series(full).duplicated().sum())
        sub = pd.DataFrame({"h": fh, "y": full})
        n_labels = sub.groupby("h", sort=False)["y"].transform("nunique").to_numpy()
        conflict = n_labels > 1
        k_conf = int(conflict.sum())
        n_groups = int(pd.Series(fh[conflict]).nunique())
    else:
        k_dup = k_conf = n_groups = 0
    rows.append(make_row("duplicate_rows", ALL, split, k_dup, _share(k_dup, n), n, flagged=k_dup > 0,
                         detail=f"{k_dup:,} rows repeat an earlier row exactly (features and label)" if k_dup else "",
                         confidence=confidence))
    rows.append(make_row("conflicting_labels", ALL, split, k_conf, _share(k_conf, n), n, flagged=k_conf > 0,
                         detail=f"{k_conf:,} rows in {n_groups:,} groups of identical features carry different labels" if k_conf else "",
                         confidence=confidence))
    return rows
