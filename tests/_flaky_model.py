"""A model whose scores fail: importable by the report's kernel (the tests put this folder on PYTHONPATH)."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression


class NoScores(LogisticRegression):
    """Predicts labels, but ``predict_proba`` raises: every section that needs scores fails."""

    def predict_proba(self, X):
        raise RuntimeError("scores are unavailable for this model")
