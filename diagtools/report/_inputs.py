"""What a report runs on: the demo inputs, inputs loaded from files, and the checks before a render.

Every check here needs no kernel, so a typo fails in a second with one line that names the
argument (its flag and its Python name), and nothing is written.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diagtools._validation import check_columns, check_fitted, closest_hint
from diagtools.errors import DiagnosticInputError
from diagtools.io import check_model_file, load_data, load_model
from diagtools.report._types import ReportInputs


def demo_inputs(*, train_rows: int = 3_000, sample_rows: int | None = 3_000, random_state: int = 0) -> ReportInputs:
    """The demo inputs: the loans demo model trained on the reference window, evaluated on the current one.

    What ``diagtools demo`` renders, without files: the model overfits on purpose and has a slow
    pipeline step, the current window has drifted columns and a noisy slice (see
    :data:`diagtools.datasets.LOANS_TRUTH`). The reference window is also the training data
    (fit section) and the drift reference.

    The defaults keep the whole report near a minute on a busy 2-core machine; ``diagtools
    demo`` renders the full-size version.

    Parameters
    ----------
    train_rows : int, default=3_000
        Reference rows the model is trained on (also the fit section's data and the drift
        reference).
    sample_rows : int or None, default=3_000
        Evaluate on a random sample of this many current rows (None: all 10,000).
    random_state : int, default=0
        Seeds the model and the sample.

    Returns
    -------
    ReportInputs
    """
    from diagtools.datasets import LOANS_TRUTH, load_loans

    target = LOANS_TRUTH.target
    reference, current = load_loans("reference").iloc[:train_rows], load_loans("current")
    model = fit_demo_model(reference.drop(columns=[target]), reference[target], random_state=random_state)
    if sample_rows is not None and len(current) > sample_rows:
        current = current.sample(n=sample_rows, random_state=random_state).sort_index()
    return ReportInputs(
        model=model, X=current.drop(columns=[target]), y=current[target], target=target,
        X_train=reference.drop(columns=[target]), y_train=reference[target], reference=reference,
        model_name="demo loan model", data_name="loans demo data (current window)",
    )


def fit_demo_model(X: pd.DataFrame, y: pd.Series, *, random_state: int = 0) -> Any:
    """The loans demo model (it overfits on purpose and has a slow pipeline step), fitted on one thread."""
    from threadpoolctl import threadpool_limits

    from diagtools.demo_models import make_loan_model

    model = make_loan_model(random_state=random_state)  # loads the OpenMP runtime, so the limit reaches it
    with threadpool_limits(limits=1):  # predictable on a busy machine (see run_diagnostics' thread limit)
        model.fit(X, y)
    return model


def load_inputs(
    *,
    model_path: str | os.PathLike[str] | None,
    data_path: str | os.PathLike[str] | None,
    target: str,
    train_path: str | os.PathLike[str] | None = None,
    reference_path: str | os.PathLike[str] | None = None,
    trust_pickle: bool = False,
    trusted: Sequence[str] | None = None,
    sample_rows: int | None = None,
    random_state: int = 0,
    engine: str = "pandas",
    scheduler: str | None = None,
) -> ReportInputs:
    """Load a model and its data files for a report, checking them before any work.

    Parameters
    ----------
    model_path : path or None
        ``.skops`` file (or pickle/joblib with ``trust_pickle=True``). With ``data_path``
        also None: the demo inputs (:func:`demo_inputs`), so the template runs as it is.
    data_path : path or None
        Evaluation data (``.csv`` or ``.parquet``) including the ``target`` column.
    target : str
        Label column.
    train_path, reference_path : path, optional
        Training data (enables the fit section) and reference data (enables drift).
    trust_pickle : bool, default=False
        Allow pickle/joblib model files.
    trusted : sequence of str, optional
        Extra exact type names to accept in a ``.skops`` model file (see
        :func:`diagtools.io.load_model`).
    sample_rows : int, optional
        Use a random sample of this many evaluation rows.
    random_state : int, default=0
    engine : {"pandas", "chunked", "dask"}, default="pandas"
        How the evaluation data is read. ``"chunked"`` (parquet / CSV files, a folder or a glob,
        read in chunks) and ``"dask"`` (a dask DataFrame on the active or given cluster) keep
        every row in ``source`` for the metrics and slices sections; ``X`` and ``y`` are a
        sample of ``sample_rows`` (default 50,000) rows for the others.
    scheduler : str, optional
        With ``engine="dask"``: the address of the Dask scheduler to connect to.

    Returns
    -------
    ReportInputs
    """
    from diagtools._engine import check_engine

    check_engine(engine, scheduler)
    if model_path is None and data_path is None:
        if sample_rows is None:
            return demo_inputs(random_state=random_state)
        return demo_inputs(sample_rows=sample_rows, random_state=random_state)
    if model_path is None or data_path is None:
        missing, given = ("model_path", "data_path") if model_path is None else ("data_path", "model_path")
        raise DiagnosticInputError(
            f"{missing} is None but {given} is given. Pass both files, or neither for the demo model on the demo data."
        )
    source, rows_total = None, None
    if engine == "pandas":
        data = load_data(data_path, name="data")
    else:
        from diagtools.report._engine_data import ENGINE_SAMPLE_ROWS, open_source, sample_source

        source = open_source(data_path, engine, scheduler)
        data, rows_total = sample_source(source, sample_rows or ENGINE_SAMPLE_ROWS, random_state)
        sample_rows = None  # the sample is drawn
    check_columns(data, [target], name="target")
    train = load_data(train_path, name="train") if train_path else None
    reference = load_data(reference_path, name="reference") if reference_path else None
    if train is not None:
        check_columns(train, [target], name="target (in train)")
    model = load_model(model_path, trust=trust_pickle, trusted=trusted)
    check_fitted(model)
    if sample_rows is not None and len(data) > sample_rows:
        data = data.sample(n=sample_rows, random_state=random_state).sort_index()
    X, y = data.drop(columns=[target]), data[target]
    _check_model_columns(model, X, "data")
    _check_labels(y, "data")
    if train is not None:
        _check_labels(train[target], "train")
    return ReportInputs(
        model=model, X=X, y=y, target=target,
        X_train=None if train is None else train.drop(columns=[target]),
        y_train=None if train is None else train[target],
        reference=reference, model_name=Path(model_path).stem, data_name=Path(data_path).name,
        source=source, rows_total=rows_total,
    )


def _check_labels(y: pd.Series, name: str) -> None:
    """Every row needs its label: a missing one would fail every section the same way."""
    missing = y.isna().to_numpy()
    if missing.any():
        first = y.index[int(np.argmax(missing))]
        raise DiagnosticInputError(
            f"target: the label column {y.name!r} of {name} has {int(missing.sum())} missing value(s), first at row "
            f"{first}. Drop or fill those rows before diagnosing."
        )


def _check_model_columns(model: Any, X: pd.DataFrame, name: str) -> None:
    """The columns the model was fitted on must all be in the data (names as the model recorded them)."""
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is None:
        return
    present = {str(c) for c in X.columns}
    missing = [str(c) for c in fitted if str(c) not in present]
    if missing:
        hints = [f"{m!r} (did you mean {c[0]!r}?)" if (c := difflib.get_close_matches(m, list(present), n=1)) else repr(m)
                 for m in missing[:10]]
        raise DiagnosticInputError(
            f"{name}: the model was fitted on {len(missing)} column(s) that the data lacks: {', '.join(hints)}"
            f"{' ...' if len(missing) > 10 else ''}. Pass data with every column the model uses."
        )


# ----------------------------------------------------------------------------------------------
# Checks before a render: each names the CLI flag and the Python argument, e.g. "--data (data_path)".
# ----------------------------------------------------------------------------------------------
#: A section's ``requires`` -> the render argument, its flag and how to provide it.
_RENDER_ARGUMENTS = {
    "X_train": ("train_path", "--train", "Pass --train FILE"),
    "reference": ("reference_path", "--reference", "Pass --reference FILE"),
    "sensitive_columns": ("sensitive_columns", "--sensitive COL[,COL]", "Name the sensitive columns"),
}


def check_render_inputs(
    *,
    model_path: Any,
    data_path: Any,
    target: str,
    out: Path,
    train_path: Any = None,
    reference_path: Any = None,
    slice_columns: Sequence[str] | None = None,
    sensitive_columns: Sequence[str] | None = None,
    sections: Sequence[str] | None = None,
    trust_pickle: bool = False,
    trusted: Sequence[str] | None = None,
    n_boot: int = 500,
    random_state: int = 0,
    sample_rows: int | None = None,
    keep_notebook: Any = None,
    engine: str = "pandas",
    scheduler: str | None = None,
) -> None:
    """Every check of :func:`render_report`'s arguments that needs no kernel (raises DiagnosticInputError)."""
    from diagtools._engine import check_engine

    check_engine(engine, scheduler)
    paths = {"model_path": ("--model", model_path), "data_path": ("--data", data_path),
             "train_path": ("--train", train_path), "reference_path": ("--reference", reference_path)}
    data_files = None
    if engine != "pandas":  # a folder or a glob of files: the first one shows the columns
        from diagtools._sources import _files

        data_files = _files(data_path, "--data (data_path)")[0]
        paths["data_path"] = ("--data", data_files[0])
    for arg, (flag, path) in paths.items():
        if path is not None and not Path(path).is_file():
            what = "a directory, not a file" if Path(path).is_dir() else "file not found"
            raise DiagnosticInputError(f"{flag} ({arg}): {what}: {path}. Check the path.")
    _check_render_numbers(n_boot=n_boot, random_state=random_state, sample_rows=sample_rows, target=target)
    if sections is not None:
        given = {"X_train": train_path, "reference": reference_path, "sensitive_columns": sensitive_columns or None}
        _check_sections(list(sections), given)
    check_output_file(out, "--out (out)")
    if keep_notebook is not None:
        check_writable_parent(Path(keep_notebook), "--keep-notebook (keep_notebook)")
    try:
        check_model_file(model_path, trust=trust_pickle, trusted=trusted)
    except DiagnosticInputError as exc:
        message = str(exc)
        raise DiagnosticInputError(
            "--model (model_path): " + message.removeprefix("model: ") if message.startswith("model: ") else message
        ) from None
    data = _peek(data_files[0] if data_files else data_path, "--data (data_path)")
    check_columns(data, [target], name="--target (target)")
    if slice_columns:
        check_columns(data, list(slice_columns), name="--slices (slice_columns)")
    if train_path is not None:
        check_columns(_peek(train_path, "--train (train_path)"), [target], name="--target (target, in --train)")
    if reference_path is not None:
        _peek(reference_path, "--reference (reference_path)")


def _check_render_numbers(*, n_boot: Any, random_state: Any, sample_rows: Any, target: Any) -> None:
    for arg, flag, value in (("n_boot", "--n-boot", n_boot), ("sample_rows", "--sample-rows", sample_rows)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1):
            raise DiagnosticInputError(f"{flag} ({arg}) must be a whole number >= 1, got {value!r}. Pass e.g. 500.")
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer) or not 0 <= random_state < 2**32:
        raise DiagnosticInputError(
            f"--random-state (random_state) must be a whole number in [0, 4294967295], got {random_state!r}. Pass e.g. 0."
        )
    if not isinstance(target, str) or not target:
        raise DiagnosticInputError(f"--target (target) must be a column name, got {target!r}. Pass e.g. --target label.")


def _check_sections(chosen: list[str], given: dict[str, Any]) -> None:
    """Known section names, each with the input it needs (``given``: a section's ``requires`` -> value)."""
    # Imported here: the table imports every area, and the file checks serve the command line too.
    from diagtools.report._sections import SECTION_TABLE, SECTIONS

    if not chosen:
        raise DiagnosticInputError(f"--sections (sections) is empty. Choose from {', '.join(SECTIONS)}, or omit it for all.")
    for name in chosen:
        if name not in SECTIONS:
            raise DiagnosticInputError(
                f"--sections (sections): unknown section {name!r}{closest_hint(name, SECTIONS)} "
                f"Choose from {', '.join(SECTIONS)}."
            )
        needs = SECTION_TABLE[name].requires
        if needs is not None and given.get(needs) is None:
            arg, flag, fix = _RENDER_ARGUMENTS[needs]
            raise DiagnosticInputError(
                f"--sections (sections): the {name} section was requested but needs {flag} ({arg}). "
                f"{fix}, or drop {name} from --sections."
            )


def check_output_file(path: Path, name: str, *, example: str = "report.html") -> None:
    """``path`` can be written as a file: it is no directory and its parent can be created and written."""
    if path.is_dir():
        raise DiagnosticInputError(f"{name}: {path} is a directory. Pass a file name, e.g. {path / example}.")
    check_writable_parent(path, name)


def check_writable_parent(path: Path, name: str) -> None:
    """The nearest existing parent of ``path`` is a directory this process may write in."""
    existing = path.parent if str(path.parent) else Path(".")
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise DiagnosticInputError(f"{name}: {existing} is a file, so {path} cannot be created. Choose another path.")
    if not os.access(existing, os.W_OK):
        raise DiagnosticInputError(f"{name}: cannot write in {existing} (permission denied). Choose another path.")


def _peek(path: Any, name: str) -> pd.DataFrame:
    """The first rows of a data file (its columns, and whether it parses), read cheaply."""
    file = Path(path)
    suffix = file.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            head = pd.read_csv(file, sep="\t" if suffix == ".tsv" else ",", nrows=100)
        elif suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(file)
            if parquet.metadata.num_rows == 0:
                raise DiagnosticInputError(f"{name}: {file.name} has no rows. Pass a file with data.")
            return parquet.schema_arrow.empty_table().to_pandas().reindex(range(1))
        else:
            return load_data(file, name=name)  # raises the unsupported-type message
    except DiagnosticInputError:
        raise
    except ImportError:
        return load_data(file, name=name)
    except Exception as exc:
        raise DiagnosticInputError(
            f"{name}: could not read {file.name} ({type(exc).__name__}: {exc}). Pass a valid .csv, .tsv or .parquet file."
        ) from exc
    if head.empty:
        raise DiagnosticInputError(f"{name}: {file.name} has no rows. Pass a file with data.")
    return head
