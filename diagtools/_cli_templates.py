"""``diagtools templates DIR``: copy the notebook templates to edit and run them yourself."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from diagtools._cli_common import add_command
from diagtools.errors import DiagnosticInputError

TEMPLATES_EPILOG = """exit codes:
  0  the templates were copied
  2  bad input: DIR is a file or not writable, an unknown --only name, or a template already
     exists in DIR (pass --force to overwrite); nothing is copied
  4  unexpected internal error

example:
  diagtools templates my_notebooks && jupyter lab my_notebooks/00_tour.ipynb
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``templates`` sub-command."""
    templates = add_command(
        sub, "templates",
        help="copy the notebook templates (the report, fit, slices, drift, latency, ...) into a directory",
        description="Copy diagtools' notebook templates into DIR (created when missing), to open in JupyterLab or "
        "run with papermill. Each is stored without outputs, parameters in its first cell.",
        epilog=TEMPLATES_EPILOG,
    )
    templates.add_argument("dest", metavar="DIR", help="directory to copy the templates into (created when missing)")
    templates.add_argument("--only", action="append", metavar="NAME",
                           help="copy only this template, e.g. --only drift.ipynb (repeatable; default: all)")
    templates.add_argument("--force", action="store_true", help="overwrite templates that already exist in DIR")
    templates.set_defaults(handler=_templates)


def _templates(args: argparse.Namespace) -> int:
    from diagtools.report import templates_dir
    from diagtools.report._inputs import check_writable_parent

    source = templates_dir()
    available = sorted(p.name for p in source.glob("*.ipynb"))
    chosen = available
    if args.only:
        wanted = [n if n.endswith(".ipynb") else f"{n}.ipynb" for n in args.only]
        unknown = [n for n in wanted if n not in available]
        if unknown:
            raise DiagnosticInputError(f"--only: unknown template {unknown[0]!r}. Available: {', '.join(available)}.")
        chosen = wanted
    dest = Path(args.dest)
    if dest.exists() and not dest.is_dir():
        raise DiagnosticInputError(f"DIR: {dest} is a file, not a directory. Pass a directory to copy the templates into.")
    check_writable_parent(dest / "x", "DIR")
    clashes = [n for n in chosen if (dest / n).exists()]
    if clashes and not args.force:
        raise DiagnosticInputError(
            f"DIR: {dest} already holds {', '.join(clashes)}. Pass --force to overwrite, or choose another directory."
        )
    dest.mkdir(parents=True, exist_ok=True)
    for name in chosen:
        shutil.copyfile(source / name, dest / name)
    print(f"copied {len(chosen)} template(s) to {dest}: {', '.join(chosen)}")
    return 0
