"""Metric change on the test split when duplicated rows or leaking columns are removed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from diagtools._stats import bootstrap_counts, bootstrap_p_value, percentile_interval
from diagtools.quality._integrity import ALL, Row, make_row
from diagtools.quality._power import score_matrix


def _fit_predict(train: pd.DataFrame, test: pd.DataFrame, features: list[str], y: np.ndarray, task: str, model: Any,
                 random_state: int) -> np.ndarray:
    import warnings

    from sklearn.base import clone

    from diagtools.quality._model import default_model, encode

    if model is None:
        (Xtr, Xte), cat_mask = encode([train, test], features)
        est = default_model(task, cat_mask, random_state)
    else:
        Xtr, Xte, est = train[features], test[features], clone(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est.fit(Xtr, y)
        pred = est.predict_proba(Xte) if task == "classification" else est.predict(Xte)
    return pred if pred.ndim == 2 else pred[:, None]


def impact_rows(train: pd.DataFrame, test: pd.DataFrame, features: list[str], target: str, task: str, classes: np.ndarray,
                model: Any, rows: Sequence[Row], exact_mask: np.ndarray | None, n_boot: int, confidence: float,
                random_state: int) -> list[Row]:
    """``removal_impact`` rows: test-metric change (paired bootstrap) per removal."""
    if task == "classification":
        y_tr = np.searchsorted(classes, train[target].to_numpy())
        y_te_raw = test[target].to_numpy()
        known = np.isin(y_te_raw, classes)
        y_te = np.where(known, np.searchsorted(classes, y_te_raw).clip(0, len(classes) - 1), 0)
    else:
        y_tr = train[target].to_numpy(dtype=float)
        y_te = test[target].to_numpy(dtype=float)
        known = np.isfinite(y_te)
    base = _fit_predict(train, test, features, y_tr, task, model, random_state)
    variants: list[tuple[str, np.ndarray, np.ndarray, str]] = []
    if exact_mask is not None and exact_mask.any():
        variants.append((ALL, base, known & ~exact_mask, f"{int(exact_mask.sum()):,} duplicated test rows removed"))
    leaking = [r["column"] for r in rows if r["check"] == "target_leakage" and r["flagged"]]
    for col in leaking:
        pred = _fit_predict(train, test, [c for c in features if c != col], y_tr, task, model, random_state)
        variants.append((col, pred, known, f"model refitted without {col}"))
    out: list[Row] = []
    n = len(y_te)
    for col, pred, keep, detail in variants:
        w_keep = keep.astype(float)
        point = float(score_matrix(pred, y_te, task, w_keep[None, :])[0] - score_matrix(base, y_te, task, known[None, :].astype(float))[0])
        diffs = []
        for c in bootstrap_counts(n, n_boot, random_state=random_state):
            cf = c.astype(float)
            diffs.append(score_matrix(pred, y_te, task, cf * w_keep) - score_matrix(base, y_te, task, cf * known))
        d = np.concatenate(diffs)
        lo, hi = percentile_interval(d, confidence)
        p = float(bootstrap_p_value(d))
        out.append(make_row("removal_impact", col, "test", int(keep.sum()), point, n, ci=(float(lo), float(hi)),
                            p_value=p, flagged=bool(hi < 0 or lo > 0), detail=detail, confidence=confidence))
    return out
