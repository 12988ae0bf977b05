"""Seeded examples of the drift area's Result type for the contract test."""

from __future__ import annotations

from collections.abc import Callable

from diagtools._result import Result


def _with_model() -> Result:
    from sklearn.linear_model import LogisticRegression

    from diagtools.datasets import make_loans
    from diagtools.drift import detect_drift

    ref, cur = make_loans(600, random_state=0), make_loans(400, random_state=1)
    cur = cur.assign(income=cur["income"] * 1.5)  # a planted shift
    columns = ["income", "credit_score", "region"]
    model = LogisticRegression(max_iter=500).fit(ref[["income", "credit_score"]], ref["defaulted"])

    class _Numeric:  # the model sees its two numeric columns only
        classes_ = model.classes_

        def predict(self, X):
            return model.predict(X[["income", "credit_score"]])

        def predict_proba(self, X):
            return model.predict_proba(X[["income", "credit_score"]])

    return detect_drift(ref[[*columns, "defaulted"]], cur[[*columns, "defaulted"]], model=_Numeric(),
                        target="defaulted", n_boot=30, domain_classifier=False)


def _columns_only() -> Result:
    from diagtools.datasets import make_loans
    from diagtools.drift import detect_drift

    return detect_drift(make_loans(300, random_state=2), make_loans(300, random_state=3), columns=["income", "region"],
                        domain_classifier=False)


def examples() -> list[tuple[str, Callable[[], Result]]]:
    """(label, factory) pairs: drift with a model and labels (metrics compared), columns only (empty parts)."""
    return [("DriftResult", _with_model), ("DriftResult:columns", _columns_only)]
