"""The runtime variants: a fitted scikit-learn pipeline exported to ONNX and run with onnxruntime.

:class:`OnnxModel` wraps an ONNX graph behind ``predict`` / ``predict_proba`` so every
diagtools area (latency, load tests, comparisons) can use it like the original model. It
pickles as the graph bytes plus its options, so it can be saved and reloaded; ``save`` writes
the plain ``.onnx`` file a serving stack loads.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["OnnxModel", "convert_to_onnx", "quantizable", "quantize"]

# Ops whose weight initialisers onnxruntime's dynamic quantization turns into int8.
_QUANTIZABLE_OPS = ("MatMul", "Gemm")


class OnnxModel:
    """A model run by onnxruntime with scikit-learn's ``predict`` / ``predict_proba``.

    Parameters
    ----------
    onnx_bytes : bytes
        The serialised ONNX graph (``model.SerializeToString()``).
    classes : array-like, optional
        Class labels in the order of the probability columns (classification).
    input_kind : {"text", "frame", "array"}
        How X becomes the graph's inputs: one string column, one input per DataFrame column
        (named like the columns), or one float32 matrix.
    threads : int, default=1
        onnxruntime intra-op threads (``1`` for many single-threaded workers, the number of
        cores for one worker using the whole machine).
    description : str, default=""
        How it was made (recorded in the optimisation result).
    """

    def __init__(self, onnx_bytes: bytes, *, classes: Any = None, input_kind: str = "array",
                 threads: int = 1, description: str = "") -> None:
        self.onnx_bytes = bytes(onnx_bytes)
        self.classes_ = None if classes is None else np.asarray(classes)
        self.input_kind = input_kind
        self.threads = int(threads)
        self.description = description
        self._open()

    def _open(self) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(self.onnx_bytes, options, providers=["CPUExecutionProvider"])
        self._inputs = self._session.get_inputs()
        self._outputs = [o.name for o in self._session.get_outputs()]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for key in ("_session", "_inputs", "_outputs"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._open()

    def with_threads(self, threads: int) -> OnnxModel:
        """The same graph in a new session with ``threads`` intra-op threads."""
        return OnnxModel(self.onnx_bytes, classes=self.classes_, input_kind=self.input_kind,
                         threads=threads, description=self.description)

    def _feed(self, X: Any) -> dict[str, np.ndarray]:
        if self.input_kind == "text":
            values = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X, dtype=object)
            return {self._inputs[0].name: np.asarray(values, dtype=object).reshape(-1, 1).astype(str).astype(object)}
        if self.input_kind == "frame":
            feed = {}
            for inp in self._inputs:
                col = X[inp.name].to_numpy()
                if inp.type == "tensor(string)":
                    feed[inp.name] = col.astype(str).astype(object).reshape(-1, 1)
                elif inp.type == "tensor(int64)":
                    feed[inp.name] = col.astype(np.int64).reshape(-1, 1)
                else:
                    feed[inp.name] = col.astype(np.float32).reshape(-1, 1)
            return feed
        return {self._inputs[0].name: np.asarray(X, dtype=np.float32).reshape(len(X), -1)}

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (or values) for the rows of X."""
        out = self._session.run(self._outputs[:1], self._feed(X))[0]
        return np.asarray(out).ravel() if self.classes_ is None or np.ndim(out) == 1 else np.asarray(out)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        if self.classes_ is None or len(self._outputs) < 2:
            raise AttributeError("this ONNX model has no probability output")
        return np.asarray(self._session.run(self._outputs[1:2], self._feed(X))[0])

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the graph to an ``.onnx`` file, atomically."""
        dest = Path(path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.onnx_bytes)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def __repr__(self) -> str:
        return f"OnnxModel({self.description or 'onnx'}, threads={self.threads}, {len(self.onnx_bytes):,} bytes)"


def _input_kind(X: Any) -> str:
    if hasattr(X, "columns"):
        return "frame"
    arr = np.asarray(X[:1] if hasattr(X, "__getitem__") else X, dtype=object)
    if arr.ndim == 1 and len(arr) and isinstance(arr[0], str):
        return "text"
    return "array"


def _final_estimator(model: Any) -> Any:
    return model.steps[-1][1] if hasattr(model, "steps") else model


def convert_to_onnx(model: Any, X: Any) -> tuple[bytes, str]:
    """Export a fitted scikit-learn model or pipeline with skl2onnx.

    Returns the serialised graph and the input kind. Text vectorisers get the portable
    ``C.UTF-8`` locale (the default ``en_US.UTF-8`` is missing on many servers); classifiers
    output a plain probability matrix (no ZipMap) so ``predict_proba`` is an array.

    Raises
    ------
    Exception
        Whatever skl2onnx raises for a step it cannot convert (custom transformers, text
        options ONNX cannot express); the caller records the reason.
    """
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    kind = _input_kind(X)
    first = model.steps[0][1] if hasattr(model, "steps") else model
    if kind == "frame" and not isinstance(first, ColumnTransformer) and all(X[c].dtype.kind in "biuf" for c in X.columns):
        # A model fed a numeric frame as one matrix: one float input, not one input per column.
        kind, X = "array", X.to_numpy(dtype=np.float32)
    options: dict[Any, Any] = {TfidfVectorizer: {"locale": "C.UTF-8"}, CountVectorizer: {"locale": "C.UTF-8"}}
    final = _final_estimator(model)
    if hasattr(final, "predict_proba"):
        options[id(final)] = {"zipmap": False}
    if kind == "text":
        types = [("text", StringTensorType([None, 1]))]
    elif kind == "frame":
        types = []
        for col in X.columns:
            dt = X[col].dtype
            if dt.kind in "OUSb" or str(dt) in ("category", "string"):
                types.append((str(col), StringTensorType([None, 1])))
            elif dt.kind in "iu":
                types.append((str(col), Int64TensorType([None, 1])))
            else:
                types.append((str(col), FloatTensorType([None, 1])))
    else:
        types = [("X", FloatTensorType([None, int(np.asarray(X).shape[1])]))]
    onx = to_onnx(model, initial_types=types, options=options, target_opset={"": 17, "ai.onnx.ml": 3})
    return onx.SerializeToString(), kind


def quantizable(onnx_bytes: bytes) -> list[str]:
    """Names of the nodes whose weights dynamic int8 quantization would convert."""
    import onnx

    graph = onnx.load_from_string(onnx_bytes).graph
    inits = {i.name for i in graph.initializer}
    return [n.name or n.op_type for n in graph.node
            if n.op_type in _QUANTIZABLE_OPS and any(i in inits for i in n.input)]


def quantize(onnx_bytes: bytes) -> bytes:
    """Dynamic int8 quantization of the MatMul/Gemm weights (onnxruntime.quantization)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        src.write_bytes(onnx_bytes)
        quantize_dynamic(src, dst, weight_type=QuantType.QInt8, op_types_to_quantize=list(_QUANTIZABLE_OPS))
        return dst.read_bytes()
