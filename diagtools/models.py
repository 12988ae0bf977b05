"""One place that knows what a fitted model is: task, classes, scores, input and output space.

Every area asks :func:`adapt_model` instead of guessing from a class name or converting the
user's ``X``: the adapter calls the user's model on the user's data exactly as given (strings,
pandas categoricals and sparse matrices included) and only *describes* the model.

Supported: scikit-learn estimators and pipelines, LightGBM, XGBoost and CatBoost (their
scikit-learn APIs, native categoricals included), any object with ``predict`` (and
``predict_proba`` / ``decision_function``), for example an onnxruntime session wrapper, and
models given only as predictions (:meth:`ModelAdapter.from_predictions`).

The attributes an area reads:

========================  ==============================================================
``task``                  ``"binary"``, ``"multiclass"``, ``"regression"`` (None: unknown)
``classes``               original class labels (any dtype) in the order of the score columns
``score_method``          ``"predict_proba"``, ``"decision_function"`` or None
``family``                ``"sklearn"``, ``"lightgbm"``, ``"xgboost"``, ``"catboost"``,
                          ``"generic"`` or ``"predictions"``
``final_estimator``       the last step of a pipeline (the model itself otherwise)
``transform``             the fitted steps before it (None without a pipeline)
``input_kinds``           what the model accepts: subset of ``{"dataframe", "string",
                          "categorical", "sparse", "dense"}``
``task_source``           where the task came from: ``"model"`` (it states it: classes,
                          scikit-learn tags, predict_proba), ``"caller"``, ``"y"`` or
                          ``"assumed"`` (only ``predict``, nothing else known)
``output_space``          space of :meth:`ModelAdapter.raw_output`: ``"log-odds"``,
                          ``"probability"``, ``"margin"``, ``"raw"`` (target units) or
                          ``"log-link"`` (log of the prediction: Poisson, gamma, Tweedie)
========================  ==============================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from diagtools.errors import DiagnosticInputError

__all__ = ["OUTPUT_LABELS", "ModelAdapter", "adapt_model", "as_estimator"]

#: Axis label of each output space (what one unit of SHAP value means).
OUTPUT_LABELS = {
    "log-odds": "log-odds",
    "probability": "probability",
    "margin": "decision margin",
    "raw": "prediction (target units)",
    "log-link": "log of the prediction",
}
_LOG_LINK = ("poisson", "gamma", "tweedie", "count:poisson", "reg:gamma", "reg:tweedie", "survival:cox")


def _module_root(obj: Any) -> str:
    return type(obj).__module__.split(".")[0]


def _family(est: Any) -> str:
    root = _module_root(est)
    if root in ("lightgbm", "xgboost", "catboost"):
        return root
    try:
        from sklearn.base import BaseEstimator
    except ImportError:  # pragma: no cover - scikit-learn is a hard dependency
        return "generic"
    return "sklearn" if isinstance(est, BaseEstimator) else "generic"


def _split_pipeline(model: Any) -> tuple[Any, Any]:
    """``(transform or None, final estimator)``, unwrapping nested pipelines."""
    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline):
        return None, model
    pre, est = (model[:-1] if len(model.steps) > 1 else None), model.steps[-1][1]
    inner_pre, inner = _split_pipeline(est)
    if inner_pre is not None:
        from sklearn.pipeline import make_pipeline

        pre = inner_pre if pre is None else make_pipeline(pre, inner_pre)
    return pre, inner


def _objective(est: Any, family: str) -> str:
    """The training objective / loss name, lower case ('' when unknown)."""
    try:
        if family == "lightgbm":
            obj = getattr(est, "objective_", None) or est.get_params().get("objective")
        elif family == "xgboost":
            obj = getattr(est, "objective", None) or est.get_xgb_params().get("objective")
        elif family == "catboost":
            obj = est.get_all_params().get("loss_function")
        else:
            obj = getattr(est, "loss", None)
    except Exception:  # a half-fitted or exotic model: the objective is just unknown
        obj = None
    return str(obj).lower() if isinstance(obj, str) else ""


def _is(est: Any, *names: str) -> bool:
    """``isinstance`` against scikit-learn classes by import path (no class-name guessing)."""
    import importlib

    for path in names:
        mod, _, cls = path.rpartition(".")
        try:
            if isinstance(est, getattr(importlib.import_module(mod), cls)):
                return True
        except (ImportError, AttributeError):
            continue
    return False


def _sk_task(est: Any) -> str | None:
    try:
        from sklearn.base import is_classifier, is_regressor

        if is_classifier(est):
            return "classification"
        if is_regressor(est):
            return "regression"
    except Exception:  # duck-typed model without sklearn tags
        pass
    est_type = getattr(est, "_estimator_type", None)
    return est_type if est_type in ("classification", "regression") else (
        "classification" if est_type == "classifier" else "regression" if est_type == "regressor" else None)


def _output_space(est: Any, family: str, classifier: bool) -> tuple[str, str | None]:
    """``(output space, how raw output is obtained)`` of the final estimator."""
    obj = _objective(est, family)
    if not classifier:
        if any(k in obj for k in _LOG_LINK):
            return "log-link", "log(predict)"
        return "raw", "predict"
    if family == "lightgbm":
        return "log-odds", "predict(raw_score=True)"
    if family == "xgboost":
        return ("log-odds" if ("logistic" in obj or "softprob" in obj or "softmax" in obj or not obj) else "margin",
                "predict(output_margin=True)")
    if family == "catboost":
        return "log-odds", "predict(prediction_type='RawFormulaVal')"
    if family == "sklearn":
        if _is(est, "sklearn.ensemble.HistGradientBoostingClassifier", "sklearn.ensemble.GradientBoostingClassifier",
               "sklearn.linear_model.LogisticRegression", "sklearn.linear_model.LogisticRegressionCV"):
            return "log-odds", "decision_function"
        if _is(est, "sklearn.linear_model.SGDClassifier") and obj in ("log_loss", "log"):
            return "log-odds", "decision_function"
        if hasattr(est, "predict_proba") and (hasattr(est, "tree_") or (hasattr(est, "estimators_")
                                              and not hasattr(est, "decision_function"))):
            return "probability", "predict_proba"
        if hasattr(est, "decision_function"):
            return "margin", "decision_function"
    if hasattr(est, "predict_proba"):
        return "probability", "predict_proba"
    return "margin", "decision_function" if hasattr(est, "decision_function") else None


def _input_kinds(model: Any, est: Any, pre: Any, family: str) -> frozenset[str]:
    kinds = {"dataframe", "dense"}
    if pre is not None:
        # a fitted pipeline takes what its first step takes; encoders make strings fine
        first = pre.steps[0][1] if hasattr(pre, "steps") else pre
        if _is(first, "sklearn.compose.ColumnTransformer") or hasattr(first, "categories_"):
            kinds |= {"string", "categorical"}
        return frozenset(kinds)
    if family == "lightgbm":
        kinds |= {"categorical", "sparse"}
    elif family == "xgboost":
        kinds |= {"sparse"} | ({"categorical"} if getattr(est, "enable_categorical", False) else set())
    elif family == "catboost":
        kinds |= {"string", "categorical"}
    elif family == "sklearn":
        if _is(est, "sklearn.ensemble.HistGradientBoostingClassifier", "sklearn.ensemble.HistGradientBoostingRegressor"):
            kinds |= {"categorical"}
        elif hasattr(est, "coef_") or hasattr(est, "tree_") or hasattr(est, "estimators_"):
            kinds |= {"sparse"}
    return frozenset(kinds)


def _as_1d(a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim == 2 and arr.shape[1] == 1:  # CatBoost and some wrappers return a column
        arr = arr[:, 0]
    return arr


@dataclass(frozen=True, eq=False)
class ModelAdapter:
    """What diagtools knows about a fitted model, and the calls every area makes through it.

    Build it with :func:`adapt_model` (or :meth:`from_predictions`); the attributes are
    described in the :mod:`diagtools.models` module docstring. Every method passes ``X`` to the
    user's model unchanged.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"a": np.arange(20.0)})
    >>> y = np.where(X["a"] > 9, "yes", "no")
    >>> ad = adapt_model(LogisticRegression().fit(X, y))
    >>> ad.task, ad.classes.tolist(), ad.output_space
    ('binary', ['no', 'yes'], 'log-odds')
    >>> ad.positive_score(X).shape
    (20,)
    """

    model: Any
    task: str | None
    classes: np.ndarray | None
    score_method: str | None
    family: str
    final_estimator: Any
    transform: Any
    input_kinds: frozenset[str]
    output_space: str
    raw_method: str | None
    notes: tuple[str, ...] = ()
    task_source: str = "model"
    y_pred: np.ndarray | None = field(default=None, repr=False)
    y_score: np.ndarray | None = field(default=None, repr=False)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_predictions(cls, y_pred: Any, y_score: Any = None, *, classes: Any = None,
                         task: str | None = None) -> ModelAdapter:
        """An adapter for a model known only by its predictions (e.g. one not in Python).

        Parameters
        ----------
        y_pred : array-like of shape (n_samples,)
            Predicted labels or values.
        y_score : array-like of shape (n_samples,) or (n_samples, n_classes), optional
            Scores: P(positive class) for binary, one column per class otherwise.
        classes : array-like, optional
            Class labels in the column order of ``y_score`` (default: sorted labels of ``y_pred``).
        task : {"binary", "multiclass", "regression"}, optional
            Inferred from ``classes`` / ``y_pred`` when None.

        Returns
        -------
        ModelAdapter
        """
        pred = _as_1d(y_pred)
        source = "caller" if task is not None else "y"
        score = None if y_score is None else np.asarray(y_score, dtype=float)
        cl = None if classes is None else np.asarray(classes)
        if task is None:
            from diagtools._validation import infer_task

            t = "classification" if cl is not None else infer_task(pred)
            if t == "classification":
                cl = np.unique(pred) if cl is None else cl
                task = "binary" if len(cl) <= 2 else "multiclass"
            else:
                task = "regression"
        elif task != "regression" and cl is None:
            cl = np.unique(pred)
        method = None if score is None else "predict_proba"
        return cls(model=None, task=task, classes=cl, score_method=method, family="predictions",
                   final_estimator=None, transform=None, input_kinds=frozenset(),
                   output_space="probability" if task != "regression" else "raw", raw_method=None,
                   notes=("predictions given, no model",), y_pred=pred, y_score=score,
                   task_source=source)

    # -- description ---------------------------------------------------------------------
    @property
    def is_classifier(self) -> bool:
        """True for binary and multiclass models."""
        return self.task in ("binary", "multiclass")

    @property
    def positive_label(self) -> Any:
        """The class whose score :meth:`positive_score` returns (binary: ``classes[1]``)."""
        if self.task != "binary" or self.classes is None or len(self.classes) < 2:
            return None
        return self.classes[1]

    @property
    def output_label(self) -> str:
        """Axis label of :meth:`raw_output` (and of SHAP values explaining it)."""
        return OUTPUT_LABELS.get(self.output_space, self.output_space)

    @property
    def name(self) -> str:
        """Class name of the model (of its final estimator for a pipeline)."""
        return "predictions" if self.model is None else type(self.final_estimator).__name__

    def describe(self) -> dict[str, Any]:
        """JSON-safe summary (task, classes, family, score method, input kinds, output space)."""
        return {"task": self.task, "task_source": self.task_source, "classes": None if self.classes is None else [
                    c.item() if isinstance(c, np.generic) else c for c in self.classes],
                "family": self.family, "estimator": self.name, "score_method": self.score_method,
                "input_kinds": sorted(self.input_kinds), "output_space": self.output_space,
                "pipeline": self.transform is not None, "notes": list(self.notes)}

    # -- calls -----------------------------------------------------------------------------
    def _stored(self, value: np.ndarray | None, X: Any, what: str) -> np.ndarray:
        if value is None:
            raise DiagnosticInputError(f"{what} was not given with the predictions. Pass {what}= when you have it.")
        if X is not None and len(X) != len(value):
            raise DiagnosticInputError(
                f"X has {len(X)} rows but the predictions have {len(value)}. Pass predictions for the same rows.")
        return value

    def predict(self, X: Any) -> np.ndarray:
        """``model.predict(X)`` as a 1-D array of original labels (or values)."""
        if self.family == "predictions":
            return self._stored(self.y_pred, X, "y_pred")
        return _as_1d(self.model.predict(X))

    def scores(self, X: Any) -> np.ndarray | None:
        """The score method's output as floats (None when the model has none).

        ``predict_proba``: one column per class in :attr:`classes` order; ``decision_function``:
        1-D for binary (positive class), one column per class otherwise.
        """
        if self.family == "predictions":
            return None if self.y_score is None else self._stored(self.y_score, X, "y_score")
        if self.score_method is None:
            return None
        return np.asarray(getattr(self.model, self.score_method)(X), dtype=float)

    def probabilities(self, X: Any) -> np.ndarray | None:
        """Class probabilities, one column per class (None without ``predict_proba``)."""
        if self.score_method != "predict_proba":
            return None
        s = self.scores(X)
        if s is not None and s.ndim == 1:  # predictions given as P(positive)
            s = np.column_stack([1.0 - s, s])
        return s

    def positive_score(self, X: Any) -> np.ndarray | None:
        """Binary: the score of :attr:`positive_label` (probability or margin), 1-D."""
        if self.task != "binary":
            return None
        s = self.scores(X)
        if s is None:
            return None
        return s if s.ndim == 1 else s[:, -1]

    def align_labels(self, y: Any) -> np.ndarray:
        """``y`` in the dtype of the model's labels when that is unambiguous, else unchanged.

        XGBoost fitted on booleans states classes ``[0, 1]`` and predicts 0/1: booleans then
        become 0/1 so they compare with the predictions. Nothing else is converted.
        """
        arr = np.asarray(y)
        cl = self.classes
        if (cl is not None and arr.dtype.kind == "b" and np.asarray(cl).dtype.kind in "iu"
                and set(np.asarray(cl).tolist()) <= {0, 1}):
            return arr.astype(np.asarray(cl).dtype)
        return arr

    def label_index(self, y: Any) -> np.ndarray:
        """Position of each label of ``y`` in :attr:`classes` (-1 for labels the model never saw)."""
        if self.classes is None:
            raise DiagnosticInputError("the model has no known classes. Pass classes= to adapt_model().")
        y = self.align_labels(y)
        idx = pd.Index(self.classes).get_indexer(pd.Index(np.asarray(y)))
        if (idx < 0).any() and np.asarray(self.classes).dtype.kind != np.asarray(y).dtype.kind:
            # labels of another dtype (e.g. "1" vs 1): compare as strings before giving up
            idx = pd.Index(np.asarray(self.classes).astype(str)).get_indexer(pd.Index(np.asarray(y).astype(str)))
        return np.asarray(idx, dtype=int)

    def transform_input(self, X: Any) -> Any:
        """The matrix the final estimator sees: ``transform.transform(X)`` (sparse stays sparse)."""
        return X if self.transform is None else self.transform.transform(X)

    def raw_output(self, X: Any, *, transformed: bool = False) -> np.ndarray:
        """The final estimator's raw output in :attr:`output_space`.

        Binary: 1-D (positive class); multiclass: one column per class; regression: 1-D.

        Parameters
        ----------
        X : DataFrame, array or sparse matrix
            Rows as given to the model, or (``transformed=True``) as given to the final estimator.
        transformed : bool, default=False
            True when ``X`` already went through :attr:`transform`.

        Returns
        -------
        numpy.ndarray
        """
        if self.family == "predictions" or self.raw_method is None:
            raise DiagnosticInputError(f"{self.name} has no raw output diagtools knows how to read.")
        Xt = X if transformed else self.transform_input(X)
        est = self.final_estimator
        if self.raw_method == "predict(raw_score=True)":
            out = est.predict(Xt, raw_score=True)
        elif self.raw_method == "predict(output_margin=True)":
            out = est.predict(Xt, output_margin=True)
        elif self.raw_method.startswith("predict(prediction_type"):
            out = est.predict(Xt, prediction_type="RawFormulaVal")
        elif self.raw_method == "log(predict)":
            with np.errstate(divide="ignore"):
                out = np.log(np.asarray(est.predict(Xt), dtype=float))
        else:
            out = getattr(est, self.raw_method)(Xt)
        out = np.asarray(out, dtype=float)
        if out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        if self.task == "binary" and out.ndim == 2 and out.shape[1] == 2:
            out = out[:, 1]
        return out


def as_estimator(model: Any) -> Any:
    """A scikit-learn estimator view of a fitted model, for utilities that insist on one.

    scikit-learn's ``permutation_importance`` and scorers accept only objects with ``fit`` and
    scikit-learn tags; an onnxruntime wrapper has neither. A scikit-learn estimator is returned
    as it is; anything else is wrapped (``fit`` refuses: the model is already fitted), with
    ``predict`` / ``predict_proba`` / ``decision_function`` passed straight to the model.

    Parameters
    ----------
    model : fitted model or ModelAdapter

    Returns
    -------
    estimator
    """
    ad = adapt_model(model)
    if ad.family != "generic" and ad.model is not None and hasattr(ad.model, "fit"):
        return ad.model
    return _fitted_view(ad)


def _fitted_view(ad: ModelAdapter) -> Any:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

    base = ClassifierMixin if ad.is_classifier else RegressorMixin

    class FittedModel(base, BaseEstimator):  # type: ignore[misc, valid-type]
        """scikit-learn view of a fitted model that scikit-learn cannot refit."""

        def __init__(self, adapter: Any = None) -> None:
            self.adapter = adapter

        def fit(self, X: Any, y: Any = None) -> Any:
            raise NotImplementedError("this model is already fitted and cannot be refitted by diagtools")

        def predict(self, X: Any) -> np.ndarray:
            return self.adapter.predict(X)

    view = FittedModel(ad)
    if ad.is_classifier and ad.classes is not None:
        view.classes_ = np.asarray(ad.classes)
    if ad.score_method is not None:
        setattr(view, ad.score_method, lambda X: ad.scores(X))
    view.is_fitted_ = True
    return view


def adapt_model(model: Any, *, classes: Any = None, y: Any = None, task: str | None = None) -> ModelAdapter:
    """Describe a fitted model once, so every area calls it the same way.

    Parameters
    ----------
    model : fitted model or ModelAdapter
        A scikit-learn estimator or Pipeline, a LightGBM / XGBoost / CatBoost model (scikit-learn
        API), or any object with ``predict`` (and ``predict_proba`` / ``decision_function``).
        An adapter is returned unchanged.
    classes : array-like, optional
        Class labels in the column order of ``predict_proba``, for models without ``classes_``
        (e.g. an onnxruntime wrapper). Overrides nothing the model states itself.
    y : array-like, optional
        Targets; used only when the model does not say its task or classes (sorted unique
        labels, scikit-learn's convention for the ``predict_proba`` column order).
    task : {"binary", "multiclass", "regression", "classification"}, optional
        Forces the task when the model does not state it.

    Returns
    -------
    ModelAdapter

    Raises
    ------
    DiagnosticInputError
        When ``model`` has no ``predict`` method.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> ad = adapt_model(RandomForestRegressor(n_estimators=5, random_state=0).fit(X, X[:, 0]))
    >>> ad.task, ad.output_space, ad.family
    ('regression', 'raw', 'sklearn')
    """
    if isinstance(model, ModelAdapter):
        return model
    if not hasattr(model, "predict"):
        raise DiagnosticInputError(
            f"model ({type(model).__name__}) has no predict method. Pass a fitted estimator with predict "
            "(and predict_proba for scores), or use ModelAdapter.from_predictions(y_pred, y_score).")
    if task is not None and task not in ("binary", "multiclass", "regression", "classification"):
        raise DiagnosticInputError(
            f"task must be one of ('binary', 'multiclass', 'regression', 'classification'), got {task!r}.")
    pre, est = _split_pipeline(model)
    family = _family(est)
    notes: list[str] = []
    kind = _sk_task(model) or _sk_task(est)
    source = "model"
    if task is not None:
        kind = "regression" if task == "regression" else "classification"
        source = "caller"
    cl = getattr(model, "classes_", None)
    if cl is None:
        cl = getattr(est, "classes_", None)
    if cl is None and classes is not None:
        cl = classes
        notes.append("classes given by the caller (the model has no classes_)")
    if kind is None:
        if cl is not None or hasattr(model, "predict_proba"):
            kind = "classification"
        elif y is not None:
            from diagtools._validation import infer_task

            kind = infer_task(np.asarray(y))
            source = "y"
            notes.append(f"task inferred from y ({kind}); the model does not state it")
        elif not hasattr(model, "decision_function"):
            kind = "regression"
            source = "assumed"
            notes.append("task assumed regression: the model has only predict and states no classes")
        else:
            kind = "classification"
    if kind == "classification" and cl is None and y is not None:
        cl = np.unique(np.asarray(y))
        notes.append("classes taken as the sorted labels of y (the model has no classes_)")
    classes_arr = None if cl is None else np.asarray(cl)
    if kind == "regression":
        resolved = "regression"
    elif task in ("binary", "multiclass"):
        resolved = task
    elif classes_arr is not None:
        resolved = "binary" if len(classes_arr) <= 2 else "multiclass"
    else:
        resolved = None
        notes.append("classes unknown: pass classes= or y= to adapt_model()")
    score_method = None
    if kind == "classification":
        score_method = next((m for m in ("predict_proba", "decision_function") if callable(getattr(model, m, None))), None)
    space, raw = _output_space(est, family, kind == "classification")
    if family == "generic" and kind == "classification":
        # an opaque object: its only raw output is what its score method returns
        space, raw = ("probability", "predict_proba") if score_method == "predict_proba" else ("margin", score_method)
    return ModelAdapter(model=model, task=resolved, classes=classes_arr, score_method=score_method, family=family,
                        final_estimator=est, transform=pre, input_kinds=_input_kinds(model, est, pre, family),
                        output_space=space, raw_method=raw, notes=tuple(notes), task_source=source)


def with_task(adapter: ModelAdapter, y: Any) -> ModelAdapter:
    """Fill in task and classes from targets when the model did not state them."""
    if adapter.task is not None:
        return adapter
    cl = adapter.classes if adapter.classes is not None else np.unique(np.asarray(y))
    return replace(adapter, classes=cl, task="binary" if len(cl) <= 2 else "multiclass",
                   notes=(*adapter.notes, "classes taken as the sorted labels of y"))
