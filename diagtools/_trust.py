"""Which types a ``.skops`` model file may contain, by exact name.

A ``.skops`` file names every type it rebuilds. skops refuses types outside its own default
list unless the caller trusts them; diagtools keeps its **own** list, by exact fully-qualified
name, and checks *every* type in the file against it (including the ones skops trusts by
default, such as numpy ufuncs), so that what loads without a flag is exactly what this module
enumerates:

- scikit-learn's estimator and transformer classes (``sklearn.utils.all_estimators()``) and the
  helper classes their fitted state holds (loss and link objects, histogram binning, fitted
  trees, calibrators, optimisers, CV splitters, a column selector, ``Bunch``);
- the numpy / scipy / builtins *data* types needed to rebuild arrays, dtypes, random states,
  sparse matrices and containers;
- the demo models' own transformer classes (``diagtools.demo_models``).

Nothing callable beyond classes is trusted: no free function (``numpy.savetxt``,
``os.system``, even ``numpy.log1p`` or scikit-learn's ``f_classif``), no bound method, no
``functools.partial`` and no ``operator`` callable. The one exception is the exact shape
scikit-learn itself stores in every HistGradientBoosting model with categorical features,
``functools.partial(sklearn.utils.validation.check_array, **kwargs)``: that partial is accepted
only around that one function, and its arguments are still checked type by type.

Fitted trees are trusted because every tree model needs them; skops leaves them out of its
defaults because scikit-learn indexes their node arrays without bounds checks, so a crafted
file could crash the process. :func:`check_tree_structures` closes that gap: it checks the node
arrays of every tree in a loaded model before the model is handed back.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

__all__ = ["check_tree_structures", "default_trusted_types", "file_types"]

#: The composite scikit-learn builds in HistGradientBoosting (``_preprocessor``): a partial of
#: ``check_array``. Accepted as a whole; neither part is trusted on its own.
CHECK_ARRAY_PARTIAL = ("functools.partial", "sklearn.utils.validation.check_array")

# Helper classes that fitted scikit-learn estimators hold (not themselves estimators).
_SKLEARN_HELPERS = (
    # loss and link objects of (Hist)GradientBoosting, SGD, linear models
    *(f"sklearn._loss.loss.{n}" for n in (
        "AbsoluteError", "ExponentialLoss", "HalfBinomialLoss", "HalfGammaLoss", "HalfMultinomialLoss",
        "HalfPoissonLoss", "HalfSquaredError", "HalfTweedieLoss", "HalfTweedieLossIdentity", "HuberLoss",
        "PinballLoss",
    )),
    *(f"sklearn._loss._loss.Cy{n}" for n in (
        "AbsoluteError", "ExponentialLoss", "HalfBinomialLoss", "HalfGammaLoss", "HalfMultinomialLoss",
        "HalfPoissonLoss", "HalfSquaredError", "HalfTweedieLoss", "HalfTweedieLossIdentity", "HuberLoss",
        "PinballLoss",
    )),
    *(f"sklearn._loss.link.{n}" for n in (
        "HalfLogitLink", "IdentityLink", "Interval", "LogitLink", "LogLink", "MultinomialLogit",
    )),
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    # fitted trees: node arrays checked after loading (check_tree_structures)
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
    # CalibratedClassifierCV's fitted calibrators
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration._TemperatureScaling",
    # MLP optimisers
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    # ColumnTransformer's dtype/regex column selector (a class; its call only selects columns)
    "sklearn.compose._column_transformer.make_column_selector",
    "sklearn.utils._bunch.Bunch",
    # CV splitters and the default scorer kept by *SearchCV / *CV estimators
    *(f"sklearn.model_selection._split.{n}" for n in (
        "KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold", "RepeatedKFold",
        "RepeatedStratifiedKFold", "ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit",
        "TimeSeriesSplit", "PredefinedSplit", "LeaveOneOut", "LeavePOut", "LeaveOneGroupOut",
        "LeavePGroupsOut", "_CVIterableWrapper",
    )),
    "sklearn.metrics._scorer._PassthroughScorer",
    # SplineTransformer's fitted splines
    "scipy.interpolate._bsplines.BSpline",
)

_DATA_TYPES = (
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset",
    "builtins.str", "builtins.int", "builtins.float", "builtins.bool", "builtins.complex",
    "builtins.bytes", "builtins.bytearray", "builtins.slice",
    "collections.OrderedDict", "collections.defaultdict",
    "numpy.ndarray", "numpy.ma.MaskedArray", "numpy.ma.core.MaskedArray", "numpy.dtype",
    "numpy.random.mtrand.RandomState", "numpy.random._generator.Generator",
)

#: The demo models' own steps (see diagtools.demo_models).
_DEMO_TYPES = ("diagtools.demo_models.RepaymentFeatures", "diagtools.demo_models.SubwordEmbedding")


@functools.cache
def default_trusted_types() -> frozenset[str]:
    """Exact type names a ``.skops`` file may contain without ``trusted=``.

    Returns
    -------
    frozenset of str
        Fully-qualified names: scikit-learn estimator classes (from
        ``sklearn.utils.all_estimators()`` of the installed version), their helper classes,
        numpy / scipy / builtins data types, and the demo models' steps. No free function,
        method, ``functools.partial`` or ``operator`` callable.
    """
    import scipy.sparse
    from sklearn.utils import all_estimators

    names = {f"{cls.__module__}.{cls.__qualname__}" for _, cls in all_estimators()}
    names = {n for n in names if n.startswith("sklearn.")}
    names.update(_SKLEARN_HELPERS, _DATA_TYPES, _DEMO_TYPES)
    # numpy scalar types (dtype members such as numpy.float64, numpy.str_) and bit generators
    names.update(_type_name(t) for t in set(np.sctypeDict.values()))
    names.update(
        f"numpy.random.{attr}" for attr in dir(np.random)
        if isinstance(obj := getattr(np.random, attr), type) and issubclass(obj, np.random.BitGenerator)
        and obj is not np.random.BitGenerator
    )
    # sparse matrices and arrays
    for attr in dir(scipy.sparse):
        obj = getattr(scipy.sparse, attr)
        if isinstance(obj, type) and attr.endswith(("_matrix", "_array")) and issubclass(obj, scipy.sparse.sparray | scipy.sparse.spmatrix):
            names.add(_type_name(obj))
    return frozenset(names)


def _type_name(obj: type) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


# --------------------------------------------------------------------------------------
# Reading every type a file names, without building anything.
# --------------------------------------------------------------------------------------
def file_types(zip_file: Any) -> tuple[set[str], set[str]]:
    """All type names a ``.skops`` archive would rebuild, and those accepted as composites.

    skops parses the file into a tree of nodes without importing or constructing anything;
    each node names the type it would rebuild. This walks that tree and lists every name,
    whether or not skops trusts it by default.

    Parameters
    ----------
    zip_file : zipfile.ZipFile
        The opened ``.skops`` archive.

    Returns
    -------
    names : set of str
        Every fully-qualified type, function and method name in the file.
    composite : set of str
        Names that occur *only* as part of the accepted ``partial(check_array)`` composite.
    """
    from skops.io._audit import get_tree
    from skops.io._persist import read_schema

    schema, load_context = read_schema(zip_file)
    tree = get_tree(schema, load_context=load_context, trusted=None)
    names: set[str] = set()
    in_composite: set[int] = set()
    outside: set[str] = set()
    nodes = list(_walk(tree))
    for node in nodes:
        if _is_check_array_partial(node):
            in_composite.update((id(node), id(node.func)))
    for node in nodes:
        own = _own_names(node)
        names.update(own)
        if id(node) not in in_composite:
            outside.update(own)
    composite = {n for n in CHECK_ARRAY_PARTIAL if n in names and n not in outside}
    # skops's own audit must not see anything this walk missed: refuse what it lists too.
    names.update(tree.get_unsafe_set())
    return names, composite


def _walk(node: Any, seen: set[int] | None = None) -> Iterator[Any]:
    from skops.io._audit import Node

    seen = set() if seen is None else seen
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for child in current.children.values():
            if isinstance(child, list):
                items: Iterable[Any] = child
            elif isinstance(child, dict):
                items = child.values()
            else:
                items = (child,)
            stack.extend(c for c in items if isinstance(c, Node))


def _own_names(node: Any) -> set[str]:
    """The names one node introduces (mirrors skops's ``Node.get_unsafe_set`` with nothing trusted)."""
    from skops.io._general import FunctionNode, JsonNode, MethodNode

    if isinstance(node, JsonNode):  # plain JSON value
        return set()
    if isinstance(node, FunctionNode):
        return {node._get_function_name()}
    names = {f"{node.module_name}.{node.class_name}"}
    if isinstance(node, MethodNode):
        names.add(f"{node.obj.module_name}.{node.obj.class_name}.{node.func}")
    for child in node.children.values():
        if type(child) is type:
            names.add(_type_name(child))
    return names


def _is_check_array_partial(node: Any) -> bool:
    from skops.io._general import FunctionNode, PartialNode

    return (
        isinstance(node, PartialNode)
        and f"{node.module_name}.{node.class_name}" == CHECK_ARRAY_PARTIAL[0]
        and isinstance(node.func, FunctionNode)
        and node.func._get_function_name() == CHECK_ARRAY_PARTIAL[1]
    )


# --------------------------------------------------------------------------------------
# Tree node arrays: every index in range, children after parents (so traversal ends).
# --------------------------------------------------------------------------------------
def check_tree_structures(model: Any) -> None:
    """Check the node arrays of every fitted tree inside ``model``.

    scikit-learn follows a tree's child and feature indices without bounds checks; a file
    with out-of-range or cyclic indices could crash the process at the first ``predict``.

    Raises
    ------
    ValueError
        Naming the first malformed tree.
    """
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.tree._tree import Tree

    for owner, obj in _objects(model):
        if isinstance(obj, Tree):
            _check_sklearn_tree(obj)
        elif isinstance(obj, TreePredictor):
            n_features = getattr(owner, "n_features_in_", None)
            _check_hist_predictor(obj, n_features)


def _objects(root: Any, limit: int = 200_000) -> Iterator[tuple[Any, Any]]:
    """Every object reachable through attributes, containers and object arrays, with its owner."""
    seen: set[int] = set()
    stack: list[tuple[Any, Any]] = [(None, root)]
    while stack and len(seen) < limit:
        owner, obj = stack.pop()
        if id(obj) in seen or isinstance(obj, str | bytes | int | float | bool | type(None)):
            continue
        seen.add(id(obj))
        yield owner, obj
        if isinstance(obj, dict):
            stack.extend((owner, v) for v in obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend((owner, v) for v in obj)
        elif isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend((owner, v) for v in obj.ravel())
        elif hasattr(obj, "__dict__"):
            stack.extend((obj, v) for v in vars(obj).values())


def _check_children(left: np.ndarray, right: np.ndarray, internal: np.ndarray, what: str) -> None:
    n = len(left)
    idx = np.arange(n)
    if internal.any():
        lo, ro, i = left[internal], right[internal], idx[internal]
        if not (((lo > i) & (lo < n) & (ro > i) & (ro < n)).all()):
            raise ValueError(f"{what}: child indices out of range or not after their parent")


def _check_sklearn_tree(tree: Any) -> None:
    state = tree.__getstate__()
    nodes = state["nodes"]
    n = int(state["node_count"])
    if len(nodes) != n or np.asarray(state["values"]).shape[0] != n:
        raise ValueError("sklearn.tree._tree.Tree: node count does not match its arrays")
    left, right, feature = (np.asarray(nodes[k]).astype(np.int64) for k in ("left_child", "right_child", "feature"))
    leaf = left == -1
    if not (leaf == (right == -1)).all():
        raise ValueError("sklearn.tree._tree.Tree: a node has one child")
    _check_children(left, right, ~leaf, "sklearn.tree._tree.Tree")
    if ((feature[~leaf] < 0) | (feature[~leaf] >= int(tree.n_features))).any():
        raise ValueError("sklearn.tree._tree.Tree: feature index out of range")


def _check_hist_predictor(predictor: Any, n_features: int | None) -> None:
    nodes = predictor.nodes
    what = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
    leaf = np.asarray(nodes["is_leaf"]).astype(bool)
    left, right = (np.asarray(nodes[k]).astype(np.int64) for k in ("left", "right"))
    _check_children(left, right, ~leaf, what)
    feature = np.asarray(nodes["feature_idx"]).astype(np.int64)[~leaf]
    if (feature < 0).any() or (n_features is not None and (feature >= int(n_features)).any()):
        raise ValueError(f"{what}: feature index out of range")
    categorical = ~leaf & np.asarray(nodes["is_categorical"]).astype(bool)
    if categorical.any():
        bitset = np.asarray(nodes["bitset_idx"]).astype(np.int64)[categorical]
        n_bitsets = min(len(predictor.raw_left_cat_bitsets), len(predictor.binned_left_cat_bitsets))
        if ((bitset < 0) | (bitset >= n_bitsets)).any():
            raise ValueError(f"{what}: category bitset index out of range")
