""":func:`run_diagnostics`: run every section the inputs allow, isolating each one's failure."""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diagtools._validation import (
    check_columns,
    check_int,
    check_random_state,
    check_real,
    check_same_length,
    closest_hint,
)
from diagtools.errors import DiagnosticInputError
from diagtools.report import _sections
from diagtools.report._context import SectionContext
from diagtools.report._diagnosis import DiagnosisReport
from diagtools.report._sections import DEFAULT_BUDGETS, SECTIONS, Section
from diagtools.report._sections_model import OPTIMISATION_SECONDS
from diagtools.report._types import ReportInputs, SectionOutcome


def run_diagnostics(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    X_train: pd.DataFrame | None = None,
    y_train: Any = None,
    reference: pd.DataFrame | None = None,
    target: str | None = None,
    slice_columns: Sequence[str] | None = None,
    sections: Sequence[str] | None = None,
    sensitive_columns: Sequence[str] | None = None,
    n_boot: int = 500,
    random_state: int = 0,
    budgets: Mapping[str, int] | None = None,
    model_name: str | None = None,
    data_name: str = "evaluation data",
    title: str = "Model diagnosis report",
    progress: bool = False,
    source: Any = None,
    rows_total: int | None = None,
    optimisation_seconds: float = OPTIMISATION_SECONDS,
) -> DiagnosisReport:
    """Run every diagnostic the inputs allow and collect the outcomes.

    Parameters
    ----------
    model : object
        A fitted model with ``predict`` (and ``predict_proba`` for scores).
    X : DataFrame of shape (n_samples, n_features)
        Evaluation data.
    y : array-like of shape (n_samples,)
        Evaluation labels.
    X_train, y_train : optional
        Training data; enables the fit section and fits the reference baselines.
    reference : DataFrame, optional
        Reference data (the benchmark the model was validated on), with the target column
        when ``target`` is given; enables the drift section.
    target : str, optional
        Name of the label column in ``reference``.
    slice_columns : sequence of str, optional
        Columns to slice by. Without them, slices are searched over every column.
    sections : sequence of str, optional
        Subset of :data:`SECTIONS` to run (default: all, the :data:`OPT_IN` ones when asked for).
    sensitive_columns : sequence of str, optional
        Columns of ``X`` whose groups the fairness section compares (it runs only with them).
    n_boot : int, default=500
        Bootstrap resamples for intervals.
    random_state : int, default=0
    budgets : mapping of str to int, optional
        Maximum rows per section (defaults in ``DEFAULT_BUDGETS``); above it a section
        samples rows and says so.
    model_name, data_name : str, optional
        Names shown in the summary.
    title : str, default="Model diagnosis report"
        Heading of the summary.
    progress : bool, default=False
        Show a progress bar over sections.
    source : dask DataFrame or str, optional
        All the evaluation rows (a dask DataFrame, or parquet / CSV files), label column
        included, of which ``X`` and ``y`` are a sample (see
        :func:`diagtools.report.load_inputs`' ``engine``). The metrics and slices sections then
        run on every row of it; every other section on the sample, and says so.
    rows_total : int, optional
        Rows of ``source`` (counted when not given).
    optimisation_seconds : float, default=30.0
        Time budget of the optimisation section's search for a faster variant.

    Returns
    -------
    DiagnosisReport

    Raises
    ------
    DiagnosticInputError
        For an unknown section or inconsistent inputs (checked before any work).
    """
    for name in sections or ():
        if name not in SECTIONS:
            raise DiagnosticInputError(
                f"sections: unknown section {name!r}{closest_hint(name, SECTIONS)} Choose from {', '.join(SECTIONS)}."
            )
    check_same_length(y, X, name="y", ref_name="X")
    _check_numbers(n_boot, random_state, budgets)
    optimisation_seconds = check_real(optimisation_seconds, "optimisation_seconds", low=0.0, low_open=True)
    if slice_columns:
        check_columns(X, slice_columns, name="slice_columns")
    if sensitive_columns:
        check_columns(X, list(sensitive_columns), name="sensitive_columns")
    y = pd.Series(np.asarray(y), index=X.index, name=target or "target")
    if y_train is not None and X_train is not None:
        check_same_length(y_train, X_train, name="y_train", ref_name="X_train")
        y_train = pd.Series(np.asarray(y_train), index=X_train.index, name=y.name)
    inputs = ReportInputs(
        model=model, X=X, y=y, target=str(y.name), X_train=X_train, y_train=y_train, reference=reference,
        model_name=model_name or "model", data_name=data_name, source=source,
        rows_total=rows_total if source is None or rows_total is not None else _count_rows(source),
    )
    ctx = SectionContext(
        inputs=inputs, slice_columns=list(slice_columns) if slice_columns else None, n_boot=n_boot,
        random_state=random_state, budgets={**DEFAULT_BUDGETS, **(budgets or {})}, outcomes={},
        sensitive_columns=list(sensitive_columns) if sensitive_columns else None,
        optimisation_seconds=optimisation_seconds,
    )
    # The table is read at call time, so a test can put a failing section in it.
    table = _sections.SECTION_TABLE
    names = [name for name, s in table.items() if (name in sections if sections is not None else _by_default(s, ctx))]
    iterator: Any = names
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(names, desc="diagnostics", unit="section")
    for name in iterator:
        _run_section(table[name], ctx)
        if source is not None and name not in ENGINE_SECTIONS:
            _on_sample(ctx.outcomes[name], inputs)
    params = {"n_boot": n_boot, "random_state": random_state, "sections": names, "budgets": ctx.budgets}
    return DiagnosisReport(
        ctx.outcomes, model_name=f"{inputs.model_name} ({_describe_model(model)})",
        data_description=_describe_data(inputs), params=params, title=title,
    )


#: The sections that run on every row of a ``source`` (the others run on its sample).
ENGINE_SECTIONS = ("metrics", "slices")


def _count_rows(source: Any) -> int:
    from diagtools._sources import as_source

    src = as_source(source, "source")
    return int(src.run(src.columns[:1], lambda frame, _first: len(frame), lambda a, b: a + b))


def _on_sample(outcome: SectionOutcome, inputs: ReportInputs) -> None:
    """A section that ran on the sample of a source: its rows are counted against all rows, and it says so."""
    from diagtools.report._engine_data import note

    if outcome.status != "ok" or outcome.rows_used is None or outcome.rows_used >= inputs.rows_total:
        return  # the sample is every row
    outcome.rows_total = inputs.rows_total
    outcome.note = (outcome.note + " " if outcome.note else "") + note(outcome.rows_used, inputs.rows_total)


def _by_default(section: Section, ctx: SectionContext) -> bool:
    """Whether a section runs when ``sections`` is not given: an opt-in one only with its input."""
    return not section.opt_in or (section.requires is not None and ctx.provides(section.requires))


def _run_section(section: Section, ctx: SectionContext) -> None:
    """Run one section into ``ctx.outcomes``; a failure becomes the outcome's error, never aborts the report."""
    outcome = SectionOutcome(name=section.name, title=section.title)
    ctx.outcomes[section.name] = outcome
    start = time.perf_counter()
    try:
        if section.requires is not None and not ctx.provides(section.requires):
            outcome.status, outcome.note = "skipped", section.hint
        else:
            with _threads_for(section.name):
                section.run(ctx, outcome)
    except Exception as exc:  # a failing diagnostic becomes an entry, never aborts the report
        outcome.status = "failed"
        outcome.error = f"{type(exc).__name__}: {exc}"
        outcome.context["traceback"] = traceback.format_exc(limit=5)
    outcome.seconds = time.perf_counter() - start


def _check_numbers(n_boot: Any, random_state: Any, budgets: Any) -> None:
    """Range checks of run_diagnostics' numeric options (before any section runs)."""
    check_int(n_boot, "n_boot", low=1, hint="Pass e.g. n_boot=500.")
    check_random_state(random_state, allow_none=False)
    if budgets is None:
        return
    if not isinstance(budgets, Mapping):
        raise DiagnosticInputError(f"budgets must be a dict of section -> rows, got {type(budgets).__name__}.")
    for key, rows in budgets.items():
        if key not in DEFAULT_BUDGETS:
            raise DiagnosticInputError(f"budgets: unknown section {key!r}. Choose from {', '.join(DEFAULT_BUDGETS)}.")
        check_int(rows, f"budgets[{key!r}]", low=1, hint="Pass a number of rows, e.g. 5000.")


def _threads_for(section: str) -> Any:
    """One BLAS/OpenMP thread per process for every section but latency.

    The sections fit and score many models; on a busy machine OpenMP threads that outnumber
    free cores spin against each other (one HistGradientBoosting fit of the demo model took
    70 s with 2 threads on a loaded 2-core box, 4 s with 1), so one thread keeps the report's
    cost predictable. Latency is measured with the thread settings the model will run with.
    """
    if section == "latency":
        return contextlib.nullcontext()
    import sklearn.ensemble  # noqa: F401  loads the OpenMP runtime: the limit acts on loaded libraries only
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _describe_model(model: Any) -> str:
    steps = getattr(model, "steps", None)
    if steps:
        return " → ".join(type(step).__name__ for _, step in steps)
    return type(model).__name__


def _describe_data(inputs: ReportInputs) -> str:
    rows = f"{len(inputs.X):,} rows" if inputs.source is None else (
        f"{inputs.rows_total:,} rows (metrics and slices on all, other sections on a {len(inputs.X):,}-row sample)")
    description = f"{inputs.data_name}: {rows} x {inputs.X.shape[1]} columns, target {inputs.target!r}"
    if inputs.X_train is not None:
        description += f"; training data: {len(inputs.X_train):,} rows"
    if inputs.reference is not None:
        description += f"; reference data: {len(inputs.reference):,} rows"
    return description

