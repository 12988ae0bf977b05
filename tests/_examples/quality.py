"""Seeded examples of the quality area's Result types for the contract test."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from diagtools._result import Result


def _planted() -> Result:
    from diagtools.datasets import make_loans
    from diagtools.quality import add_data_problems, check_data

    train, test = make_loans(600, random_state=0), make_loans(300, random_state=1)
    train, test, _ = add_data_problems(train, test, target="defaulted")
    return check_data(train, test, target="defaulted", checks=["fast", "target_leakage"], cv=3, n_boot=20)


def _fast_only() -> Result:
    from diagtools.datasets import make_loans
    from diagtools.quality import check_data

    return check_data(make_loans(300, random_state=2), target="defaulted", checks="fast")


def _duplicates() -> Result:
    from diagtools.datasets import make_loans
    from diagtools.quality import check_duplicates

    train, test = make_loans(600, random_state=0), make_loans(300, random_state=1)
    test = pd.concat([test, train.iloc[:12], test.iloc[:5]], ignore_index=True)
    return check_duplicates(test, reference=train)


def _no_duplicates() -> Result:
    from diagtools.datasets import make_loans
    from diagtools.quality import check_duplicates

    return check_duplicates(make_loans(200, random_state=3))


def examples() -> list[tuple[str, Callable[[], Result]]]:
    """(label, factory) pairs: planted problems with leakage scores, fast checks only (empty parts),
    planted copies for the large-data duplicate check, and clean data for it."""
    return [("DataQualityResult", _planted), ("DataQualityResult:fast", _fast_only),
            ("DuplicateCheckResult", _duplicates), ("DuplicateCheckResult:none", _no_duplicates)]
