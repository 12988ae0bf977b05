"""diagtools: diagnose one machine-learning model in depth.

Compute, then look: every diagnostic returns a frozen ``Result`` with a tidy ``.frame``,
``.plot()``, ``.findings()`` and ``.to_dict()``; templates in ``notebooks/`` and
``diagtools report`` turn results into a shareable HTML report.

The diagnostics live in one subpackage per area (``diagtools.metrics``, ``.quality``, ``.fit``,
``.slices``, ``.drift``, ``.latency``, ``.explanations``, ``.history``); the names below are
re-exported here and imported on first use, so ``import diagtools`` stays fast and pulls in
neither matplotlib, shap nor Jupyter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from diagtools._lazy import lazy_names
from diagtools._result import Finding, Result, rank_findings
from diagtools.errors import DiagnosticInputError, DiagnosticWarning

__version__ = "0.1.0"

if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from diagtools.drift import DriftProfile, DriftResult, detect_drift, profile_data
    from diagtools.explanations import (
        CrossCheck,
        Explanation,
        SliceExplanation,
        TextExplanation,
        cross_check,
        explain,
        explain_slice,
        explain_text,
    )
    from diagtools.fairness import FairnessResult, assess_fairness, assess_fairness_predictions
    from diagtools.fit import (
        CapacitySweepResult,
        FitDiagnosis,
        LearningCurveResult,
        ValidationCurveResult,
        capacity_sweep,
        diagnose_fit,
        diagnose_fitted,
        learning_curve,
        validation_curve,
    )
    from diagtools.history import History, Run, RunComparison, compare_runs
    from diagtools.io import load_data, load_model, save_model
    from diagtools.latency import (
        LatencyResult,
        LoadTestResult,
        MemoryProfile,
        StepProfile,
        VariantComparison,
        compare_variants,
        load_test,
        profile_latency,
        profile_memory,
        profile_steps,
    )
    from diagtools.metrics import EvaluationResult, compare_predictions, evaluate, evaluate_predictions
    from diagtools.models import ModelAdapter, adapt_model
    from diagtools.optimize import DeploymentSweep, OptimizationResult, deployment_sweep, optimize
    from diagtools.quality import DataQualityResult, check_data
    from diagtools.report import DiagnosisReport, render_report, run_diagnostics
    from diagtools.slices import SliceResult, SliceSearchResult, find_slices, slice_metrics

# Public name -> module that defines it (imported lazily by __getattr__).
_LAZY: dict[str, str] = {
    **dict.fromkeys(("DataQualityResult", "check_data"), "diagtools.quality"),
    **dict.fromkeys(
        ("EvaluationResult", "compare_predictions", "evaluate", "evaluate_predictions"), "diagtools.metrics"
    ),
    **dict.fromkeys(("DriftProfile", "DriftResult", "detect_drift", "profile_data"), "diagtools.drift"),
    **dict.fromkeys(("FairnessResult", "assess_fairness", "assess_fairness_predictions"), "diagtools.fairness"),
    **dict.fromkeys(
        ("CrossCheck", "Explanation", "SliceExplanation", "TextExplanation", "cross_check", "explain", "explain_slice",
         "explain_text"),
        "diagtools.explanations",
    ),
    **dict.fromkeys(
        (
            "CapacitySweepResult",
            "FitDiagnosis",
            "LearningCurveResult",
            "ValidationCurveResult",
            "capacity_sweep",
            "diagnose_fit",
            "diagnose_fitted",
            "learning_curve",
            "validation_curve",
        ),
        "diagtools.fit",
    ),
    **dict.fromkeys(("SliceResult", "SliceSearchResult", "find_slices", "slice_metrics"), "diagtools.slices"),
    **dict.fromkeys(
        (
            "LatencyResult",
            "LoadTestResult",
            "MemoryProfile",
            "StepProfile",
            "VariantComparison",
            "compare_variants",
            "load_test",
            "profile_latency",
            "profile_memory",
            "profile_steps",
        ),
        "diagtools.latency",
    ),
    **dict.fromkeys(("DeploymentSweep", "OptimizationResult", "deployment_sweep", "optimize"), "diagtools.optimize"),
    **dict.fromkeys(("History", "Run", "RunComparison", "compare_runs"), "diagtools.history"),
    **dict.fromkeys(("DiagnosisReport", "render_report", "run_diagnostics"), "diagtools.report"),
    **dict.fromkeys(("load_data", "load_model", "save_model"), "diagtools.io"),
    **dict.fromkeys(("ModelAdapter", "adapt_model"), "diagtools.models"),
}

__all__ = [
    "CapacitySweepResult",
    "CrossCheck",
    "DataQualityResult",
    "DeploymentSweep",
    "DiagnosisReport",
    "DiagnosticInputError",
    "DiagnosticWarning",
    "DriftProfile",
    "DriftResult",
    "EvaluationResult",
    "Explanation",
    "FairnessResult",
    "Finding",
    "FitDiagnosis",
    "History",
    "LatencyResult",
    "LearningCurveResult",
    "LoadTestResult",
    "MemoryProfile",
    "ModelAdapter",
    "OptimizationResult",
    "Result",
    "Run",
    "RunComparison",
    "SliceExplanation",
    "SliceResult",
    "SliceSearchResult",
    "StepProfile",
    "TextExplanation",
    "ValidationCurveResult",
    "VariantComparison",
    "__version__",
    "adapt_model",
    "assess_fairness",
    "assess_fairness_predictions",
    "capacity_sweep",
    "check_data",
    "compare_predictions",
    "compare_runs",
    "compare_variants",
    "cross_check",
    "deployment_sweep",
    "detect_drift",
    "diagnose_fit",
    "diagnose_fitted",
    "evaluate",
    "evaluate_predictions",
    "explain",
    "explain_slice",
    "explain_text",
    "find_slices",
    "learning_curve",
    "load_data",
    "load_model",
    "load_test",
    "optimize",
    "profile_data",
    "profile_latency",
    "profile_memory",
    "profile_steps",
    "rank_findings",
    "render_report",
    "run_diagnostics",
    "save_model",
    "slice_metrics",
    "validation_curve",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
