"""The report pipeline: sections isolate failures, the HTML is self-contained and escaped."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from diagtools.errors import DiagnosticInputError
from diagtools.report import OPT_IN, SECTIONS, export_html, run_diagnostics


@pytest.fixture(scope="module")
def small_case():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "<script>alert(1)</script>": rng.normal(size=400)})
    y = (X["a"] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    return LogisticRegression().fit(X, y), X, y


def test_unknown_section_is_an_input_error(small_case):
    model, X, y = small_case
    with pytest.raises(DiagnosticInputError, match="did you mean 'metrics'"):
        run_diagnostics(model, X, y, sections=["metric"])


def test_sections_without_inputs_are_skipped_with_a_reason(small_case):
    model, X, y = small_case
    report = run_diagnostics(model, X, y, sections=["fit", "drift"], n_boot=50)
    assert report["fit"].status == "skipped" and "train" in report["fit"].note
    assert report["drift"].status == "skipped" and "reference" in report["drift"].note
    html = report.section_html("fit")
    assert "id='section-fit'" in html and "Skipped" in html


def test_a_failing_section_becomes_an_entry(small_case, monkeypatch):
    import dataclasses

    import diagtools.report as rep

    def boom(ctx, out):
        raise RuntimeError("kaboom")

    monkeypatch.setitem(rep.SECTION_TABLE, "latency", dataclasses.replace(rep.SECTION_TABLE["latency"], run=boom))
    model, X, y = small_case
    report = run_diagnostics(model, X, y, sections=["latency"])
    assert report["latency"].status == "failed"
    assert report.failed == {"latency": "RuntimeError: kaboom"}
    assert not any(section == "latency" for section, _ in report.findings())  # an error, not a ranked finding
    assert "kaboom" in report.section_html("latency") and "kaboom" in report.summary_html()


def test_summary_escapes_column_names_and_links_sections(small_case):
    model, X, y = small_case
    report = run_diagnostics(model, X, y, n_boot=50, title="<b>T</b>")
    html = report.summary_html()
    assert "<script>" not in html and "<b>T</b>" not in html
    for name in report.sections:
        assert f"href='#section-{name}'" in html
    assert set(report.sections) == set(SECTIONS) - set(OPT_IN)  # opt-in sections run when asked for
    for name in report.sections:
        assert "<script>" not in report.section_html(name)


def test_export_drops_widgets_and_cdn_scripts(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/plain": "w"}),
        nbformat.v4.new_output("display_data", data={"text/html": "<p>kept</p>"}),
    ]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, str(path))
    html = export_html(path, tmp_path / "n.html", no_code=True).read_text()
    assert "<p>kept</p>" in html
    assert not re.search(r"<script[^>]+src=", html)
    assert "widget-state" not in html


def test_result_tables_show_flagged_rows_first():
    from diagtools._html import _flagged_first, frame_html

    frame = pd.DataFrame({"column": [f"c{i}" for i in range(30)], "flagged": [False] * 29 + [True]})
    html = frame_html(_flagged_first(frame), max_rows=10)
    assert "c29" in html  # the one flagged row, last in the frame, is among the rows shown
    assert _flagged_first(frame)["column"].iloc[1:].tolist() == [f"c{i}" for i in range(29)]  # stable


def test_latency_section_shows_the_cost_of_a_prediction(small_case):
    model, X, y = small_case
    report = run_diagnostics(model, X, y, sections=["latency"], n_boot=50)
    html = report.section_html("latency")
    assert "CPU-s per 1k predictions" in html
    assert "energy not available: " in html or " J at batch " in html  # joules, or why there are none


def test_template_defaults_diagnose_the_demo_without_files():
    """model_report.ipynb's defaults (no paths) run on the demo; one path alone is bad input."""
    from diagtools.datasets import LOANS_TRUTH
    from diagtools.errors import DiagnosticInputError
    from diagtools.report import load_inputs

    inputs = load_inputs(model_path=None, data_path=None, target=LOANS_TRUTH.target)
    assert len(inputs.X) == 3_000 and len(inputs.X_train) == 3_000 and inputs.reference is not None
    assert inputs.target not in inputs.X.columns and set(inputs.y.unique()) == {0, 1}
    assert inputs.model.predict(inputs.X.head()).shape == (5,)  # fitted
    assert (inputs.X["purpose"] == "crypto").any()  # the drifted current window
    with pytest.raises(DiagnosticInputError, match="data_path is None but model_path is given"):
        load_inputs(model_path="model.skops", data_path=None, target=LOANS_TRUTH.target)


def test_exported_html_keeps_sklearn_diagrams_offline(tmp_path):
    """A displayed pipeline shows as its plain repr: the diagram links to scikit-learn's online docs."""
    import nbformat
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils import estimator_html_repr

    from diagtools.report import export_html

    pipe = make_pipeline(StandardScaler())
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("pipe")
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/html": estimator_html_repr(pipe),
                                                                   "text/plain": repr(pipe)}, execution_count=1)]
    nb.cells = [cell]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    html = export_html(path, tmp_path / "nb.html").read_text(encoding="utf-8")
    assert "scikit-learn.org" not in html and "StandardScaler" in html


def test_rendered_report_on_user_data_has_no_exercises(small_case, tmp_path):
    """The template's exercises check the demo's planted problems: a user's report neither runs nor shows them."""
    from diagtools.io import save_model
    from diagtools.report import render_report

    model, X, y = small_case
    X = X.rename(columns={"<script>alert(1)</script>": "b"})
    model = LogisticRegression().fit(X, y)
    save_model(model, tmp_path / "m.skops")
    X.assign(label=y).to_csv(tmp_path / "d.csv", index=False)
    out = render_report(model_path=tmp_path / "m.skops", data_path=tmp_path / "d.csv", target="label",
                        out=tmp_path / "r.html", sections=["metrics"], n_boot=50, progress=False)
    html = out.read_text(encoding="utf-8")
    assert "Metrics and baselines" in html
    assert "Exercise" not in html and "# Answer:" not in html


def test_section_table_is_the_one_source():
    """SECTIONS, OPT_IN and DEFAULT_BUDGETS are views of the table; plots are the result classes' methods."""
    import inspect

    from diagtools.metrics import EvaluationResult
    from diagtools.report import DEFAULT_BUDGETS, SECTION_TABLE

    assert list(SECTIONS) == list(SECTION_TABLE) and list(SECTIONS)[:2] == ["data_quality", "metrics"]
    assert {"fairness": SECTION_TABLE["fairness"].hint} == OPT_IN and SECTION_TABLE["fairness"].opt_in
    assert DEFAULT_BUDGETS["fit"] == 4_000 and "metrics" not in DEFAULT_BUDGETS
    assert SECTION_TABLE["metrics"].plots["evaluation"][0] is EvaluationResult.plot_summary
    for section in SECTION_TABLE.values():
        for plots in section.plots.values():
            for plot in plots:  # a method of a result class, never a name to look up
                assert inspect.isfunction(plot) and plot.__name__.startswith("plot"), (section.name, plot)


def test_render_needs_the_inputs_of_every_requested_section(small_case, tmp_path):
    """Asking for a section without its input is one clear error before any kernel starts."""
    from diagtools.io import save_model
    from diagtools.report import render_report

    model, X, y = small_case
    save_model(model, tmp_path / "m.skops")
    X.assign(label=y).to_csv(tmp_path / "d.csv", index=False)
    for section, flag in (("fit", "--train"), ("optimisation", "--train"), ("drift", "--reference"),
                          ("fairness", "--sensitive")):
        with pytest.raises(DiagnosticInputError, match=f"the {section} section was requested but needs {flag}"):
            render_report(model_path=tmp_path / "m.skops", data_path=tmp_path / "d.csv", target="label",
                          out=tmp_path / "r.html", sections=["metrics", section], progress=False)
    assert not (tmp_path / "r.html").exists()


def test_show_draws_the_plots_of_the_table(small_case, monkeypatch, pyplot):
    """show() displays the section's HTML, then one PNG per plot the table lists for each result."""
    import IPython.display

    from diagtools.report import SECTION_TABLE

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kwargs: shown.append(obj))
    model, X, y = small_case
    report = run_diagnostics(model, X, y, sections=["metrics"], n_boot=20)
    report.show("metrics")
    images = [o for o in shown if isinstance(o, IPython.display.Image)]
    assert isinstance(shown[0], IPython.display.HTML) and "id='section-metrics'" in shown[0].data
    assert len(images) == len(SECTION_TABLE["metrics"].plots["evaluation"]) == 2
    assert all(image.data.startswith(b"\x89PNG") for image in images)
    assert pyplot.get_fignums() == []  # every figure is closed once embedded
