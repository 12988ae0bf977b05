"""Explanations with SHAP: global importance, per-slice differences, and a permutation cross-check.

:func:`explain` asks the model adapter (:func:`diagtools.models.adapt_model`) what the model
is, then picks shap's TreeExplainer (tree ensembles: scikit-learn, LightGBM, XGBoost, CatBoost),
LinearExplainer (linear models) or a model-agnostic permutation explainer with an explicit
evaluation budget; it explains the final estimator of a Pipeline on the matrix it sees (sparse
kept sparse), checks that base + sum of SHAP equals the model's raw output, falls back to the
model-agnostic explainer (on the original rows) when it does not, and sums expanded columns
(one-hot, derived) back to their source columns. Columns derived from several inputs (e.g. the
demo's ``RepaymentFeatures`` on ``[loan_amount, income]``) are attributed to their *group*,
named ``"loan_amount+income"``: splitting evenly would invent a precision SHAP does not give.
Binary classifiers are explained for the positive class, multiclass models for each row's
predicted class, in the output space the model states (log-odds, probability, target units). :func:`explain_slice` tests which columns' attributions differ
between a slice and the rest; :func:`cross_check` compares with ``permutation_importance``.
:func:`explain_text` explains linear text models token by token (exact coefficient x TF-IDF
contributions, per class).
"""

from __future__ import annotations

from diagtools.explanations._crosscheck import CrossCheck, cross_check
from diagtools.explanations._explain import explain
from diagtools.explanations._result import Explanation
from diagtools.explanations._slice import SliceExplanation, explain_slice
from diagtools.explanations._text import TextExplanation, explain_text, is_linear_text_model

__all__ = [
    "CrossCheck",
    "Explanation",
    "SliceExplanation",
    "TextExplanation",
    "cross_check",
    "explain",
    "explain_slice",
    "explain_text",
    "is_linear_text_model",
]
