"""Free-text columns: recognise them, and derive readable properties every area can use.

A free-text column (support messages, reviews, notes) is not a category with many levels and
not a row ID: each value is a short document. Areas that slice, test or check columns one
value at a time treat it through properties a reader understands instead: its length in
tokens, whether it mentions digits or an amount, which share of its words never occurred in
the reference (training) data, whether it is a question, and how much of it is non-ASCII (a
rough marker of another language or script).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TEXT_PROPERTIES", "is_text_column", "text_columns", "text_properties", "vocabulary"]

#: Derived properties of a text column: key -> readable suffix of the derived column's name.
TEXT_PROPERTIES: dict[str, str] = {
    "n_tokens": "tokens",
    "has_digits": "has digits",
    "has_amount": "has amount",
    "oov_share": "out-of-vocabulary share",
    "is_question": "question",
    "non_ascii_share": "non-ASCII share",
}
# Tokens as scikit-learn's CountVectorizer sees them by default (2+ word characters).
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_WORD = re.compile(r"\S+")
_DIGIT = re.compile(r"\d")
_AMOUNT = re.compile(
    r"[$€£¥₹]\s?\d|\d\s?[$€£¥₹]|\b\d+(?:[.,]\d+)?\s?(?:k|usd|eur|gbp|jpy|inr|dollars?|euros?|pounds?|yen|rupees?|bucks)\b",
    re.IGNORECASE,
)
# A column is text when most of its values have several words and many values are distinct.
MIN_DISTINCT = 30
MIN_DISTINCT_SHARE = 0.1
MIN_MEDIAN_WORDS = 3
_SAMPLE = 2_000


def is_text_column(series: pd.Series) -> bool:
    """Whether ``series`` holds free text: many distinct, multi-word strings.

    Parameters
    ----------
    series : pandas.Series

    Returns
    -------
    bool
        True for an object/string column whose values mostly have at least three words and
        that has at least 30 distinct values making up at least 10% of its non-missing rows.
        Categorical dtypes are categories by declaration and never count as text.

    Examples
    --------
    >>> import pandas as pd
    >>> from diagtools._text import is_text_column
    >>> is_text_column(pd.Series([f"my card number {i} was declined today" for i in range(100)]))
    True
    >>> is_text_column(pd.Series(["north", "south"] * 50))
    False
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return False
    if not (pd.api.types.is_string_dtype(series) or series.dtype == object) or pd.api.types.is_bool_dtype(series):
        return False
    values = series.dropna()
    if len(values) == 0:
        return False
    if len(values) > _SAMPLE:  # a fixed, evenly spaced sample keeps this cheap and deterministic
        values = values.iloc[np.linspace(0, len(values) - 1, _SAMPLE).astype(int)]
    if not all(isinstance(v, str) for v in values.iloc[:50]):
        return False
    words = values.astype(str).str.count(r"\S+")
    if float(words.median()) < MIN_MEDIAN_WORDS:
        return False
    distinct = int(values.nunique())
    return distinct >= MIN_DISTINCT and distinct / len(values) >= MIN_DISTINCT_SHARE


def text_columns(X: Any, columns: Iterable[Any] | None = None) -> list[str]:
    """Names of the free-text columns of a DataFrame (see :func:`is_text_column`).

    Parameters
    ----------
    X : DataFrame
        Anything else has no text columns.
    columns : iterable, optional
        Only these columns are examined.

    Returns
    -------
    list of str
    """
    if not isinstance(X, pd.DataFrame):
        return []
    cols = list(X.columns) if columns is None else [c for c in columns if c in X.columns]
    return [c for c in cols if is_text_column(X[c])]


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of one string (scikit-learn's default token pattern)."""
    return _TOKEN.findall(text.lower())


def vocabulary(series: pd.Series) -> set[str]:
    """The set of lower-cased word tokens that occur in a text column."""
    vocab: set[str] = set()
    for text in series.dropna().astype(str):
        vocab.update(tokens(text))
    return vocab


def property_name(column: str, key: str) -> str:
    """Readable name of a derived column, e.g. ``"text: tokens"``."""
    return f"{column}: {TEXT_PROPERTIES[key]}"


def text_properties(series: pd.Series, *, reference_vocabulary: set[str] | None = None) -> pd.DataFrame:
    """Readable properties of each value of a text column, one row per value.

    Parameters
    ----------
    series : pandas.Series
        A text column; its name prefixes the derived columns.
    reference_vocabulary : set of str, optional
        Words of the reference (training) data. Without it the out-of-vocabulary share is
        measured against the column itself, which makes it the share of words that occur once.

    Returns
    -------
    pandas.DataFrame
        Same index as ``series``; columns ``"<name>: tokens"`` (number of words),
        ``"<name>: has digits"``, ``"<name>: has amount"`` (a currency sign or word next to a
        number), ``"<name>: out-of-vocabulary share"`` (share of tokens not in the reference
        vocabulary, NaN for an empty text), ``"<name>: question"`` (ends with ``?``) and
        ``"<name>: non-ASCII share"`` (share of non-ASCII characters). Missing values stay
        missing in every property.

    Examples
    --------
    >>> import pandas as pd
    >>> from diagtools._text import text_properties
    >>> props = text_properties(pd.Series(["refund 20 dollars please", "hello?"], name="msg"),
    ...                         reference_vocabulary={"refund", "please", "hello"})
    >>> props["msg: tokens"].tolist()
    [4.0, 1.0]
    >>> props["msg: has amount"].tolist()
    [1.0, 0.0]
    >>> props["msg: out-of-vocabulary share"].tolist()
    [0.5, 0.0]
    """
    name = str(series.name)
    missing = series.isna().to_numpy()
    texts = series.astype(object).where(~series.isna(), "").astype(str).tolist()
    toks = [tokens(t) for t in texts]
    if reference_vocabulary is None:
        counts: dict[str, int] = {}
        for ts in toks:
            for t in ts:
                counts[t] = counts.get(t, 0) + 1
        reference_vocabulary = {t for t, k in counts.items() if k > 1}
    vocab = reference_vocabulary
    n_tokens = np.array([len(_WORD.findall(t)) for t in texts], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        oov = np.array([sum(t not in vocab for t in ts) / len(ts) if ts else np.nan for ts in toks], dtype=float)
    out = {
        "n_tokens": n_tokens,
        "has_digits": np.array([bool(_DIGIT.search(t)) for t in texts], dtype=float),
        "has_amount": np.array([bool(_AMOUNT.search(t)) for t in texts], dtype=float),
        "oov_share": oov,
        "is_question": np.array([t.rstrip().endswith("?") for t in texts], dtype=float),
        "non_ascii_share": np.array([sum(ord(ch) > 127 for ch in t) / len(t) if t else 0.0 for t in texts], dtype=float),
    }
    frame = pd.DataFrame({property_name(name, k): v for k, v in out.items()}, index=series.index)
    if missing.any():
        frame.loc[missing, :] = np.nan
    return frame


def expand_text(X: pd.DataFrame, text_cols: Iterable[str], *, reference: pd.DataFrame | None = None,
                keep: tuple[str, ...] = ("n_tokens", "has_digits", "has_amount", "oov_share", "is_question",
                                         "non_ascii_share")) -> pd.DataFrame:
    """``X`` with each text column replaced by its derived properties (the other columns unchanged).

    Properties that are constant in ``X`` (e.g. no row has non-ASCII characters) are dropped:
    a column with one value slices and tests nothing.
    """
    parts: list[pd.DataFrame] = []
    text_cols = list(text_cols)
    for c in X.columns:
        if c not in text_cols:
            parts.append(X[[c]])
            continue
        vocab = vocabulary(reference[c]) if reference is not None and c in reference.columns else None
        props = text_properties(X[c], reference_vocabulary=vocab)
        wanted = [property_name(str(c), k) for k in keep]
        props = props[[p for p in wanted if p in props.columns]]
        props = props.loc[:, props.nunique(dropna=True) > 1]
        parts.append(props)
    return pd.concat(parts, axis=1) if parts else X.iloc[:, :0]
