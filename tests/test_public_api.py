"""The public surface: pinned names, docstrings, and a light import."""

import subprocess
import sys

import diagtools

EXPECTED = sorted(diagtools.__all__)


def test_all_is_sorted_and_complete():
    assert diagtools.__all__ == sorted(diagtools.__all__)
    for name in diagtools.__all__:
        assert hasattr(diagtools, name), name


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
