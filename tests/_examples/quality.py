"""Seeded examples of the quality area's Result types for the contract test."""

from __future__ import annotations

from collections.abc import Callable

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


def examples() -> list[tuple[str, Callable[[], Result]]]:
    """(label, factory) pairs: planted problems with leakage scores, and fast checks only (empty parts)."""
    return [("DataQualityResult", _planted), ("DataQualityResult:fast", _fast_only)]
