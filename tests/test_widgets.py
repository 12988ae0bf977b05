"""Widgets: they only show (the numbers come from the areas), they react, and they stay light to import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from sklearn.tree import DecisionTreeClassifier

from diagtools.errors import DiagnosticInputError
from diagtools.metrics import threshold_table
from diagtools.widgets import threshold_explorer

pytest.importorskip("ipywidgets")


def _scores(n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    return y, np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)


def test_threshold_table_matches_sklearn():
    y, s = _scores()
    table = threshold_table(y, s, thresholds=[0.3, 0.5, 0.7])
    for _, row in table.iterrows():
        pred = (s >= row.threshold).astype(int)
        assert row.precision == pytest.approx(precision_score(y, pred))
        assert row.recall == pytest.approx(recall_score(y, pred))
        assert row.f1 == pytest.approx(f1_score(y, pred))
        assert row.accuracy == pytest.approx(accuracy_score(y, pred))
        assert row.tp + row.fp == pred.sum() and row.tp + row.fn == y.sum()


def test_threshold_table_rejects_bad_input():
    with pytest.raises(DiagnosticInputError, match="exactly two classes"):
        threshold_table([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(DiagnosticInputError, match="y_score has 2 rows"):
        threshold_table([0, 1, 1], [0.1, 0.2])


def test_threshold_explorer_shows_the_tables_numbers_at_the_slider(capsys):
    y, s = _scores(200)
    box = threshold_explorer(y, s)
    slider = box.children[0]
    slider.value = 0.65  # triggers a redraw (outside a kernel the output area passes prints through)
    row = threshold_table(y, s, thresholds=[0.65]).iloc[0]
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == (f"threshold 0.65: precision {row.precision:.3f}, recall {row.recall:.3f}, "
                           f"F1 {row.f1:.3f}, accuracy {row.accuracy:.3f}")
    assert f"{int(row.tp)}" in printed[-2] and f"{int(row.fn)}" in printed[-2]  # actual 1: fn, tp
    with pytest.raises(DiagnosticInputError, match="exactly two classes"):
        threshold_explorer([1, 1, 1], [0.1, 0.2, 0.3])  # checked before any widget is built


def test_deprecated_names_warn_and_give_the_same_numbers():
    from diagtools.widgets import CapacitySweep
    from diagtools.widgets import threshold_table as old_table

    y, s = _scores(100)
    with pytest.warns(FutureWarning, match="diagtools.metrics.threshold_table"):
        old = old_table(y, s, thresholds=[0.5])
    pd.testing.assert_frame_equal(old, threshold_table(y, s, thresholds=[0.5]))
    X, y = make_classification(200, random_state=0)
    with pytest.warns(FutureWarning, match="diagtools.fit.capacity_sweep"):
        sweep = CapacitySweep(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth", param_range=[1, 2],
                              train_sizes=(1.0,))
    table = sweep.table()  # the former column names
    assert table["validation_score"].tolist() == sweep.result.frame["estimate"].tolist()
    assert {"validation_ci_low", "validation_ci_high", "gap_share"} <= set(table.columns)
    assert sweep.diagnose(2) is sweep.result.diagnoses[1] and sweep.labels == ["1", "2"]


def test_importing_the_widgets_loads_neither_ipywidgets_nor_pyplot():
    code = ("import sys, diagtools.widgets as w; w.__all__; "
            "print(sorted(m for m in ('ipywidgets', 'matplotlib.pyplot', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_fit_explorer_draws_the_sweep_and_never_recomputes(pyplot, monkeypatch):
    import diagtools.fit._sweep as sweep_module
    from diagtools.widgets import _fit, fit_explorer

    X, y = make_classification(300, n_features=6, flip_y=0.2, random_state=0)
    box = fit_explorer(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth", param_range=[1, 3, None],
                       label="tree depth", train_sizes=(0.5, 1.0), value=3)
    slider = box.children[0]
    sweep = box.sweep
    assert slider.description == "tree depth" and slider.options == ("1", "3", "None") and slider.value == "3"
    # Moving the slider only redraws: the sweep is never computed again.
    monkeypatch.setattr(sweep_module, "diagnose_on_splits", lambda *a, **k: pytest.fail("recomputed"))
    drawn = []
    monkeypatch.setattr(_fit, "_sweep_figure", lambda s, d, v, limits: drawn.append((d, v, limits)))
    slider.value = "None"
    (diagnosis, value, limits), = drawn
    assert diagnosis is sweep.diagnosis(None) and value == "None"
    # The axes hold every value, so they do not move with the slider.
    for d in sweep.diagnoses:
        s = d.curve.summary()
        assert limits["score"][0] <= s["ci_low"].min() and s["ci_high"].max() <= limits["score"][1]
    assert len(pyplot.get_fignums()) == 0  # figures are closed after display


def test_fit_explorer_figure_marks_the_value_on_every_sweep_panel(pyplot):
    from diagtools.fit import capacity_sweep
    from diagtools.widgets._fit import _sweep_figure

    X, y = make_classification(300, n_features=6, random_state=0)
    sweep = capacity_sweep(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth", param_range=[1, 4],
                           train_sizes=(1.0,))
    fig = _sweep_figure(sweep, sweep.diagnosis(4), "4", sweep.axis_limits())
    curve, evidence, *panels = fig.axes
    assert curve.get_ylim() == pytest.approx(sweep.axis_limits()["score"])
    assert evidence.get_xlim() == pytest.approx(sweep.axis_limits()["evidence"])
    assert [ax.get_title() for ax in panels] == ["Scores over the sweep", "Gap share", "Fit time"]
    for ax in panels:  # a vertical line at the slider's value (position 1)
        assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.get_lines())
        assert ax.get_legend() is None


def test_explore_runs_redraws_and_the_history_alias_warns(tmp_path, pyplot):
    from diagtools.history import History, explore
    from diagtools.widgets import explore_runs

    hist = History(tmp_path / "b.db")

    def record(name: str, accuracy: float, scale: float) -> None:
        rng = np.random.default_rng(0)
        metrics = pd.DataFrame({"metric": ["accuracy"], "estimate": [accuracy], "ci_low": [accuracy - 0.01],
                                "ci_high": [accuracy + 0.01], "n": [10_000]})
        latency = pd.DataFrame({"batch_size": 1, "latency_ms": scale * rng.lognormal(0.0, 0.1, 40)})
        hist.record(name=name, metrics=metrics, latency=latency, git_commit=None, environment={"hash": "test"})

    record("main", 0.9, 1.0)
    with pytest.raises(DiagnosticInputError, match="comparing needs two"):
        explore_runs(hist)
    record("pr", 0.8, 1.5)
    box = explore_runs(hist, n_boot=100)
    pick_a, pick_b = box.children[0].children
    assert (pick_a.value, pick_b.value) == (1, 2)
    pick_a.value = 2  # recomputes without error
    assert len(pyplot.get_fignums()) == 0  # figures are closed after display
    with pytest.warns(FutureWarning, match="diagtools.widgets.explore_runs"):
        old = explore(hist, n_boot=100)
    assert [c.value for c in old.children[0].children] == [1, 2]
