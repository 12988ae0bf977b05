"""Loading models and data safely.

Loading a pickle or joblib file runs code stored in it, so diagtools loads models through
skops (``.skops``) after checking every type in the file against a list of exact type names
(see :func:`trusted_types`; never a module prefix: ``numpy.savetxt`` or ``functools.partial``
inside a model file is code its user did not write), and loads pickle/joblib only when the
caller says the file is trusted (``trust=True`` / ``--trust-pickle``), with a warning that says
why.

LightGBM, XGBoost and CatBoost models load from their own model files through their own
loaders, which read model parameters and never run code: a LightGBM booster saved with
``booster_.save_model("model.txt")``, an XGBoost model saved with ``save_model("model.json")``
(or ``.ubj``), a CatBoost model saved with ``save_model("model.cbm")``. Each comes back as the
library's scikit-learn estimator. In a ``.skops`` file, their estimators load once their exact
type names are trusted (:data:`GBM_TYPES`).
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

__all__ = ["GBM_TYPES", "check_model_file", "load_data", "load_model", "save_model", "trusted_types"]

#: Exact type names to pass as ``trusted=`` (CLI: ``--trusted-type``) for a ``.skops`` file that
#: holds a LightGBM, XGBoost or CatBoost scikit-learn estimator, after you reviewed the file. Their
#: boosters rebuild from the library's own model format (a string or buffer), not from pickle.
GBM_TYPES: dict[str, tuple[str, ...]] = {
    "lightgbm": (
        "lightgbm.sklearn.LGBMClassifier", "lightgbm.sklearn.LGBMRegressor", "lightgbm.sklearn.LGBMRanker",
        "lightgbm.basic.Booster",
    ),
    "xgboost": (
        "xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRegressor", "xgboost.sklearn.XGBRanker",
        "xgboost.core.Booster",
    ),
    "catboost": ("catboost.core.CatBoostClassifier", "catboost.core.CatBoostRegressor", "catboost.core.CatBoostRanker"),
}

_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".jbl")
#: Native model files of gradient-boosting libraries, read by the library's own loader.
_NATIVE_SUFFIXES = {".txt": "lightgbm", ".json": "xgboost", ".ubj": "xgboost", ".cbm": "catboost"}
_DATA_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv")


def load_model(path: str | os.PathLike[str], *, trust: bool = False, trusted: Sequence[str] | None = None) -> Any:
    """Load a fitted model from a ``.skops``, native gradient-boosting, pickle or joblib file.

    Parameters
    ----------
    path : str or path-like
        File to load. ``.skops`` files are checked type by type against exact names;
        LightGBM ``.txt``, XGBoost ``.json`` / ``.ubj`` and CatBoost ``.cbm`` model files are
        read by the library's own loader; ``.pkl``, ``.pickle``, ``.joblib`` files run
        arbitrary code when loaded and need ``trust=True``.
    trust : bool, default=False
        Load a pickle/joblib file. Only do this for files you created or fully trust.
    trusted : sequence of str, optional
        Extra fully-qualified type names to accept in a ``.skops`` file, after review (each
        exactly as the error message lists it; see also :data:`GBM_TYPES`).

    Returns
    -------
    object
        The fitted model.

    Raises
    ------
    DiagnosticInputError
        When the file is missing, has an unknown suffix, is malformed, contains types that are
        not trusted (listed by name), or is a pickle/joblib file loaded without ``trust=True``.

    See Also
    --------
    trusted_types : the exact names trusted without ``trusted=``.

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
    extra = _check_trusted_names(trusted)
    if suffix == ".skops":
        return _load_skops(file, extra)
    if suffix in _NATIVE_SUFFIXES:
        return _load_native(file, _NATIVE_SUFFIXES[suffix])
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
        f"model: unsupported file type {suffix or '(none)'!r} for {file.name}. Use a .skops file (recommended), "
        "a LightGBM .txt, XGBoost .json/.ubj or CatBoost .cbm model file, or a .pkl/.joblib file with trust=True."
    )


def check_model_file(
    path: str | os.PathLike[str], *, trust: bool = False, trusted: Sequence[str] | None = None
) -> None:
    """Check that :func:`load_model` would accept ``path``, without building the model.

    The same checks as :func:`load_model` for everything that can be checked without running
    any code from the file: the file exists, its type is supported, a ``.skops`` file holds
    only trusted types, a pickle/joblib file comes with ``trust=True``. Used to fail fast, before
    starting a kernel.

    Raises
    ------
    DiagnosticInputError
        As :func:`load_model`.
    """
    file = _existing_file(path, "model")
    suffix = file.suffix.lower()
    extra = _check_trusted_names(trusted)
    if suffix == ".skops":
        _audit_skops(file, extra)
    elif suffix in _NATIVE_SUFFIXES:
        _check_native(file, _NATIVE_SUFFIXES[suffix])
    elif suffix in _PICKLE_SUFFIXES and not trust:
        load_model(file)  # raises the pickle message
    elif suffix not in _PICKLE_SUFFIXES and suffix not in _NATIVE_SUFFIXES:
        load_model(file)  # raises the unsupported-type message


def trusted_types() -> frozenset[str]:
    """The exact type names a ``.skops`` file may contain without ``trusted=``.

    scikit-learn's estimator and transformer classes (``sklearn.utils.all_estimators()`` of the
    installed version) and the helper classes their fitted state holds (loss and link objects,
    histogram binning, fitted trees, calibrators, optimisers, CV splitters); the numpy, scipy
    and builtins data types needed to rebuild arrays, dtypes, random states, sparse matrices
    and containers; and the demo models' steps. Nothing callable beyond classes: no free
    function, method, ``functools.partial`` or ``operator`` callable (scikit-learn's own
    ``partial(check_array)`` inside HistGradientBoosting is accepted as that exact composite).

    Returns
    -------
    frozenset of str
    """
    from diagtools._trust import default_trusted_types

    return default_trusted_types()


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


def _check_trusted_names(trusted: Sequence[str] | None) -> frozenset[str]:
    if trusted is None:
        return frozenset()
    if isinstance(trusted, str):
        raise DiagnosticInputError(
            f"trusted must be a list of type names, got the string {trusted!r}. Pass trusted=[{trusted!r}]."
        )
    names = list(trusted)
    bad = [t for t in names if not isinstance(t, str) or "." not in t or t != t.strip() or "*" in t]
    if bad:
        raise DiagnosticInputError(
            f"trusted (CLI: --trusted-type): expected fully-qualified type names such as "
            f"'mypackage.module.MyTransformer', got {bad[0]!r}. "
            "Copy the names from the error that listed them; prefixes and wildcards are not accepted."
        )
    return frozenset(names)


def _audit_skops(file: Path, extra: frozenset[str]) -> set[str]:
    """Every type name in ``file``, after checking that each is trusted (nothing is built)."""
    import zipfile

    from diagtools._trust import file_types

    try:
        with zipfile.ZipFile(file) as archive:
            names, composite = file_types(archive)
    except Exception as exc:
        raise DiagnosticInputError(
            f"model: {file.name} is not a valid .skops file ({type(exc).__name__}: {exc}). "
            "Save it again with diagtools.io.save_model or skops.io.dump."
        ) from exc
    refused = sorted(names - trusted_types() - composite - extra)
    if refused:
        raise DiagnosticInputError(
            f"model: {file.name} contains {len(refused)} type(s) that are not trusted: {', '.join(refused)}. "
            "Loading them could run code you did not write; review them, then trust each by exact name: "
            "trusted=[...] in Python, --trusted-type NAME (repeatable) on the command line."
        )
    return names


def _load_skops(file: Path, extra: frozenset[str]) -> Any:
    import skops.io as sio

    from diagtools._trust import check_tree_structures

    names = _audit_skops(file, extra)
    try:
        model = sio.load(file, trusted=sorted(names))
        check_tree_structures(model)
    except Exception as exc:
        raise DiagnosticInputError(
            f"model: could not load {file.name} ({type(exc).__name__}: {exc}). The file is damaged or was "
            "written by an incompatible version; save the model again."
        ) from exc
    return model


def _check_native(file: Path, library: str) -> None:
    """The library is installed, and a LightGBM ``.txt`` file starts like a LightGBM model."""
    import importlib.util

    if importlib.util.find_spec(library) is None:
        raise DiagnosticInputError(
            f"model: {file.name} is read as a {library} model file ({file.suffix}), and {library} is not installed. "
            f"Install it (pip install {library})."
        )
    if library == "lightgbm":
        with open(file, "rb") as fh:
            head = fh.read(5)
        if head != b"tree\n":
            raise DiagnosticInputError(
                f"model: {file.name} is not a LightGBM model file (a .txt model is read as one, written by "
                "booster_.save_model('model.txt')). Use that, or a .skops file."
            )


def _load_native(file: Path, library: str) -> Any:
    """Read a gradient-boosting library's own model file into its scikit-learn estimator."""
    _check_native(file, library)
    try:
        if library == "lightgbm":
            return _lightgbm_model(file)
        if library == "xgboost":
            return _xgboost_model(file)
        return _catboost_model(file)
    except DiagnosticInputError:
        raise
    except Exception as exc:
        raise DiagnosticInputError(
            f"model: could not read {file.name} as a {library} model file ({type(exc).__name__}: {exc}). "
            f"Save it with the library's own save_model."
        ) from exc


def _lightgbm_model(file: Path) -> Any:
    import lightgbm as lgb
    import numpy as np

    booster = lgb.Booster(model_file=str(file))
    objective = str(booster.dump_model().get("objective", "")).split(" ")[0]
    if objective in ("binary", "multiclass", "multiclassova", "cross_entropy"):
        n_classes = max(2, int(booster.dump_model().get("num_class", 1)))
        model: Any = lgb.LGBMClassifier(objective=objective)
        classes = np.arange(n_classes)
        # The scikit-learn wrapper's fitted state: a booster file stores no original labels,
        # so the classes are 0 .. n_classes-1 (as the booster predicts them).
        model._le = lgb.sklearn._LGBMLabelEncoder().fit(classes)
        model._classes, model._n_classes = classes, n_classes
        model._class_map = {c: c for c in classes}
    else:
        model = lgb.LGBMRegressor(objective=objective or "regression")
    model._Booster = booster
    model._objective = objective
    model._n_features = model._n_features_in = booster.num_feature()
    model._other_params = {}
    model.fitted_ = True
    # feature_names_in_ is read from the booster; LightGBM names unnamed columns Column_0, ...
    names = booster.feature_name()
    model._fitted_with_feature_names = names != [f"Column_{i}" for i in range(len(names))]
    return model


def _xgboost_model(file: Path) -> Any:
    import json

    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(str(file))
    objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    model = xgb.XGBClassifier() if objective.startswith(("binary:", "multi:")) else xgb.XGBRegressor()
    model.load_model(str(file))
    return model


def _catboost_model(file: Path) -> Any:
    import catboost as cb

    probe = cb.CatBoost()
    probe.load_model(str(file))
    loss = str(probe.get_all_params().get("loss_function", ""))
    classifier = loss.split(":")[0] in ("Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll")
    model = cb.CatBoostClassifier() if classifier else cb.CatBoostRegressor()
    model.load_model(str(file))
    return model
