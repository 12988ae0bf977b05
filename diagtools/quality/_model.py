"""The full model of ``check_data``: default models and out-of-fold predictions on ``train``.

Its out-of-fold scores are what one-column scores are compared with (target leakage) and its
probabilities are what label noise is judged against.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from diagtools.errors import DiagnosticInputError


def encode(frames: Sequence[pd.DataFrame], features: Sequence[str]) -> tuple[list[np.ndarray], list[bool]]:
    """Numeric matrices for the default model (categoricals as codes shared by every frame)."""
    mats = [np.empty((len(f), len(features))) for f in frames]
    cat_mask = []
    for j, c in enumerate(features):
        s0 = frames[0][c]
        if pd.api.types.is_numeric_dtype(s0) and not pd.api.types.is_bool_dtype(s0):
            for m, f in zip(mats, frames, strict=True):
                m[:, j] = pd.to_numeric(f[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            cat_mask.append(False)
            continue
        allv = pd.concat([f[c].astype(object) for f in frames], ignore_index=True)
        codes, uniques = pd.factorize(allv, use_na_sentinel=True)
        codes = np.where(codes < 0, np.nan, codes.astype(float))
        start = 0
        for m, f in zip(mats, frames, strict=True):
            m[:, j] = codes[start:start + len(f)]
            start += len(f)
        cat_mask.append(len(uniques) <= 250)
    return mats, cat_mask



def _fill_text(X: Any) -> Any:
    """Missing texts become empty strings (TfidfVectorizer rejects NaN); one column in, one out."""
    return pd.Series(np.asarray(X, dtype=object).ravel()).fillna("").astype(str).to_numpy()



def _as_text(X: Any) -> Any:
    """Categories as strings (OneHotEncoder needs one comparable type per column)."""
    return pd.DataFrame(X).astype(object).where(pd.DataFrame(X).notna(), "missing").astype(str)



def _text_model(task: str, train: pd.DataFrame, features: list[str], text_cols: list[str]) -> Any:
    """Default model for tables with free text: TF-IDF of words + a linear model (fast at 77 classes).

    Gradient boosting on a text column would see one arbitrary code per distinct message and
    learn nothing that generalises (every message then looks mislabelled); a regularised linear
    model on TF-IDF is the standard strong baseline for short texts.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    parts: list[tuple[str, Any, Any]] = [
        (f"text{i}", make_pipeline(FunctionTransformer(_fill_text), TfidfVectorizer(sublinear_tf=True, min_df=2)), c)
        for i, c in enumerate(text_cols)
    ]
    rest = [c for c in features if c not in text_cols]
    numeric = [c for c in rest if pd.api.types.is_numeric_dtype(train[c]) and not pd.api.types.is_bool_dtype(train[c])]
    categorical = [c for c in rest if c not in numeric]
    if numeric:
        parts.append(("numeric", make_pipeline(SimpleImputer(), StandardScaler()), numeric))
    if categorical:
        parts.append(("categories", make_pipeline(FunctionTransformer(_as_text),
                                                  OneHotEncoder(handle_unknown="ignore", min_frequency=5)), categorical))
    head = LogisticRegression(C=5.0, max_iter=200) if task == "classification" else Ridge(alpha=1.0)
    return make_pipeline(ColumnTransformer(parts), head)



def default_model(task: str, cat_mask: list[bool], random_state: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kw = dict(max_iter=100, max_leaf_nodes=15, learning_rate=0.1, min_samples_leaf=20, early_stopping=False,
              categorical_features=np.asarray(cat_mask, dtype=bool) if any(cat_mask) else None, random_state=random_state)
    if task == "classification":
        return HistGradientBoostingClassifier(**kw)
    return HistGradientBoostingRegressor(**kw)



def fold_ids(y: np.ndarray, task: str, cv: int, random_state: int) -> tuple[Any, np.ndarray]:
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = (StratifiedKFold if task == "classification" else KFold)(n_splits=cv, shuffle=True, random_state=random_state)
    folds = np.empty(len(y), dtype=np.int64)
    for k, (_, te) in enumerate(splitter.split(np.zeros(len(y)), y)):
        folds[te] = k
    return splitter, folds



def full_oof(train: pd.DataFrame, features: list[str], y_idx: np.ndarray, task: str, model: Any, cv: int,
              random_state: int, n_jobs: int | None, text_cols: list[str] | None = None) -> np.ndarray:
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict

    splitter = (StratifiedKFold if task == "classification" else KFold)(n_splits=cv, shuffle=True, random_state=random_state)
    if model is None and text_cols:
        X, est = train[features], _text_model(task, train, features, text_cols)
    elif model is None:
        (X,), cat_mask = encode([train], features)
        est = default_model(task, cat_mask, random_state)
    else:
        X, est = train[features], clone(model)
    method = "predict_proba" if task == "classification" else "predict"
    if task == "classification" and not hasattr(est, "predict_proba"):
        raise DiagnosticInputError(f"model ({type(est).__name__}) has no predict_proba. Label noise and leakage scores need "
                                   "probabilities: pass a probabilistic classifier.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            pred = cross_val_predict(est, X, y_idx, cv=splitter, method=method, n_jobs=n_jobs)
    except (ValueError, TypeError) as exc:
        raise DiagnosticInputError(f"model could not be cross-validated on train: {exc}. Pass an estimator that "
                                   "accepts the raw feature frame (e.g. a Pipeline with encoding).") from exc
    return pred if pred.ndim == 2 else pred[:, None]
