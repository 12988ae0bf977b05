"""Per-slice attribution differences (why a slice fails)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import interval, q_value, signed
from diagtools._plotting import get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools._stats import benjamini_hochberg, t_interval
from diagtools._validation import check_int, check_probability, check_random_state, check_tabular
from diagtools.errors import DiagnosticInputError
from diagtools.explanations._explain import explain
from diagtools.explanations._result import AREA, Explanation


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


FRAME_COLUMNS = ["feature", "estimate", "ci_low", "ci_high", "n", "reference_estimate", "reference_ci_low",
                 "reference_ci_high", "reference_n", "difference", "difference_ci_low", "difference_ci_high",
                 "p_value", "q_value", "rank"]


@dataclass(frozen=True)
class SliceExplanation(Result):
    """Columns whose SHAP attributions differ between a slice and the rest.

    ``frame`` columns (the comparison schema): ``feature``; ``estimate`` (mean SHAP in the
    slice), ``ci_low``/``ci_high`` (its Student-t 95% interval), ``n`` (explained rows in the
    slice); ``reference_estimate``, ``reference_ci_low``, ``reference_ci_high``,
    ``reference_n`` (the same for the rest); ``difference`` (slice minus rest),
    ``difference_ci_low``/``difference_ci_high`` (Welch 95% interval), ``p_value`` (Welch
    t-test), ``q_value`` (Benjamini-Hochberg), ``rank`` (1 = strongest evidence: smallest
    p-value, ties by largest |difference|; a ranking by evidence rather than raw size, since
    SHAP scales differ between columns).

    Examples
    --------
    A linear model's attribution of ``a`` is ``w * (a - mean(a))``, so it is larger where ``a``
    is large:

    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    >>> model = LinearRegression().fit(X, 2 * X["a"] + X["b"])
    >>> res = explain_slice(model, X, (X["a"] > 1).to_numpy(), n_boot=20)
    >>> res.frame.loc[0, "feature"], bool(res.frame.loc[0, "difference_ci_low"] > 0)
    ('a', True)
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
            span = interval(r.difference_ci_low, r.difference_ci_high, signed)
            out.append(Finding(
                self.area, sev,
                f"Slice {self.slice_name}: {r.feature} attribution {signed(r.estimate)} vs "
                f"{signed(r.reference_estimate)} elsewhere (diff {signed(r.difference)} {span}), {q_value(r.q_value)}",
                "The model uses this column differently inside the slice; look at its dependence plot there.",
                {"feature": r.feature, "difference": float(r.difference), "q_value": float(r.q_value)}))
        if not out:
            out.append(Finding(self.area, "info",
                               f"Slice {self.slice_name}: no column's attribution differs (q >= {alpha})"))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Slice, rows, top differing column."""
        top = self.frame.iloc[0]["feature"] if len(self.frame) else "-"
        return [("slice", self.slice_name), ("rows in slice", str(self.params["n_slice"])),
                ("top difference", str(top)), ("significant", str(int((self.frame["q_value"] < self.params["alpha"]).sum())))]

    def plot(self, *, ax: Any = None, top: int = 12, **kwargs: Any) -> Any:
        """Differences of mean SHAP (slice minus rest) with Welch intervals.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        top : int, default=12
            Columns shown, strongest evidence first.
        **kwargs
            Style of the bars (``alpha``, ``edgecolor``, ...); red marks q < alpha by default.

        Returns
        -------
        matplotlib Axes
        """
        f = self.frame.head(top).iloc[::-1]
        colors = ["#d62728" if q < self.params["alpha"] else "#999999" for q in f["q_value"]]
        style = validate_style_kwargs({"color": colors}, kwargs, artist="patch")
        ax = get_ax(ax)
        y = np.arange(len(f))
        interval_bars(ax, y, f["difference"], f["difference_ci_low"], f["difference_ci_high"], horizontal=True,
                      kind="bar", **style)
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
    >>> res.params["n_slice"] == int((X["age"] > 50).sum())
    True
    """
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
    frame = _welch_frame(ex.shap_values, m)
    params = {"alpha": alpha, "test": "Welch t-test per column, Benjamini-Hochberg", "n_slice": int(m.sum()),
              "explainer": ex.params["explainer"], "output": ex.params["output"], "random_state": random_state}
    return SliceExplanation(frame=frame, params=params, n_samples=len(m), slice_name=name)




def _welch_frame(shap_values: pd.DataFrame, m: np.ndarray) -> pd.DataFrame:
    """Mean SHAP per column inside (``m``) and outside the slice, their Welch test and FDR, ranked."""
    from scipy import stats

    S = shap_values.to_numpy()
    a, b = S[m], S[~m]
    ma, mb = a.mean(0), b.mean(0)
    va, vb = a.var(0, ddof=1), b.var(0, ddof=1)
    sa, sb = va / len(a), vb / len(b)
    se = np.sqrt(sa + sb)
    diff = ma - mb
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / se
        dof = (sa + sb) ** 2 / (sa**2 / (len(a) - 1) + sb**2 / (len(b) - 1))
    p = np.where(se > 0, 2 * stats.t.sf(np.abs(np.nan_to_num(t)), np.nan_to_num(dof, nan=1.0)), 1.0)
    half = np.where(se > 0, stats.t.ppf(0.975, np.nan_to_num(dof, nan=1.0)) * se, 0.0)
    (lo_a, hi_a), (lo_b, hi_b) = t_interval(ma, va, len(a)), t_interval(mb, vb, len(b))
    frame = pd.DataFrame({"feature": list(shap_values.columns), "estimate": ma, "ci_low": lo_a, "ci_high": hi_a,
                          "n": len(a), "reference_estimate": mb, "reference_ci_low": lo_b, "reference_ci_high": hi_b,
                          "reference_n": len(b), "difference": diff, "difference_ci_low": diff - half,
                          "difference_ci_high": diff + half, "p_value": p, "q_value": benjamini_hochberg(p)})
    order = np.lexsort((-np.abs(diff), p))  # smallest p first, ties by the largest |difference|
    frame = frame.iloc[order].reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame[FRAME_COLUMNS]
