"""The one-model-in-depth report: run every diagnostic the inputs allow, then render.

Two steps, kept apart as everywhere in diagtools:

1. :func:`run_diagnostics` computes. It runs each section that its inputs allow, isolates
   failures (a failing diagnostic becomes a report entry, it never aborts the report),
   records how many rows each section used and whether it sampled, and returns a
   :class:`DiagnosisReport`.
2. The template ``notebooks/model_report.ipynb`` shows that report; :func:`render_report`
   executes the template headless with papermill and exports ONE self-contained HTML file
   with nbconvert (images embedded; no scripts, fonts or styles from the network).

Where things live: ``_types`` (the outcome, inputs and error types), ``_sections`` (the one
:class:`Section` table; the section functions are in ``_sections_data`` and
``_sections_model``), ``_run`` (:func:`run_diagnostics`), ``_diagnosis``
(:class:`DiagnosisReport` and its HTML), ``_inputs`` (loading and checking inputs) and
``_render`` (papermill and nbconvert). Two private helpers are re-exported for the tests and
``docs/make_screenshot.py``: ``_kernel_path`` (the kernel's environment during a render) and
``_placeholder`` (a figure that only says "nothing to show").

Names are imported on first use: the section table imports every area (scipy and all), and the
command line, which only needs the error type and the file checks, starts without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from diagtools._lazy import lazy_names

if TYPE_CHECKING:
    from diagtools.report._diagnosis import DiagnosisReport
    from diagtools.report._inputs import demo_inputs, load_inputs
    from diagtools.report._render import executed_status, export_html, render_report, template_path, templates_dir
    from diagtools.report._run import run_diagnostics
    from diagtools.report._sections import DEFAULT_BUDGETS, OPT_IN, SECTION_TABLE, SECTIONS, Section
    from diagtools.report._sections_data import MANY_CLASSES
    from diagtools.report._sections_model import OPTIMISATION_SECONDS, OPTIMISATION_TRAIN_ROWS
    from diagtools.report._types import ReportIncompleteError, ReportInputs, SectionOutcome

__all__ = [
    "DEFAULT_BUDGETS",
    "MANY_CLASSES",
    "OPTIMISATION_SECONDS",
    "OPTIMISATION_TRAIN_ROWS",
    "OPT_IN",
    "SECTIONS",
    "SECTION_TABLE",
    "DiagnosisReport",
    "ReportIncompleteError",
    "ReportInputs",
    "Section",
    "SectionOutcome",
    "demo_inputs",
    "executed_status",
    "export_html",
    "load_inputs",
    "render_report",
    "run_diagnostics",
    "template_path",
    "templates_dir",
]

# Name -> the module that defines it (imported on first use).
_LAZY: dict[str, str] = {
    name: f"diagtools.report.{module}"
    for module, names in (
        ("_diagnosis", ("DiagnosisReport", "_placeholder")),
        ("_inputs", ("demo_inputs", "load_inputs")),
        ("_render", ("_kernel_path", "executed_status", "export_html", "render_report", "template_path", "templates_dir")),
        ("_run", ("run_diagnostics",)),
        ("_sections", ("DEFAULT_BUDGETS", "OPT_IN", "SECTION_TABLE", "SECTIONS", "Section")),
        ("_sections_data", ("MANY_CLASSES",)),
        ("_sections_model", ("OPTIMISATION_SECONDS", "OPTIMISATION_TRAIN_ROWS")),
        ("_types", ("ReportIncompleteError", "ReportInputs", "SectionOutcome")),
    )
    for name in names
}
__getattr__, __dir__ = lazy_names(__name__, _LAZY)
