"""Explanations with SHAP: global importance, per-slice differences, and a permutation cross-check.

:func:`explain` picks shap's TreeExplainer (tree ensembles), LinearExplainer (linear models) or a
model-agnostic PermutationExplainer with an explicit evaluation budget, explains the final
estimator of a scikit-learn Pipeline on its transformed features, and sums expanded columns
(one-hot, derived) back to their source columns. Columns derived from several inputs (e.g. the
demo's ``RepaymentFeatures`` on ``[loan_amount, income]``) are attributed to their *group*,
named ``"loan_amount+income"``: splitting evenly would invent a precision SHAP does not give.
Binary classifiers are explained for the positive class in the model's raw output (log-odds
for trees and logistic models). :func:`explain_slice` tests which columns' attributions differ
between a slice and the rest; :func:`cross_check` compares with ``permutation_importance``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._plotting import get_ax
from diagtools._result import Finding, Result, rank_findings
from diagtools._stats import benjamini_hochberg, bootstrap_counts, percentile_interval
from diagtools._validation import check_fitted, check_tabular
from diagtools.errors import DiagnosticInputError

__all__ = ["CrossCheck", "Explanation", "SliceExplanation", "cross_check", "explain", "explain_slice"]

AREA = "explain"
TREE_NAMES = (
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor", "DecisionTreeClassifier",
    "DecisionTreeRegressor", "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
    "XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor", "IsolationForest",
)
_ONE_TO_ONE = {"StandardScaler", "MinMaxScaler", "RobustScaler", "MaxAbsScaler", "SimpleImputer",
               "OrdinalEncoder", "PowerTransformer", "QuantileTransformer", "FunctionTransformer"}
FRAME_COLUMNS = ["feature", "estimate", "ci_low", "ci_high", "n", "rank"]


def _import_shap() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import shap
    except ImportError as exc:  # pragma: no cover - shap is installed in the test env
        raise DiagnosticInputError(
            "explain needs the shap package, which is not installed. Install it: pip install shap"
        ) from exc
    return shap


def _split(model: Any) -> tuple[Any, Any]:
    """Return ``(preprocessor or None, final estimator)``."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline) and len(model.steps) > 1:
        return model[:-1], model[-1]
    if isinstance(model, Pipeline):
        return None, model[-1]
    return None, model


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


def _choose(est: Any, explainer: str) -> tuple[str, str]:
    name = type(est).__name__
    if explainer != "auto":
        return explainer, f"explainer={explainer!r} was requested"
    if name in TREE_NAMES:
        return "tree", f"{name} is a tree ensemble: TreeExplainer gives exact SHAP values fast"
    if hasattr(est, "coef_"):
        return "linear", f"{name} is linear (has coef_): LinearExplainer gives exact SHAP values"
    return "permutation", f"{name} is neither a tree ensemble nor linear: model-agnostic PermutationExplainer"


def _positive(values: Any, est: Any, class_index: int | None) -> np.ndarray:
    arr = np.asarray(values.values if hasattr(values, "values") and not isinstance(values, np.ndarray) else values)
    if isinstance(values, list):
        arr = np.stack(values, axis=-1)
    if arr.ndim == 3:
        idx = class_index if class_index is not None else arr.shape[2] - 1
        arr = arr[:, :, idx]
    return arr.astype(float)


def _base(value: Any, class_index: int | None) -> float:
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.size == 1:
        return float(arr[0])
    return float(arr[class_index if class_index is not None else -1])


def _encode(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric view of feature values (categories as codes) for colouring and dependence."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[c] = s.astype(float).to_numpy()
        else:
            out[c] = pd.Categorical(s.astype(str)).codes.astype(float)
    return pd.DataFrame(out, index=frame.index)


@dataclass(frozen=True)
class Explanation(Result):
    """SHAP attributions per original column, with global importance and its intervals.

    ``frame`` columns: ``feature`` (original column, or ``a+b`` for a column derived from several
    inputs), ``estimate`` (mean |SHAP| over rows), ``ci_low``/``ci_high`` (bootstrap percentile
    interval over rows), ``n`` (rows explained), ``rank`` (1 = most important).
    ``shap_values``: rows x original columns (raw model output: log-odds for classifiers explained
    by trees or logistic models); ``shap_expanded``: the same rows x transformed columns;
    ``feature_values``: the explained rows of X; ``row_index``: their positions in X.

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> df = load_loans().head(400)
    >>> X = df[["age", "income", "credit_score"]]
    >>> model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, df["defaulted"])
    >>> res = explain(model, X, max_rows=100, n_boot=50)
    >>> res.params["explainer"]
    'tree'
    """

    area: ClassVar[str] = AREA
    title: ClassVar[str] = "SHAP explanations"
    shap_values: pd.DataFrame = field(default_factory=pd.DataFrame)
    shap_expanded: pd.DataFrame = field(default_factory=pd.DataFrame)
    feature_values: pd.DataFrame = field(default_factory=pd.DataFrame)
    row_index: list = field(default_factory=list)
    base_value: float = 0.0
    groups: dict = field(default_factory=dict)

    def findings(self) -> list[Finding]:
        """Which explainer was used and why; the top columns with intervals."""
        p = self.params
        out = [Finding(AREA, "info", f"Explained with shap {p['explainer_class']} ({p['output']})", p["reason"],
                       {"explainer": p["explainer"], "n_rows": self.n_samples})]
        top = self.frame.head(3)
        if len(top):
            parts = [f"{r.feature} {r.estimate:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]" for r in top.itertuples()]
            out.append(Finding(AREA, "info", "Top columns by mean |SHAP|: " + "; ".join(parts),
                               "Mean absolute attribution over the explained rows, 95% bootstrap interval over rows.",
                               {"features": list(top["feature"])}))
            multi = [g for g in self.frame["feature"] if "+" in str(g)]
            if multi:
                out.append(Finding(AREA, "info", f"Derived columns attributed to their input group: {', '.join(multi)}",
                                   "A column computed from several inputs cannot be split between them by SHAP; "
                                   "its attribution is reported for the group."))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Explainer, rows explained, top column."""
        top = self.frame.iloc[0]["feature"] if len(self.frame) else "-"
        return [("explainer", self.params["explainer"]), ("rows explained", str(self.n_samples)),
                ("top column", str(top)), ("output", self.params["output"])]

    def plot(self, ax: Any = None, *, top: int = 15, **kw: Any) -> Any:
        """Importance bars (mean |SHAP|) with 95% bootstrap intervals."""
        ax = get_ax(ax)
        f = self.frame.head(top).iloc[::-1]
        y = np.arange(len(f))
        ax.barh(y, f["estimate"], color="#4c72b0", **kw)
        ax.errorbar(f["estimate"], y, xerr=[f["estimate"] - f["ci_low"], f["ci_high"] - f["estimate"]],
                    fmt="none", ecolor="black", capsize=3)
        ax.set_yticks(y, f["feature"])
        ax.set_xlabel(f"mean |SHAP| ({self.params['output']})")
        ax.set_title("Global importance, 95% bootstrap interval")
        return ax

    def plot_beeswarm(self, ax: Any = None, *, top: int = 12) -> Any:
        """One row of dots per column: SHAP value (x) coloured by the feature value (low to high)."""
        ax = get_ax(ax, figsize=(7, 5))
        feats = list(self.frame["feature"].head(top))[::-1]
        enc = _encode(self.feature_values.reset_index(drop=True)) if len(self.feature_values.columns) else None
        rng = np.random.default_rng(0)
        for i, f in enumerate(feats):
            s = self.shap_values[f].to_numpy()
            if enc is not None and f in enc:
                v = enc[f].to_numpy()
                lo, hi = np.nanpercentile(v, [5, 95]) if np.isfinite(v).any() else (0, 1)
                c = np.clip((v - lo) / (hi - lo), 0, 1) if hi > lo else np.full(len(v), 0.5)
            else:
                c = np.full(len(s), 0.5)
            ax.scatter(s, i + rng.uniform(-0.3, 0.3, len(s)), c=c, cmap="coolwarm", s=6, vmin=0, vmax=1)
        ax.set_yticks(range(len(feats)), feats)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlabel(f"SHAP value ({self.params['output']}); colour: feature value low (blue) to high (red)")
        return ax

    def plot_dependence(self, feature: str, ax: Any = None) -> Any:
        """SHAP value of ``feature`` against its value (categories as their labels)."""
        if feature not in self.shap_values.columns:
            raise DiagnosticInputError(f"feature: no column {feature!r}. Available: {list(self.shap_values.columns)}.")
        ax = get_ax(ax)
        s = self.shap_values[feature].to_numpy()
        if feature in self.feature_values.columns:
            v = self.feature_values[feature].reset_index(drop=True)
            if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
                ax.scatter(v.astype(float), s, s=8, alpha=0.6)
            else:
                cat = pd.Categorical(v.astype(str))
                x = cat.codes + np.random.default_rng(0).uniform(-0.2, 0.2, len(v))
                ax.scatter(x, s, s=8, alpha=0.6)
                ax.set_xticks(range(len(cat.categories)), list(cat.categories), rotation=30)
        else:
            ax.scatter(np.arange(len(s)), s, s=8, alpha=0.6)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel(feature)
        ax.set_ylabel(f"SHAP ({self.params['output']})")
        return ax

    def plot_waterfall(self, row: int = 0, ax: Any = None, *, top: int = 10) -> Any:
        """Waterfall for explained row ``row`` (position in ``shap_values``): base value to prediction."""
        if not 0 <= row < len(self.shap_values):
            raise DiagnosticInputError(f"row must be in [0, {len(self.shap_values)}), got {row}.")
        ax = get_ax(ax, figsize=(7, 5))
        s = self.shap_values.iloc[row]
        order = s.abs().sort_values(ascending=False).index
        shown, rest = list(order[:top]), float(s[order[top:]].sum())
        vals = [float(s[f]) for f in shown] + ([rest] if len(order) > top else [])
        labels = shown + ([f"{len(order) - top} other columns"] if len(order) > top else [])
        start = self.base_value
        cum = self.base_value + np.concatenate([[0], np.cumsum(vals)])
        for i, v in enumerate(vals):
            y = len(vals) - 1 - i
            ax.barh(y, v, left=cum[i], color="#d62728" if v > 0 else "#1f77b4")
            ax.text(cum[i + 1], y, f" {v:+.3g}", va="center", fontsize=8)
        ax.set_yticks(range(len(vals)), labels[::-1])
        ax.axvline(start, color="grey", ls="--", lw=0.8)
        ax.set_xlabel(f"model output ({self.params['output']}): base {start:.3g} -> {cum[-1]:.3g}")
        return ax


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
    """Explain ``model`` on ``X`` with SHAP, per original input column.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        A Pipeline is explained at its final estimator, on the transformed features; expanded
        columns are then summed back to their source column.
    X : DataFrame or 2-D array
        Rows to explain (sampled down to ``max_rows``).
    background : DataFrame, optional
        Background rows for linear and model-agnostic explainers (default: up to 100 rows of X).
    max_rows : int or None, default=1000
        Rows explained (a seeded random sample); None explains all.
    budget : int, optional
        Model evaluations per row for the model-agnostic explainer (default ``2 * n_features + 1``
        rounded up to shap's minimum).
    n_boot : int, default=200
        Bootstrap resamples (over rows) for the importance intervals.
    explainer : {"auto", "tree", "linear", "permutation"}, default="auto"
    class_index : int, optional
        Class explained for classifiers (default: the last class, the positive one when binary).
    random_state : int, default=0
    progress : bool, optional
        tqdm progress bar; None shows it when more than 2000 rows are explained.

    Returns
    -------
    Explanation

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from sklearn.linear_model import LogisticRegression
    >>> df = load_loans().head(300)
    >>> X = df[["age", "credit_score"]]
    >>> res = explain(LogisticRegression().fit(X, df["defaulted"]), X, n_boot=50)
    >>> res.params["explainer"]
    'linear'
    """
    if explainer not in ("auto", "tree", "linear", "permutation"):
        raise DiagnosticInputError(
            f"explainer must be one of ('auto', 'tree', 'linear', 'permutation'), got {explainer!r}.")
    check_fitted(model)
    X = check_tabular(X, "X")
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    if max_rows is not None and (not isinstance(max_rows, (int, np.integer)) or max_rows < 1):
        raise DiagnosticInputError(f"max_rows must be a positive int or None, got {max_rows!r}. Pass e.g. max_rows=1000.")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise DiagnosticInputError(f"n_boot must be a positive int, got {n_boot!r}. Pass e.g. n_boot=200.")
    shap = _import_shap()
    rng = np.random.default_rng(random_state)
    n = len(X)
    rows = np.sort(rng.choice(n, size=max_rows, replace=False)) if max_rows is not None and n > max_rows else np.arange(n)
    Xs = X.iloc[rows]
    pre, est = _split(model)
    kind, reason = _choose(est, explainer)
    Xt = pre.transform(Xs) if pre is not None else Xs
    out_names = _output_names(pre, np.shape(Xt)[1]) if pre is not None else [str(c) for c in X.columns]
    Xt = np.asarray(Xt.toarray() if hasattr(Xt, "toarray") else Xt, dtype=float)
    groups = _group_columns(pre, [str(c) for c in X.columns], out_names)

    def bg() -> np.ndarray:
        b = background if background is not None else X.iloc[rng.choice(n, size=min(100, n), replace=False)]
        b = pre.transform(b) if pre is not None else b
        return np.asarray(b.toarray() if hasattr(b, "toarray") else b, dtype=float)

    classifier = hasattr(est, "predict_proba") and hasattr(est, "classes_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "tree":
            expl = shap.TreeExplainer(est)
            output = "log-odds" if classifier and type(est).__name__.startswith(("Hist", "Gradient")) else (
                "probability" if classifier else "prediction")
            compute = lambda A: expl.shap_values(A, check_additivity=False)  # noqa: E731
        elif kind == "linear":
            expl = shap.LinearExplainer(est, bg())
            output = "log-odds" if classifier else "prediction"
            compute = lambda A: expl.shap_values(A)  # noqa: E731
        else:
            names = getattr(est, "feature_names_in_", None)

            def named(A: np.ndarray) -> Any:
                return pd.DataFrame(A, columns=names) if names is not None and len(names) == A.shape[1] else A

            if classifier:
                ci = class_index if class_index is not None else len(est.classes_) - 1
                f = lambda A: est.predict_proba(named(A))[:, ci]  # noqa: E731
                output = "probability"
            else:
                f = lambda A: est.predict(named(A))  # noqa: E731
                output = "prediction"
            p = Xt.shape[1]
            evals = int(budget) if budget is not None else 2 * p + 1
            evals = max(evals, 2 * p + 1)
            expl = shap.PermutationExplainer(f, shap.maskers.Independent(bg(), max_samples=100), seed=random_state)
            reason += f" with a budget of {evals} model evaluations per row"
            compute = lambda A: expl(A, max_evals=evals, silent=True).values  # noqa: E731
        chunks = np.array_split(np.arange(len(Xt)), max(1, int(np.ceil(len(Xt) / 2000))))
        show = progress if progress is not None else len(Xt) > 2000
        if show:
            from tqdm.auto import tqdm

            chunks = tqdm(chunks, desc="SHAP", unit="chunk")
        parts = [_positive(compute(Xt[c]), est, class_index) for c in chunks]
    S = np.vstack(parts) if parts else np.zeros((0, Xt.shape[1]))
    base = _base(expl.expected_value, class_index) if kind != "permutation" else float(np.mean(f(bg())))
    expanded = pd.DataFrame(S, columns=out_names)
    order = list(dict.fromkeys(groups))
    grouped = expanded.T.groupby(np.asarray(groups), sort=False).sum().T[order]
    frame = _importance(grouped, n_boot, random_state)
    params = {"explainer": kind, "explainer_class": type(expl).__name__, "reason": reason, "output": output,
              "max_rows": max_rows, "budget": budget, "n_boot": n_boot, "random_state": random_state,
              "class_index": class_index, "estimator": type(est).__name__, "n_rows_X": n}
    return Explanation(frame=frame, params=params, n_samples=len(rows), shap_values=grouped.reset_index(drop=True),
                       shap_expanded=expanded, feature_values=Xs.reset_index(drop=True),
                       row_index=[int(r) for r in rows], base_value=base,
                       groups={g: [o for o, gg in zip(out_names, groups) if gg == g] for g in order})


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


def _slice_mask(X: pd.DataFrame, slice_: Any) -> np.ndarray:
    if isinstance(slice_, dict):
        if not slice_:
            raise DiagnosticInputError("slice is an empty dict. Pass {column: value}, e.g. {'region': 'north'}.")
        mask = np.ones(len(X), dtype=bool)
        for col, val in slice_.items():
            if col not in X.columns:
                raise DiagnosticInputError(f"slice: no column {col!r} in X. Available columns: {list(X.columns)}.")
            mask &= (X[col] == val).to_numpy()
        return mask
    mask = np.asarray(slice_)
    if mask.dtype != bool or mask.shape != (len(X),):
        raise DiagnosticInputError(
            f"slice must be a dict {{column: value}} or a boolean mask of length {len(X)}, "
            f"got {type(slice_).__name__} of shape {mask.shape}. Pass e.g. X['region'] == 'north'.")
    return mask


@dataclass(frozen=True)
class SliceExplanation(Result):
    """Columns whose SHAP attributions differ between a slice and the rest.

    ``frame`` columns: ``feature``, ``estimate`` (mean SHAP in the slice minus mean SHAP in the
    rest), ``ci_low``/``ci_high`` (Welch 95% interval), ``mean_slice``, ``mean_rest``, ``n``
    (rows in the slice), ``n_rest``, ``p_value`` (Welch t-test), ``q_value`` (Benjamini-Hochberg),
    ``rank`` (1 = strongest evidence: smallest p-value, ties by largest |difference|; a ranking by
    evidence rather than raw size, since SHAP scales differ between columns).

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> df = load_loans().head(400)
    >>> X = df[["age", "income", "credit_score"]]
    >>> model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, df["defaulted"])
    >>> res = explain_slice(model, X, X["age"] > 50, n_boot=20)
    """

    area: ClassVar[str] = AREA
    title: ClassVar[str] = "Why this slice: attribution differences"
    slice_name: str = ""

    def findings(self) -> list[Finding]:
        """Columns with significantly different attributions (q < alpha), strongest first."""
        alpha = self.params["alpha"]
        out = []
        sig = self.frame[self.frame["q_value"] < alpha]
        for r in sig.head(5).itertuples():
            sev = "medium" if r.rank <= 3 else "low"
            out.append(Finding(
                AREA, sev,
                f"Slice {self.slice_name}: {r.feature} attribution {r.mean_slice:+.3g} vs {r.mean_rest:+.3g} elsewhere "
                f"(diff {r.estimate:+.3g} [{r.ci_low:+.3g}, {r.ci_high:+.3g}]), q={r.q_value:.2g}",
                "The model uses this column differently inside the slice; look at its dependence plot there.",
                {"feature": r.feature, "estimate": float(r.estimate), "q_value": float(r.q_value)}))
        if not out:
            out.append(Finding(AREA, "info", f"Slice {self.slice_name}: no column's attribution differs (q >= {alpha})"))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Slice, rows, top differing column."""
        top = self.frame.iloc[0]["feature"] if len(self.frame) else "-"
        return [("slice", self.slice_name), ("rows in slice", str(self.params["n_slice"])),
                ("top difference", str(top)), ("significant", str(int((self.frame["q_value"] < self.params["alpha"]).sum())))]

    def plot(self, ax: Any = None, *, top: int = 12, **kw: Any) -> Any:
        """Differences of mean SHAP (slice minus rest) with Welch intervals."""
        ax = get_ax(ax)
        f = self.frame.head(top).iloc[::-1]
        y = np.arange(len(f))
        colors = ["#d62728" if q < self.params["alpha"] else "#999999" for q in f["q_value"]]
        ax.barh(y, f["estimate"], color=colors, **kw)
        ax.errorbar(f["estimate"], y, xerr=[f["estimate"] - f["ci_low"], f["ci_high"] - f["estimate"]],
                    fmt="none", ecolor="black", capsize=3)
        ax.set_yticks(y, f["feature"])
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlabel("mean SHAP in slice - rest (red: q < alpha)")
        ax.set_title(f"Slice {self.slice_name}")
        return ax


def explain_slice(
    explanation_or_model: Any,
    X: Any,
    slice: Any,
    *,
    alpha: float = 0.05,
    min_rows: int = 10,
    random_state: int = 0,
    **explain_kw: Any,
) -> SliceExplanation:
    """Test which columns' SHAP attributions differ between a slice of ``X`` and the rest.

    Parameters
    ----------
    explanation_or_model : Explanation or fitted model
        An :class:`Explanation` computed on this ``X`` (its sampled rows are used), or a model
        (then :func:`explain` runs with ``explain_kw``).
    X : DataFrame
        The rows explained (same as given to :func:`explain`).
    slice : dict or boolean array
        ``{column: value}`` (all must hold) or a mask of length ``len(X)``.
    alpha : float, default=0.05
        Level of the Benjamini-Hochberg controlled findings.
    min_rows : int, default=10
        Minimum explained rows on each side.
    random_state : int, default=0

    Returns
    -------
    SliceExplanation

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from sklearn.linear_model import LogisticRegression
    >>> df = load_loans().head(400)
    >>> X = df[["age", "credit_score"]]
    >>> res = explain_slice(LogisticRegression().fit(X, df["defaulted"]), X, X["age"] > 50, n_boot=20)
    """
    from scipy import stats

    X = check_tabular(X, "X")
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    mask = _slice_mask(X, slice)
    name = " & ".join(f"{k}={v}" for k, v in slice.items()) if isinstance(slice, dict) else f"mask ({int(mask.sum())} rows)"
    if isinstance(explanation_or_model, Explanation):
        ex = explanation_or_model
        if ex.params.get("n_rows_X") != len(X):
            raise DiagnosticInputError(
                f"X has {len(X)} rows but the explanation was computed on {ex.params.get('n_rows_X')}. "
                "Pass the same X that was given to explain().")
        m = mask[np.asarray(ex.row_index)]
    else:
        # Explain every slice row (up to half of max_rows) and as many rows from the rest.
        rng = np.random.default_rng(random_state)
        half = max(min_rows, explain_kw.pop("max_rows", 1000) // 2)
        inside, outside = np.flatnonzero(mask), np.flatnonzero(~mask)
        k = min(half, len(inside))
        sel = np.sort(np.concatenate([rng.choice(inside, size=k, replace=False),
                                      rng.choice(outside, size=min(max(k, min_rows), len(outside)), replace=False)]))
        ex = explain(explanation_or_model, X.iloc[sel], max_rows=None, random_state=random_state, **explain_kw)
        m = mask[sel]
    if m.sum() < min_rows or (~m).sum() < min_rows:
        raise DiagnosticInputError(
            f"slice covers {int(m.sum())} of {len(m)} explained rows; need at least {min_rows} inside and outside. "
            "Pass a larger slice or raise max_rows.")
    S = ex.shap_values.to_numpy()
    a, b = S[m], S[~m]
    ma, mb = a.mean(0), b.mean(0)
    va, vb = a.var(0, ddof=1) / len(a), b.var(0, ddof=1) / len(b)
    se = np.sqrt(va + vb)
    diff = ma - mb
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / se
        dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    p = np.where(se > 0, 2 * stats.t.sf(np.abs(np.nan_to_num(t)), np.nan_to_num(dof, nan=1.0)), 1.0)
    q = benjamini_hochberg(p)
    half = np.where(se > 0, stats.t.ppf(0.975, np.nan_to_num(dof, nan=1.0)) * se, 0.0)
    frame = pd.DataFrame({"feature": list(ex.shap_values.columns), "estimate": diff, "ci_low": diff - half,
                          "ci_high": diff + half, "mean_slice": ma, "mean_rest": mb, "n": len(a), "n_rest": len(b),
                          "p_value": p, "q_value": q})
    frame["_abs"] = -frame["estimate"].abs()
    frame = frame.sort_values(["p_value", "_abs"], kind="stable").drop(columns="_abs").reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    params = {"alpha": alpha, "test": "Welch t-test per column, Benjamini-Hochberg", "n_slice": int(m.sum()),
              "explainer": ex.params["explainer"], "output": ex.params["output"], "random_state": random_state}
    return SliceExplanation(frame=frame, params=params, n_samples=len(m), slice_name=name)


@dataclass(frozen=True)
class CrossCheck(Result):
    """SHAP importance vs scikit-learn's permutation importance on the same original columns.

    ``frame`` columns: ``feature``, ``estimate`` (permutation importance: mean score drop),
    ``ci_low``/``ci_high`` (range of the middle 95% over repeats), ``n`` (rows), ``shap_importance``
    (mean |SHAP|), ``shap_rank``, ``perm_rank``.

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from sklearn.linear_model import LogisticRegression
    >>> df = load_loans().head(300)
    >>> X = df[["age", "credit_score"]]
    >>> res = cross_check(LogisticRegression().fit(X, df["defaulted"]), X, df["defaulted"], n_repeats=3)
    """

    area: ClassVar[str] = AREA
    title: ClassVar[str] = "SHAP vs permutation importance"
    spearman: float = 0.0

    def findings(self) -> list[Finding]:
        """Agreement of the two rankings; columns ranked very differently."""
        rho = self.spearman
        out = []
        if not np.isfinite(rho) or rho < self.params["min_agreement"]:
            out.append(Finding(AREA, "medium", f"SHAP and permutation importance disagree: Spearman rho={rho:.2f}",
                               "SHAP measures how much the model's output moves with a column; permutation how much "
                               "the score drops without it. Disagreement hints at correlated columns or "
                               "attributions the score does not reward (e.g. overfitting)."))
        else:
            out.append(Finding(AREA, "info", f"SHAP and permutation importance agree: Spearman rho={rho:.2f}"))
        k = max(3, len(self.frame) // 3)
        for r in self.frame.itertuples():
            if min(r.shap_rank, r.perm_rank) <= 3 and abs(r.shap_rank - r.perm_rank) >= k:
                out.append(Finding(AREA, "low", f"{r.feature}: rank {r.shap_rank} by SHAP but {r.perm_rank} by permutation "
                                   f"(drop {r.estimate:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}])"))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Rank agreement and each view's top column."""
        f = self.frame
        return [("Spearman rho", f"{self.spearman:.2f}"),
                ("top by SHAP", str(f.loc[f["shap_rank"].idxmin(), "feature"])),
                ("top by permutation", str(f.loc[f["perm_rank"].idxmin(), "feature"]))]

    def plot(self, ax: Any = None, **kw: Any) -> Any:
        """Scatter of the two importances (labelled)."""
        ax = get_ax(ax)
        f = self.frame
        ax.errorbar(f["shap_importance"], f["estimate"], yerr=[f["estimate"] - f["ci_low"], f["ci_high"] - f["estimate"]],
                    fmt="o", capsize=3, **kw)
        for r in f.itertuples():
            ax.annotate(str(r.feature), (r.shap_importance, r.estimate), fontsize=8)
        ax.set_xlabel("mean |SHAP|")
        ax.set_ylabel(f"permutation importance ({self.params['scoring'] or 'default score'} drop)")
        ax.set_title(f"Spearman rho = {self.spearman:.2f}")
        return ax


def cross_check(
    model: Any,
    X: Any,
    y: Any,
    *,
    explanation: Explanation | None = None,
    scoring: str | None = None,
    n_repeats: int = 5,
    max_rows: int | None = 2000,
    min_agreement: float = 0.5,
    n_jobs: int | None = None,
    random_state: int = 0,
) -> CrossCheck:
    """Compare SHAP importance with ``sklearn.inspection.permutation_importance`` per original column.

    Parameters
    ----------
    model : fitted estimator or Pipeline
    X : DataFrame
    y : array-like
    explanation : Explanation, optional
        Reused when given (else :func:`explain` runs on the same rows).
    scoring : str, optional
        Scorer for permutation importance (default: the model's ``score``).
    n_repeats : int, default=5
    max_rows : int or None, default=2000
        Rows used for the permutation importance (seeded sample).
    min_agreement : float, default=0.5
        Spearman rho below which a finding flags disagreement.
    n_jobs : int, optional
    random_state : int, default=0

    Returns
    -------
    CrossCheck

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from sklearn.linear_model import LogisticRegression
    >>> df = load_loans().head(300)
    >>> X = df[["age", "credit_score"]]
    >>> res = cross_check(LogisticRegression().fit(X, df["defaulted"]), X, df["defaulted"], n_repeats=3)
    """
    from scipy.stats import spearmanr
    from sklearn.inspection import permutation_importance

    check_fitted(model)
    X = check_tabular(X, "X")
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    y = np.asarray(y)
    if len(y) != len(X):
        raise DiagnosticInputError(f"y has {len(y)} rows but X has {len(X)}. Pass y for the same rows, in the same order.")
    if explanation is None:
        explanation = explain(model, X, max_rows=max_rows, random_state=random_state)
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(len(X), size=max_rows, replace=False)) if max_rows and len(X) > max_rows else np.arange(len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pi = permutation_importance(model, X.iloc[rows], y[rows], scoring=scoring, n_repeats=n_repeats,
                                    n_jobs=n_jobs, random_state=random_state)
    cols = [str(c) for c in X.columns]
    perm = pd.DataFrame(pi.importances.T, columns=cols)
    imp = explanation.frame.set_index("feature")["estimate"]
    # Map SHAP groups back to original columns: a group "a+b" counts for each of its members.
    shap_by_col = {}
    for g, v in imp.items():
        for c in str(g).split("+"):
            shap_by_col[c] = shap_by_col.get(c, 0.0) + float(v)
    lo, hi = percentile_interval(perm.to_numpy())
    frame = pd.DataFrame({"feature": cols, "estimate": perm.mean().to_numpy(), "ci_low": lo, "ci_high": hi,
                          "n": len(rows), "shap_importance": [shap_by_col.get(c, 0.0) for c in cols]})
    frame["shap_rank"] = frame["shap_importance"].rank(ascending=False, method="min").astype(int)
    frame["perm_rank"] = frame["estimate"].rank(ascending=False, method="min").astype(int)
    frame = frame.sort_values("shap_rank", kind="stable").reset_index(drop=True)
    rho = float(spearmanr(frame["shap_importance"], frame["estimate"]).statistic) if len(frame) > 2 else float("nan")
    params = {"scoring": scoring, "n_repeats": n_repeats, "max_rows": max_rows, "min_agreement": min_agreement,
              "random_state": random_state, "explainer": explanation.params["explainer"]}
    return CrossCheck(frame=frame, params=params, n_samples=len(rows), spearman=rho if np.isfinite(rho) else 0.0)
