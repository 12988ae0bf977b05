"""Packaging glue that pyproject.toml cannot express: the notebook templates ship from notebooks/.

The team edits the notebook templates in the top-level ``notebooks/`` directory. Rather than
keep a second copy inside the package (which could drift), the wheel maps that directory onto
the package ``diagtools.notebooks``: ``pip install diagtools`` gets exactly the files in
``notebooks/``, found by ``diagtools.report.template_path`` and copied by ``diagtools templates``.
The same way, the Banking77 subset in ``data/`` (with its licence and README) ships as
``diagtools.data``, so the case-study template runs after ``pip install diagtools``.
Everything else about the package is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["diagtools", "diagtools.*"]), "diagtools.notebooks", "diagtools.data"],
    package_dir={"diagtools.notebooks": "notebooks", "diagtools.data": "data"},
    package_data={
        "diagtools": ["py.typed", "templates/diagtools_report/*"],
        "diagtools.notebooks": ["*.ipynb"],
        "diagtools.data": ["banking77_subset.csv.gz", "LICENSE-banking77.txt", "README.md"],
    },
)
