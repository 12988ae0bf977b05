"""Widgets: the static table agrees with scikit-learn; the explorer builds and reacts."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from diagtools.errors import DiagnosticInputError
from diagtools.widgets import threshold_explorer, threshold_table


def test_threshold_table_matches_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = np.clip(0.35 * y + 0.65 * rng.random(500), 0, 1)
    table = threshold_table(y, s, thresholds=[0.3, 0.5, 0.7])
    for _, row in table.iterrows():
        pred = (s >= row.threshold).astype(int)
        assert row.precision == pytest.approx(precision_score(y, pred))
        assert row.recall == pytest.approx(recall_score(y, pred))
        assert row.f1 == pytest.approx(f1_score(y, pred))
        assert row.accuracy == pytest.approx(accuracy_score(y, pred))


def test_threshold_table_rejects_bad_input():
    with pytest.raises(DiagnosticInputError, match="exactly two classes"):
        threshold_table([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(DiagnosticInputError, match="y_score has 2 rows"):
        threshold_table([0, 1, 1], [0.1, 0.2])


def test_explorer_builds_and_reacts():
    pytest.importorskip("ipywidgets")
    box = threshold_explorer([0, 1, 1, 0, 1], [0.2, 0.8, 0.6, 0.4, 0.3])
    slider = box.children[0]
    slider.value = 0.65  # triggers a redraw; must not raise
    assert slider.value == pytest.approx(0.65)
