"""Plant known data problems into a train/test pair (for demos, teaching and tests)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from diagtools._validation import check_columns
from diagtools.errors import DiagnosticInputError


def add_data_problems(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    target: str,
    duplicate_share: float = 0.02,
    leak_column: str | None = "arrears_score",
    leak_noise: float = 0.1,
    id_column: str | None = "application_id",
    missing_column: str | None = None,
    missing_share: tuple[float, float] = (0.05, 0.15),
    constant_column: str | None = "currency",
    flip_share: float = 0.0,
    flip_class: Any = None,
    random_state: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Return copies of ``train`` and ``test`` with known data problems planted, and the truth.

    Parameters
    ----------
    train, test : DataFrame
        Both with the ``target`` column.
    target : str
        Label column (numeric labels or classes; the leak column uses class indices).
    duplicate_share : float, default=0.02
        Share of test rows overwritten with copies of distinct random training rows.
    leak_column : str or None, default="arrears_score"
        Name of a new column equal to the target (class index) plus normal noise of SD ``leak_noise``.
    leak_noise : float, default=0.1
    id_column : str or None, default="application_id"
        Name of a new increasing row ID (training rows first, then test rows).
    missing_column : str or None, default=None
        Existing column whose values are blanked at ``missing_share`` rates (train, test).
    missing_share : tuple of float, default=(0.05, 0.15)
    constant_column : str or None, default="currency"
        Name of a new column holding one value.
    flip_share : float, default=0.0
        Share of training rows of ``flip_class`` whose label is flipped to another class.
    flip_class : object, optional
        Class whose labels are flipped (default: the most frequent class).
    random_state : int, default=0

    Returns
    -------
    train, test : DataFrame
    truth : dict
        ``test_duplicate_rows`` (positions in test), ``n_test_duplicates``, ``leak_column``,
        ``id_column``, ``missing_column``, ``constant_column``, ``flipped_rows`` (positions in train).

    Examples
    --------
    >>> from diagtools.datasets import make_loans
    >>> from diagtools.quality import add_data_problems
    >>> train, test, truth = add_data_problems(make_loans(1_000), make_loans(500, random_state=1), target="defaulted")
    >>> truth["n_test_duplicates"]
    10
    """
    check_columns(train, [target], name="train")
    check_columns(test, [target], name="test")
    if not 0 <= duplicate_share <= 1 or not 0 <= flip_share <= 1:
        raise DiagnosticInputError("duplicate_share and flip_share must be in [0, 1]. Use e.g. duplicate_share=0.02.")
    rng = np.random.default_rng(random_state)
    train = train.reset_index(drop=True).copy()
    test = test.reset_index(drop=True).copy()
    truth: dict[str, Any] = {"leak_column": leak_column, "id_column": id_column, "missing_column": missing_column,
                             "constant_column": constant_column}
    flipped = np.zeros(0, dtype=int)
    if flip_share > 0:
        y = train[target].to_numpy()
        classes, counts = np.unique(y, return_counts=True)
        cls = classes[counts.argmax()] if flip_class is None else flip_class
        rows = np.flatnonzero(y == cls)
        flipped = np.sort(rng.choice(rows, size=round(flip_share * len(rows)), replace=False))
        others = classes[classes != cls]
        new = y.copy()
        new[flipped] = others[rng.integers(len(others), size=len(flipped))]
        train[target] = new
    truth["flipped_rows"] = flipped.tolist()

    if leak_column:
        for df in (train, test):
            labels = np.unique(np.r_[train[target].to_numpy(), test[target].to_numpy()])
            idx = np.searchsorted(labels, df[target].to_numpy()).astype(float)
            df[leak_column] = np.round(idx + rng.normal(0, leak_noise, len(df)), 3)
    if missing_column:
        for df, share in zip((train, test), missing_share, strict=True):
            check_columns(df, [missing_column], name="missing_column")
            blank = rng.random(len(df)) < share
            df[missing_column] = df[missing_column].astype(float).where(~blank)
    if constant_column:
        train[constant_column] = "EUR"
        test[constant_column] = "EUR"
    k = round(duplicate_share * len(test))
    k = min(k, len(train))
    pos = np.sort(rng.choice(len(test), size=k, replace=False))
    src = rng.choice(len(train), size=k, replace=False)
    for c in test.columns:
        if c in train.columns:
            values = test[c].to_numpy(copy=True).astype(object) if test[c].dtype != train[c].dtype else test[c].to_numpy(copy=True)
            values[pos] = train[c].to_numpy()[src]
            test[c] = pd.Series(values, index=test.index).astype(train[c].dtype)
    truth["test_duplicate_rows"] = pos.tolist()
    truth["n_test_duplicates"] = k

    if id_column:
        train.insert(0, id_column, np.arange(1, len(train) + 1) + 100_000)
        test.insert(0, id_column, np.arange(len(train) + 1, len(train) + len(test) + 1) + 100_000)
    return train, test, truth
