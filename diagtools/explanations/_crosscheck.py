"""Cross-check of SHAP importance against permutation importance."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import interval, number, short_number
from diagtools._plotting import get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools._stats import percentile_interval
from diagtools._validation import check_fitted, check_int, check_n_jobs, check_random_state, check_real, check_tabular
from diagtools.errors import DiagnosticInputError
from diagtools.explanations._explain import explain
from diagtools.explanations._result import AREA, Explanation
from diagtools.models import adapt_model, as_estimator


@dataclass(frozen=True)
class CrossCheck(Result):
    """SHAP importance vs scikit-learn's permutation importance on the same original columns.

    ``frame`` columns: ``feature``, ``estimate`` (permutation importance: mean score drop),
    ``ci_low``/``ci_high`` (range of the middle 95% over repeats), ``n`` (rows), ``shap_importance``
    (mean |SHAP|), ``shap_rank``, ``perm_rank``.

    Examples
    --------
    A label made of the first column only: both views rank it first.

    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X = np.random.default_rng(0).normal(size=(300, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> res = cross_check(model, X, y, n_repeats=3)
    >>> str(res.frame.loc[0, "feature"]), int(res.frame.loc[0, "shap_rank"]), int(res.frame.loc[0, "perm_rank"])
    ('x0', 1, 1)
    """

    area: ClassVar[str] = AREA
    title: ClassVar[str] = "SHAP vs permutation importance"
    spearman: float = 0.0

    def findings(self) -> list[Finding]:
        """Agreement of the two rankings; columns ranked very differently."""
        rho = self.spearman
        out = []
        if not np.isfinite(rho) or rho < self.params["min_agreement"]:
            out.append(Finding(self.area, "medium", f"SHAP and permutation importance disagree: Spearman rho={number(rho)}",
                               "SHAP measures how much the model's output moves with a column; permutation how much "
                               "the score drops without it. Disagreement hints at correlated columns or "
                               "attributions the score does not reward (e.g. overfitting)."))
        else:
            out.append(Finding(self.area, "info", f"SHAP and permutation importance agree: Spearman rho={number(rho)}"))
        k = max(3, len(self.frame) // 3)
        for r in self.frame.itertuples():
            if min(r.shap_rank, r.perm_rank) <= 3 and abs(r.shap_rank - r.perm_rank) >= k:
                out.append(Finding(self.area, "low", f"{r.feature}: rank {r.shap_rank} by SHAP but {r.perm_rank} by "
                                   f"permutation (drop {short_number(r.estimate)} "
                                   f"{interval(r.ci_low, r.ci_high, short_number)})"))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Rank agreement and each view's top column."""
        f = self.frame
        return [("Spearman rho", number(self.spearman)),
                ("top by SHAP", str(f.loc[f["shap_rank"].idxmin(), "feature"])),
                ("top by permutation", str(f.loc[f["perm_rank"].idxmin(), "feature"]))]

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Scatter of the two importances (labelled), permutation importance with its interval.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the points (``color``, ``marker``, ``markersize``, ...).

        Returns
        -------
        matplotlib Axes
        """
        style = validate_style_kwargs({}, kwargs)
        ax = get_ax(ax)
        f = self.frame
        interval_bars(ax, f["shap_importance"], f["estimate"], f["ci_low"], f["ci_high"], **style)
        for r in f.itertuples():
            ax.annotate(str(r.feature), (r.shap_importance, r.estimate), fontsize=8)
        ax.set_xlabel("mean |SHAP|")
        ax.set_ylabel(f"permutation importance ({self.params['scoring'] or 'default score'} drop)")
        ax.set_title(f"Spearman rho = {number(self.spearman)}")
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
    Reuse an explanation, so SHAP values are computed once:

    >>> from diagtools.datasets import load_loans
    >>> from sklearn.linear_model import LogisticRegression
    >>> df = load_loans().head(300)
    >>> X, y = df[["age", "credit_score"]], df["defaulted"]
    >>> model = LogisticRegression().fit(X, y)
    >>> res = cross_check(model, X, y, explanation=explain(model, X, n_boot=20), n_repeats=3)
    >>> sorted(res.frame["feature"])
    ['age', 'credit_score']
    """
    from scipy.stats import spearmanr
    from sklearn.inspection import permutation_importance

    X = _check_args(model, X, explanation, scoring=scoring, n_repeats=n_repeats, max_rows=max_rows,
                    min_agreement=min_agreement, n_jobs=n_jobs, random_state=random_state)
    # X reaches the model as given (an array stays an array); only the names are made up
    cols = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else [f"x{i}" for i in range(X.shape[1])]
    y = np.asarray(y)
    if len(y) != len(X):
        raise DiagnosticInputError(f"y has {len(y)} rows but X has {len(X)}. Pass y for the same rows, in the same order.")
    if explanation is None:
        explanation = explain(model, X, max_rows=max_rows, random_state=random_state)
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(len(X), size=max_rows, replace=False)) if max_rows and len(X) > max_rows else np.arange(len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # an onnxruntime wrapper has no fit: scikit-learn gets a fitted view of it (same predictions)
        pi = permutation_importance(as_estimator(adapt_model(model, y=y)),
                                    X.iloc[rows] if isinstance(X, pd.DataFrame) else X[rows], y[rows], scoring=scoring,
                                    n_repeats=n_repeats,
                                    n_jobs=n_jobs, random_state=random_state)
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


def _check_args(model: Any, X: Any, explanation: Any, *, scoring: Any, n_repeats: Any, max_rows: Any,
                min_agreement: Any, n_jobs: Any, random_state: Any) -> Any:
    """Check every argument of :func:`cross_check` before any work; return ``X`` checked as a table."""
    check_fitted(model)
    X = check_tabular(X, "X")
    if explanation is not None and not isinstance(explanation, Explanation):
        raise DiagnosticInputError(
            f"explanation must be the result of explain(...) or None, got {type(explanation).__name__}."
        )
    check_int(n_repeats, "n_repeats", low=1, hint="Pass e.g. n_repeats=5.")
    if max_rows is not None:
        check_int(max_rows, "max_rows", low=2, hint="Pass e.g. max_rows=2000, or None for every row.")
    check_real(min_agreement, "min_agreement", low=-1.0, high=1.0, hint="It is a Spearman rho: e.g. 0.5.")
    check_n_jobs(n_jobs)
    check_random_state(random_state, allow_none=False)
    if scoring is not None:
        from sklearn.metrics import check_scoring

        try:
            check_scoring(model, scoring=scoring)
        except (ValueError, TypeError) as exc:
            raise DiagnosticInputError(
                f"scoring {scoring!r} is not a scikit-learn scorer ({exc}). Pass e.g. 'accuracy', 'roc_auc' or 'r2'."
            ) from exc
    return X
