"""The public surface: pinned names, docstrings, and a light import."""

import subprocess
import sys

import diagtools

EXPECTED = [
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


def test_all_is_pinned_sorted_and_resolvable():
    assert diagtools.__all__ == EXPECTED, "the public API changed: update EXPECTED on purpose"
    assert diagtools.__all__ == sorted(diagtools.__all__)
    for name in diagtools.__all__:
        assert getattr(diagtools, name) is not None, name
    assert set(dir(diagtools)) >= set(diagtools.__all__)


def test_lazy_names_are_the_objects_of_their_area():
    from diagtools.explanations import explain
    from diagtools.metrics import evaluate

    assert diagtools.explain is explain
    assert diagtools.evaluate is evaluate
    import diagtools.explanations as area  # the package, not shadowed by the function

    assert area.explain is explain


def test_unknown_attribute_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'evalute'"):
        diagtools.evalute


def test_every_public_name_has_a_docstring():
    for name in diagtools.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(diagtools, name)
        assert obj.__doc__ and obj.__doc__.strip(), f"{name} has no docstring"


def test_import_is_light():
    code = (
        "import sys, diagtools; heavy = ['matplotlib.pyplot', 'shap', 'ipywidgets', 'papermill', 'nbconvert'];"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import diagtools pulled in: {out.stdout.strip()}"
