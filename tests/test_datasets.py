"""Demo data: deterministic, with exactly the planted problems."""

import numpy as np
import pandas as pd
import pytest

from diagtools.datasets import LOANS_TRUTH, load_housing, load_intents, load_loans, make_loans
from diagtools.errors import DiagnosticInputError


def test_loans_windows_have_documented_shape(loans_reference, loans_current):
    assert loans_reference.shape == (20_000, 11)
    assert loans_current.shape == (10_000, 11)
    assert list(loans_reference.columns) == [*LOANS_TRUTH.feature_columns, LOANS_TRUTH.target]


def test_loans_are_deterministic():
    pd.testing.assert_frame_equal(make_loans(500, random_state=4), make_loans(500, random_state=4))
    assert not make_loans(500, random_state=4).equals(make_loans(500, random_state=5))


def test_planted_slice_has_heavy_label_noise(loans_reference):
    # The label is far less predictable inside the slice: its default rate is pulled to 0.5.
    mask = np.ones(len(loans_reference), bool)
    for col, val in LOANS_TRUTH.slice.items():
        mask &= loans_reference[col].eq(val).to_numpy()
    assert 600 < mask.sum() < 1200
    clean = make_loans(20_000, plant_slice=False)
    assert clean[LOANS_TRUTH.target][mask].mean() < loans_reference[LOANS_TRUTH.target][mask].mean()


def test_new_category_only_in_current(loans_reference, loans_current):
    col, value = LOANS_TRUTH.new_category
    assert value not in set(loans_reference[col])
    assert (loans_current[col] == value).mean() == pytest.approx(0.08, abs=0.015)


def test_clean_windows_share_a_distribution():
    ref = make_loans(5000, window="reference", plant_drift=False)
    cur = make_loans(5000, window="current", plant_drift=False)
    assert set(ref["purpose"]) == set(cur["purpose"])
    assert abs(ref["income"].median() - cur["income"].median()) < 3


def test_other_loaders():
    housing = load_housing()
    assert housing.shape == (5000, 7) and (housing["price_k"] > 0).all()
    intents = load_intents()
    assert intents["intent"].nunique() == 20 and len(intents) == 3000


def test_bad_window():
    with pytest.raises(DiagnosticInputError, match="window must be one of"):
        load_loans("future")


@pytest.mark.parametrize(
    ("name", "load"),
    [
        ("loans_reference.csv", lambda: load_loans("reference")),
        ("loans_current.csv", lambda: load_loans("current")),
        ("housing.csv", load_housing),
        ("intents.csv", load_intents),
    ],
)
def test_shipped_csv_files_match_the_generator(name, load):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / name
    if not path.exists():
        pytest.skip("data/ folder not present (installed package)")
    shipped = pd.read_csv(path)
    pd.testing.assert_frame_equal(shipped, load(), check_dtype=False)
