"""Compute SHAP values the model can vouch for: explainer choice, output space, additivity.

The exact explainers (TreeExplainer, LinearExplainer) explain the final estimator on the matrix
it sees (the pipeline's transform of X, sparse kept sparse: XGBoost reads a sparse zero as
missing, a dense zero as zero). Their values are then checked on a sample of rows: base value +
sum of SHAP values must equal the model's raw output (:meth:`ModelAdapter.raw_output`). When it
does not, the result says so and the model-agnostic PermutationExplainer takes over; it calls
the *whole* model on the *original* rows (strings and categoricals reach the model untouched:
shap only ever sees integer codes of each column's values, decoded back before the model call).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from diagtools.errors import DiagnosticInputError
from diagtools.models import ModelAdapter

#: Largest |base + sum(SHAP) - raw output| accepted, relative to max(1, |raw output|).
ADDITIVITY_TOL = 1e-6
#: The same for XGBoost, which sums its trees and contributions in float32 (about 100 ulps):
#: a wrong explanation is off by orders of magnitude more (the issue's case: 9.4 log-odds).
ADDITIVITY_TOL_FLOAT32 = 1e-5
#: Rows on which additivity is checked.
ADDITIVITY_ROWS = 200
#: Rows per explainer call (bounds memory; a progress bar ticks per chunk).
CHUNK = 2000
#: Model rows per call of the model-agnostic explainer (rows x states x background rows).
MAX_ROWS_PER_CALL = 200_000


@dataclass
class Computed:
    """Raw SHAP output of one explainer, before class selection and grouping."""

    kind: str
    explainer_class: str
    values: np.ndarray  # (n, p) or (n, p, k)
    base: np.ndarray  # scalar, or (k,)
    output_space: str
    names: list[str]
    reason: str
    check: Callable[[np.ndarray], np.ndarray] | None  # rows -> raw output per row (all outputs)
    tol: float = ADDITIVITY_TOL


def import_shap() -> Any:
    """shap, imported quietly; a clear message when it is missing."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import shap
    except ImportError as exc:  # pragma: no cover - shap is installed in the test env
        raise DiagnosticInputError(
            "explain needs the shap package, which is not installed. Install it: pip install shap"
        ) from exc
    return shap


def _chunks(n: int, progress: bool | None) -> Any:
    chunks = np.array_split(np.arange(n), max(1, int(np.ceil(n / CHUNK))))
    if progress if progress is not None else n > CHUNK:
        from tqdm.auto import tqdm

        return tqdm(chunks, desc="SHAP", unit="chunk")
    return chunks


def _take(X: Any, idx: np.ndarray) -> Any:
    return X.iloc[idx] if isinstance(X, pd.DataFrame) else X[idx]


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts, axis=0) if parts else np.zeros((0, 0))


def _hgb_categorical(expl: Any, est: Any) -> tuple[Callable[[Any], Any], np.ndarray | None] | None:
    """Teach shap's parse of a HistGradientBoosting model its categorical splits.

    shap reads HistGradientBoosting trees as if every split were ``x <= threshold`` on the
    columns as given; with native categorical features the model first re-encodes them and
    moves them to the front (``est._preprocessor``), and a categorical split means "category in
    this set goes left". shap's C++ Tree SHAP supports set splits (``threshold_types == 1``: the
    threshold is a bitmask, category ``c`` tested as bit ``c - 1``), so each categorical node gets
    its left-going set as a bitmask, the rows are encoded as the model encodes them and shifted
    ``c -> c + 1`` (unknown and negative categories become missing, scikit-learn's rule), and the
    columns are put back in the caller's order. Returns ``(recode, column order)``, or None
    without native categorical features. A category beyond the 31-bit mask leaves shap's reading
    of that split as it is; the additivity check then reports the mismatch.
    """
    pre = getattr(est, "_preprocessor", None)
    mapper = getattr(est, "_bin_mapper", None)
    is_cat = None if mapper is None else getattr(mapper, "is_categorical", None)
    if pre is None or is_cat is None or not np.any(is_cat):
        return None
    predictors = [p for stage in est._predictors for p in stage]
    if len(predictors) != expl.model.thresholds.shape[0]:
        return None
    for t, pred in enumerate(predictors):
        nodes = pred.nodes
        for j in np.flatnonzero((nodes["is_categorical"] == 1) & (nodes["is_leaf"] == 0)):
            words = pred.raw_left_cat_bitsets[nodes["bitset_idx"][j]]
            cats = [32 * w + b for w in range(len(words)) for b in range(32) if (int(words[w]) >> b) & 1]
            if cats and max(cats) > 30:
                continue
            expl.model.threshold_types[t, j] = 1
            expl.model.thresholds[t, j] = float(sum(2**c for c in cats))
    cat_cols = np.flatnonzero(is_cat)
    known = {int(f): np.asarray(mapper.bin_thresholds_[f], dtype=float) for f in cat_cols}
    user_cat = np.asarray(est.is_categorical_, dtype=bool)
    order = np.r_[np.flatnonzero(user_cat), np.flatnonzero(~user_cat)]  # internal column -> caller's column

    def recode(A: Any) -> np.ndarray:
        out = np.array(pre.transform(A), dtype=float, copy=True)
        for f in cat_cols:
            v = out[:, f]
            ok = np.isin(v, known[int(f)]) & (v >= 0)
            out[:, f] = np.where(ok, v + 1.0, np.nan)
        return out

    return recode, order


def tree_or_linear(ad: ModelAdapter, kind: str, Xt: Any, background_t: Any, names: list[str],
                   progress: bool | None, prebuilt: Any = None) -> Computed:
    """TreeExplainer / LinearExplainer on the transformed rows, in the model's raw output space."""
    shap = import_shap()
    est = ad.final_estimator
    X_in = Xt
    if hasattr(Xt, "toarray") and not (kind == "tree" and ad.family in ("xgboost", "lightgbm")):
        # scikit-learn trees and linear models read a sparse zero as 0.0: densifying is exact.
        # XGBoost and LightGBM get the sparse matrix itself, as the pipeline hands it to them.
        X_in = Xt.toarray()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "tree":
            expl = prebuilt if prebuilt is not None else shap.TreeExplainer(est)
            hgb = _hgb_categorical(expl, est) if hasattr(est, "_predictors") else None
            if hgb is None:
                run = lambda A: expl.shap_values(A, check_additivity=False)  # noqa: E731
            else:
                recode, order = hgb

                def run(A: Any) -> np.ndarray:
                    internal = np.asarray(expl.shap_values(recode(A), check_additivity=False))
                    back = np.empty_like(internal)
                    back[:, order] = internal
                    return back
            space = ad.output_space if expl.model.model_output == "raw" else str(expl.model.model_output)
            reason = (f"{type(est).__name__} is a tree ensemble: TreeExplainer gives exact SHAP values "
                      f"of its raw output ({space})")
        else:
            bg = background_t.toarray() if hasattr(background_t, "toarray") else background_t
            expl = shap.LinearExplainer(est, np.asarray(bg, dtype=float))
            run = lambda A: expl.shap_values(np.asarray(A, dtype=float))  # noqa: E731
            space = ad.output_space
            reason = f"{type(est).__name__} is linear (has coef_): LinearExplainer gives exact SHAP values ({space})"
        parts = [np.asarray(run(_take(X_in, c)), dtype=float) for c in _chunks(Xt.shape[0], progress)]
    values = _stack(parts)
    base = np.atleast_1d(np.asarray(expl.expected_value, dtype=float))

    def check(rows: np.ndarray) -> np.ndarray:
        return _as_outputs(ad.raw_output(_take(Xt, rows), transformed=True), values.ndim)

    tol = ADDITIVITY_TOL_FLOAT32 if kind == "tree" and ad.family == "xgboost" else ADDITIVITY_TOL
    return Computed(kind, type(expl).__name__, values, base, space, names, reason, check, tol)


def _as_outputs(raw: np.ndarray, ndim: int) -> np.ndarray:
    """Raw output shaped like the SHAP values' output axis: (n,) or (n, k)."""
    raw = np.asarray(raw, dtype=float)
    if ndim == 3 and raw.ndim == 1:  # binary model whose explainer reports both classes
        return np.column_stack([1.0 - raw, raw]) if np.all((raw >= 0) & (raw <= 1)) else np.column_stack([-raw, raw])
    return raw


class _Codec:
    """Integer codes for each column's values, and back: shap masks codes, the model sees values."""

    def __init__(self, *frames: pd.DataFrame) -> None:
        both = pd.concat(frames, axis=0, ignore_index=True)
        self.columns = list(both.columns)
        self.uniques, codes = [], []
        for c in self.columns:
            code, uniq = pd.factorize(both[c], use_na_sentinel=False)
            self.uniques.append(uniq)
            codes.append(code)
        self.codes = np.column_stack(codes).astype(float) if codes else np.zeros((len(both), 0))
        self.sizes = [len(f) for f in frames]

    def split(self) -> list[np.ndarray]:
        out, start = [], 0
        for n in self.sizes:
            out.append(self.codes[start:start + n])
            start += n
        return out

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        idx = np.asarray(codes, dtype=np.intp)
        return pd.DataFrame({c: u.take(idx[:, j]) for j, (c, u) in enumerate(zip(self.columns, self.uniques))})


def model_agnostic(ad: ModelAdapter, X: Any, background: Any, *, budget: int | None, random_state: int,
                   progress: bool | None) -> Computed:
    """Permutation Shapley values on the original rows; the whole model is called on decoded values."""
    as_array = not isinstance(X, pd.DataFrame)
    sparse = hasattr(X, "toarray")
    frame = pd.DataFrame(X.toarray() if sparse else X) if as_array else X
    bg = pd.DataFrame(background.toarray() if hasattr(background, "toarray") else background) if as_array else background
    bg = bg.set_axis(frame.columns, axis=1) if as_array else bg[frame.columns]
    codec = _Codec(frame, bg)
    codes_x, codes_bg = codec.split()

    def to_model(codes: np.ndarray) -> Any:
        df = codec.decode(codes)
        if not as_array:
            return df
        arr = df.to_numpy()
        if sparse:
            import scipy.sparse as sp

            return sp.csr_matrix(arr.astype(float))
        return arr

    if ad.task in ("binary", "multiclass") or (ad.task is None and ad.score_method is not None):
        if ad.score_method is None:
            raise DiagnosticInputError(
                f"model ({ad.name}) has no predict_proba or decision_function: a classifier is explained "
                "through its scores. Pass a model with predict_proba.")
        positive = ad.task == "binary"

        def f(codes: np.ndarray) -> np.ndarray:
            s = np.asarray(getattr(ad.model, ad.score_method)(to_model(codes)), dtype=float)
            return (s if s.ndim == 1 else s[:, -1]) if positive else s

        space = "probability" if ad.score_method == "predict_proba" else "margin"
    else:
        def f(codes: np.ndarray) -> np.ndarray:
            return np.asarray(ad.model.predict(to_model(codes)), dtype=float).ravel()

        space = "raw"
    p = codes_x.shape[1]
    evals = max(int(budget) if budget is not None else 2 * p + 1, 2 * p + 1)
    n_perm = max(1, evals // (2 * p + 1))
    rng = np.random.default_rng(random_state)
    base_out = f(codes_bg).mean(axis=0)
    rows_per_call = max(1, MAX_ROWS_PER_CALL // (2 * n_perm * (p + 1) * len(codes_bg)))
    parts = []
    for c in _chunks(len(codes_x), progress):
        for start in range(0, len(c), rows_per_call):
            parts.append(_permutation_values(f, codes_x[c[start:start + rows_per_call]], codes_bg, base_out,
                                             n_perm, rng))
    values = _stack(parts)
    reason = (f"model-agnostic permutation explainer calling the whole model on the original rows, with a budget "
              f"of {evals} model evaluations per row ({n_perm} antithetic permutation pair(s) over "
              f"{len(codes_bg)} background rows)")

    def check(rows: np.ndarray) -> np.ndarray:
        return f(codes_x[rows])

    return Computed("permutation", "PermutationExplainer", values, np.atleast_1d(base_out), space,
                    [str(c) for c in frame.columns], reason, check)


def _permutation_values(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, bg: np.ndarray,
                        base_out: np.ndarray, n_perm: int, rng: np.random.Generator) -> np.ndarray:
    """Permutation Shapley values of rows ``x`` (shap's PermutationExplainer algorithm, batched).

    For each row and random feature order, and for the reversed order (antithetic), features
    switch one at a time from the background rows' values to the row's; each feature is credited
    with the change of the mean output at its switch. Every pass telescopes from the background
    mean to ``f(x)``, so base + sum of values equals ``f(x)`` exactly. All rows of ``x`` go to
    the model in one call (shap calls it once per row).
    """
    r, p = x.shape
    n_bg = len(bg)
    order = np.argsort(rng.random((r, n_perm, p)), axis=2)
    rank = np.argsort(order, axis=2)  # position of each feature in the order
    rank = np.concatenate([rank, p - 1 - rank], axis=1)  # forward and reversed passes
    passes = rank.shape[1]
    steps = np.arange(1, p)  # states 0 (all background) and p (all x) are known without a call
    take_x = rank[:, :, None, :] < steps[None, None, :, None]  # (r, passes, p - 1, p)
    data = np.where(take_x[:, :, :, None, :], x[:, None, None, None, :], bg[None, None, None, :, :])
    out = np.asarray(f(data.reshape(-1, p)), dtype=float)
    k_shape = out.shape[1:]
    mid = out.reshape(r, passes, p - 1, n_bg, *k_shape).mean(axis=3)
    full = np.asarray(f(x), dtype=float).reshape(r, 1, 1, *k_shape)
    lo = np.broadcast_to(base_out.reshape(1, 1, 1, *k_shape), (r, passes, 1, *k_shape))
    v = np.concatenate([lo, mid, np.broadcast_to(full, (r, passes, 1, *k_shape))], axis=2)  # (r, passes, p+1, k)
    delta = np.diff(v, axis=2)  # change at step t is credited to the feature at position t
    idx = rank.reshape(r, passes, p, *([1] * len(k_shape)))
    phi = np.take_along_axis(delta, np.broadcast_to(idx, (r, passes, p, *k_shape)), axis=2)
    phi = phi.mean(axis=1)  # (r, p, k)
    return phi


def additivity_gap(comp: Computed, chosen: np.ndarray | None, random_state: int) -> tuple[float, int]:
    """Largest relative gap between base + sum(SHAP) and the raw output on a sample of rows.

    ``chosen`` is the explained output per row (multi-output values), or None.
    """
    if comp.check is None or not len(comp.values):
        return float("nan"), 0
    n = len(comp.values)
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(n, size=min(n, ADDITIVITY_ROWS), replace=False))
    raw = np.asarray(comp.check(rows), dtype=float)
    V = comp.values[rows]
    total = V.sum(axis=1)
    base = comp.base
    if V.ndim == 3:
        k = V.shape[2]
        base_k = np.broadcast_to(base if base.size == k else np.full(k, base[0]), (k,))
        pred = total + base_k
        if raw.ndim == 1:
            raw = _as_outputs(raw, 3)
        pick = chosen[rows] if chosen is not None else np.full(len(rows), k - 1)
        pred, raw = pred[np.arange(len(rows)), pick], raw[np.arange(len(rows)), pick]
    else:
        pred = total + base[0]
        raw = raw if raw.ndim == 1 else raw[:, -1]
    gap = np.abs(pred - raw) / np.maximum(1.0, np.abs(raw))
    return float(np.nanmax(gap)) if len(gap) else float("nan"), len(rows)
