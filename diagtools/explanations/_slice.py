"""Per-slice attribution differences (why a slice fails)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._plotting import get_ax
from diagtools._result import Finding, Result, rank_findings
from diagtools._stats import benjamini_hochberg
from diagtools._validation import check_int, check_probability, check_random_state, check_tabular
from diagtools.errors import DiagnosticInputError
from diagtools.explanations._explain import AREA, Explanation, explain


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
    name: str | None = None,
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
    name : str, optional
        The slice's label in titles and findings, e.g. ``"region=north & channel=phone"``
        (default: built from a dict slice, else ``"mask (n rows)"``).
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
    check_probability(alpha, "alpha")
    check_int(min_rows, "min_rows", low=2, hint="Pass e.g. min_rows=10.")
    check_random_state(random_state, allow_none=False)
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    mask = _slice_mask(X, slice)
    if name is None:
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


