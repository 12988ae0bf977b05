"""The one table of report sections: what each computes, needs, may spend, and shows.

Everything the report knows about a section is one :class:`Section` row of
:data:`SECTION_TABLE`, in display order. The plots are the result classes' methods
themselves, not their names: a renamed method fails here, at import, instead of silently
dropping its figure from every report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from diagtools.drift import DriftResult
from diagtools.explanations import CrossCheck, Explanation, SliceExplanation, TextExplanation
from diagtools.fairness import FairnessResult
from diagtools.fit import FitDiagnosis
from diagtools.latency import LatencyResult, MemoryProfile, StepProfile
from diagtools.metrics import EvaluationResult
from diagtools.optimize import OptimizationResult
from diagtools.quality import DataQualityResult
from diagtools.report import _sections_data as data
from diagtools.report import _sections_model as model
from diagtools.report._context import SectionContext
from diagtools.report._types import SectionOutcome
from diagtools.slices import SliceResult, SliceSearchResult

#: A section function fills the outcome it is given from the context.
SectionFn = Callable[[SectionContext, SectionOutcome], None]
#: A plot method of a result class (called on the result with no arguments).
PlotFn = Callable[..., Any]

_TRAIN_HINT = "Pass training data (CLI: --train TRAIN; Python: X_train=, y_train=)"


@dataclass(frozen=True)
class Section:
    """One report section.

    Attributes
    ----------
    name, title : str
        Key (``--sections`` takes it) and heading.
    run : callable
        ``run(ctx, outcome)`` computes the section into ``outcome``.
    requires : str or None
        The input it cannot run without: a :class:`ReportInputs` field (``"X_train"``,
        ``"reference"``) or a column choice (``"sensitive_columns"``). Without it the section
        is skipped with ``hint`` as its note.
    hint : str
        How to provide ``requires`` (shown when the section is skipped or not asked for).
    budget : int or None
        Default row budget: above it the section samples rows, and says so.
    opt_in : bool
        Runs only when asked for (its input is a choice, not a file), never by default.
    plots : mapping of str to tuple of callables
        Per result key, the plot methods :meth:`DiagnosisReport.show` draws, in order.
    """

    name: str
    title: str
    run: SectionFn
    requires: str | None = None
    hint: str = ""
    budget: int | None = None
    opt_in: bool = False
    plots: Mapping[str, tuple[PlotFn, ...]] = field(default_factory=dict)


#: Every section in display (and run) order, by name.
SECTION_TABLE: dict[str, Section] = {
    s.name: s
    for s in (
        Section(
            "data_quality", "Data quality and leakage", data.data_quality, budget=20_000,
            plots={"quality": (DataQualityResult.plot, DataQualityResult.plot_leakage, DataQualityResult.plot_missing,
                               DataQualityResult.plot_label_noise)},
        ),
        Section(
            "metrics", "Metrics and baselines", model.metrics,
            plots={"evaluation": (EvaluationResult.plot_summary, EvaluationResult.plot_confusion)},
        ),
        Section(
            "fit", "Fit: over- or underfitting", model.fit, requires="X_train", budget=4_000,
            hint=f"{_TRAIN_HINT} to diagnose over- and underfitting.",
            plots={"fit": (FitDiagnosis.plot, FitDiagnosis.plot_evidence)},
        ),
        Section(
            "slices", "Where the model fails: slices", data.slices,
            plots={"metrics": (SliceResult.plot, SliceResult.plot_heatmap),
                   "search": (SliceSearchResult.plot, SliceSearchResult.plot_cohorts)},
        ),
        Section(
            "fairness", "Fairness across sensitive groups", data.fairness, requires="sensitive_columns",
            hint=data.FAIRNESS_HINT, opt_in=True,
            plots={"fairness": (FairnessResult.plot, FairnessResult.plot_disparities)},
        ),
        Section(
            "drift", "Drift from the reference data", data.drift, requires="reference", budget=10_000,
            hint="Pass reference data (CLI: --reference R; Python: reference=) to check for drift.",
            plots={"drift": (DriftResult.plot,)},
        ),
        Section(
            "latency", "Latency, throughput and memory", model.latency, budget=1_024,
            plots={"latency": (LatencyResult.plot, LatencyResult.plot_batch, LatencyResult.plot_throughput),
                   "steps": (StepProfile.plot,), "memory": (MemoryProfile.plot,)},
        ),
        Section(
            "optimisation", "Optimisation: a faster variant with no detectable loss", model.optimisation,
            requires="X_train", budget=2_000,
            hint=f"{_TRAIN_HINT} to search for a faster variant: variants are refitted on it.",
            plots={"optimisation": (OptimizationResult.plot,)},
        ),
        Section(
            "explanations", "Explanations", model.explanations, budget=1_000,
            plots={"tokens": (TextExplanation.plot,), "explanation": (Explanation.plot, Explanation.plot_beeswarm),
                   "cross_check": (CrossCheck.plot,), "slice": (SliceExplanation.plot,)},
        ),
    )
}

# The views below are read from the table (kept because they are public names).
#: Report sections in display order, with their titles.
SECTIONS: dict[str, str] = {name: s.title for name, s in SECTION_TABLE.items()}
#: Sections that run only when asked for, and how to ask.
OPT_IN: dict[str, str] = {name: s.hint for name, s in SECTION_TABLE.items() if s.opt_in}
#: Row budgets per section: above them a section samples rows (and says so).
DEFAULT_BUDGETS: dict[str, int] = {name: s.budget for name, s in SECTION_TABLE.items() if s.budget is not None}
