"""Seeded examples of the slices area's Result types for the contract test."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from diagtools._result import Result


def _slice_result() -> Result:
    from diagtools.datasets import make_loans
    from diagtools.slices import slice_metrics

    df = make_loans(1_500, random_state=0)
    y = df["defaulted"].to_numpy()
    rng = np.random.default_rng(0)
    # wrong on a third of the phone applications from the north, right at 90% elsewhere
    bad = ((df["region"] == "north") & (df["channel"] == "phone")).to_numpy()
    flip = rng.random(len(y)) < np.where(bad, 0.35, 0.1)
    pred = np.where(flip, 1 - y, y)
    return slice_metrics(None, df, y, y_pred=pred, by=["region", "channel"], metrics=["accuracy", "fnr"], n_boot=20)


def _search_result() -> Result:
    from diagtools.datasets import make_loans
    from diagtools.slices import find_slices

    df = make_loans(1_500, random_state=1)
    bad = ((df["region"] == "north") & (df["channel"] == "phone")).to_numpy()
    errors = (np.random.default_rng(1).random(len(df)) < np.where(bad, 0.5, 0.1)).astype(float)
    return find_slices(None, df[["region", "channel", "income"]], df["defaulted"], errors=errors)


def _empty_search() -> Result:
    from diagtools.datasets import make_loans
    from diagtools.slices import find_slices

    df = make_loans(300, random_state=2)
    return find_slices(None, df[["region"]], df["defaulted"], errors=np.zeros(len(df)))


def examples() -> list[tuple[str, Callable[[], Result]]]:
    """(label, factory) pairs: slice metrics with a planted bad cross, a search, an empty search."""
    return [("SliceResult", _slice_result), ("SliceSearchResult", _search_result),
            ("SliceSearchResult:nothing", _empty_search)]
