"""How big is a model? Measured by what can be measured, never by crashing the process.

``skops.io.dumps`` walks an object's state in C++ extensions too; on an object holding a
native handle (an onnxruntime ``InferenceSession``) it can abort the whole Python process, a
notebook kernel included. So pickle is tried first: an object pickle cannot save is never handed
to skops. A model that holds native runtime objects (onnxruntime, torch, TensorFlow, ctypes)
keeps its weights where pickle does not look, so its pickled size would be wrong: its size is
then *unknown* (None, with the reason) unless the caller names the model file.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

__all__ = ["model_size"]

#: Modules whose objects hold weights outside the Python heap (pickle sizes would be wrong).
NATIVE_MODULES = ("onnxruntime", "torch", "tensorflow", "ctypes", "tflite_runtime", "openvino", "tvm")
_SCAN_LIMIT = 5000


def _serialises_itself(obj: Any) -> bool:
    """True when the object's own class (not object, not scikit-learn's generic one) defines how it pickles.

    LightGBM and XGBoost boosters hold ctypes handles yet pickle their whole model through
    ``__getstate__``: their pickled size is right, and the scan does not look inside them.
    """
    t = type(obj)
    for name in ("__reduce__", "__reduce_ex__", "__getstate__"):
        owner = next((k for k in t.__mro__ if name in vars(k)), None)
        if owner is not None and owner.__module__.split(".")[0] not in ("builtins", "sklearn", "copyreg"):
            return True
    return False


def _native_handles(model: Any, depth: int = 4) -> list[str]:
    """Types of native runtime objects reachable from ``model`` through attributes and containers."""
    found: list[str] = []
    seen: set[int] = set()
    stack = [(model, 0)]
    while stack and len(seen) < _SCAN_LIMIT:
        obj, d = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (str, bytes, int, float, bool)):
            continue
        seen.add(id(obj))
        root = type(obj).__module__.split(".")[0]
        if root in NATIVE_MODULES:
            found.append(f"{type(obj).__module__}.{type(obj).__name__}")
            continue
        if d >= depth or _serialises_itself(obj):
            continue
        if isinstance(obj, dict):
            children = list(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children = list(obj)[:200]
        else:
            try:
                children = list(vars(obj).values())
            except TypeError:
                children = [getattr(obj, s, None) for s in getattr(type(obj), "__slots__", ())]
        stack.extend((c, d + 1) for c in children)
    return sorted(set(found))


def _file_bytes(path: Any) -> int:
    from diagtools.errors import DiagnosticInputError

    p = Path(os.fspath(path))
    if p.is_dir():
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    if not p.is_file():
        raise DiagnosticInputError(f"model_path: no file {str(p)!r}. Pass the path of the saved model file "
                                   "(e.g. model.onnx), or None.")
    return p.stat().st_size


def model_size(model: Any, *, path: Any = None) -> dict[str, Any]:
    """Size of ``model`` in bytes: its file, else skops, else pickle; None when it cannot be known.

    Parameters
    ----------
    model : object
        The fitted model.
    path : str or path-like, optional
        The model's file (or directory) as deployed, e.g. ``model.onnx``: its size is the answer.

    Returns
    -------
    dict
        ``pickle_bytes``, ``skops_bytes``, ``file_bytes`` (None when not measured),
        ``size_bytes`` (the size to report, or None when unknown), ``size_source``
        (``"file"``, ``"skops"``, ``"pickle"`` or None) and ``size_note`` (why, in words).

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> sizes = model_size(LinearRegression().fit([[0], [1]], [0, 1]))
    >>> sizes["pickle_bytes"] > 0, sizes["size_source"]
    (True, 'skops')
    """
    out: dict[str, Any] = {"pickle_bytes": None, "skops_bytes": None, "file_bytes": None, "size_bytes": None,
                           "size_source": None, "size_note": ""}
    if path is not None:
        out["file_bytes"] = _file_bytes(path)
    handles = _native_handles(model)
    pickle_error = ""
    try:
        out["pickle_bytes"] = len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as exc:  # unpicklable models (lambdas, native sessions): pickle size unknown
        pickle_error = f"{type(exc).__name__}: {str(exc)[:120]}"
    if out["pickle_bytes"] is not None and not handles:
        # skops only sees what pickle can already save: nothing native for it to trip over
        try:
            import skops.io as sio

            out["skops_bytes"] = len(sio.dumps(model))
        except Exception:  # skops refuses some types; its size is then unknown
            out["skops_bytes"] = None
    if out["file_bytes"] is not None:
        out.update(size_bytes=out["file_bytes"], size_source="file", size_note=f"size of the file {os.fspath(path)!r}")
    elif handles:
        out["size_note"] = (f"unknown: the model holds {', '.join(handles)}, whose weights live outside what pickle "
                            "or skops can see. Pass the model file (model_path=) to measure it.")
    elif out["skops_bytes"] is not None:
        out.update(size_bytes=out["skops_bytes"], size_source="skops", size_note="skops-serialised size")
    elif out["pickle_bytes"] is not None:
        out.update(size_bytes=out["pickle_bytes"], size_source="pickle", size_note="pickled size (skops cannot save it)")
    else:
        out["size_note"] = (f"unknown: pickle cannot save the model ({pickle_error}) and skops was not tried on it "
                            "(it can abort the process on native objects). Pass the model file (model_path=).")
    return out
