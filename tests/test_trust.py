"""Model-file trust: exact type names only; gadgets that write files are refused and write nothing.

Each gadget test first proves the gadget is real (trusted by name, it writes its file), then
that without trust the load is refused, names the offending types, and no file appears.
"""

import contextlib
import functools
import json
import operator
import os
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from diagtools.errors import DiagnosticInputError
from diagtools.io import GBM_TYPES, load_model, save_model, trusted_types

X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
Y = [0, 0, 1, 1]


def _function_step_model(func):
    model = make_pipeline(FunctionTransformer(), LogisticRegression()).fit(X, Y)
    model.steps[0][1].func = func  # swapped in after fitting, as an attacker editing a file would
    return model


def savetxt_partial_gadget(tmp_path):
    """The reported bypass: FunctionTransformer(functools.partial(numpy.savetxt, PATH))."""
    target = tmp_path / "evil.pth"
    sio.dump(_function_step_model(functools.partial(np.savetxt, str(target))), tmp_path / "g.skops")
    return target, ["functools.partial", "numpy.savetxt"], lambda m: m.predict(X)


def methodcaller_tofile_gadget(tmp_path):
    """operator.methodcaller('tofile', PATH): the first predict writes X's bytes to PATH."""
    target = tmp_path / "evil.bin"
    sio.dump(_function_step_model(operator.methodcaller("tofile", str(target))), tmp_path / "g.skops")
    return target, ["operator.methodcaller"], lambda m: m.predict(X)


def os_system_analyzer_gadget(tmp_path):
    """A text pipeline whose analyzer is os.system: every document becomes a shell command."""
    target = tmp_path / "evil.sh-made"
    docs = ["aa bb", "bb cc", "cc dd", "dd aa"]
    model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(docs, Y)
    model.steps[0][1].analyzer = os.system
    sio.dump(model, tmp_path / "g.skops")
    name = f"{os.system.__module__}.system"  # posix.system on Unix
    return target, [name], lambda m: m.predict([f"touch {target}"])


def reduce_numpy_save_gadget(tmp_path):
    """A hand-edited file: a loss object whose reduce constructor is numpy.save (runs while loading)."""
    from sklearn._loss.loss import HalfBinomialLoss

    target = tmp_path / "evil.npy"
    path = tmp_path / "g.skops"
    sio.dump(HalfBinomialLoss(), path)
    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
    closs = schema["content"]["content"]["closs"]
    assert closs["__loader__"] == "LossNode"
    closs["__module__"], closs["__class__"] = "numpy", "save"

    def json_node(value):
        return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
                "content": json.dumps(value), "is_json": True}

    closs["__reduce__"]["args"]["content"] = [json_node(str(target)), json_node([1, 2, 3])]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema))
    return target, ["numpy.save"], lambda m: None


GADGETS = {
    "savetxt_partial": savetxt_partial_gadget,
    "methodcaller_tofile": methodcaller_tofile_gadget,
    "os_system_analyzer": os_system_analyzer_gadget,
    "reduce_numpy_save": reduce_numpy_save_gadget,
}


@pytest.mark.parametrize("gadget", list(GADGETS))
def test_gadget_refused_without_trust_and_writes_nothing(tmp_path, gadget):
    target, names, _ = GADGETS[gadget](tmp_path)
    with pytest.raises(DiagnosticInputError, match="not trusted") as err:
        load_model(tmp_path / "g.skops")
    message = str(err.value)
    for name in names:
        assert name in message
    assert "--trusted-type" in message and "\n" not in message
    assert not target.exists()
    # Trusting only part of the gadget is still refused.
    if len(names) > 1:
        with pytest.raises(DiagnosticInputError, match="not trusted"):
            load_model(tmp_path / "g.skops", trusted=names[:1])
    assert not target.exists()


@pytest.mark.parametrize("gadget", list(GADGETS))
def test_gadget_is_real_when_trusted_by_name(tmp_path, gadget):
    """The refusal above matters: trusted by name, each gadget does write its file."""
    target, names, use = GADGETS[gadget](tmp_path)
    model = None
    try:
        model = load_model(tmp_path / "g.skops", trusted=names)
    except DiagnosticInputError:
        assert gadget == "reduce_numpy_save"  # numpy.save returns None: no loss object is built
    if model is not None:
        with contextlib.suppress(Exception):  # the gadget's side effect happens before any later error
            use(model)
    assert target.exists()


def test_default_trust_is_exact_names_and_holds_nothing_callable():
    names = trusted_types()
    assert "sklearn.linear_model._logistic.LogisticRegression" in names
    assert "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor" in names
    assert "numpy.ndarray" in names and "numpy.float64" in names
    assert "scipy.sparse._csr.csr_matrix" in names
    for refused in ("functools.partial", "numpy.savetxt", "numpy.save", "numpy.log1p", "builtins.eval",
                    "operator.methodcaller", "sklearn.utils.validation.check_array", "builtins.map"):
        assert refused not in names
    assert not any(n.endswith((".*", ".")) for n in names)
    # Every trusted non-builtin name is a class (or the numpy scalar types), never a function.
    import importlib

    for name in sorted(names):
        module, _, attr = name.rpartition(".")
        try:
            obj = importlib.import_module(module)
        except ImportError:
            parent, _, sub = module.rpartition(".")
            obj = getattr(importlib.import_module(parent), sub, None)
        value = getattr(obj, attr, None)
        if value is not None:
            assert isinstance(value, type), name


def test_every_sklearn_estimator_is_trusted():
    from sklearn.utils import all_estimators

    names = trusted_types()
    missing = [f"{c.__module__}.{c.__qualname__}" for _, c in all_estimators()]
    assert [n for n in missing if n not in names] == []


def _fit(model, X_, y_):
    return model.fit(X_, y_), X_


@pytest.fixture(scope="module")
def realistic_models():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.decomposition import PCA
    from sklearn.ensemble import (
        GradientBoostingRegressor,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
        StackingClassifier,
    )
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    Xn = rng.normal(size=(200, 4))
    y = (Xn[:, 0] + rng.normal(size=200) > 0).astype(int)
    frame = pd.DataFrame(Xn, columns=list("abcd")).assign(c=np.where(Xn[:, 1] > 0, "x", "y"))
    return {
        "hgb_categorical": _fit(HistGradientBoostingClassifier(max_iter=5, categorical_features=[False] * 3 + [True]),
                                np.c_[Xn[:, :3], (Xn[:, 3] > 0)], y),
        "forest": _fit(RandomForestClassifier(3, random_state=0), Xn, y),
        "gbr": _fit(GradientBoostingRegressor(n_estimators=3), Xn, Xn[:, 0]),
        "calibrated": _fit(CalibratedClassifierCV(LogisticRegression(), cv=2), Xn, y),
        "mlp": _fit(MLPClassifier(hidden_layer_sizes=(3,), max_iter=2000, random_state=0), Xn, y),
        "search": _fit(GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, cv=2), Xn, y),
        "stack": _fit(StackingClassifier([("a", LogisticRegression()), ("b", DecisionTreeClassifier())]), Xn, y),
        "columns": _fit(make_pipeline(ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(), StandardScaler(), PCA(2)), make_column_selector(dtype_include="number")),
            ("cat", OneHotEncoder(handle_unknown="ignore", dtype=np.float32), ["c"]),
        ]), QuantileTransformer(n_quantiles=20), LogisticRegression()), frame, y),
    }


def test_realistic_models_load_without_flags(tmp_path, realistic_models):
    for name, (model, data) in realistic_models.items():
        path = tmp_path / f"{name}.skops"
        save_model(model, path)
        loaded = load_model(path)
        assert type(loaded) is type(model), name
        np.testing.assert_array_equal(loaded.predict(data), model.predict(data), err_msg=name)


def test_demo_models_load_without_flags(tmp_path, loans_reference):
    from diagtools.datasets import load_intents
    from diagtools.demo_models import make_intent_model, make_loan_model

    small = loans_reference.head(300)
    X_ = small.drop(columns="defaulted")
    loan = make_loan_model().fit(X_, small["defaulted"])
    save_model(loan, tmp_path / "loan.skops")
    assert (load_model(tmp_path / "loan.skops").predict(X_) == loan.predict(X_)).all()
    intents = load_intents(20)
    full = make_intent_model("full").fit(intents["text"], intents["intent"])
    save_model(full, tmp_path / "intent.skops")
    assert (load_model(tmp_path / "intent.skops").predict(intents["text"]) == full.predict(intents["text"])).all()


def test_check_array_partial_is_trusted_only_as_sklearn_builds_it(tmp_path):
    from sklearn.utils.validation import check_array

    # The same two names in another shape: a partial of check_array as a user step.
    model = _function_step_model(functools.partial(check_array, ensure_2d=True))
    sio.dump(model, tmp_path / "m.skops")
    assert type(load_model(tmp_path / "m.skops")).__name__ == "Pipeline"  # the exact composite, arguments checked
    # check_array alone (not inside the partial) is a free function: refused.
    sio.dump(_function_step_model(check_array), tmp_path / "f.skops")
    with pytest.raises(DiagnosticInputError, match=r"sklearn\.utils\.validation\.check_array"):
        load_model(tmp_path / "f.skops")
    # A partial of check_array whose arguments hold a callable: the callable is refused.
    sio.dump(_function_step_model(functools.partial(check_array, dtype=np.log1p)), tmp_path / "d.skops")
    with pytest.raises(DiagnosticInputError, match=r"numpy\.log1p"):
        load_model(tmp_path / "d.skops")


def test_numpy_ufunc_needs_explicit_trust(tmp_path):
    model = make_pipeline(FunctionTransformer(np.log1p), LogisticRegression()).fit(np.abs(X), Y)
    save_model(model, tmp_path / "m.skops")
    with pytest.raises(DiagnosticInputError, match=r"numpy\.log1p"):
        load_model(tmp_path / "m.skops")
    assert load_model(tmp_path / "m.skops", trusted=["numpy.log1p"]).predict(np.abs(X)).tolist() == model.predict(np.abs(X)).tolist()


@pytest.mark.parametrize("bad", ["numpy.savetxt", ["numpy.*"], ["numpy"], [" numpy.save"], [3]])
def test_trusted_names_must_be_exact(tmp_path, bad):
    save_model(LogisticRegression().fit(X, Y), tmp_path / "m.skops")
    with pytest.raises(DiagnosticInputError, match="trusted"):
        load_model(tmp_path / "m.skops", trusted=bad)


def test_crafted_tree_indices_refused(tmp_path):
    from sklearn.tree import DecisionTreeClassifier

    path = tmp_path / "t.skops"
    save_model(DecisionTreeClassifier(random_state=0).fit(X, Y), path)
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    schema = json.loads(files["schema.json"])
    tree_state = schema["content"]["content"]["tree_"]["content"]["content"]
    nodes_file = tree_state["nodes"]["file"]
    import io

    nodes = np.load(io.BytesIO(files[nodes_file]), allow_pickle=False)
    nodes["left_child"][0] = 10_000  # points far outside the node array
    buffer = io.BytesIO()
    np.save(buffer, nodes, allow_pickle=False)
    files[nodes_file] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(DiagnosticInputError, match="could not load .*child indices out of range"):
        load_model(path)


def test_truncated_skops_is_a_clear_error(tmp_path):
    path = tmp_path / "m.skops"
    save_model(LogisticRegression().fit(X, Y), path)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(DiagnosticInputError, match="not a valid .skops file"):
        load_model(path)


# --------------------------------------------------------------------------------------
# LightGBM, XGBoost, CatBoost: native model files, or exact names in a .skops file.
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gbm_data():
    rng = np.random.default_rng(1)
    Xg = pd.DataFrame(rng.normal(size=(300, 4)), columns=["f0", "f1", "f2", "f3"])
    return Xg, (Xg["f0"] + 0.5 * rng.normal(size=300) > 0).astype(int)


def _native(library, Xg, y, tmp_path, regression=False):
    if library == "lightgbm":
        import lightgbm as lgb

        cls = lgb.LGBMRegressor if regression else lgb.LGBMClassifier
        model = cls(n_estimators=10, verbose=-1).fit(Xg, y)
        path = tmp_path / "model.txt"
        model.booster_.save_model(str(path))
    elif library == "xgboost":
        import xgboost as xgb

        cls = xgb.XGBRegressor if regression else xgb.XGBClassifier
        model = cls(n_estimators=10).fit(Xg, y)
        path = tmp_path / "model.json"
        model.save_model(str(path))
    else:
        import catboost as cb

        cls = cb.CatBoostRegressor if regression else cb.CatBoostClassifier
        model = cls(iterations=10, verbose=0, allow_writing_files=False, thread_count=1).fit(Xg, y)
        path = tmp_path / "model.cbm"
        model.save_model(str(path))
    return model, path


@pytest.mark.parametrize("library", ["lightgbm", "xgboost", "catboost"])
@pytest.mark.parametrize("regression", [False, True])
def test_native_gbm_files_load_as_sklearn_estimators(tmp_path, gbm_data, library, regression):
    pytest.importorskip(library)
    Xg, y = gbm_data
    target = Xg["f1"] if regression else y
    model, path = _native(library, Xg, target, tmp_path, regression)
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict(Xg), model.predict(Xg), rtol=1e-6)
    if not regression:
        np.testing.assert_allclose(loaded.predict_proba(Xg), model.predict_proba(Xg), rtol=1e-6)
        assert list(loaded.classes_) == [0, 1]


@pytest.mark.parametrize("library", ["lightgbm", "xgboost", "catboost"])
def test_gbm_in_skops_needs_the_documented_names(tmp_path, gbm_data, library):
    pytest.importorskip(library)
    Xg, y = gbm_data
    model, _ = _native(library, Xg, y, tmp_path)
    path = tmp_path / "m.skops"
    save_model(model, path)
    with pytest.raises(DiagnosticInputError, match="not trusted") as err:
        load_model(path)
    listed = {n.strip(" .") for n in str(err.value).split(": ", 2)[2].split(". Loading")[0].split(",")}
    assert listed <= set(GBM_TYPES[library])
    loaded = load_model(path, trusted=GBM_TYPES[library])
    np.testing.assert_allclose(loaded.predict_proba(Xg), model.predict_proba(Xg), rtol=1e-6)


def test_text_file_that_is_not_a_lightgbm_model(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(DiagnosticInputError, match="not a LightGBM model file"):
        load_model(tmp_path / "notes.txt")


# --------------------------------------------------------------------------------------
# The command line: refused before any kernel starts, nothing written.
# --------------------------------------------------------------------------------------
def _cli(*args, cwd):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "diagtools.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


@pytest.mark.parametrize("command", ["report", "bench"])
def test_cli_refuses_the_gadget_and_writes_nothing(tmp_path, command):
    target, names, _ = savetxt_partial_gadget(tmp_path)
    pd.DataFrame(X, columns=["a", "b"]).assign(y=Y).to_csv(tmp_path / "d.csv", index=False)
    before = set(tmp_path.iterdir())
    extra = ["--out", str(tmp_path / "r.html")] if command == "report" else ["--db", str(tmp_path / "h.db")]
    out = _cli(command, "--model", str(tmp_path / "g.skops"), "--data", str(tmp_path / "d.csv"), "--target", "y",
               *extra, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr
    assert all(name in out.stderr for name in names) and "--trusted-type" in out.stderr
    assert set(tmp_path.iterdir()) == before  # no gadget file, no report, no history database
    assert not target.exists()


def test_every_command_that_loads_a_model_takes_trusted_type():
    from diagtools.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    loading = [name for name, sub in commands.items() if any("--model" in a.option_strings for a in sub._actions)]
    assert {"report", "bench"} <= set(loading)
    for name in loading:
        options = {o for a in commands[name]._actions for o in a.option_strings}
        assert "--trusted-type" in options, name
    args = parser.parse_args(["report", "--model", "m", "--data", "d", "--target", "t",
                              "--trusted-type", "a.B", "--trusted-type", "c.D"])
    assert args.trusted_type == ["a.B", "c.D"]


def test_report_accepts_trusted_type_for_a_gbm_skops_file(tmp_path, gbm_data):
    """--trusted-type reaches the kernel: a LightGBM model in a .skops file renders with the documented names."""
    pytest.importorskip("lightgbm")
    import lightgbm as lgb

    Xg, y = gbm_data
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(Xg, y)
    save_model(model, tmp_path / "m.skops")
    Xg.assign(y=y).head(120).to_csv(tmp_path / "d.csv", index=False)
    trust = [arg for name in GBM_TYPES["lightgbm"] for arg in ("--trusted-type", name)]
    out = _cli("report", "--model", str(tmp_path / "m.skops"), "--data", str(tmp_path / "d.csv"), "--target", "y",
               "--sections", "metrics", "--n-boot", "20", "--quiet", "--out", str(tmp_path / "r.html"), *trust,
               cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "r.html").stat().st_size > 10_000


def test_report_refits_never_use_a_pipeline_cache_from_the_file(tmp_path):
    """A pipeline's memory= is a directory the file's author chose: refits would read pickles there."""
    from sklearn.preprocessing import StandardScaler

    from diagtools.report import run_diagnostics

    cache = tmp_path / "cache"
    cache.mkdir()
    rng = np.random.default_rng(0)
    Xf = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (Xf["a"] > 0).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression(), memory=str(cache))
    model.fit(Xf, y)
    assert any(cache.rglob("*.pkl"))  # sklearn's own fit does cache there: the refits below must not
    import shutil

    shutil.rmtree(cache)
    cache.mkdir()
    save_model(model, tmp_path / "m.skops")
    loaded = load_model(tmp_path / "m.skops")
    assert loaded.memory == str(cache)
    report = run_diagnostics(loaded, Xf, y, X_train=Xf, y_train=y, sections=["fit"], n_boot=20)
    assert report["fit"].status == "ok", report.failed
    assert list(cache.iterdir()) == []
    assert loaded.memory == str(cache)  # the user's model itself is left as it was
