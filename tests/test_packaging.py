"""The wheel ships the templates: the notebooks (byte for byte those in notebooks/) and the HTML template.

``pip install diagtools`` (not editable) must be able to render a report and copy the notebook
templates; ``.ci/run`` installs the wheel into a clean environment and renders the demo from there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Build from a clean copy: setuptools builds in the source tree and never prunes its build/
    # directory, so a stale file there could end up in the wheel (and the checkout stays untouched).
    source = out / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "reports"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source), "-w", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (path,) = out.glob("diagtools-*.whl")
    return path


def test_wheel_ships_every_notebook_template_unchanged(wheel):
    with zipfile.ZipFile(wheel) as archive:
        shipped = {Path(n).name: archive.read(n) for n in archive.namelist() if n.startswith("diagtools/notebooks/")}
    source = {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert "model_report.ipynb" in shipped
    assert shipped == source  # the same files, byte for byte: one source, no copy to drift


def test_wheel_ships_the_html_template_and_no_stray_files(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"diagtools/templates/diagtools_report/index.html.j2", "diagtools/templates/diagtools_report/conf.json",
            "diagtools/py.typed"} <= names
    assert not any(n.startswith(("tests/", "notebooks/", "benchmarks/")) or "__pycache__" in n for n in names)
    # every subpackage of the source is in the wheel
    packages = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "diagtools").rglob("__init__.py")}
    assert {p + "/__init__.py" for p in packages} <= names


def test_templates_command_copies_the_templates(tmp_path):
    from diagtools.cli import main

    assert main(["templates", str(tmp_path / "t")]) == 0
    copied = {p.name: p.read_bytes() for p in (tmp_path / "t").glob("*.ipynb")}
    assert copied == {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert main(["templates", str(tmp_path / "t"), "--only", "drift"]) == 2  # would overwrite
    (tmp_path / "t" / "drift.ipynb").write_text("mine")
    assert main(["templates", str(tmp_path / "t"), "--only", "drift", "--force"]) == 0
    assert (tmp_path / "t" / "drift.ipynb").read_bytes() == (ROOT / "notebooks" / "drift.ipynb").read_bytes()
