"""Fingerprints of what a benchmark run measured: the model, the data, the code, the machine."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["data_fingerprint", "environment_fingerprint", "git_commit", "model_fingerprint"]


def model_fingerprint(model: Any = None, *, path: str | os.PathLike[str] | None = None) -> str:
    """Return a SHA-256 hex digest of the serialised model.

    Parameters
    ----------
    model : object, optional
        A fitted model; it is hashed through its pickle bytes.
    path : str or path-like, optional
        A model file; its bytes are hashed (preferred: the exact artefact that ships).

    Returns
    -------
    str
        64 hex characters; equal models (or files) give equal fingerprints.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from diagtools.history import model_fingerprint
    >>> m = DummyClassifier().fit([[0], [1]], [0, 1])
    >>> len(model_fingerprint(m))
    64
    """
    digest = hashlib.sha256()
    if path is not None:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    try:
        digest.update(pickle.dumps(model, protocol=5))
    except Exception:  # an unpicklable model: fall back on its description
        digest.update(f"{type(model).__module__}.{type(model).__qualname__}:{model!r}".encode())
    return digest.hexdigest()


def data_fingerprint(X: Any, y: Any = None) -> str:
    """Return a SHA-256 hex digest of the evaluation data (values, column names and order).

    Two runs with the same data fingerprint were evaluated on the same rows in the same order,
    so their predictions can be compared row by row (a paired test).

    Parameters
    ----------
    X : DataFrame or array-like
        Features.
    y : array-like, optional
        Target.

    Returns
    -------
    str

    Examples
    --------
    >>> from diagtools.datasets import make_loans
    >>> from diagtools.history import data_fingerprint
    >>> df = make_loans(200, random_state=0)
    >>> data_fingerprint(df) == data_fingerprint(df.copy())
    True
    """
    digest = hashlib.sha256()
    for part in (X, y):
        if part is None:
            digest.update(b"<none>")
            continue
        obj = part if isinstance(part, (pd.DataFrame, pd.Series)) else _as_pandas(part)
        if isinstance(obj, pd.DataFrame):
            digest.update(repr([str(c) for c in obj.columns]).encode())
        digest.update(str(len(obj)).encode())
        hashed = pd.util.hash_pandas_object(obj, index=False).to_numpy()
        digest.update(np.ascontiguousarray(hashed).tobytes())
    return digest.hexdigest()


def _as_pandas(values: Any) -> pd.DataFrame | pd.Series:
    arr = np.asarray(values)
    return pd.DataFrame(arr) if arr.ndim == 2 else pd.Series(arr.ravel())


def git_commit(cwd: str | os.PathLike[str] | None = None) -> str | None:
    """Return the current git commit (``git rev-parse HEAD``), or ``None`` outside a repository.

    Falls back on the ``GITHUB_SHA`` / ``CI_COMMIT_SHA`` environment variables; never raises.

    Parameters
    ----------
    cwd : str or path-like, optional
        Directory to ask git in (default: the current directory).

    Returns
    -------
    str or None
    """
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=str(cwd) if cwd is not None else None,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return os.environ.get("GITHUB_SHA") or os.environ.get("CI_COMMIT_SHA") or None


def environment_fingerprint() -> dict[str, Any]:
    """Describe the machine and library versions a run measured on.

    Returns
    -------
    dict
        :func:`diagtools._environment.environment_fingerprint` (CPU, cores, Python and library
        versions, thread pools) plus ``hash``, a short digest to tell environments apart.
    """
    from diagtools._environment import environment_fingerprint as _environment

    info = dict(_environment())
    stable = json.dumps(info, sort_keys=True, default=str)
    info.setdefault("hash", hashlib.sha256(stable.encode()).hexdigest()[:16])
    return info


def file_bytes_fingerprint(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file's bytes (alias used by the CLI)."""
    return model_fingerprint(path=Path(path))
