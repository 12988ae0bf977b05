"""Rendering: execute the report template headless (papermill), export one HTML file (nbconvert).

The HTML is self-contained: images embedded, no scripts, fonts or styles from the network,
written atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from diagtools.errors import DiagnosticInputError
from diagtools.report._inputs import check_render_inputs
from diagtools.report._types import STATUS_KEY, ReportIncompleteError

#: The ``diagtools`` package directory (templates/ and, in a wheel, notebooks/ live under it).
_PACKAGE = Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    """The directory holding the notebook templates.

    An installed wheel holds them in the package (``diagtools/notebooks``, built from the
    source's ``notebooks/`` directory, see setup.py); a source checkout (editable install) uses
    ``notebooks/`` itself, so the files the team edits are the files that run.
    """
    for candidate in (_PACKAGE / "notebooks", _PACKAGE.parent / "notebooks"):
        if (candidate / "model_report.ipynb").is_file():
            return candidate
    raise DiagnosticInputError(
        "the notebook templates are missing from this installation (neither diagtools/notebooks nor a source "
        "checkout's notebooks/ holds model_report.ipynb). Reinstall diagtools."
    )


def template_path(name: str = "model_report.ipynb") -> Path:
    """Locate one notebook template (see :func:`templates_dir`)."""
    path = templates_dir() / name
    if not path.is_file():
        available = ", ".join(sorted(p.name for p in templates_dir().glob("*.ipynb")))
        raise DiagnosticInputError(f"template {name!r} not found. Available templates: {available}.")
    return path


def render_report(
    *,
    model_path: str | os.PathLike[str],
    data_path: str | os.PathLike[str],
    target: str,
    out: str | os.PathLike[str] = "report.html",
    train_path: str | os.PathLike[str] | None = None,
    reference_path: str | os.PathLike[str] | None = None,
    title: str = "Model diagnosis report",
    slice_columns: Sequence[str] | None = None,
    sections: Sequence[str] | None = None,
    sensitive_columns: Sequence[str] | None = None,
    no_code: bool = False,
    trust_pickle: bool = False,
    trusted: Sequence[str] | None = None,
    n_boot: int = 500,
    random_state: int = 0,
    sample_rows: int | None = None,
    progress: bool = True,
    keep_notebook: str | os.PathLike[str] | None = None,
    timeout: int = 1200,
    allow_partial: bool = False,
    engine: str = "pandas",
    scheduler: str | None = None,
) -> Path:
    """Execute the report template headless and write ONE self-contained HTML file.

    Parameters
    ----------
    model_path, data_path : path
        The model file and the evaluation data (with the ``target`` column).
    target : str
        Label column.
    out : path, default="report.html"
        Output HTML file, written atomically.
    train_path, reference_path : path, optional
        Enable the fit and optimisation sections, and the drift section.
    title : str, default="Model diagnosis report"
    slice_columns : sequence of str, optional
    sections : sequence of str, optional
        Subset of :data:`SECTIONS`. A section named here must have its inputs (``fit`` and
        ``optimisation`` need ``train_path``, ``drift`` needs ``reference_path``, ``fairness``
        needs ``sensitive_columns``).
    sensitive_columns : sequence of str, optional
        Columns whose groups the fairness section compares; it is off without them.
    no_code : bool, default=False
        Hide code cells (inputs) in the HTML.
    trust_pickle : bool, default=False
        Allow a pickle/joblib model file (loading it runs code stored in it).
    trusted : sequence of str, optional
        Extra exact type names to accept in a ``.skops`` model file, after review.
    n_boot : int, default=500
        Bootstrap resamples, at least 1.
    random_state : int, default=0
        Seed, in ``[0, 2**32 - 1]``.
    sample_rows : int, optional
        Evaluate on a random sample of this many rows (at least 1).
    progress : bool, default=True
        Show papermill's progress bar over cells.
    keep_notebook : path, optional
        Also keep the executed notebook here.
    timeout : int, default=1200
        Seconds allowed per cell.
    allow_partial : bool, default=False
        Return normally when a section failed. By default the report is still written, with
        the errors at the top, and then :class:`ReportIncompleteError` is raised.
    engine : {"pandas", "chunked", "dask"}, default="pandas"
        How the evaluation data is read: in memory, in chunks from parquet / CSV files (a
        folder or a glob), or as a dask DataFrame on the cluster at ``scheduler``. With the
        last two the metrics and slices sections run on every row and the others on a sample
        of ``sample_rows`` (default 50,000) rows, which the report states.
    scheduler : str, optional
        With ``engine="dask"``: the Dask scheduler address the report's kernel connects to
        (the command line starts a local cluster and passes its address when none is given;
        without one here, dask's default scheduler of the kernel runs the work).

    Returns
    -------
    pathlib.Path
        The HTML file.

    Raises
    ------
    DiagnosticInputError
        When an input is missing or malformed: checked before the template runs where
        possible (files, model trust, columns, numbers), otherwise raised by the template
        (taken from papermill's error, ``ename`` / ``evalue``). Nothing is written.
    ReportIncompleteError
        When a requested section failed (the report is written first; not raised with
        ``allow_partial=True``), or the template stopped (its executed notebook is kept next
        to ``out`` as ``<out>.failed.ipynb``).
    """
    out_path = Path(out)
    check_render_inputs(
        model_path=model_path, data_path=data_path, target=target, out=out_path, train_path=train_path,
        reference_path=reference_path, slice_columns=slice_columns, sensitive_columns=sensitive_columns,
        sections=sections, trust_pickle=trust_pickle, trusted=trusted, n_boot=n_boot, random_state=random_state,
        sample_rows=sample_rows, keep_notebook=keep_notebook, engine=engine, scheduler=scheduler,
    )
    parameters = {
        "model_path": str(model_path),
        "data_path": str(data_path),
        "target": target,
        "train_path": None if train_path is None else str(train_path),
        "reference_path": None if reference_path is None else str(reference_path),
        "title": title,
        "slice_columns": None if not slice_columns else list(slice_columns),
        "sensitive_columns": None if not sensitive_columns else list(sensitive_columns),
        "sections": None if sections is None else list(sections),
        "n_boot": int(n_boot),
        "random_state": int(random_state),
        "trust_pickle": bool(trust_pickle),
        "trusted_types": None if not trusted else list(trusted),
        "sample_rows": sample_rows,
        "engine": engine,
        "scheduler": scheduler,
    }
    with tempfile.TemporaryDirectory() as tmp:
        executed = Path(tmp) / "report.ipynb"
        _execute_template(executed, out_path, parameters, progress=progress, timeout=timeout)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        if keep_notebook is not None:
            Path(keep_notebook).write_bytes(executed.read_bytes())
        export_html(executed, out_path, no_code=no_code, title=title)
        failed = executed_status(executed).get("failed", {})
    if failed and not allow_partial:
        reasons = "; ".join(f"{name}: {error}" for name, error in failed.items())
        raise ReportIncompleteError(
            f"{len(failed)} requested section(s) failed ({reasons}). The report was written to {out_path} with "
            "the errors at the top; pass --allow-partial (allow_partial=True) to accept an incomplete report.",
            failed=dict(failed), path=out_path,
        )
    return out_path


def _execute_template(executed: Path, out: Path, parameters: dict[str, Any], *, progress: bool, timeout: int) -> None:
    """Run the report template into ``executed``; a stop becomes an input error or ReportIncompleteError."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        with _kernel_path():
            pm.execute_notebook(
                str(template_path()), str(executed), parameters=parameters, kernel_name="python3",
                progress_bar=progress, cwd=os.getcwd(), execution_timeout=timeout,
                # The kernel talks to us over loopback only; its warning about unencrypted TCP is noise
                # in a command's output, errors still show.
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
                # waits for each cell's reply in 1 s slices: nbclient can miss the reply and sit out
                # the whole cell timeout (jupyter/nbclient#312; see diagtools._notebook_client)
                kernel_manager_class="diagtools._notebook_client.SlicedKernelManager",
            )
    except PapermillExecutionError as exc:
        # papermill hands over the kernel's exception by name and message: an input error
        # found by the template is an input error here too, and nothing is written.
        if exc.ename == DiagnosticInputError.__name__:
            raise DiagnosticInputError(exc.evalue) from None
        _template_stopped(executed, out, f"stopped at cell {exc.exec_count}", f"{exc.ename}: {exc.evalue}")
    except Exception as exc:  # the kernel died or a cell timed out
        _template_stopped(executed, out, "could not finish", f"{type(exc).__name__}: {exc}")


def _template_stopped(executed: Path, out: Path, what: str, error: str) -> None:
    """Keep the executed notebook next to ``out`` for inspection and raise ReportIncompleteError."""
    kept: Path | None = out.with_name(out.stem + ".failed.ipynb")
    try:
        if not executed.exists():
            raise FileNotFoundError(executed)
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(executed.read_bytes())
    except OSError:
        kept = None
    raise ReportIncompleteError(
        f"the report template {what} ({error}); no report was written"
        + (f"; the executed notebook is kept at {kept}" if kept else ""),
        failed={"template": error}, notebook=kept,
    ) from None


def executed_status(notebook: str | os.PathLike[str]) -> dict[str, Any]:
    """Section statuses published by an executed report notebook (empty when none was published)."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            status = output.get("metadata", {}).get(STATUS_KEY)
            if status is not None:
                return dict(status)
    return {}


@contextlib.contextmanager
def _kernel_path() -> Iterator[None]:
    """Set up the kernel's environment for the duration of a render.

    This interpreter goes first on PATH so the ``python3`` kernel runs in this environment,
    and matplotlib uses the inline backend there even when the caller's environment sets
    ``MPLBACKEND`` to a non-interactive one (which would silently drop every plot).
    """
    saved = {key: os.environ.get(key) for key in ("PATH", "MPLBACKEND")}
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + (saved["PATH"] or "")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def export_html(
    notebook: str | os.PathLike[str], out: str | os.PathLike[str], *, no_code: bool = False, title: str | None = None
) -> Path:
    """Export an executed notebook to one self-contained HTML file, atomically.

    Drops the widget state and live-widget outputs (they need a widget manager from a CDN;
    the templates also show static plots and tables), drops the template's default
    ``parameters`` cell when papermill injected the actual ones, uses a template without
    require.js, MathJax or Mermaid, and embeds images as data URIs.

    Parameters
    ----------
    notebook : path
        An executed ``.ipynb``.
    out : path
        Destination HTML.
    no_code : bool, default=False
        Hide code cells (inputs) and prompts.
    title : str, optional
        HTML ``<title>``.

    Returns
    -------
    pathlib.Path
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata.pop("widgets", None)
    if title:
        nb.metadata["title"] = title
    tags = [set(cell.get("metadata", {}).get("tags", [])) for cell in nb.cells]
    if any("injected-parameters" in t for t in tags):
        # The template's default parameters are overridden by the injected cell below them:
        # showing both would tell the reader two different stories about the inputs.
        # Exercises teach in a live notebook; a rendered report about the user's model drops them.
        nb.cells = [cell for cell, t in zip(nb.cells, tags, strict=True) if not {"parameters", "exercise", "answer"} & t]
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [output for output in cell.get("outputs", []) if _static_output(output)]
    exporter = HTMLExporter(
        template_name="diagtools_report",
        extra_template_basedirs=[str(_PACKAGE / "templates")],
        exclude_input=no_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    return _write_atomically(Path(out), body)


def _static_output(output: Any) -> bool:
    """Whether a cell output belongs in the static report (scikit-learn diagrams lose their online links)."""
    data = output.get("data", {})
    if "application/vnd.jupyter.widget-view+json" in data:
        return False  # a live control: nothing to show without a kernel
    if output.get("output_type") == "stream" and output.get("name") == "stderr":
        return False  # progress bars and warnings from the run are not part of the report
    if "text/plain" in data and "sk-top-container" in "".join(data.get("text/html", "")):
        # scikit-learn's estimator diagram links every step to its online docs: keep the
        # plain repr, which needs nothing from the network.
        data.pop("text/html")
    return True


def _write_atomically(dest: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``dest``, then rename it: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=dest.parent if str(dest.parent) else ".", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest
