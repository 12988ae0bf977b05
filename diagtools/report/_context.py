"""What every section function receives: the inputs, the run's options and the earlier outcomes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagtools.report._types import ReportInputs, SectionOutcome


@dataclass
class SectionContext:
    """The state a section function reads (and, through ``outcomes``, what earlier sections left).

    Attributes
    ----------
    inputs : ReportInputs
    slice_columns, sensitive_columns : list of str or None
        The columns the user named (``None``: not given).
    n_boot, random_state : int
    budgets : dict of str to int
        Row budget per section (defaults merged with the user's).
    outcomes : dict of str to SectionOutcome
        Outcomes of the sections run so far, in order.
    optimisation_seconds : float
        Time budget of the optimisation section's search.
    """

    inputs: ReportInputs
    slice_columns: list[str] | None
    n_boot: int
    random_state: int
    budgets: dict[str, int]
    outcomes: dict[str, SectionOutcome]
    sensitive_columns: list[str] | None = None
    optimisation_seconds: float = 30.0

    @property
    def capped_n_boot(self) -> int:
        """Resamples for every section but metrics and fairness: at most 200.

        Those sections bootstrap many quantities (per slice, per column, per batch size), so
        their cost grows with every resample; the cap keeps a report's run time bounded, and
        the headline metrics and fairness tests keep the full ``n_boot``.
        """
        return min(self.n_boot, 200)

    def provides(self, name: str) -> bool:
        """True when the input ``name`` (a :class:`ReportInputs` field or a column choice) was given."""
        value = getattr(self.inputs, name) if hasattr(self.inputs, name) else getattr(self, name)
        return value is not None and not (isinstance(value, list) and not value)


def sample(
    X: pd.DataFrame, y: pd.Series | None, budget: int | None, random_state: int
) -> tuple[pd.DataFrame, pd.Series | None]:
    """At most ``budget`` rows of ``X`` (and the matching ``y``), drawn without replacement, in order."""
    if budget is None or len(X) <= budget:
        return X, y
    rng = np.random.default_rng(random_state)
    idx = np.sort(rng.choice(len(X), size=budget, replace=False))
    return X.iloc[idx], (y.iloc[idx] if y is not None else None)
