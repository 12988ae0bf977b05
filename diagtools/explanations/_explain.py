"""``explain``: SHAP values per original column: explainer choice, class choice, grouping, importance."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from diagtools._format import short_number
from diagtools._stats import bootstrap_counts, percentile_interval
from diagtools._validation import check_fitted, check_tabular
from diagtools.errors import DiagnosticInputError
from diagtools.explanations._checks import check_explain_args
from diagtools.explanations._result import FRAME_COLUMNS, Explanation
from diagtools.explanations._shap import (
    Computed,
    additivity_gap,
    import_shap,
    model_agnostic,
    tree_or_linear,
)
from diagtools.models import OUTPUT_LABELS, ModelAdapter, adapt_model

_ONE_TO_ONE = {"StandardScaler", "MinMaxScaler", "RobustScaler", "MaxAbsScaler", "SimpleImputer",
               "OrdinalEncoder", "PowerTransformer", "QuantileTransformer", "FunctionTransformer"}


def _output_names(pre: Any, n_out: int) -> list[str]:
    try:
        return [str(c) for c in pre.get_feature_names_out()]
    except Exception:
        return [f"x{i}" for i in range(n_out)]


def _group_ct(ct: Any, names: list[str]) -> list[str]:
    """Source column (or ``a+b`` group) of each output column of a fitted ColumnTransformer."""
    groups = list(names)
    for tname, trans, cols in ct.transformers_:
        sl = ct.output_indices_.get(tname)
        if sl is None or trans == "drop" or sl.stop <= sl.start:
            continue
        if isinstance(cols, slice) or np.ndim(cols) == 0:
            cols = [cols]
        cols = list(cols)
        if cols and isinstance(cols[0], (bool, np.bool_)):
            cols = [c for c, keep in zip(ct.feature_names_in_, cols) if keep]
        elif cols and isinstance(cols[0], (int, np.integer)) and hasattr(ct, "feature_names_in_"):
            cols = [ct.feature_names_in_[c] for c in cols]
        cols = [str(c) for c in cols]
        outs = names[sl]
        n_out = sl.stop - sl.start
        for j, out in enumerate(outs):
            k = sl.start + j
            match = [c for c in cols if out.split("__")[-1].startswith(c)]
            if len(cols) == 1:
                groups[k] = cols[0]
            elif match:
                groups[k] = max(match, key=len)
            elif n_out == len(cols) and (trans == "passthrough" or type(trans).__name__ in _ONE_TO_ONE):
                groups[k] = cols[j]
            else:
                groups[k] = "+".join(cols)
    return groups


def _group_columns(pre: Any, in_names: list[str], out_names: list[str]) -> list[str]:
    """Map every transformed column to its original column (or group of columns)."""
    from sklearn.compose import ColumnTransformer

    if pre is None:
        return list(out_names)
    steps = [s for _, s in pre.steps] if hasattr(pre, "steps") else [pre]
    cts = [s for s in steps if isinstance(s, ColumnTransformer)]
    if len(steps) == 1 and cts:
        return _group_ct(cts[0], out_names)
    if len(out_names) == len(in_names):
        return list(in_names)
    groups = []
    for out in out_names:
        match = [c for c in in_names if out.split("__")[-1].startswith(c)]
        groups.append(max(match, key=len) if match else out)
    return groups


def _choose(ad: ModelAdapter, explainer: str) -> tuple[str, str, Any]:
    """``(kind, reason, TreeExplainer or None)``: tree or linear when the final estimator allows."""
    if explainer != "auto":
        return explainer, f"explainer={explainer!r} was requested", None
    est = ad.final_estimator
    if ad.family in ("lightgbm", "xgboost", "catboost"):
        return "tree", f"{ad.family} tree ensemble", None
    if ad.family == "sklearn":
        shap = import_shap()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                built = shap.TreeExplainer(est)  # parsed once, reused for the values
            return "tree", f"{type(est).__name__} is a tree ensemble shap's TreeExplainer reads", built
        except Exception:  # not a tree model shap understands
            pass
        if hasattr(est, "coef_"):
            return "linear", f"{type(est).__name__} is linear", None
    return "permutation", f"{ad.name} is neither a tree ensemble nor linear", None


def _rows_of(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if isinstance(X, pd.DataFrame) else X[rows]


def _explained_index(ad: ModelAdapter, Xs: Any, comp: Computed, class_index: int | None) -> np.ndarray | None:
    """Output explained per row (multi-output values only): the given class or the predicted one."""
    if comp.values.ndim != 3:
        return None
    k = comp.values.shape[2]
    if class_index is not None:
        return np.full(len(comp.values), class_index)
    if k == 2 and ad.task == "binary":
        return np.ones(len(comp.values), dtype=int)
    idx = ad.label_index(ad.predict(Xs)) if ad.classes is not None and len(ad.classes) == k else None
    if idx is None or (idx < 0).any():
        scores = ad.scores(Xs)
        idx = np.argmax(scores, axis=1) if scores is not None and scores.ndim == 2 else np.full(len(comp.values), k - 1)
    return np.asarray(idx, dtype=int)


def _select(comp: Computed, chosen: np.ndarray | None, ad: ModelAdapter,
            class_index: int | None) -> tuple[np.ndarray, np.ndarray, list, str]:
    """Per-row values, base values and class labels of the explained output."""
    n = len(comp.values)
    base = comp.base
    labels = [c.item() if isinstance(c, np.generic) else c for c in ad.classes] if ad.classes is not None else None
    if chosen is not None:
        k = comp.values.shape[2]
        S = comp.values[np.arange(n), :, chosen]
        base_k = base if base.size == k else np.full(k, base[0])
        bases = base_k[chosen]
        names = [labels[i] if labels is not None and len(labels) == k else f"output {i}" for i in chosen]
        if class_index is not None:
            what = f"class {names[0]!r} (class_index={class_index})" if names else "no rows"
        elif ad.task == "binary":
            what = f"positive class {names[0]!r}" if names else "positive class"
        else:
            what = f"the predicted class of each row ({k} classes)"
        return S, bases, names, what
    S, b0 = comp.values, float(base[0])
    if ad.task == "binary":
        pos = labels[1] if labels is not None and len(labels) == 2 else "output 1"
        if class_index == 0:  # one output for the positive class: the other class is its mirror
            neg = labels[0] if labels is not None else "output 0"
            b = 1.0 - b0 if comp.output_space == "probability" else -b0
            return -S, np.full(n, b), [neg] * n, f"class {neg!r} (class_index=0)"
        return S, np.full(n, b0), [pos] * n, f"positive class {pos!r}"
    if ad.task == "multiclass" and class_index is None:
        # a single-output explanation of a multiclass model cannot be: keep it honest
        return S, np.full(n, b0), [], "the model's single output"
    return S, np.full(n, b0), [], "regression output"


def explain(
    model: Any,
    X: Any,
    *,
    background: Any = None,
    max_rows: int | None = 1000,
    budget: int | None = None,
    n_boot: int = 200,
    explainer: str = "auto",
    class_index: int | None = None,
    random_state: int = 0,
    progress: bool | None = None,
) -> Explanation:
    """Explain ``model`` on ``X`` with SHAP, per original input column, checked against the model.

    The explainer and its output space come from the model (:func:`diagtools.models.adapt_model`):
    tree ensembles (scikit-learn, LightGBM, XGBoost, CatBoost) get shap's exact TreeExplainer on
    their raw output (log-odds for gradient boosting classifiers, probability for random forests,
    target units for regressors); linear models get LinearExplainer; anything else a
    model-agnostic PermutationExplainer. A Pipeline is explained at its final estimator, on the
    matrix it sees (sparse kept sparse), and expanded columns are summed back to their source.

    Additivity is verified on up to 200 explained rows: base value + sum of SHAP values must equal
    the model's raw output to 1e-6 (relative to max(1, |output|)). When it does not, a finding
    says so and the model-agnostic explainer, which calls the whole model on the original rows
    (strings and categoricals untouched), is used instead.

    Parameters
    ----------
    model : fitted model, Pipeline or ModelAdapter
        Anything :func:`diagtools.models.adapt_model` accepts. Pass
        ``adapt_model(model, classes=...)`` for a wrapper without ``classes_``.
    X : DataFrame, 2-D array or sparse matrix
        Rows to explain (sampled down to ``max_rows``), passed to the model as given.
    background : DataFrame or array, optional
        Background rows for linear and model-agnostic explainers (default: up to 100 rows of X).
        A DataFrame is matched to X by column name (any order); an array must have X's
        columns, in X's order.
    max_rows : int or None, default=1000
        Rows explained (a seeded random sample); None explains all.
    budget : int, optional
        Model evaluations per row for the model-agnostic explainer (default ``2 * n_features + 1``,
        shap's minimum).
    n_boot : int, default=200
        Bootstrap resamples (over rows) for the importance intervals.
    explainer : {"auto", "tree", "linear", "permutation"}, default="auto"
    class_index : int, optional
        Position in the model's classes of the class to explain. Default: the positive class
        (``classes[1]``) for binary models and the *predicted* class of each row for multiclass
        models; ``explained_class`` records which class each row's values explain.
    random_state : int, default=0
    progress : bool, optional
        tqdm progress bar; None shows it when more than 2000 rows are explained.

    Returns
    -------
    Explanation

    Raises
    ------
    DiagnosticInputError
        On an unfitted model, X that is not tabular, bad options, or a class_index out of range.

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from sklearn.linear_model import LogisticRegression
    >>> df = load_loans().head(300)
    >>> X = df[["age", "credit_score"]]
    >>> res = explain(LogisticRegression().fit(X, df["defaulted"]), X, n_boot=50)
    >>> res.params["explainer"], res.params["output"]
    ('linear', 'log-odds')
    """
    if explainer not in ("auto", "tree", "linear", "permutation"):
        raise DiagnosticInputError(
            f"explainer must be one of ('auto', 'tree', 'linear', 'permutation'), got {explainer!r}.")
    ad = adapt_model(model)
    if ad.model is None:
        raise DiagnosticInputError("model: explain needs a model to call, got predictions only. Pass the fitted model.")
    check_fitted(ad.model)
    sparse_x = hasattr(X, "toarray") and hasattr(X, "tocsr")
    if sparse_x:
        if X.shape[0] == 0:
            raise DiagnosticInputError("X is empty (0 rows). Pass the rows to explain.")
        X = X.tocsr()
    else:
        X = check_tabular(X, "X")
    background = check_explain_args(ad.model, X, background, budget=budget, class_index=class_index,
                                    random_state=random_state)
    _check_options(ad, max_rows=max_rows, n_boot=n_boot, class_index=class_index)
    n = X.shape[0]
    in_names = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else [f"x{i}" for i in range(X.shape[1])]
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(n, size=max_rows, replace=False)) if max_rows is not None and n > max_rows else np.arange(n)
    Xs = _rows_of(X, rows)
    if background is None:
        bg = _rows_of(X, np.sort(rng.choice(n, size=min(100, n), replace=False)))
    else:
        bg = background if (isinstance(background, pd.DataFrame) or hasattr(background, "toarray")) else np.asarray(background)
    comp, chosen, (gap, n_checked), reason, failure = _compute_checked(
        ad, Xs, bg, in_names, explainer=explainer, class_index=class_index, budget=budget,
        random_state=random_state, progress=progress)
    S, bases, labels, what = _select(comp, chosen, ad, class_index)
    groups = (_group_columns(ad.transform, in_names, comp.names)
              if comp.kind != "permutation" and ad.transform is not None else list(comp.names))
    expanded = pd.DataFrame(S, columns=comp.names)
    order = list(dict.fromkeys(groups))
    grouped = expanded.T.groupby(np.asarray(groups), sort=False).sum().T[order] if len(order) else expanded
    frame = _importance(grouped, n_boot, random_state)
    output = OUTPUT_LABELS.get(comp.output_space, comp.output_space)
    single = bool(len(bases)) and bool(np.all(bases == bases[0]))
    feature_values = (pd.DataFrame(Xs.toarray(), columns=in_names) if sparse_x else
                      Xs.reset_index(drop=True) if isinstance(Xs, pd.DataFrame) else pd.DataFrame(Xs, columns=in_names))
    params = {"explainer": comp.kind, "explainer_class": comp.explainer_class, "reason": reason, "output": output,
              "output_space": comp.output_space, "model_output_space": ad.output_space,
              "max_rows": max_rows, "budget": budget, "n_boot": n_boot, "random_state": random_state,
              "class_index": class_index, "class_explained": what, "estimator": ad.name, "family": ad.family,
              "task": ad.task, "n_rows_X": n, "additivity_gap": None if np.isnan(gap) else gap,
              "additivity_rows": n_checked, "additivity_tol": comp.tol, **failure}
    return Explanation(frame=frame, params=params, n_samples=len(rows), shap_values=grouped.reset_index(drop=True),
                       shap_expanded=expanded, feature_values=feature_values,
                       row_index=[int(r) for r in rows], base_value=float(bases[0]) if single else float("nan"),
                       groups={g: [o for o, gg in zip(comp.names, groups) if gg == g] for g in order},
                       explained_class=[c.item() if isinstance(c, np.generic) else c for c in labels],
                       base_values=[float(b) for b in bases])


def _check_options(ad: ModelAdapter, *, max_rows: Any, n_boot: Any, class_index: Any) -> None:
    """Range checks of ``max_rows``, ``n_boot`` and ``class_index`` against the model's classes."""
    if max_rows is not None and (not isinstance(max_rows, (int, np.integer)) or max_rows < 1):
        raise DiagnosticInputError(f"max_rows must be a positive int or None, got {max_rows!r}. Pass e.g. max_rows=1000.")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise DiagnosticInputError(f"n_boot must be a positive int, got {n_boot!r}. Pass e.g. n_boot=200.")
    n_classes = None if ad.classes is None else len(ad.classes)
    bad_index = class_index is not None and (
        not isinstance(class_index, (int, np.integer)) or isinstance(class_index, bool) or class_index < 0
        or (n_classes is not None and class_index >= n_classes) or ad.task == "regression")
    if bad_index:
        span = f"an int in [0, {n_classes - 1}]" if n_classes else "None for a regression model"
        raise DiagnosticInputError(
            f"class_index must be {span}, got {class_index!r}. "
            f"Classes: {[] if ad.classes is None else list(ad.classes)}.")


def _compute_checked(ad: ModelAdapter, Xs: Any, bg: Any, in_names: list[str], *, explainer: str,
                     class_index: int | None, budget: int | None, random_state: int,
                     progress: bool | None) -> tuple[Computed, np.ndarray | None, tuple[float, int], str, dict[str, Any]]:
    """SHAP values from the exact explainer when its values add up to the model's output, else model-agnostic.

    Returns the computed values, the output explained per row, ``(additivity gap, rows checked)``,
    the reason for the explainer and what failed on the way (``fallback``, ``failed_explainer``,
    ``failed_gap``; all None when nothing did).
    """
    kind, reason, prebuilt = _choose(ad, explainer)
    comp, failure, failed_gap, failed_kind = None, None, None, None
    if kind in ("tree", "linear"):
        try:
            Xt = ad.transform_input(Xs)
            out_names = (_output_names(ad.transform, Xt.shape[1]) if ad.transform is not None else in_names)
            bg_t = ad.transform_input(bg) if kind == "linear" else None
            comp = tree_or_linear(ad, kind, Xt, bg_t, out_names, progress, prebuilt)
        except Exception as exc:  # shap could not read this model: say so, explain model-agnostically
            failure = f"shap's {kind} explainer could not explain {ad.name}: {type(exc).__name__}: {str(exc)[:200]}"
            failed_kind = kind
    if comp is not None:
        chosen = _explained_index(ad, Xs, comp, class_index)
        gap, n_checked = additivity_gap(comp, chosen, random_state)
        if not gap <= comp.tol:
            failure = (f"base value + sum of {comp.explainer_class} values differs from the model's raw output "
                       f"({comp.output_space}) by up to {short_number(gap)} (relative) on {n_checked} rows, above "
                       f"the {comp.tol:g} tolerance: those values explain a different model. The model-agnostic "
                       "explainer below calls the model itself on the original rows.")
            failed_gap, failed_kind, comp = gap, comp.kind, None
    if comp is None:
        comp = model_agnostic(ad, Xs, bg, budget=budget, random_state=random_state, progress=progress)
        reason = comp.reason if failure is None else f"{comp.reason} (fallback)"
        chosen = _explained_index(ad, Xs, comp, class_index)
        gap, n_checked = additivity_gap(comp, chosen, random_state)
    else:
        reason = f"{reason}: {comp.reason}" if explainer != "auto" else comp.reason
    return comp, chosen, (gap, n_checked), reason, {"fallback": failure, "failed_explainer": failed_kind,
                                                    "failed_gap": failed_gap}


def _importance(S: pd.DataFrame, n_boot: int, random_state: int) -> pd.DataFrame:
    A = np.abs(S.to_numpy())
    n = len(A)
    est = A.mean(axis=0) if n else np.zeros(A.shape[1])
    boots = [c @ A / n for c in bootstrap_counts(n, n_boot, random_state=random_state)] if n else []
    lo, hi = percentile_interval(np.vstack(boots)) if boots else (est, est)
    frame = pd.DataFrame({"feature": list(S.columns), "estimate": est, "ci_low": lo, "ci_high": hi, "n": n})
    frame = frame.sort_values("estimate", ascending=False, kind="stable").reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame[FRAME_COLUMNS]


