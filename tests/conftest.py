"""Shared fixtures: headless plotting and seeded demo data (session scope)."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pandas as pd
import pytest

from diagtools.datasets import LOANS_TRUTH, load_loans


@pytest.fixture
def pyplot():
    """Give pyplot with all figures closed before and after the test."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    yield plt
    plt.close("all")


@pytest.fixture(scope="session")
def loans_reference() -> pd.DataFrame:
    return load_loans("reference")


@pytest.fixture(scope="session")
def loans_current() -> pd.DataFrame:
    return load_loans("current")


@pytest.fixture(scope="session")
def loan_model(loans_reference):
    """The demo pipeline (overfitting, with the slow step) fitted on the reference window."""
    from threadpoolctl import threadpool_limits

    from diagtools.demo_models import make_loan_model

    X = loans_reference.drop(columns=LOANS_TRUTH.target)
    model = make_loan_model()  # loads the OpenMP runtime, so the limit below applies to it
    with threadpool_limits(limits=1):  # OpenMP oversubscription makes this fit 10x slower on a busy box
        return model.fit(X, loans_reference[LOANS_TRUTH.target])


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory):
    """Render the demo report once per session (what README's first command does)."""
    from diagtools.cli import main

    out = tmp_path_factory.mktemp("demo") / "demo.html"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    return out
