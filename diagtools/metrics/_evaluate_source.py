"""``evaluate(model, X, y)`` with ``X`` a dask DataFrame or parquet / CSV files: the model per chunk.

Two passes over the chunks of a :class:`diagtools._sources.Source`, none collecting rows:

1. the labels, the class counts and, for the ``"auto"`` baselines, their bounded stratified
   sample (per class the rows with the smallest hash of their global position, merged by
   keeping the smallest: the sample the in-memory path draws, see
   :func:`diagtools.metrics._evaluate._stratified_sample`);
2. every chunk goes through the model (and the baselines' fold models) where it lives (a Dask
   worker, or this process for files), once: the outputs (labels, predictions, scores: a few
   narrow columns) are kept by :func:`diagtools._sources.map_chunks` (persisted on the
   workers, or streamed to a temporary parquet file), and
   :func:`diagtools.metrics._large.run_large` reads them for the mergeable statistics.

Every row gets the same predictions, baseline fold and bootstrap weights as in memory, so the
result equals the in-memory ``evaluate`` on the same rows (exact metrics to summation order,
ROC-AUC / PR-AUC within the stated binning bound).
"""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from diagtools import _validation as V
from diagtools._sources import CHUNK_ROWS, Source, as_source, map_chunks
from diagtools.errors import DiagnosticInputError
from diagtools.metrics import _evaluate as EV
from diagtools.metrics._result import EvaluationResult

Y, PRED, SCORE = "__y", "__pred", "__score"


def _features(model: Any, src: Source, y: str) -> list[str]:
    """The model's columns (``feature_names_in_``), else every column but the label."""
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is None:
        return [c for c in src.columns if c != y]
    src.check_columns({f"X[{c!r}] (a column the model was fitted on)": str(c) for c in fitted})
    return [str(c) for c in fitted]


def _label_pass(src: Source, y: str, feats: list[str], align: Callable[[Any], np.ndarray], size: int | None,
                random_state: int, progress: bool) -> dict[str, Any]:
    """Labels with their counts, and (``size`` given) per label the ``size`` rows of smallest hash."""

    def stats(frame: pd.DataFrame, first_row: int) -> dict[str, Any]:
        if frame[y].isna().any():
            raise DiagnosticInputError(
                f"y column {y!r} contains missing values (in the chunk from row {first_row:,}). Drop or fill those rows."
            )
        labels = pd.Series(align(frame[y].to_numpy()))
        out: dict[str, Any] = {"counts": labels.value_counts().to_dict(), "sample": None}
        if size is not None:
            keep = frame[feats].copy()
            keep[Y] = labels.to_numpy()
            keep["__row"] = first_row + np.arange(len(frame))
            keep["__key"] = EV.row_hash(keep["__row"].to_numpy(), random_state, salt=1)
            out["sample"] = _smallest(keep, size)
        return out

    def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        counts = dict(a["counts"])
        for k, v in b["counts"].items():
            counts[k] = counts.get(k, 0) + v
        both = None if a["sample"] is None else _smallest(pd.concat([a["sample"], b["sample"]], ignore_index=True), size)
        return {"counts": counts, "sample": both}

    return src.run(list(dict.fromkeys([*feats, y])), stats, merge, progress=progress, desc="evaluate: labels")


def _smallest(frame: pd.DataFrame, size: int) -> pd.DataFrame:
    """Per label, the ``size`` rows with the smallest keys (a mergeable bottom-k sample)."""
    return frame.sort_values("__key", kind="stable").groupby(Y, sort=False).head(size)


def evaluate_source(
    model: Any, X: Any, y: Any, *, X_train: Any, y_train: Any, baselines: Any, task: str | None, metrics: Any,
    n_boot: int, confidence: float, random_state: int, name: str, progress: bool | None, chunk_rows: int = CHUNK_ROWS,
) -> EvaluationResult:
    """:func:`diagtools.metrics.evaluate` on a dask DataFrame or files (see the module docstring)."""
    from diagtools.metrics._compute import evaluate_predictions
    from diagtools.metrics._inputs import _check_confidence
    from diagtools.models import adapt_model

    V.check_fitted(model)
    _check_confidence(confidence, n_boot, random_state)
    src = as_source(X, "X", chunk_rows=chunk_rows)
    if not isinstance(y, str):
        raise DiagnosticInputError(
            f"y must name the label column when X is a dask DataFrame or files, got {type(y).__name__}. Pass y='label'."
        )
    src.check_columns({"y": y})
    ad = adapt_model(model)
    if task == "regression" or ad.task == "regression" or EV._is_regressor(model):
        raise DiagnosticInputError(
            "evaluate with y naming a column of X (a dask DataFrame, files or a DataFrame) supports classification "
            "(its metrics come from mergeable confusion counts and score histograms). For regression load the data "
            "and pass X without the label column and y as an array."
        )
    if task is not None:
        V.check_option(task, V.TASKS, "task")
    X_train, y_train = _check_training(X_train, y_train, baselines)
    feats = _features(model, src, y)
    show = src.backend != "pandas" if progress is None else bool(progress)
    auto_sample = baselines == "auto" and X_train is None
    info = _label_pass(src, y, [c for c in src.columns if c != y], ad.align_labels,
                       EV.BASELINE_ROWS if auto_sample else None, random_state, show)
    classes = [*info["counts"], *(ad.classes if ad.classes is not None else [])]
    try:
        labels = np.unique(np.asarray(classes))  # the in-memory path's labels: y's and the model's
    except TypeError as exc:
        raise DiagnosticInputError(
            "y and the model's classes hold labels of different types (e.g. str and int). "
            "Pass y with the labels the model was trained on."
        ) from exc
    y_labels = np.array(sorted(info["counts"]))
    if len(y_labels) < 2:
        raise DiagnosticInputError(f"y has one class only ({y_labels.tolist()}). Metrics need at least two classes.")
    scorers, how, sample_rows = _baseline_scorers(baselines, info, y_labels, X_train, y_train, random_state)
    labels = np.unique(np.concatenate([labels, *[s["classes"] for s in scorers.values() if s["classes"] is not None]]))
    names = [name, *scorers]
    k = len(labels)

    def transform(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
        out = {Y: ad.align_labels(frame[y].to_numpy())}
        rows = first_row + np.arange(len(frame))
        results = {name: EV._model_outputs(model, frame[feats], "classification", y=y_labels)}
        Xb = V.string_columns(frame.drop(columns=[y]), "X")[0]
        for bname, sc in scorers.items():
            results[bname] = sc["score"](Xb, rows)
        for nm, res in results.items():
            out[f"{PRED}{nm}"] = res["y_pred"]
            score = EV._align_scores(res, labels)
            if score is not None:
                cols = [score] if score.ndim == 1 else [score[:, j] for j in range(k)]
                out.update({f"{SCORE}{nm}:{j}": c for j, c in enumerate(cols)})
        return pd.DataFrame(out)

    probe = transform(_head(src), 0)

    def cols_of(nm: str) -> dict[str, Any]:
        score = [c for c in probe.columns if c.startswith(f"{SCORE}{nm}:")]
        return {"y_pred": f"{PRED}{nm}", "y_score": score or None}

    with warnings.catch_warnings(), tempfile.TemporaryDirectory(prefix="diagtools-outputs-") as tmp:
        warnings.simplefilter("ignore")  # the references' unknown-category notices are not the user's concern
        # the model and the baselines run once per row; the two passes of the metrics read their outputs
        mapped = map_chunks(src, list(dict.fromkeys(src.columns)), transform, probe, tmp, progress=show,
                            desc="evaluate: model outputs")
        res = evaluate_predictions(
            Y, **cols_of(name), labels=labels, baselines={b: cols_of(b) for b in names[1:]}, metrics=metrics,
            n_boot=n_boot, confidence=confidence, random_state=random_state, name=name, progress=show, data=mapped,
            chunk_rows=chunk_rows,
        )
    params = dict(res.params)
    params.update({"baselines_fitted": how, "baselines_sample_rows": sample_rows, "model_class": type(model).__name__})
    return dataclasses.replace(res, params=params)


def _head(src: Source) -> pd.DataFrame:
    """The first rows, to learn the output columns from (reads one partition or batch at most)."""
    if src.backend == "pandas":
        return src.data.head(5)
    if src.backend == "dask":
        head = src.data.head(5, npartitions=1)  # the first partition only, unless it is empty
        return head if len(head) else src.data.head(5, npartitions=-1)
    return src._dataset().head(5).to_pandas()


def _check_training(X_train: Any, y_train: Any, baselines: Any) -> tuple[Any, Any]:
    if isinstance(baselines, str):
        V.check_option(baselines, ("auto",), "baselines")
    elif baselines is not None and not isinstance(baselines, dict):
        raise DiagnosticInputError(
            f"baselines must be 'auto', a dict {{name: fitted_model}} or None, got {type(baselines).__name__}."
        )
    if X_train is None and y_train is None:
        return None, None
    if X_train is None or y_train is None:
        raise DiagnosticInputError("Pass both X_train and y_train (or neither) for the baselines.")
    X_train = V.check_tabular(X_train, "X_train")
    V.check_same_length(y_train, X_train, name="y_train", ref_name="X_train")
    return X_train, V.check_no_nan(y_train, "y_train")


def _baseline_scorers(baselines: Any, info: dict[str, Any], y_labels: np.ndarray, X_train: Any, y_train: Any,
                      random_state: int) -> tuple[dict[str, dict[str, Any]], str, int | None]:
    """Per baseline a function ``(X_chunk, rows) -> outputs``, how they were fitted, and the sample size."""
    if baselines is None:
        return {}, "none", None
    if isinstance(baselines, dict):
        out = {}
        for bname, est in baselines.items():
            V.check_fitted(est, f"baselines[{bname!r}]")
            out[str(bname)] = {"classes": None, "score": lambda Xb, rows, est=est, b=bname: EV._model_outputs(
                est, Xb, "classification", f"baselines[{b!r}]")}
        return out, "given fitted models", None
    from sklearn.dummy import DummyClassifier

    if X_train is not None:
        fit_X = V.string_columns(X_train, "X_train")[0] if isinstance(X_train, pd.DataFrame) else X_train
    else:
        n = int(sum(info["counts"].values()))
        # the in-memory sample: per class the smallest hashes, as many as proportional allocation gives
        smp = info["sample"].sort_values("__row", kind="stable").reset_index(drop=True)
        codes = pd.Index(y_labels).get_indexer(smp[Y])
        counts = np.array([info["counts"][c] for c in y_labels])
        smp = smp.iloc[EV.pick_sample(smp["__key"].to_numpy(), codes, counts, min(EV.BASELINE_ROWS, n))]
        sample = smp["__row"].to_numpy()
        fit_X = V.string_columns(smp.drop(columns=[Y, "__row", "__key"]).reset_index(drop=True), "X")[0]
    refs = {"majority_class": DummyClassifier(strategy="prior"),
            "linear": EV._linear_reference("classification", fit_X, random_state)}
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if X_train is not None:
            for bname, est in refs.items():
                est.fit(fit_X, y_train)
                out[bname] = {"classes": np.asarray(est.classes_),
                              "score": lambda Xb, rows, est=est: EV._model_outputs(est, Xb, "classification")}
            return out, "fitted on X_train/y_train", None
        for bname, est in refs.items():
            models, sample_fold = EV.fold_models("classification", est, fit_X, smp[Y].to_numpy(), random_state)
            out[bname] = {"classes": y_labels, "score": lambda Xb, rows, m=models, sf=sample_fold: EV.score_folds(
                m, Xb.reset_index(drop=True), EV.folds_of(rows, sample, sf, random_state), y_labels)}
    if n <= EV.BASELINE_ROWS:
        return out, f"fitted by {EV.N_FOLDS}-fold cross_val_predict on the evaluation data (no X_train given)", None
    how = (f"fitted by {EV.N_FOLDS}-fold cross-fitting on a stratified sample of {len(sample):,} of the {n:,} "
           "evaluation rows (no X_train given); every row is scored by a fold model that did not see it")
    return out, how, len(sample)
