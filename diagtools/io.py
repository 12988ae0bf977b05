"""Loading models and data safely.

Loading a pickle or joblib file runs code stored in it, so diagtools loads models through
skops (``.skops``) after checking every type in the file against a trusted list, and loads
pickle/joblib only when the caller says the file is trusted (``trust=True`` /
``--trust-pickle``), with a warning that says why.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from diagtools.errors import DiagnosticInputError, DiagnosticWarning

__all__ = ["TRUSTED_PREFIXES", "load_data", "load_model", "save_model"]

#: Module prefixes whose types a ``.skops`` file may contain without an explicit ``trusted=``.
TRUSTED_PREFIXES: tuple[str, ...] = ("sklearn.", "numpy.", "scipy.", "diagtools.")
#: Types scikit-learn's own estimators store inside skops files (a partial of a trusted function).
_TRUSTED_EXACT = frozenset({"functools.partial"})

_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".jbl")
_DATA_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv")


def load_model(path: str | os.PathLike[str], *, trust: bool = False, trusted: Sequence[str] | None = None) -> Any:
    """Load a fitted model from a ``.skops``, pickle or joblib file.

    Parameters
    ----------
    path : str or path-like
        File to load. ``.skops`` files are checked type by type; ``.pkl``, ``.pickle``,
        ``.joblib`` files run arbitrary code when loaded and need ``trust=True``.
    trust : bool, default=False
        Load a pickle/joblib file. Only do this for files you created or fully trust.
    trusted : sequence of str, optional
        Extra fully-qualified type names to accept in a ``.skops`` file, after review.

    Returns
    -------
    object
        The fitted model.

    Raises
    ------
    DiagnosticInputError
        When the file is missing, has an unknown suffix, contains untrusted types, or is a
        pickle/joblib file loaded without ``trust=True``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.linear_model import LogisticRegression
    >>> from diagtools.io import load_model, save_model
    >>> model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.skops"
    >>> save_model(model, path)
    >>> type(load_model(path)).__name__
    'LogisticRegression'
    """
    file = _existing_file(path, "model")
    suffix = file.suffix.lower()
    if suffix == ".skops":
        return _load_skops(file, trusted or ())
    if suffix in _PICKLE_SUFFIXES:
        if not trust:
            raise DiagnosticInputError(
                f"model: {file.name} is a {suffix} file, and loading it would run any code stored in it. "
                "Save the model with skops (diagtools.io.save_model(model, 'model.skops')), or, only if you "
                "created or fully trust this file, pass trust=True (CLI: --trust-pickle)."
            )
        warnings.warn(
            f"Loading {file.name} with pickle/joblib because trust=True: this runs code stored in the file.",
            DiagnosticWarning,
            stacklevel=2,
        )
        import joblib

        try:
            return joblib.load(file)
        except Exception as exc:  # any unpickling failure is a bad input file
            raise DiagnosticInputError(f"model: could not load {file.name} ({type(exc).__name__}: {exc}).") from exc
    raise DiagnosticInputError(
        f"model: unsupported file type {suffix or '(none)'!r} for {file.name}. "
        "Use a .skops file (recommended) or a .pkl/.joblib file with trust=True."
    )


def save_model(model: Any, path: str | os.PathLike[str]) -> None:
    """Save ``model`` to a ``.skops`` file, atomically (no half-written file is ever left).

    Parameters
    ----------
    model : object
        A fitted estimator.
    path : str or path-like
        Destination, ending in ``.skops``.
    """
    import skops.io as sio

    dest = Path(path)
    if dest.suffix.lower() != ".skops":
        raise DiagnosticInputError(f"path must end in .skops, got {dest.name!r}. Use e.g. 'model.skops'.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    os.close(fd)
    try:
        sio.dump(model, tmp)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_data(path: str | os.PathLike[str], *, name: str = "data") -> pd.DataFrame:
    """Load a table from a ``.csv``, ``.tsv`` or ``.parquet`` file.

    Parameters
    ----------
    path : str or path-like
    name : str, default="data"
        The argument name used in error messages.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DiagnosticInputError
        When the file is missing, empty, unreadable or of an unknown type.
    """
    file = _existing_file(path, name)
    suffix = file.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            frame = pd.read_csv(file, sep="\t" if suffix == ".tsv" else ",")
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(file)
        else:
            raise DiagnosticInputError(
                f"{name}: unsupported file type {suffix or '(none)'!r} for {file.name}. Use .csv, .tsv or .parquet."
            )
    except DiagnosticInputError:
        raise
    except Exception as exc:
        raise DiagnosticInputError(f"{name}: could not read {file.name} ({type(exc).__name__}: {exc}).") from exc
    if frame.empty:
        raise DiagnosticInputError(f"{name}: {file.name} has no rows. Pass a file with data.")
    return frame


def _existing_file(path: str | os.PathLike[str], name: str) -> Path:
    file = Path(path)
    if not file.exists():
        raise DiagnosticInputError(f"{name}: file not found: {file}. Check the path.")
    if not file.is_file():
        raise DiagnosticInputError(f"{name}: {file} is not a file.")
    return file


def _load_skops(file: Path, extra: Sequence[str]) -> Any:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=file)
    except Exception as exc:
        raise DiagnosticInputError(f"model: {file.name} is not a valid .skops file ({type(exc).__name__}: {exc}).") from exc
    allowed = set(extra)
    refused = [
        t for t in untrusted if t not in allowed and t not in _TRUSTED_EXACT and not t.startswith(TRUSTED_PREFIXES)
    ]
    if refused:
        raise DiagnosticInputError(
            f"model: {file.name} contains types that are not trusted: {', '.join(refused)}. "
            "Review them, then pass trusted=[...] with those names (CLI: --trusted-type NAME)."
        )
    try:
        return sio.load(file, trusted=list(untrusted))
    except Exception as exc:
        raise DiagnosticInputError(f"model: could not load {file.name} ({type(exc).__name__}: {exc}).") from exc
