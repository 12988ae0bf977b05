"""Demo models used by ``diagtools demo``, the templates and the tests.

:func:`make_loan_model` is the model of the demo report. It carries two planted problems of
its own: it **overfits** (boosted trees with large leaves count and no early stopping) and
its pipeline contains a **slow step** (:class:`RepaymentFeatures`, a row-by-row Python loop
in a pipeline that is otherwise vectorized), which latency profiling should name.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from diagtools.datasets import LOANS_TRUTH

__all__ = ["RepaymentFeatures", "SubwordEmbedding", "make_intent_model", "make_loan_model"]


class RepaymentFeatures(TransformerMixin, BaseEstimator):
    """Derive repayment features (monthly payment, payment-to-income) from loan columns.

    This step is deliberately written row by row with a month-by-month amortisation loop: it
    is the planted latency bottleneck of the demo pipeline. A vectorized version
    (closed-form annuity formula) gives the same numbers hundreds of times faster.

    Parameters
    ----------
    term_months : int, default=60
        Length of the loan.
    annual_rate : float, default=0.07
        Interest rate used for the payment.
    """

    def __init__(self, term_months: int = 60, annual_rate: float = 0.07) -> None:
        self.term_months = term_months
        self.annual_rate = annual_rate

    def fit(self, X: pd.DataFrame, y: object = None) -> RepaymentFeatures:
        """Record the number of input features; nothing is learned."""
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Return ``[monthly_payment, payment_to_income]`` per row of ``[loan_amount, income]``."""
        values = np.asarray(X, dtype=float)
        out = np.empty((len(values), 2))
        rate = self.annual_rate / 12.0
        for i, (amount, income) in enumerate(values):
            # Month-by-month search for the payment that clears the balance: slow on purpose.
            payment = amount / self.term_months
            for _ in range(3):
                balance = amount
                for _month in range(self.term_months):
                    balance = balance * (1.0 + rate) - payment
                payment += balance * rate / (1.0 - math.pow(1.0 + rate, -self.term_months))
            out[i, 0] = payment
            out[i, 1] = payment * 12.0 / max(income, 1e-9)
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the two derived features."""
        return np.asarray(["monthly_payment", "payment_to_income"], dtype=object)


def make_loan_model(*, overfit: bool = True, random_state: int = 0) -> object:
    """Return the (unfitted) demo pipeline for the loans data.

    Parameters
    ----------
    overfit : bool, default=True
        ``True`` gives the planted overfitting configuration (255 leaves per tree, 300
        iterations, no early stopping); ``False`` a reasonably regularised one.
    random_state : int, default=0

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``features`` (a ColumnTransformer with ``repayment``, ``categories`` and
        ``numeric``) and ``model`` (HistGradientBoostingClassifier).

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> from diagtools.demo_models import make_loan_model
    >>> df = load_loans().head(500)
    >>> model = make_loan_model().fit(df.drop(columns="defaulted"), df["defaulted"])
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    categorical = list(LOANS_TRUTH.categorical_columns)
    features = ColumnTransformer(
        [
            ("repayment", RepaymentFeatures(), ["loan_amount", "income"]),
            ("categories", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2), categorical),
            ("numeric", "passthrough", list(LOANS_TRUTH.numeric_columns)),
        ],
        verbose_feature_names_out=False,
    )
    n_cat = len(categorical)
    cat_mask = [False, False] + [True] * n_cat + [False] * len(LOANS_TRUTH.numeric_columns)
    if overfit:
        clf = HistGradientBoostingClassifier(
            max_iter=300, max_leaf_nodes=255, min_samples_leaf=2, learning_rate=0.2,
            early_stopping=False, l2_regularization=0.0, categorical_features=cat_mask,
            random_state=random_state,
        )
    else:
        clf = HistGradientBoostingClassifier(
            max_iter=200, max_leaf_nodes=15, min_samples_leaf=40, learning_rate=0.05,
            early_stopping=False, l2_regularization=1.0, categorical_features=cat_mask,
            random_state=random_state,
        )
    return Pipeline([("features", features), ("model", clf)])


class SubwordEmbedding(TransformerMixin, BaseEstimator):
    """Embed each message as the normalised sum of pseudo-random character-trigram vectors.

    An embedding-like featurisation step (in the spirit of fastText's subword vectors) that
    is deliberately expensive: every trigram's vector is regenerated from a seeded generator,
    token by token, row by row, with no cache. It is the planted latency bottleneck of the
    ``"full"`` intent model; per-step profiling should name it.

    Parameters
    ----------
    dim : int, default=32
        Embedding dimension.
    """

    def __init__(self, dim: int = 32) -> None:
        self.dim = dim

    def fit(self, X: object, y: object = None) -> SubwordEmbedding:
        """Nothing is learned (the vectors are fixed by hashing)."""
        self.n_features_in_ = 1
        return self

    def transform(self, X: object) -> np.ndarray:
        """Return an array of shape ``(n_messages, dim)``."""
        texts = list(np.asarray(X, dtype=object).ravel())
        out = np.zeros((len(texts), self.dim))
        for i, text in enumerate(texts):
            for token in str(text).lower().split():
                w = f"<{token}>"
                for j in range(len(w) - 2):
                    # Slow on purpose: a fresh generator per trigram, no lookup table.
                    seed = zlib.crc32(w[j : j + 3].encode())
                    out[i] += np.random.default_rng(seed).standard_normal(self.dim)
            out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names ``emb0 ... emb{dim-1}``."""
        return np.asarray([f"emb{k}" for k in range(self.dim)], dtype=object)


INTENT_KINDS = ("full", "fast", "tiny")


def make_intent_model(kind: str = "full", *, random_state: int = 0) -> object:
    """Return an (unfitted) intent classifier for :func:`diagtools.datasets.load_intents`.

    Parameters
    ----------
    kind : {"full", "fast", "tiny"}, default="full"
        ``"full"``: word 1-2-gram TF-IDF + character 2-4-gram TF-IDF + the expensive
        :class:`SubwordEmbedding`, into a logistic regression (the accurate, slow model).
        ``"fast"``: word 1-2-gram TF-IDF (terms seen at least twice) + logistic regression:
        the optimised variant, as accurate on this data and much faster.
        ``"tiny"``: a 40-word vocabulary: faster still, but it loses accuracy (some intents
        become hard to tell apart), the variant a comparison should reject.
    random_state : int, default=0

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``features`` and ``model``; it takes the ``text`` column (a 1-D sequence of
        strings) as X.

    Examples
    --------
    >>> from diagtools.datasets import load_intents
    >>> from diagtools.demo_models import make_intent_model
    >>> df = load_intents(20)
    >>> model = make_intent_model("fast").fit(df["text"], df["intent"])
    >>> float((model.predict(df["text"]) == df["intent"]).mean()) > 0.9
    True
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    from diagtools._validation import check_option

    check_option(kind, INTENT_KINDS, "kind")
    clf = LogisticRegression(C=10.0, max_iter=500, random_state=random_state)
    if kind == "full":
        features: object = FeatureUnion([
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
            ("embedding", SubwordEmbedding()),
        ])
    elif kind == "fast":
        features = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    else:
        features = TfidfVectorizer(max_features=40)
    return Pipeline([("features", features), ("model", clf)])
