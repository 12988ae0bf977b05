"""Token-level explanations of linear text models: exact coefficient x TF-IDF contributions, per class.

For a linear model on a bag-of-words representation (``TfidfVectorizer`` / ``CountVectorizer``,
possibly inside a ``ColumnTransformer`` with other columns), the score of class ``c`` for a row
is ``intercept_c + sum_j x_j * w_cj``. Each term ``x_j * w_cj`` is the exact contribution of
token ``j`` to that score: no sampling, no masker, and the contributions plus the intercept
add up to ``decision_function`` to floating-point precision (checked on every call). SHAP's
LinearExplainer instead centres features on a background mean; for sparse TF-IDF the plain
products are what a reader means by "which words pushed this message into this class".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import short_number
from diagtools._plotting import empty_panel, get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools._stats import bootstrap_counts, percentile_interval
from diagtools.errors import DiagnosticInputError
from diagtools.explanations._result import AREA

__all__ = ["TextExplanation", "explain_text", "is_linear_text_model"]

FRAME_COLUMNS = ["class", "token", "source", "estimate", "ci_low", "ci_high", "n", "coefficient", "rows_with_token", "rank"]
#: Largest tolerated difference between the summed contributions and ``decision_function``.
ADDITIVITY_TOLERANCE = 1e-6


def _vectorizer_outputs(pre: Any) -> set[str]:
    """Names of the ColumnTransformer parts (or the whole preprocessor) that end in a text vectorizer."""
    from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
    from sklearn.pipeline import Pipeline

    def is_vec(t: Any) -> bool:
        if isinstance(t, Pipeline):
            return is_vec(t.steps[-1][1])
        return isinstance(t, (CountVectorizer, HashingVectorizer))

    out: set[str] = set()
    if hasattr(pre, "transformers_"):
        for name, trans, _ in pre.transformers_:
            if is_vec(trans):
                out.add(str(name))
    elif isinstance(pre, Pipeline):
        for _, step in pre.steps:
            out |= _vectorizer_outputs(step)
        if is_vec(pre.steps[-1][1]):
            out.add("")
    elif is_vec(pre):
        out.add("")
    return out


def _parts(model: Any) -> tuple[Any, Any] | None:
    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline) or len(model.steps) < 2:
        return None
    pre, est = model[:-1], model.steps[-1][1]
    if not hasattr(est, "coef_") or not hasattr(est, "intercept_"):
        return None
    return pre, est


def is_linear_text_model(model: Any) -> bool:
    """Whether ``model`` is a fitted Pipeline ending in a linear model with a text vectorizer before it.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> words = make_pipeline(CountVectorizer(), Ridge()).fit(["good day", "bad day"], [1.0, 0.0])
    >>> is_linear_text_model(words), is_linear_text_model(Ridge())
    (True, False)
    """
    parts = _parts(model)
    if parts is None:
        return False
    pre = parts[0]
    steps = [s for _, s in getattr(pre, "steps", [("", pre)])]
    return any(bool(_vectorizer_outputs(s)) for s in steps)


def _feature_names(pre: Any, p: int) -> tuple[list[str], list[str]]:
    """Token (or feature) and source of each transformed column."""
    try:
        names = [str(n) for n in pre.get_feature_names_out()]
    except Exception:
        names = [f"x{i}" for i in range(p)]
    if len(names) != p:
        names = [f"x{i}" for i in range(p)]
    tokens, sources = [], []
    for n in names:
        source, _, token = n.rpartition("__")
        tokens.append(token or n)
        sources.append(source)
    return tokens, sources


@dataclass(frozen=True)
class TextExplanation(Result):
    """Per-class token contributions of a linear text model.

    Attributes
    ----------
    frame : pandas.DataFrame
        The top tokens of each class, columns ``class, token, source, estimate, ci_low, ci_high,
        n, coefficient, rows_with_token, rank``: ``estimate`` is the mean contribution
        (``tfidf x coefficient``) of the token to the class's score over the ``n`` rows
        explained for that class (predicted as it, or labelled with it), with a bootstrap
        interval over those rows; ``rows_with_token`` counts those rows that contain it;
        ``source`` is the transformer that produced the feature (the text column's part).
    params : dict
        ``by`` ("predicted" or "true"), ``top_k``, ``n_boot``, ``output`` (the score explained,
        e.g. "log-odds"), ``additivity_error`` (largest difference between intercept + sum of
        contributions and ``decision_function``), ``classes``.
    """

    area: ClassVar[str] = AREA
    title: ClassVar[str] = "Token contributions (linear text model)"

    def top_tokens(self, cls: Any, k: int = 10) -> pd.DataFrame:
        """The ``k`` tokens that push rows most towards class ``cls``."""
        f = self.frame[self.frame["class"].astype(str) == str(cls)]
        if f.empty:
            raise DiagnosticInputError(
                f"class {cls!r} has no explained rows; classes: {sorted(self.frame['class'].astype(str).unique())[:10]}."
            )
        return f.sort_values("rank").head(k).reset_index(drop=True)

    def headline(self) -> list[tuple[str, str]]:
        """Rows, classes, the output explained and the additivity check."""
        err = self.params.get("additivity_error")
        return [("rows", f"{self.n_samples:,}"), ("classes", str(self.frame["class"].nunique())),
                ("output", str(self.params.get("output", "score"))),
                ("additivity error", short_number(err))]

    def findings(self) -> list[Finding]:
        """How the explanation was computed, the strongest tokens of the largest classes, and an additivity failure."""
        out: list[Finding] = []
        err = self.params.get("additivity_error")
        if err is not None and err > ADDITIVITY_TOLERANCE:
            out.append(Finding(self.area, "medium",
                               f"Token contributions do not add up to the model's score (error {short_number(err)})",
                               "The pipeline's preprocessing is not a plain transform of the input; read the token "
                               "contributions as approximate.", {"additivity_error": err}))
        f = self.frame
        if len(f):
            sizes = f.groupby("class", sort=False)["n"].first().sort_values(ascending=False, kind="stable")
            parts = []
            for cls in sizes.index[:3]:
                toks = self.top_tokens(cls, 3)["token"].tolist()
                parts.append(f"{cls}: " + ", ".join(repr(t) for t in toks))
            out.append(Finding(
                self.area, "info",
                f"Explained at token level, exactly (coefficient x TF-IDF, {self.params.get('output', 'score')}); "
                f"strongest tokens of the largest classes: " + "; ".join(parts),
                f"Per class, the tokens with the largest mean contribution over the rows "
                f"{'predicted as' if self.params.get('by') == 'predicted' else 'labelled with'} it; all classes in .frame "
                "and top_tokens(cls).", {"classes": [str(c) for c in sizes.index[:3]]}))
        return rank_findings(out)

    def plot(self, *, ax: Any = None, cls: Any = None, k: int = 10, **kwargs: Any) -> Any:
        """Bar chart of the top tokens of one class (default: the class with the most rows), with intervals.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        cls : class label, optional
        k : int, default=10
        **kwargs
            Style of the bars (``color``, ``alpha``, ...).

        Returns
        -------
        matplotlib Axes
        """
        style = validate_style_kwargs({"color": "#175cd3"}, kwargs, artist="patch")
        if cls is None:
            sizes = self.frame.groupby("class", sort=False)["n"].first()
            cls = sizes.idxmax() if len(sizes) else None
        ax = get_ax(ax, figsize=(6.4, 0.35 * k + 1.2))
        if cls is None:
            return empty_panel(ax, "no rows explained")
        t = self.top_tokens(cls, k).iloc[::-1]
        y = np.arange(len(t))
        interval_bars(ax, y, t["estimate"], t["ci_low"], t["ci_high"], horizontal=True, kind="bar", **style)
        ax.set_yticks(y, t["token"])
        ax.set_xlabel(f"mean contribution to the {self.params.get('output', 'score')} of {cls} (95% interval)")
        ax.set_title(f"Tokens pushing towards {cls} ({int(t['n'].iloc[0]):,} rows)")
        return ax


def explain_text(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    by: str = "predicted",
    top_k: int = 10,
    max_rows: int = 5_000,
    n_boot: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
) -> TextExplanation:
    """Explain a linear text model by the exact contribution of each token, summarised per class.

    Parameters
    ----------
    model : fitted Pipeline
        Preprocessing with a ``TfidfVectorizer`` / ``CountVectorizer`` (alone or in a
        ``ColumnTransformer``) followed by a linear model (``coef_``, ``intercept_``), e.g.
        ``LogisticRegression``, ``LinearSVC``, ``SGDClassifier`` or ``Ridge``.
    X : DataFrame, Series or list of str
        Rows to explain, as the model takes them.
    y : array-like, optional
        True labels; needed for ``by="true"``.
    by : {"predicted", "true"}, default="predicted"
        Group rows by their predicted class or by their label.
    top_k : int, default=10
        Tokens kept per class.
    max_rows : int, default=5_000
        Rows explained (a seeded random sample above it).
    n_boot : int, default=200
        Bootstrap resamples of the per-class means.
    confidence : float, default=0.95
    random_state : int, default=0

    Returns
    -------
    TextExplanation

    Raises
    ------
    DiagnosticInputError
        When the model is not a Pipeline ending in a linear model, for an unknown ``by``, or
        ``by="true"`` without ``y``.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from diagtools.datasets import load_intents
    >>> from diagtools.explanations import explain_text
    >>> df = load_intents(40)
    >>> model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(df["text"], df["intent"])
    >>> res = explain_text(model, df["text"], n_boot=50)
    >>> res.params["additivity_error"] < 1e-6
    True
    """
    from diagtools._validation import check_option

    check_option(by, ("predicted", "true"), "by")
    parts = _parts(model)
    if parts is None:
        raise DiagnosticInputError(
            f"explain_text needs a fitted Pipeline ending in a linear model (coef_ and intercept_), got "
            f"{type(model).__name__}. Use explain() for other models."
        )
    if by == "true" and y is None:
        raise DiagnosticInputError("by='true' groups rows by their label, but y is None. Pass y=, or by='predicted'.")
    pre, est = parts
    n_all = len(X)
    rng = np.random.default_rng(random_state)
    idx = np.arange(n_all) if n_all <= max_rows else np.sort(rng.choice(n_all, max_rows, replace=False))
    Xs = X.iloc[idx] if hasattr(X, "iloc") else [X[i] for i in idx]
    import scipy.sparse as sp

    Z = pre.transform(Xs)
    Z = sp.csr_matrix(Z) if not sp.issparse(Z) else Z.tocsr()
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=float))
    intercept = np.atleast_1d(np.asarray(est.intercept_, dtype=float))
    scores = np.asarray(Z @ coef.T) + intercept[None, :]
    error = np.nan
    if hasattr(model, "decision_function"):
        ref = np.asarray(model.decision_function(Xs), dtype=float)
        error = float(np.max(np.abs(scores.reshape(ref.shape) - ref))) if ref.size else 0.0
    classes = np.asarray(getattr(est, "classes_", [None]))
    binary = coef.shape[0] == 1 and len(classes) == 2
    if binary:  # one score, log-odds of classes_[1]; class 0 is pushed by its negative
        coef = np.vstack([-coef[0], coef[0]])
    from diagtools.models import adapt_model

    output = adapt_model(model).output_label  # the space of decision_function: log-odds, margin or target units
    if classes[0] is None:
        classes = np.array(["output"])
    group = np.asarray(model.predict(Xs)) if by == "predicted" else np.asarray(y)[idx]
    tokens, sources = _feature_names(pre, Z.shape[1])
    rows = []
    for ci, cls in enumerate(classes[: coef.shape[0]]):
        members = np.flatnonzero(group == cls)
        if len(members):
            rows += _class_rows(cls.item() if isinstance(cls, np.generic) else cls, Z[members], coef[ci], tokens,
                                sources, top_k=top_k, n_boot=n_boot, confidence=confidence,
                                random_state=random_state + ci)
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    params = {"by": by, "top_k": top_k, "n_boot": n_boot, "confidence": confidence, "random_state": random_state,
              "output": output, "additivity_error": None if not np.isfinite(error) else error,
              "classes": [c.item() if isinstance(c, np.generic) else c for c in classes], "n_total": n_all,
              "model": type(est).__name__}
    return TextExplanation(frame=frame, params=params, n_samples=len(idx))


def _class_rows(cls: Any, Zc: Any, coef: np.ndarray, tokens: list[str], sources: list[str], *, top_k: int,
                n_boot: int, confidence: float, random_state: int) -> list[dict[str, Any]]:
    """The ``top_k`` tokens pushing the rows ``Zc`` of one class towards it, with bootstrap intervals over rows."""
    mean_x = np.asarray(Zc.mean(axis=0)).ravel()
    contrib = mean_x * coef
    k = min(top_k, int((contrib > 0).sum())) or min(top_k, len(contrib))
    top = np.argsort(-contrib, kind="stable")[:k]
    sub = Zc[:, top].toarray()
    boots = np.concatenate([(c @ sub) / c.sum(1, keepdims=True)
                            for c in bootstrap_counts(Zc.shape[0], n_boot, random_state=random_state)])
    lo, hi = percentile_interval(boots * coef[top][None, :], confidence)
    present = (sub > 0).sum(0)
    return [{"class": cls, "token": tokens[j], "source": sources[j], "estimate": float(contrib[j]),
             "ci_low": float(lo[r]), "ci_high": float(hi[r]), "n": Zc.shape[0], "coefficient": float(coef[j]),
             "rows_with_token": int(present[r]), "rank": r + 1} for r, j in enumerate(top)]
