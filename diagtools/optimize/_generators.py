"""Variant generators: from what profiling found and from the model's kind to candidates.

Every generator returns :class:`Candidate` objects whose ``build`` refits (or converts) lazily,
so the optimiser can stop inside its time budget. Nothing here evaluates a candidate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diagtools._format import percent
from diagtools.optimize._candidates import Candidate, IterationLimited, refit
from diagtools.optimize._kinds import (
    final_estimator,
    final_param_prefix,
    param_path,
    tree_library,
    vectorizer_blocks,
)

__all__ = [
    "feature_pruning_candidates",
    "featuriser_candidates",
    "linear_candidates",
    "runtime_candidates",
    "tree_candidates",
]


# -- featurisers ----------------------------------------------------------------------------
def _categorical_mask_fix(template: Any, model: Any, drop: dict[str, Any], X_fit: Any) -> dict[str, Any]:
    """Keep a boolean ``categorical_features`` mask aligned when a branch's outputs disappear.

    HistGradientBoosting's mask is positional: dropping a ColumnTransformer branch shifts the
    columns after it, so the mask is rebuilt from the fitted transformer's output slices.
    """
    from sklearn.compose import ColumnTransformer

    final = final_estimator(model)
    mask = getattr(final, "categorical_features", None)
    if mask is None or isinstance(mask, str) or not hasattr(model, "steps"):
        return {}
    mask = np.asarray(mask)
    if mask.dtype != bool:
        return {}
    name, ct = model.steps[0]
    if not isinstance(ct, ColumnTransformer) or not hasattr(ct, "output_indices_"):
        return {}
    keep = np.ones(len(mask), dtype=bool)
    for key in drop:
        branch = key.split("__", 1)[1] if key.startswith(f"{name}__") else None
        if branch in ct.output_indices_:
            keep[ct.output_indices_[branch]] = False
    return {f"{final_param_prefix(model)}categorical_features": mask[keep].tolist()}


def _without_branches(model: Any, keys: list[str]) -> Any:
    """An unfitted copy of ``model`` with the named FeatureUnion / ColumnTransformer branches removed.

    Removed rather than set to ``"drop"``: exporters (skl2onnx) reject a ``"drop"`` branch, and
    a union left with one branch becomes that branch.
    """
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import FeatureUnion

    new = clone(model)
    by_parent: dict[str, set[str]] = {}
    for key in keys:
        parent, branch = key.rsplit("__", 1)
        by_parent.setdefault(parent, set()).add(branch)
    for parent, branches in by_parent.items():
        union = new.get_params(deep=True)[parent]
        if isinstance(union, FeatureUnion):
            kept = [(n, t) for n, t in union.transformer_list if n not in branches]
            new.set_params(**{parent: kept[0][1] if len(kept) == 1 else FeatureUnion(kept)})
        elif isinstance(union, ColumnTransformer):
            union.set_params(transformers=[t for t in union.transformers if t[0] not in branches])
        else:  # not a union: fall back to sklearn's "drop"
            new.set_params(**{f"{parent}__{b}": "drop" for b in branches})
    return new


def featuriser_candidates(model: Any, steps: Any, X_fit: Any, y_fit: Any) -> list[Candidate]:
    """Cheaper featurisation when profiling names a preprocessing step as the bottleneck.

    * only the cheapest branch of the union holding the slow step kept (the cheaper
      featuriser; first, as it is the cheaper refit and the larger saving);
    * the slow branch of that FeatureUnion / ColumnTransformer dropped, and the model refitted;
    * a slow text vectoriser replaced by word unigrams and bigrams seen at least twice.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    if steps is None or not len(steps.frame):
        return []
    final = steps.params.get("final_step")
    big = steps.frame[steps.frame["batch_size"] == steps.frame["batch_size"].max()]
    prep = big[big["step"] != final].sort_values("share", ascending=False)
    if not len(prep) or float(prep.iloc[0]["share"]) < 0.2:
        return []
    slow = str(prep.iloc[0]["step"])
    share = float(prep.iloc[0]["share"])
    out: list[Candidate] = []
    key = param_path(model, slow)
    params = model.get_params(deep=True)
    if key is not None and "__" in key:
        parent = key.rsplit("__", 1)[0]
        siblings = [s for s in prep["step"].astype(str) if s != slow and param_path(model, s)
                    and param_path(model, s).rsplit("__", 1)[0] == parent]
        if len(siblings) >= 2:
            cheapest = siblings[-1]  # prep is sorted by share, so the last sibling is the cheapest
            drop2 = {param_path(model, s): "drop" for s in [slow, *siblings[:-1]]}
            extra2 = _categorical_mask_fix(model, model, drop2, X_fit)
            out.append(Candidate(
                f"keep {cheapest} only", "featuriser",
                f"replace the featurisation by its cheapest part, {cheapest}, and refit",
                {**drop2, **extra2}, lambda d=list(drop2), e=extra2: refit(_without_branches(model, d), X_fit, y_fit, **e)))
        drop = {key: "drop"}
        extra = _categorical_mask_fix(model, model, drop, X_fit)
        out.append(Candidate(
            f"drop {slow}", "featuriser",
            f"remove the slow step {slow} ({percent(share, 0)} of the time at batch {int(big['batch_size'].iloc[0])}) and refit",
            {**drop, **extra}, lambda d=list(drop), e=extra: refit(_without_branches(model, d), X_fit, y_fit, **e)))
    if key is not None and isinstance(params.get(key), CountVectorizer):
        vec = params[key]
        cheaper = {f"{key}__analyzer": "word", f"{key}__ngram_range": (1, 2), f"{key}__min_df": 2}
        if (vec.analyzer, tuple(vec.ngram_range), vec.min_df) != ("word", (1, 2), 2):
            out.append(Candidate(
                f"cheaper {slow}", "featuriser",
                f"replace {slow} ({vec.analyzer} {vec.ngram_range}-grams) by word 1-2-grams seen at least twice, refit",
                cheaper, lambda: refit(model, X_fit, y_fit, **cheaper)))
    return out


# -- linear and text models -----------------------------------------------------------------
def _weight_importance(model: Any) -> np.ndarray | None:
    final = final_estimator(model)
    coef = getattr(final, "coef_", None)
    if coef is None and hasattr(final, "estimators_") and all(hasattr(e, "coef_") for e in final.estimators_):
        coef = np.vstack([np.asarray(e.coef_).reshape(1, -1) for e in final.estimators_])  # one-vs-rest
    if coef is None:
        return None
    coef = np.atleast_2d(np.asarray(coef.toarray() if hasattr(coef, "toarray") else coef, dtype=float))
    return np.abs(coef).max(axis=0)


def _pruned_vocabularies(model: Any, keep: np.ndarray) -> dict[str, Any]:
    """``set_params`` that fix each vectoriser's vocabulary to the kept columns."""
    out: dict[str, Any] = {}
    for key, vec, start, stop in vectorizer_blocks(model):
        names = np.asarray(vec.get_feature_names_out(), dtype=object)
        # Column j of the vectoriser is the term with vocabulary_ index j.
        kept = [str(t) for t in names[keep[start:stop]]]
        out[f"{key}__vocabulary"] = kept or [str(names[0])]
    return out


def linear_candidates(model: Any, X_fit: Any, y_fit: Any, *, base: str = "reference",
                      label: str = "", fraction: float = 0.25) -> list[Candidate]:
    """Vocabulary pruning by weight magnitude and a sparse (L1) refit of a linear model.

    * keep the ``fraction`` of vectoriser terms with the largest absolute weight (in any
      class), fix the vocabularies to them and refit;
    * refit the logistic regression with an L1 penalty (saga), then keep only the terms with a
      non-zero weight and refit once more on that vocabulary.
    """
    from sklearn.linear_model import LogisticRegression

    imp = _weight_importance(model)
    blocks = vectorizer_blocks(model)
    if imp is None:
        return []
    out: list[Candidate] = []
    prefix = f"{label} + " if label else ""
    if blocks:
        vec_cols = np.zeros(len(imp), dtype=bool)
        for _, _, start, stop in blocks:
            vec_cols[start:stop] = True
        n_vec = int(vec_cols.sum())
        k = max(1, round(fraction * n_vec))
        order = np.argsort(-np.where(vec_cols, imp, -np.inf))
        keep = np.zeros(len(imp), dtype=bool)
        keep[order[:k]] = True
        vocab = _pruned_vocabularies(model, keep)
        out.append(Candidate(
            f"{prefix}vocabulary top {percent(fraction, 0)}", "vocabulary",
            f"keep the {k:,} of {n_vec:,} terms with the largest weights, refit",
            {key: f"<{len(v)} terms>" for key, v in vocab.items()},
            lambda v=vocab: refit(model, X_fit, y_fit, **v), base=base, extra={"vocabulary": vocab}))
    final = final_estimator(model)
    if isinstance(final, LogisticRegression) and final.penalty != "l1":
        from sklearn.multiclass import OneVsRestClassifier

        # liblinear is the fast L1 solver (saga takes minutes on wide text features); it is
        # binary only, so several classes are fitted one-vs-rest.
        sparse_lr = LogisticRegression(penalty="l1", solver="liblinear", C=final.C, random_state=0)
        n_classes = len(getattr(final, "classes_", [0, 1]))
        est = sparse_lr if n_classes <= 2 else OneVsRestClassifier(sparse_lr)
        key = final_param_prefix(model).rstrip("_")
        l1 = {key: est} if key else {}

        def build_l1() -> Any:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # liblinear's penalty/one-vs-rest deprecation notes
                sparse = refit(model, X_fit, y_fit, **l1) if l1 else est.fit(X_fit, y_fit)
                if not blocks:
                    return sparse
                nz = _weight_importance(sparse) > 0
                return refit(sparse, X_fit, y_fit, **_pruned_vocabularies(sparse, nz))

        out.append(Candidate(
            f"{prefix}L1 sparse", "sparse",
            "refit with an L1 penalty (liblinear" + (", one-vs-rest" if n_classes > 2 else "") + ")"
            + (" and keep only the terms with a non-zero weight" if blocks else ""),
            {"penalty": "l1", "solver": "liblinear", "C": final.C, "one_vs_rest": n_classes > 2}, build_l1, base=base))
    return out


# -- tree ensembles -------------------------------------------------------------------------
def tree_candidates(model: Any, X_fit: Any, y_fit: Any) -> list[Candidate]:
    """Fewer iterations (no refit for LightGBM / XGBoost; early stopping for scikit-learn)
    and fewer / shallower trees (refit)."""
    from sklearn.base import clone

    est = final_estimator(model)
    lib = tree_library(est)
    pre = final_param_prefix(model)
    out: list[Candidate] = []
    if lib == "sklearn-hgb":
        n = int(est.n_iter_)
        if not est.early_stopping or est.early_stopping == "auto":
            es = {f"{pre}early_stopping": True, f"{pre}n_iter_no_change": 10, f"{pre}validation_fraction": 0.1}
            out.append(Candidate("early stopping", "trees",
                                 "refit with early stopping on 10% of the training rows (stops when the validation "
                                 "loss has not improved for 10 iterations)", es,
                                 lambda: refit(model, X_fit, y_fit, **es)))
        half = {f"{pre}max_iter": max(5, n // 2)}
        out.append(Candidate(f"{half[pre + 'max_iter']} trees", "trees", f"refit with half the iterations ({n} -> "
                             f"{half[pre + 'max_iter']})", half, lambda: refit(model, X_fit, y_fit, **half)))
        leaves = est.max_leaf_nodes or 31
        shallow = {f"{pre}max_leaf_nodes": max(4, leaves // 4)}
        out.append(Candidate("shallower trees", "trees", f"refit with at most {shallow[pre + 'max_leaf_nodes']} "
                             f"leaves per tree (was {leaves})", shallow, lambda: refit(model, X_fit, y_fit, **shallow)))
    elif lib == "sklearn-forest":
        n = int(est.n_estimators)
        fewer = {f"{pre}n_estimators": max(5, n // 4)}
        out.append(Candidate(f"{fewer[pre + 'n_estimators']} trees", "trees", f"refit with a quarter of the trees "
                             f"({n} -> {fewer[pre + 'n_estimators']})", fewer, lambda: refit(model, X_fit, y_fit, **fewer)))
        depth = int(np.median([t.get_depth() for t in est.estimators_]))
        shallow = {f"{pre}max_depth": max(2, depth // 2)}
        out.append(Candidate("shallower trees", "trees", f"refit with max_depth={shallow[pre + 'max_depth']} "
                             f"(median depth was {depth})", shallow, lambda: refit(model, X_fit, y_fit, **shallow)))
    elif lib == "sklearn-gb":
        n = int(est.n_estimators_)
        es = {f"{pre}n_iter_no_change": 10, f"{pre}validation_fraction": 0.1}
        out.append(Candidate("early stopping", "trees", "refit with early stopping on 10% of the training rows", es,
                             lambda: refit(model, X_fit, y_fit, **es)))
        half = {f"{pre}n_estimators": max(5, n // 2)}
        out.append(Candidate(f"{half[pre + 'n_estimators']} trees", "trees", f"refit with half the trees ({n})",
                             half, lambda: refit(model, X_fit, y_fit, **half)))
    elif lib in ("lightgbm", "xgboost"):
        if lib == "lightgbm":
            n = int(getattr(est, "best_iteration_", 0) or est.booster_.current_iteration())
        else:
            n = int(est.get_booster().num_boosted_rounds())
        for frac in (0.5, 0.25):
            k = max(1, int(n * frac))
            kw = "num_iteration" if lib == "lightgbm" else "iteration_range"
            out.append(Candidate(f"first {k} iterations", "trees",
                                 f"predict with the first {k} of {n} boosting iterations ({kw}, no refit)",
                                 {kw: k if lib == "lightgbm" else (0, k)},
                                 lambda k=k: IterationLimited(model, k, lib)))
        depth_key = f"{pre}num_leaves" if lib == "lightgbm" else f"{pre}max_depth"
        cur = est.get_params().get(depth_key[len(pre):]) or (31 if lib == "lightgbm" else 6)
        shallow = {depth_key: max(2, int(cur) // 2 if lib == "xgboost" else int(cur) // 4)}
        out.append(Candidate("shallower trees", "trees", f"refit with {depth_key[len(pre):]}={shallow[depth_key]} "
                             f"(was {cur})", shallow, lambda: refit(model, X_fit, y_fit, **shallow)))
    elif lib == "catboost":
        n = int(est.tree_count_)
        half = {f"{pre}iterations": max(5, n // 2)}
        out.append(Candidate(f"{half[pre + 'iterations']} trees", "trees", f"refit with half the trees ({n})", half,
                             lambda: clone(model).set_params(**half).fit(X_fit, y_fit)))
    return out


# -- feature pruning ------------------------------------------------------------------------
_PER_COLUMN = ("OrdinalEncoder", "OneHotEncoder", "StandardScaler", "MinMaxScaler", "RobustScaler",
               "SimpleImputer", "MaxAbsScaler", "KBinsDiscretizer")


def _without_columns(model: Any, drop: list[str], X_fit: Any) -> tuple[Any, list[str]] | None:
    """An unfitted copy of ``model`` that does not read ``drop`` (and the columns really dropped).

    A pipeline starting with a ColumnTransformer loses the columns from per-column
    transformers (encoders, scalers, passthrough); a custom transformer keeps its inputs
    unless all of them go. Anything else is wrapped behind a column selector.
    """
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    first = model.steps[0][1] if hasattr(model, "steps") else None
    if isinstance(first, ColumnTransformer):
        new = clone(model)
        ct = new.steps[0][1]
        transformers, dropped = [], set()
        for name, trans, cols in ct.transformers:
            cols = list(cols) if not isinstance(cols, str) else [cols]
            keep = [c for c in cols if c not in drop]
            per_column = trans == "passthrough" or type(trans).__name__ in _PER_COLUMN
            if len(keep) == len(cols):
                transformers.append((name, trans, cols))
            elif not keep:
                dropped.update(cols)
            elif per_column:
                dropped.update(set(cols) - set(keep))
                transformers.append((name, trans, keep))
            else:
                transformers.append((name, trans, cols))
        if not dropped or not transformers:
            return None
        ct.set_params(transformers=transformers)
        final = final_estimator(new)
        mask = getattr(final, "categorical_features", None)
        if mask is not None and not isinstance(mask, str) and np.asarray(mask).dtype == bool:
            old_names = list(first.get_feature_names_out())
            is_cat = dict(zip(old_names, np.asarray(mask), strict=True))
            new_names = clone(ct).fit(X_fit.head(200)).get_feature_names_out()
            final.set_params(categorical_features=[bool(is_cat[n]) for n in new_names])
        return new, sorted(dropped)
    if hasattr(X_fit, "columns"):
        keep = [c for c in X_fit.columns if c not in drop]
        select = ColumnTransformer([("keep", "passthrough", keep)], remainder="drop", verbose_feature_names_out=False)
        return Pipeline([("select", select.set_output(transform="pandas")), ("model", clone(model))]), list(drop)
    return None


def feature_pruning_candidates(model: Any, X_fit: Any, y_fit: Any, *, random_state: int = 0,
                               n_repeats: int = 5, max_rows: int = 1000) -> list[Candidate]:
    """Drop the input columns whose permutation importance is not distinguishable from zero.

    Importance is measured honestly: a copy of the model is refitted on 75% of the training
    rows and the columns are permuted on the other 25% (at most ``max_rows``), ``n_repeats``
    times; a column goes when the upper end of its one-sided 95% interval (t over repeats)
    does not clear zero. The pruned model is then refitted on all training rows.
    """
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import train_test_split

    from diagtools._stats import t_interval

    if not hasattr(X_fit, "columns") or X_fit.shape[1] < 2:
        return []

    cand = Candidate("drop unimportant columns", "features",
                     "drop the input columns whose permutation importance is not distinguishable from zero, refit",
                     {"n_repeats": n_repeats, "rule": "one-sided 95% t interval of the importance reaches 0"})

    def build() -> Any:
        strat = y_fit if _is_classification(y_fit) else None
        Xa, Xb, ya, yb = train_test_split(X_fit, y_fit, test_size=0.25, random_state=random_state, stratify=strat)
        Xb, yb = Xb.iloc[:max_rows], yb.iloc[:max_rows] if hasattr(yb, "iloc") else yb[:max_rows]
        probe = refit(model, Xa, ya)
        imp = permutation_importance(probe, Xb, yb, n_repeats=n_repeats, random_state=random_state, n_jobs=1)
        # one-sided 95% lower bound = lower end of the two-sided 90% t-interval (scikit-learn's std, as ever)
        lower, _ = t_interval(imp.importances_mean, imp.importances_std**2, n_repeats, 0.90)
        # "Not distinguishable from zero": the interval reaches zero (or the mean is not positive).
        drop = [str(c) for c, lo, m in zip(X_fit.columns, lower, imp.importances_mean, strict=True) if lo <= 0 or m <= 0]
        if not drop or len(drop) == X_fit.shape[1]:
            raise _NothingToDo("every column matters" if not drop else "no column clears zero")
        made = _without_columns(model, drop, X_fit)
        if made is None:
            raise _NothingToDo(f"the pipeline cannot run without {drop}")
        new, dropped = made
        cand.params["dropped_columns"] = dropped
        cand.description = f"drop {len(dropped)} input column(s) whose permutation importance is not " \
                           f"distinguishable from zero ({', '.join(dropped)}), refit"
        return new.fit(X_fit, y_fit)

    cand.build = build
    return [cand]


class _NothingToDo(Exception):
    """A generator found nothing to change (recorded as 'skipped', not as a failure)."""


def _is_classification(y: Any) -> bool:
    arr = np.asarray(y)
    return arr.dtype.kind in "OUSb" or (arr.dtype.kind in "iu" and len(np.unique(arr)) <= 50)


# -- runtime --------------------------------------------------------------------------------
def runtime_candidates(name: str, model: Any, X: Any, *, cores: int, base: str = "reference") -> list[Candidate]:
    """The same fitted pipeline exported to ONNX and run with onnxruntime.

    One thread and all cores; dynamic int8 quantization when the graph has MatMul/Gemm
    weights. Conversion happens once; a failure (a custom step without a converter) makes
    every runtime candidate of this model 'skipped' with the converter's message.
    """
    from diagtools.optimize._onnx import OnnxModel, convert_to_onnx, quantizable, quantize

    cache: dict[str, Any] = {}

    def converted() -> tuple[bytes, str]:
        if "onnx" not in cache:
            try:
                cache["onnx"] = convert_to_onnx(model, X)
            except Exception as exc:  # no converter: every runtime variant of this model is skipped
                cache["onnx"] = exc
        if isinstance(cache["onnx"], ImportError):
            raise _NothingToDo(f"{cache['onnx'].name or 'skl2onnx'} is not installed: pip install 'diagtools[onnx]'")
        if isinstance(cache["onnx"], Exception):
            raise _NothingToDo(f"skl2onnx cannot convert it: {type(cache['onnx']).__name__}: "
                               f"{str(cache['onnx']).splitlines()[0][:200]}")
        return cache["onnx"]

    from diagtools.models import adapt_model

    classes = adapt_model(model).classes
    tag = "" if base == "reference" else f"{name} + "
    out = []
    for threads in sorted({1, cores}):
        def build(threads: int = threads) -> Any:
            data, kind = converted()
            return OnnxModel(data, classes=classes, input_kind=kind, threads=threads, description=f"{tag}onnx")
        label = f"{tag}onnx" + ("" if threads == 1 else f" {threads} threads")
        out.append(Candidate(label, "runtime", f"export to ONNX (skl2onnx), run with onnxruntime on {threads} "
                             f"thread{'s' if threads > 1 else ''}", {"converter": "skl2onnx", "threads": threads,
                             "opset": 17}, build, base=base))

    def build_int8() -> Any:
        data, kind = converted()
        if not quantizable(data):
            raise _NothingToDo("the ONNX graph has no MatMul/Gemm weights to quantize")
        return OnnxModel(quantize(data), classes=classes, input_kind=kind, threads=1, description=f"{tag}onnx int8")

    out.append(Candidate(f"{tag}onnx int8", "runtime", "export to ONNX, dynamic int8 quantization of the weights "
                         "(onnxruntime.quantization.quantize_dynamic), 1 thread",
                         {"converter": "skl2onnx", "quantization": "dynamic int8", "threads": 1}, build_int8, base=base))
    return out
