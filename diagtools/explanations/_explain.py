"""SHAP explanations per original column: explainer choice, column grouping, importance."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._plotting import get_ax
from diagtools._result import Finding, Result, rank_findings
from diagtools._stats import bootstrap_counts, percentile_interval
from diagtools._validation import check_fitted, check_tabular
from diagtools.errors import DiagnosticInputError
from diagtools.explanations._checks import check_explain_args

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
    background = check_explain_args(model, X, background, budget=budget, class_index=class_index,
                                    random_state=random_state)
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


