"""Every template in notebooks/ is stored clean and runs headless on the demo data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
# Every template runs with its default parameters (the demo data), none skipped.
EXECUTED = NOTEBOOKS
# Exercises with hidden, checked answers: every template but the case study (rewritten on
# real messages under its own issue).
WITH_EXERCISES = [nb for nb in NOTEBOOKS if nb.name != "case_study_customer_support.ipynb"]
# Each template, on a busy 2-core machine (issue 20's done-when). The one place the suite asserts a
# time: the burner below makes the machine busy on purpose, and a template over budget is a lesson
# a learner waits minutes for.
BUDGET_S = 60
# Templates held to a looser, documented limit until a cause outside the template is fixed (none now:
# model_report's optimisation search has a time budget the template sets, its learning curves one worker).
OVER_BUDGET_S: dict[str, float] = {}
_TIMES: dict[str, float] = {}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_template_is_stored_clean(path):
    cells = _cells(path)
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code, "a template needs code cells"
    assert "parameters" in code[0].get("metadata", {}).get("tags", []), "first code cell must be tagged 'parameters'"
    for cell in code:
        assert not cell.get("outputs"), "saved with outputs"
        assert cell.get("execution_count") is None, "saved with execution counts"
    # The parameters cell holds only literal assignments, each with a comment.
    for line in "".join(code[0]["source"]).splitlines():
        if line.strip():
            assert "=" in line and "#" in line, f"parameters line without assignment/comment: {line!r}"
    assert any(c["cell_type"] == "markdown" for c in cells), "templates explain what to look at"


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.name)
def test_template_has_exercises_with_hidden_checked_answers(path):
    cells = _cells(path)
    answers = [i for i, c in enumerate(cells) if "answer" in c.get("metadata", {}).get("tags", [])]
    assert len(answers) >= 2, "two or three exercises per template"
    for i in answers:
        cell = cells[i]
        assert cell["cell_type"] == "code" and cell["metadata"].get("jupyter", {}).get("source_hidden") is True
        assert "".join(cell["source"]).startswith("# Answer:"), "an answer cell opens with its answer in words"
        question = next(c for c in reversed(cells[:i]) if c["cell_type"] == "markdown")
        assert "**Exercise" in "".join(question["source"]), "each answer follows its exercise"
    assert sum("assert " in "".join(cells[i]["source"]) for i in answers) >= 1, "the suite checks the answers"


class _TimesTable:
    """pytest plugin: prints the templates' run times in the terminal summary (the issue asks for the table)."""

    def pytest_terminal_summary(self, terminalreporter):
        if not _TIMES:
            return
        terminalreporter.section(f"template run times, one core busy (budget {BUDGET_S} s each)")
        for name, seconds in sorted(_TIMES.items(), key=lambda kv: -kv[1]):
            flag = f"  over budget (limit {OVER_BUDGET_S.get(name, BUDGET_S)} s)" if seconds > BUDGET_S else ""
            terminalreporter.write_line(f"{name:<40} {seconds:6.1f} s{flag}")


@pytest.fixture(scope="module")
def one_core_busy(request):
    """Run the templates with one extra process burning a core, as on a busy 2-core machine."""
    if not request.config.pluginmanager.has_plugin("diagtools-template-times"):
        request.config.pluginmanager.register(_TimesTable(), "diagtools-template-times")
    burner = subprocess.Popen([sys.executable, "-c", "while True:\n    pass"])
    try:
        yield
    finally:
        burner.kill()
        burner.wait()


@pytest.mark.parametrize("path", EXECUTED, ids=lambda p: p.name)
def test_template_runs_headless_and_exports_self_contained(path, tmp_path, one_core_busy):
    import papermill as pm

    from diagtools.report import _kernel_path, export_html

    out = tmp_path / path.name
    start = time.perf_counter()
    with _kernel_path():
        pm.execute_notebook(
            str(path), str(out), kernel_name="python3", cwd=str(path.parent),
            progress_bar=False, execution_timeout=600,
            # nbclient's Output-widget mimic can make a cell wait out the whole timeout for a
            # reply that has already arrived (see diagtools/_notebook_client.py).
            kernel_manager_class="diagtools._notebook_client.SlicedKernelManager",
        )
    _TIMES[path.name] = seconds = time.perf_counter() - start
    executed = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # A plot line that does not end in ";" prints "<Axes: ...>" under the figure.
    results = ["".join(o.get("data", {}).get("text/plain", "")) for o in outputs if o.get("output_type") == "execute_result"]
    stray = [t for t in results if t.startswith(("<Axes", "<Figure", "[<matplotlib", "<matplotlib"))]
    assert not stray, stray
    html = export_html(out, tmp_path / "out.html").read_text(encoding="utf-8")
    _assert_self_contained(html)
    limit = OVER_BUDGET_S.get(path.name, BUDGET_S)
    assert seconds < limit, f"{path.name} took {seconds:.0f} s with one core busy (limit {limit} s); slowest cells: {_slowest_cells(executed)}"


def _slowest_cells(executed: dict, k: int = 3) -> list[str]:
    """The ``k`` slowest code cells as "cell <index> <seconds> s: <first line>", from papermill's timings."""
    timed = []
    for index, cell in enumerate(executed["cells"]):
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell["cell_type"] == "code" and duration is not None:
            first = "".join(cell["source"]).strip().splitlines()[:1]
            timed.append((duration, f"cell {index} {duration:.1f} s: {first[0][:60] if first else ''}"))
    return [text for _, text in sorted(timed, reverse=True)[:k]]


def _assert_self_contained(html: str) -> None:
    import re

    external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//[^"']+""", html)
    assert not external, f"external resources: {external[:5]}"
    assert "<script src" not in html
    assert "require.js" not in html and "MathJax.js" not in html


def test_kernel_uses_this_interpreter():
    from diagtools.report import _kernel_path

    with _kernel_path():
        assert os.environ["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)
