"""Model and data loading: skops checked, pickle only when trusted."""

import pickle

import joblib
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from diagtools.errors import DiagnosticInputError, DiagnosticWarning
from diagtools.io import load_data, load_model, save_model


@pytest.fixture
def model():
    return LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])


def test_skops_round_trip(tmp_path, model):
    path = tmp_path / "m.skops"
    save_model(model, path)
    loaded = load_model(path)
    assert (loaded.predict([[0.5], [2.5]]) == model.predict([[0.5], [2.5]])).all()
    assert [p.name for p in tmp_path.iterdir()] == ["m.skops"]  # no temporary file left behind


def test_demo_pipeline_with_custom_step_loads(tmp_path, loans_reference):
    from diagtools.demo_models import make_loan_model

    small = loans_reference.head(300)
    model = make_loan_model(overfit=False).fit(small.drop(columns="defaulted"), small["defaulted"])
    save_model(model, tmp_path / "loan.skops")
    loaded = load_model(tmp_path / "loan.skops")
    X = small.drop(columns="defaulted")
    assert (loaded.predict(X) == model.predict(X)).all()


@pytest.mark.parametrize("suffix", [".pkl", ".joblib"])
def test_pickle_refused_without_trust(tmp_path, model, suffix):
    path = tmp_path / f"m{suffix}"
    joblib.dump(model, path) if suffix == ".joblib" else path.write_bytes(pickle.dumps(model))
    with pytest.raises(DiagnosticInputError, match="trust=True"):
        load_model(path)
    with pytest.warns(DiagnosticWarning, match="runs code"):
        loaded = load_model(path, trust=True)
    assert type(loaded) is LogisticRegression


class CustomScaler(StandardScaler):
    """A user-defined type that skops does not know."""


def test_untrusted_skops_type_refused(tmp_path):
    import skops.io as sio

    path = tmp_path / "custom.skops"
    sio.dump(CustomScaler().fit([[0.0], [1.0]]), path)
    with pytest.raises(DiagnosticInputError, match="not trusted: .*CustomScaler"):
        load_model(path)
    trusted = [t for t in sio.get_untrusted_types(file=path) if t.endswith("CustomScaler")]
    assert type(load_model(path, trusted=trusted)).__name__ == "CustomScaler"


def test_missing_and_bad_files(tmp_path):
    with pytest.raises(DiagnosticInputError, match="file not found"):
        load_model(tmp_path / "nope.skops")
    (tmp_path / "m.dat").write_text("x")
    with pytest.raises(DiagnosticInputError, match="unsupported file type"):
        load_model(tmp_path / "m.dat")
    (tmp_path / "bad.skops").write_bytes(b"not a zip")
    with pytest.raises(DiagnosticInputError, match="not a valid .skops"):
        load_model(tmp_path / "bad.skops")


def test_load_data(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    pd.testing.assert_frame_equal(load_data(tmp_path / "d.csv"), frame)
    pd.testing.assert_frame_equal(load_data(tmp_path / "d.parquet"), frame)
    (tmp_path / "empty.csv").write_text("a,b\n")
    with pytest.raises(DiagnosticInputError, match="has no rows"):
        load_data(tmp_path / "empty.csv")
    with pytest.raises(DiagnosticInputError, match="file not found"):
        load_data(tmp_path / "missing.csv", name="reference")
