"""Every template in notebooks/ is stored clean and runs headless on the demo data."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
# The master report needs input files; tests/test_report.py renders it on the demo data.
EXECUTED = [nb for nb in NOTEBOOKS if nb.name != "model_report.ipynb"]
# Small values injected into templates whose parameters cell defines them.
SMALL = {"n_boot": 200}


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


@pytest.mark.parametrize("path", EXECUTED, ids=lambda p: p.name)
def test_template_runs_headless_and_exports_self_contained(path, tmp_path):
    import papermill as pm

    from diagtools.report import _kernel_path, export_html

    params_src = "".join(next(c for c in _cells(path) if c["cell_type"] == "code")["source"])
    parameters = {k: v for k, v in SMALL.items() if f"{k} =" in params_src}
    out = tmp_path / path.name
    with _kernel_path():
        pm.execute_notebook(
            str(path), str(out), parameters=parameters, kernel_name="python3", cwd=str(path.parent),
            progress_bar=False, execution_timeout=300,
        )
    executed = json.loads(out.read_text(encoding="utf-8"))
    errors = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    html = export_html(out, tmp_path / "out.html").read_text(encoding="utf-8")
    _assert_self_contained(html)


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
