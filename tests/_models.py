"""Seeded data and models from the libraries people bring (LightGBM, XGBoost, CatBoost, ONNX).

Shared by the adapter, explanation and cross-area tests; everything is small so a test runs in
seconds. ``OnnxWrapper`` is the kind of object a user writes around an onnxruntime session: a
``predict`` / ``predict_proba`` taking a DataFrame, and nothing else (no ``classes_``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABELS = np.array(["<=50K", ">50K"])


def adult_like(n: int = 600, seed: int = 0, *, categorical: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    """Adult-shaped rows: numeric, categorical (with a '?' level) and string class labels."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n).astype(float)
    hours = rng.normal(40, 10, n).round()
    gain = np.where(rng.random(n) < 0.1, rng.exponential(5000, n), 0.0)
    work = rng.choice(["Private", "Self-emp", "Gov", "?"], n, p=[0.6, 0.15, 0.15, 0.1])
    edu = rng.choice(["HS", "Bachelors", "Masters", "Doctorate"], n)
    logit = 0.05 * (age - 40) + 0.04 * (hours - 40) + 0.0003 * gain + 1.2 * np.isin(edu, ["Masters", "Doctorate"]) - 1.0
    y = LABELS[(rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)]
    X = pd.DataFrame({"age": age, "hours": hours, "capital_gain": gain, "workclass": work, "education": edu})
    if categorical:
        for c in ("workclass", "education"):
            X[c] = X[c].astype("category")
    return X, y


def one_hot_pipeline(final, *, sparse: bool):
    """OneHotEncoder on the string columns + scaled numeric columns, then ``final``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pre = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=sparse), ["workclass", "education"])],
        remainder=StandardScaler(), sparse_threshold=1.0 if sparse else 0.0)
    return Pipeline([("pre", pre), ("model", final)])


class OnnxWrapper:
    """A scikit-learn pipeline exported with skl2onnx and run by onnxruntime, DataFrame in."""

    def __init__(self, sk_model, X: pd.DataFrame) -> None:
        import onnxruntime as ort
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import FloatTensorType, StringTensorType

        self.columns = list(X.columns)
        self.numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
        inputs = [(c, FloatTensorType([None, 1]) if c in self.numeric else StringTensorType([None, 1]))
                  for c in self.columns]
        onx = convert_sklearn(sk_model, initial_types=inputs, options={id(sk_model): {"zipmap": False}},
                              target_opset=17)
        self.session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])

    def _feed(self, X: pd.DataFrame) -> dict:
        return {c: (X[[c]].to_numpy(dtype=np.float32) if c in self.numeric
                    else X[[c]].astype(str).to_numpy(dtype=object)) for c in self.columns}

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.session.run(None, self._feed(X))[0].ravel()

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.session.run(None, self._feed(X))[1]
