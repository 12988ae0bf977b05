"""``evaluate``: call the model (and the baselines), then hand over to ``evaluate_predictions``."""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import pandas as pd

from diagtools import _validation as V
from diagtools.errors import DiagnosticInputError
from diagtools.metrics._compute import evaluate_predictions
from diagtools.metrics._inputs import _check_confidence
from diagtools.metrics._result import EvaluationResult

N_FOLDS = 5
#: Rows the automatic baselines are fitted on at most when no training data is given.
BASELINE_ROWS = 50_000
#: Rows scored at once by a baseline (bounds the memory of one-hot encodings).
SCORE_BLOCK = 200_000
#: Rows from which ``evaluate`` shows a progress bar by default.
PROGRESS_ROWS = 200_000


def _is_regressor(model: Any) -> bool:
    try:
        from sklearn.base import is_regressor

        return bool(is_regressor(model))
    except Exception:  # duck-typed models
        return False


def _predict(model: Any, X: Any, method: str, name: str = "model") -> np.ndarray:
    """Call ``model.<method>(X)``, translating a missing-column error into a clear message."""
    if isinstance(X, pd.DataFrame) and hasattr(model, "feature_names_in_"):
        V.check_columns(X, list(model.feature_names_in_), name="X")
    try:
        return np.asarray(getattr(model, method)(X))
    except (KeyError, ValueError) as exc:
        text = str(exc)
        if isinstance(exc, KeyError) or "column" in text.lower() or "feature names" in text.lower():
            raise DiagnosticInputError(
                f"{name}.{method}(X) failed because X does not have the columns {name} was trained on: "
                f"{text.strip()[:300]} Pass X with the training columns."
            ) from exc
        raise


def _model_outputs(model: Any, X: Any, task: str, name: str = "model", y: Any = None) -> dict[str, Any]:
    """``{"y_pred", "y_score", "classes"}`` from a fitted model (through the model adapter).

    The classes are the model's own (original labels, any dtype); a model without ``classes_``
    (e.g. an onnxruntime wrapper) gets the sorted labels of ``y``, scikit-learn's column order.
    """
    from diagtools.models import adapt_model

    ad = adapt_model(model, y=y if task == "classification" else None)
    pred = _predict(model, X, "predict", name)
    if pred.ndim == 2 and pred.shape[1] == 1:  # CatBoost and some wrappers return a column
        pred = pred[:, 0]
    if task == "regression":
        return {"y_pred": pred.astype(float), "y_score": None, "classes": None}
    score, classes = None, ad.classes
    if ad.score_method is not None:
        try:
            score = _predict(model, X, ad.score_method, name).astype(float)
        except (AttributeError, NotImplementedError):
            score = None
    if score is None and pred.dtype.kind == "f":
        uniq = np.unique(pred)
        if not np.all(uniq == np.round(uniq)) or len(uniq) > 20:
            raise DiagnosticInputError(V.MSG_TASK.format(
                name=f"{name} ({type(model).__name__})",
                got=f"a regressor (no predict_proba, continuous predictions such as {uniq[:3].tolist()})",
                want="classification",
                fix="Evaluate it with task='regression', or pass a classifier.",
            ))
    return {"y_pred": pred, "y_score": score, "classes": None if classes is None else np.asarray(classes)}


def _align_scores(out: dict[str, Any], labels: np.ndarray) -> Any:
    """Put a model's 2-D scores into the column order of ``labels`` (zeros for unseen classes)."""
    score, classes = out["y_score"], out["classes"]
    if score is None or score.ndim == 1 or classes is None:
        return score
    if len(classes) == len(labels) and np.array_equal(classes, labels):
        return score
    full = np.zeros((score.shape[0], len(labels)))
    idx = pd.Index(labels).get_indexer(classes)
    full[:, idx[idx >= 0]] = score[:, idx >= 0]
    return full


def _linear_reference(task: str, X: Any, random_state: int) -> Any:
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    if isinstance(X, pd.DataFrame):
        categorical = make_pipeline(
            SimpleImputer(strategy="most_frequent"),
            OneHotEncoder(handle_unknown="ignore", min_frequency=5, sparse_output=False),
        )
        prep = ColumnTransformer([
            ("num", numeric, make_column_selector(dtype_include="number")),
            ("cat", categorical, make_column_selector(dtype_exclude="number")),
        ])
    else:
        prep = numeric
    head = LogisticRegression(max_iter=1000) if task == "classification" else Ridge(alpha=1.0)
    return make_pipeline(prep, head)


def row_hash(rows: np.ndarray, random_state: int, salt: int) -> np.ndarray:
    """A uint64 hash of each global row position, keyed by the seed and a purpose (``salt``).

    Counter-based, like the Poisson bootstrap: the baselines' sample and folds then depend on
    the row positions only, so chunked files and Dask partitions choose the same rows as memory.
    """
    from diagtools._stats import _GOLDEN, _splitmix64

    rows = np.asarray(rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        key = _splitmix64(np.array([(int(random_state) * 1_000_003 + salt) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))
        return _splitmix64(rows * _GOLDEN ^ key[0])


def sample_sizes(counts: np.ndarray, size: int) -> np.ndarray:
    """Rows per class of a stratified sample of ``size`` rows: proportional, largest remainders first."""
    counts = np.asarray(counts, dtype=np.int64)
    exact = size * counts / counts.sum()
    alloc = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - alloc), kind="stable")
    alloc[order[: size - int(alloc.sum())]] += 1
    return np.minimum(alloc, counts)


def pick_sample(keys: np.ndarray, codes: np.ndarray | None, counts: np.ndarray | None, size: int) -> np.ndarray:
    """Positions (into ``keys``) of the sample: per class, the rows with the smallest keys."""
    if codes is None:
        return np.sort(np.argsort(keys, kind="stable")[:size])
    parts = []
    for c, m in enumerate(sample_sizes(counts, size)):
        members = np.flatnonzero(codes == c)
        parts.append(members[np.argsort(keys[members], kind="stable")[:m]])
    return np.sort(np.concatenate(parts))


def _stratified_sample(y: np.ndarray, size: int, task: str, random_state: int) -> np.ndarray:
    """Sorted row indices of a sample of ``size`` rows, stratified by class for classification.

    Per class, the rows with the smallest :func:`row_hash` (a bottom-k sample): the same rows
    whatever the partitioning, which lets the large-data path draw it chunk by chunk.
    """
    keys = row_hash(np.arange(len(y)), random_state, salt=1)
    if task != "classification":
        return pick_sample(keys, None, None, size)
    _, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    return pick_sample(keys, codes.ravel(), counts, size)


def _rows(X: Any, idx: np.ndarray) -> Any:
    return X.iloc[idx] if isinstance(X, pd.DataFrame) else X[idx]


def fold_models(task: str, est: Any, X_sample: Any, y_sample: np.ndarray, random_state: int
                ) -> tuple[list[Any], np.ndarray]:
    """The ``N_FOLDS`` fold models fitted on the sample, and each sample row's fold."""
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold

    cv = (StratifiedKFold(N_FOLDS, shuffle=True, random_state=random_state) if task == "classification"
          else KFold(N_FOLDS, shuffle=True, random_state=random_state))
    sample_fold = np.empty(len(y_sample), dtype=np.int64)
    for f, (_, te) in enumerate(cv.split(np.zeros(len(y_sample)), y_sample)):
        sample_fold[te] = f
    models = [clone(est).fit(_rows(X_sample, np.flatnonzero(sample_fold != f)), y_sample[sample_fold != f])
              for f in range(N_FOLDS)]
    return models, sample_fold


def folds_of(rows: np.ndarray, sample: np.ndarray, sample_fold: np.ndarray, random_state: int) -> np.ndarray:
    """The fold of each global row: its cross-validation fold in the sample, else a hashed one."""
    fold = (row_hash(rows, random_state, salt=2) % np.uint64(N_FOLDS)).astype(np.int64)
    pos = np.searchsorted(sample, rows)
    hit = pos < len(sample)
    hit[hit] = sample[pos[hit]] == rows[hit]
    fold[hit] = sample_fold[pos[hit]]
    return fold


def score_folds(models: list[Any], X: Any, fold: np.ndarray, classes: np.ndarray | None) -> dict[str, Any]:
    """Each row scored by the model of its fold, in blocks of :data:`SCORE_BLOCK` rows."""
    n = len(fold)
    pred = np.empty(n, dtype=classes.dtype if classes is not None else float)
    proba = np.zeros((n, len(classes))) if classes is not None else None
    for f, model in enumerate(models):
        rows = np.flatnonzero(fold == f)
        for start in range(0, len(rows), SCORE_BLOCK):
            block = rows[start:start + SCORE_BLOCK]
            Xb = _rows(X, block)
            if classes is None:
                pred[block] = model.predict(Xb)
            else:
                cols = pd.Index(classes).get_indexer(model.classes_)
                proba[np.ix_(block, cols)] = model.predict_proba(Xb)
    if classes is None:
        return {"y_pred": pred, "y_score": None, "classes": None}
    return {"y_pred": classes[proba.argmax(axis=1)], "y_score": proba, "classes": classes}


def _cross_fit(task: str, est: Any, X: Any, y: np.ndarray, sample: np.ndarray, random_state: int
               ) -> dict[str, Any]:
    """Out-of-sample predictions on every row from ``N_FOLDS`` fits on the sample rows only.

    Fold ``f``'s model is fitted on the sample minus fold ``f`` and scores fold ``f`` of the
    sample plus the rows outside the sample whose hashed fold is ``f`` (:func:`folds_of`), so no
    row is ever scored by a model that saw it, and the fitting cost is bounded by the sample.
    """
    models, sample_fold = fold_models(task, est, _rows(X, sample), y[sample], random_state)
    fold = folds_of(np.arange(len(y)), sample, sample_fold, random_state)
    return score_folds(models, X, fold, np.unique(y) if task == "classification" else None)


def _auto_baselines(task: str, X: Any, y: np.ndarray, X_train: Any, y_train: Any, random_state: int,
                    max_rows: int | None = None) -> tuple[dict[str, Any], str, int | None]:
    """Fit the Dummy and linear references; predictions on X (out-of-sample when no training data).

    Returns the predictions per baseline, how they were fitted (in words) and the number of
    rows they were fitted on when that is a sample of the evaluation data (else None).
    """
    from sklearn.dummy import DummyClassifier, DummyRegressor

    max_rows = BASELINE_ROWS if max_rows is None else max_rows
    dummy_name = "majority_class" if task == "classification" else "mean"
    models = {
        dummy_name: DummyClassifier(strategy="prior") if task == "classification" else DummyRegressor(),
        "linear": _linear_reference(task, X, random_state),
    }
    out: dict[str, Any] = {}
    sample_rows = None
    with warnings.catch_warnings():
        # the references are a yardstick: convergence or unknown-category notices are not the user's concern
        warnings.simplefilter("ignore")
        if X_train is not None:
            for bname, est in models.items():
                est.fit(X_train, y_train)
                o = _model_outputs(est, X, task, bname)
                out[bname] = o
            how = "fitted on X_train/y_train"
        else:
            n = len(y)
            # The cost of the references must not grow with the evaluation data: past max_rows
            # they are fitted on a stratified sample and score every other row out of sample.
            sample = np.arange(n) if n <= max_rows else _stratified_sample(y, max_rows, task, random_state)
            for bname, est in models.items():
                out[bname] = _cross_fit(task, est, X, y, sample, random_state)
            if n <= max_rows:
                how = f"fitted by {N_FOLDS}-fold cross_val_predict on the evaluation data (no X_train given)"
            else:
                sample_rows = len(sample)
                how = (f"fitted by {N_FOLDS}-fold cross-fitting on a {'stratified ' if task == 'classification' else ''}"
                       f"sample of {sample_rows:,} of the {n:,} evaluation rows (no X_train given); "
                       "every row is scored by a fold model that did not see it")
    return out, how, sample_rows


def evaluate(
    model: Any,
    X: Any,
    y: Any,
    *,
    X_train: Any = None,
    y_train: Any = None,
    baselines: str | dict[str, Any] | None = "auto",
    task: str | None = None,
    metrics: Any = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    random_state: int = 0,
    name: str = "model",
    progress: bool | None = None,
    chunk_rows: int = 250_000,
) -> EvaluationResult:
    """Evaluate a fitted model: metrics with bootstrap intervals, compared with baselines.

    Calls ``predict`` and ``predict_proba`` (or ``decision_function``), then hands over to
    :func:`evaluate_predictions`.

    Parameters
    ----------
    model : estimator
        A fitted model with ``predict`` (and ``predict_proba`` for probability metrics).
    X : pandas.DataFrame, array of shape (n, p), dask DataFrame, or str / path
        Evaluation features (held-out data). A dask DataFrame or a parquet / CSV file, folder
        or glob holds the label column too (named by ``y``): the model is applied chunk by
        chunk where the data lives (see "Large data" below); so does a pandas DataFrame with
        ``y`` naming its label column.
    y : array-like of shape (n,), or str
        Evaluation targets, or the name of the label column in ``X``.
    X_train, y_train : optional
        Training data for the ``"auto"`` baselines. Without them the baselines are fitted by
        5-fold ``cross_val_predict`` on the evaluation data; past 50,000 rows by 5-fold
        cross-fitting on a stratified sample of 50,000 rows, every other row being scored by a
        fold model (so their cost stops growing with the data). How they were fitted is in
        ``params["baselines_fitted"]`` (and ``params["baselines_sample_rows"]``), and a finding
        says so.
    baselines : "auto", dict or None, default="auto"
        ``"auto"``: a Dummy model (``majority_class``: class priors; ``mean`` for regression)
        and a simple linear reference ``linear`` (LogisticRegression / Ridge after imputation,
        one-hot encoding of categorical columns and scaling). A dict ``{name: fitted_model}``
        uses your own references; None skips baselines.
    task : {"classification", "regression"}, optional
        Inferred from the model (``classes_``) and ``y`` when None.
    metrics : list of str, optional
        Metric names to keep; all when None.
    n_boot : int, default=1000
        Bootstrap resamples.
    confidence : float, default=0.95
        Level of the intervals.
    random_state : int, default=0
        Seed of the resampling and of the baselines' folds.
    name : str, default="model"
        Name of the model in the result.
    progress : bool, optional
        Show a progress bar (the steps, then the bootstrap resamples). Default: on from
        :data:`PROGRESS_ROWS` rows, and always for files and dask.
    chunk_rows : int, default=250_000
        Rows per chunk of the file reader (files only).

    Returns
    -------
    EvaluationResult

    Notes
    -----
    Large data (classification): with ``X`` a dask DataFrame (one task per partition on the
    active scheduler, e.g. a ``dask.distributed`` client) or parquet / CSV files (read in
    chunks, constant memory), the model and the baselines score each chunk and only mergeable
    statistics come back (see :func:`evaluate_predictions`' ``data=``). The automatic baselines
    are fitted on the same bounded stratified sample as in memory and every row gets the same
    fold and bootstrap weights, so the result equals the in-memory one on the same rows: exact
    metrics to summation order, ROC-AUC / PR-AUC within ``params["large"]["binning_bounds"]``.

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.demo_models import make_loan_model
    >>> from diagtools.metrics import evaluate
    >>> train, test = load_loans("reference"), load_loans("current")
    >>> X_train, y_train = train.drop(columns="defaulted"), train["defaulted"]
    >>> model = make_loan_model().fit(X_train, y_train)
    >>> res = evaluate(model, test.drop(columns="defaulted"), test["defaulted"],
    ...                X_train=X_train, y_train=y_train, n_boot=200)
    >>> res.task
    'classification'
    """
    from diagtools._sources import is_dask_frame

    if is_dask_frame(X) or isinstance(X, (str, os.PathLike)) or (isinstance(X, pd.DataFrame) and isinstance(y, str)):
        from diagtools.metrics._evaluate_source import evaluate_source

        return evaluate_source(model, X, y, X_train=X_train, y_train=y_train, baselines=baselines, task=task,
                               metrics=metrics, n_boot=n_boot, confidence=confidence, random_state=random_state,
                               name=name, progress=progress, chunk_rows=chunk_rows)
    X, y_arr, task, X_train = _check_inputs(model, X, y, X_train, y_train, baselines, task, confidence, n_boot,
                                            random_state)
    if task == "classification":
        from diagtools.models import adapt_model

        y_arr = adapt_model(model).align_labels(y_arr)  # e.g. booleans for a model that states 0/1
    if progress is None:
        progress = len(y_arr) >= PROGRESS_ROWS
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=2, desc="evaluate: model outputs", unit="step")
    out = _model_outputs(model, X, task, y=y_arr)
    if bar is not None:
        bar.update(1)
        bar.set_description("evaluate: baselines")
    refs: dict[str, Any] = {}
    how = "none"
    sample_rows = None
    if baselines == "auto":
        # the reference models are ours: fit them on text column names (int, tuple or
        # MultiIndex names trip scikit-learn's column selectors); the user's model saw X as given
        Xb = V.string_columns(X, "X")[0] if isinstance(X, pd.DataFrame) else X
        Xtb = V.string_columns(X_train, "X_train")[0] if isinstance(X_train, pd.DataFrame) else X_train
        refs, how, sample_rows = _auto_baselines(task, Xb, y_arr, Xtb, y_train, random_state)
    elif isinstance(baselines, dict):
        for bname, est in baselines.items():
            V.check_fitted(est, f"baselines[{bname!r}]")
            refs[str(bname)] = _model_outputs(est, X, task, f"baselines[{bname!r}]")
        how = "given fitted models"
    if bar is not None:
        bar.update(1)
        bar.close()

    labels = None
    if task == "classification":
        parts = [y_arr, out["y_pred"]] + [r["y_pred"] for r in refs.values()]
        parts += [r["classes"] for r in [out, *refs.values()] if r.get("classes") is not None]
        try:
            labels = np.unique(np.concatenate([np.asarray(p) for p in parts]))
        except TypeError as exc:
            raise DiagnosticInputError(
                "y and the model's predictions hold labels of different types (e.g. str and int). "
                "Pass y with the labels the model was trained on."
            ) from exc
    res = evaluate_predictions(
        y_arr, y_pred=out["y_pred"], y_score=_align_scores(out, labels) if labels is not None else None,
        task=task, labels=labels,
        baselines={b: {"y_pred": r["y_pred"], "y_score": _align_scores(r, labels) if labels is not None else None}
                   for b, r in refs.items()},
        metrics=metrics, n_boot=n_boot, confidence=confidence, random_state=random_state, name=name,
        progress=progress,
    )
    params = dict(res.params)
    params.update({"baselines_fitted": how, "baselines_sample_rows": sample_rows, "model_class": type(model).__name__})
    import dataclasses

    return dataclasses.replace(res, params=params)


def _check_inputs(model: Any, X: Any, y: Any, X_train: Any, y_train: Any, baselines: Any, task: str | None,
                  confidence: float, n_boot: int, random_state: int) -> tuple[Any, np.ndarray, str, Any]:
    """Validate ``evaluate``'s arguments; return ``X``, ``y`` as an array, the task and ``X_train``.

    The task is the model's own word when it states one (``classes_``, a regressor), else
    inferred from ``y``; a regressor asked for classification is refused here.
    """
    V.check_fitted(model)
    X = V.check_tabular(X, "X")
    if isinstance(X, pd.DataFrame):
        V.check_unique_columns(X, "X")
    _check_confidence(confidence, n_boot, random_state)
    if y is None:
        raise DiagnosticInputError("y is required. Pass the true targets of X, one per row.")
    V.check_not_empty(y, "y")
    V.check_same_length(y, X, name="y", ref_name="X")
    y_arr = V.check_no_nan(y, "y")
    if task is None:
        from diagtools.models import adapt_model

        ad = adapt_model(model)
        stated = ad.task_source == "model" and (ad.task is not None or ad.score_method is not None)
        task = ("regression" if ad.task == "regression" else "classification") if stated else None
        task = V.check_task(y_arr, task, "y")
    else:
        V.check_option(task, V.TASKS, "task")
    if task == "classification":
        if _is_regressor(model):
            raise DiagnosticInputError(V.MSG_TASK.format(
                name=f"model ({type(model).__name__})", got="a regressor", want="classification",
                fix="Evaluate it with task='regression', or pass a classifier."))
        V.check_task(y_arr, task, "y")
        V.check_two_classes(y_arr, "y")
    else:
        V.check_task(y_arr, task, "y")
    if isinstance(baselines, str):
        V.check_option(baselines, ("auto",), "baselines")
    elif baselines is not None and not isinstance(baselines, dict):
        raise DiagnosticInputError(
            f"baselines must be 'auto', a dict {{name: fitted_model}} or None, got {type(baselines).__name__}."
        )
    if X_train is not None or y_train is not None:
        if X_train is None or y_train is None:
            raise DiagnosticInputError("Pass both X_train and y_train (or neither) for the baselines.")
        X_train = V.check_tabular(X_train, "X_train")
        V.check_same_length(y_train, X_train, name="y_train", ref_name="X_train")
        V.check_no_nan(y_train, "y_train")
    return X, y_arr, task, X_train
