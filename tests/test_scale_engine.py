"""``evaluate`` with a model on a dask cluster and on chunked files; the report's ``--engine`` option."""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from diagtools.errors import DiagnosticInputError
from diagtools.metrics import evaluate

EXACT = ["accuracy", "balanced_accuracy", "precision[yes]", "recall[no]", "f1[yes]", "f1_macro", "log_loss", "brier",
         "ece"]
SUMS = ["log_loss", "brier", "ece"]
N_BOOT = 60


@pytest.fixture(scope="module")
def events():
    """100k rows with string labels (the model's predict_proba columns are ['no', 'yes'])."""
    rng = np.random.default_rng(3)
    n = 100_000
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(list("xyz"), n)})
    y = np.where(X["a"] - 0.4 * X["b"] + 0.6 * (X["c"] == "x") + rng.normal(scale=0.9, size=n) > 0, "yes", "no")
    model = make_pipeline(make_column_transformer((OneHotEncoder(), ["c"]), remainder="passthrough"),
                          LogisticRegression()).fit(X.iloc[:4_000], y[:4_000])
    return X, y, model


@pytest.fixture(scope="module")
def in_memory(events):
    X, y, model = events
    return evaluate(model, X, y, n_boot=N_BOOT, progress=False)


def _same_as_memory(res, mem):
    """Equal to the in-memory result: exact metrics to 1e-12, the binned ones within their bound."""
    a = mem.frame.set_index(["model", "metric"])
    b = res.frame.set_index(["model", "metric"])
    assert list(a.index) == list(b.index)
    bounds = res.params["large"]["binning_bounds"]
    for (model, metric), row in a.iterrows():
        if metric in ("roc_auc", "pr_auc"):
            assert abs(row["estimate"] - b.loc[(model, metric), "estimate"]) <= bounds[model][metric] + 1e-12
        else:
            assert b.loc[(model, metric), "estimate"] == pytest.approx(row["estimate"], abs=1e-12), (model, metric)
    metric = a.index.get_level_values("metric")
    counts, sums = metric.isin(EXACT) & ~metric.isin(SUMS), metric.isin(SUMS)
    ends = ["ci_low", "ci_high"]
    np.testing.assert_allclose(b.loc[counts, ends], a.loc[counts, ends], rtol=1e-12, atol=1e-12)
    # sums of per-row losses: equal up to the order of floating-point summation across chunks
    np.testing.assert_allclose(b.loc[sums, ends], a.loc[sums, ends], rtol=1e-9, atol=1e-12)
    assert res.params["baselines_fitted"] == mem.params["baselines_fitted"]
    assert res.params["baselines_sample_rows"] == mem.params["baselines_sample_rows"] == 50_000
    pd.testing.assert_frame_equal(res.confusion, mem.confusion)


def test_model_on_chunked_parquet_equals_in_memory(events, in_memory, tmp_path):
    X, y, model = events
    table = X.assign(label=y)
    for i, part in enumerate(np.array_split(np.arange(len(table)), 5)):
        table.iloc[part].to_parquet(tmp_path / f"part-{i}.parquet")
    res = evaluate(model, str(tmp_path / "*.parquet"), "label", n_boot=N_BOOT, progress=False, chunk_rows=17_000)
    assert res.params["large"]["backend"] == "chunked"
    assert res.params["model_class"] == "Pipeline"
    _same_as_memory(res, in_memory)
    # sklearn's own accuracy of the model's predictions, as a reference
    acc = float(np.mean(model.predict(X) == y))
    assert res.metric("accuracy")["estimate"] == pytest.approx(acc, abs=1e-12)


def test_model_per_partition_on_a_dask_cluster_equals_in_memory(events, in_memory):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    X, y, model = events
    ddf = dd.from_pandas(X.assign(label=y), npartitions=6)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster):
        res = evaluate(model, ddf, "label", n_boot=N_BOOT, progress=False)
    assert res.params["large"]["backend"] == "dask"
    _same_as_memory(res, in_memory)


class _CountingModel:
    """A fitted classifier that counts the rows it is asked to score (a duck-typed user wrapper)."""

    def __init__(self, model):
        self.model, self.classes_, self.rows = model, model.classes_, 0
        self.feature_names_in_ = model.feature_names_in_

    def fit(self, X, y):  # pragma: no cover - already fitted
        return self

    def predict(self, X):
        self.rows += len(X)
        return self.model.predict(X)

    def predict_proba(self, X):
        self.rows += len(X)
        return self.model.predict_proba(X)


@pytest.mark.parametrize("backend", ["chunked", "dask"])
def test_the_model_scores_each_row_once(events, tmp_path, backend, monkeypatch):
    """The metrics read the model's outputs twice (labels, then statistics); the model runs once
    per row (predict and predict_proba), like in memory, and no output file is left behind."""
    import dask
    import dask.dataframe as dd

    X, y, model = events
    table = X.iloc[:30_000].assign(label=y[:30_000])
    counting = _CountingModel(model)
    mem = evaluate(counting, X.iloc[:30_000], y[:30_000], n_boot=0, baselines=None, progress=False)
    per_row = counting.rows / 30_000  # predict + predict_proba: 2 in memory
    counting.rows = 0
    if backend == "chunked":
        table.to_parquet(tmp_path / "t.parquet", row_group_size=7_000)
        data = str(tmp_path / "t.parquet")
    else:
        data = dd.from_pandas(table, npartitions=4)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the outputs file would be left
    with dask.config.set(scheduler="sync"):  # the counter lives in this process
        res = evaluate(counting, data, "label", n_boot=0, baselines=None, progress=False, chunk_rows=5_000)
    assert per_row == 2 and counting.rows == 2 * 30_000 + 2 * 5  # + the 5-row probe of the output columns
    assert res.metric("accuracy")["estimate"] == pytest.approx(mem.metric("accuracy")["estimate"], abs=1e-12)
    assert list(scratch.iterdir()) == []


def test_large_evaluate_with_training_data_and_given_baselines(events, tmp_path):
    X, y, model = events
    small_X, small_y = X.iloc[:20_000], y[:20_000]
    small_X.assign(label=small_y).to_parquet(tmp_path / "d.parquet")
    X_train, y_train = X.iloc[20_000:26_000], y[20_000:26_000]
    mem = evaluate(model, small_X, small_y, X_train=X_train, y_train=y_train, n_boot=20, progress=False)
    big = evaluate(model, str(tmp_path / "d.parquet"), "label", X_train=X_train, y_train=y_train, n_boot=20,
                   progress=False, chunk_rows=6_000)
    assert big.params["baselines_fitted"] == "fitted on X_train/y_train"
    for m in ("accuracy", "log_loss"):
        a, b = mem.frame.set_index(["model", "metric"]), big.frame.set_index(["model", "metric"])
        np.testing.assert_allclose(b.xs(m, level="metric")["estimate"], a.xs(m, level="metric")["estimate"], atol=1e-12)
    other = {"other": make_pipeline(make_column_transformer((OneHotEncoder(), ["c"]), remainder="drop"),
                                    LogisticRegression()).fit(X_train, y_train)}
    given = evaluate(model, str(tmp_path / "d.parquet"), "label", baselines=other, n_boot=5, progress=False)
    expected = float(np.mean(other["other"].predict(small_X) == small_y))
    est = given.frame.set_index(["model", "metric"])["estimate"]
    assert est[("other", "accuracy")] == pytest.approx(expected, abs=1e-12)


def test_large_evaluate_errors(events, tmp_path):
    X, y, model = events
    X.iloc[:500].assign(label=y[:500]).to_parquet(tmp_path / "e.parquet")
    path = str(tmp_path / "e.parquet")
    with pytest.raises(DiagnosticInputError, match="y must name the label column"):
        evaluate(model, path, y[:500])
    with pytest.raises(DiagnosticInputError, match="Did you mean 'label'"):
        evaluate(model, path, "lable")
    with pytest.raises(DiagnosticInputError, match="supports classification"):
        evaluate(model, path, "label", task="regression")
    with pytest.raises(DiagnosticInputError, match="matches no file"):
        evaluate(model, str(tmp_path / "nothing-*.parquet"), "label")
    X.iloc[:500].drop(columns="b").assign(label=y[:500]).to_parquet(tmp_path / "missing.parquet")
    with pytest.raises(DiagnosticInputError, match="fitted on"):
        evaluate(model, str(tmp_path / "missing.parquet"), "label")


# -- diagtools report --engine -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report_files(tmp_path_factory, events):
    """A model file and a folder of 4 parquet files (6,000 rows, string labels)."""
    from diagtools.io import save_model

    X, y, model = events
    d = tmp_path_factory.mktemp("engine")
    save_model(model, d / "m.skops")
    (d / "events").mkdir()
    table = X.iloc[:6_000].assign(label=y[:6_000])
    for i, part in enumerate(np.array_split(np.arange(len(table)), 4)):
        table.iloc[part].to_parquet(d / "events" / f"part-{i}.parquet")
    return d


def _main(argv):
    """``diagtools.cli.main``'s exit code, usage errors (argparse exits) included."""
    from diagtools.cli import main

    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _report_argv(d, *extra):
    return ["report", "--model", str(d / "m.skops"), "--data", str(d / "events" / "*.parquet"), "--target", "label",
            "--out", str(d / "out" / "r.html"), "--quiet", *extra]


@pytest.mark.parametrize(("extra", "words"), [
    (("--engine", "spark"), ("--engine", "invalid choice")),
    (("--scheduler", "tcp://127.0.0.1:8786"), ("--scheduler", "needs --engine dask")),
    (("--engine", "dask", "--scheduler", "not an address"), ("--scheduler", "scheduler address")),
    (("--engine", "dask", "--scheduler", "tcp://127.0.0.1:1"), ("--scheduler", "cannot connect")),
    (("--engine", "chunked", "--target", "lable"), ("--target", "'label'")),
    (("--engine", "pandas",), ("--data", "file not found")),
])
def test_engine_bad_input_is_one_line_exit_2(report_files, capsys, monkeypatch, extra, words):
    from diagtools import _engine

    monkeypatch.setattr(_engine, "CONNECT_SECONDS", 2)  # a closed port: fail fast
    code = _main(_report_argv(report_files, *extra))
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err, (word, err)
    assert not (report_files / "out" / "r.html").exists()
    no_match = _main(["report", "--model", str(report_files / "m.skops"), "--data", str(report_files / "none-*.parquet"),
                     "--target", "label", "--engine", "chunked", "--out", str(report_files / "out" / "r.html")])
    assert no_match == 2 and "matches no file" in capsys.readouterr().err


@pytest.mark.slow
def test_report_on_a_local_dask_cluster(report_files, events):
    """``--engine dask`` without --scheduler: a LocalCluster for the command; metrics and slices on every row."""
    import re

    out = report_files / "out" / "dask.html"
    argv = _report_argv(report_files, "--engine", "dask", "--sample-rows", "2000", "--n-boot", "40",
                        "--sections", "metrics,slices,data_quality")
    argv[argv.index("--out") + 1] = str(out)
    assert _main(argv) == 0 and out.is_file()
    text = " ".join(re.sub(r"<[^>]+>", " ", out.read_text()).split())
    X, y, model = events
    assert "Every row (6,000) through mergeable statistics on the dask engine" in text
    assert "Run on a sample of 2,000 of the 6,000 rows" in text  # data quality ran on the sample, and says so
    assert "Exact duplicate rows counted on all 6,000 evaluation rows" in text
    assert "The per-column slice table covers all 6,000 rows" in text
    accuracy = float(np.mean(model.predict(X.iloc[:6_000]) == y[:6_000]))
    assert f"Accuracy {accuracy:.3f}" in text


@pytest.mark.slow
def test_report_counts_duplicates_on_every_row(report_files, events, tmp_path):
    """With an engine, exact duplicates are counted on all rows (row hashes), not on the sample."""
    import re

    X, y, _ = events
    table = X.iloc[:6_000].assign(label=y[:6_000])
    copies = table.iloc[::150]  # 40 rows copied, spread over the files
    (tmp_path / "dup").mkdir()
    full = pd.concat([table, copies], ignore_index=True)
    for i, part in enumerate(np.array_split(np.arange(len(full)), 4)):
        full.iloc[part].to_parquet(tmp_path / "dup" / f"part-{i}.parquet")
    out = tmp_path / "dup.html"
    argv = _report_argv(report_files, "--engine", "chunked", "--sample-rows", "1000", "--n-boot", "20",
                        "--sections", "data_quality")
    argv[argv.index("--data") + 1] = str(tmp_path / "dup" / "*.parquet")
    argv[argv.index("--out") + 1] = str(out)
    assert _main(argv) == 0
    text = " ".join(re.sub(r"<[^>]+>", " ", out.read_text()).split())
    assert int(full.duplicated().sum()) == 40
    assert "40 duplicate rows" in text
    assert "counted on all 6,040 evaluation rows" in text


@pytest.mark.slow
def test_report_kernel_reaches_a_given_scheduler(report_files):
    """``--scheduler ADDRESS``: the report's kernel (another process) sends its work to that cluster."""
    distributed = pytest.importorskip("distributed")
    out = report_files / "out" / "given.html"
    argv = _report_argv(report_files, "--engine", "dask", "--n-boot", "20", "--sections", "metrics")
    argv[argv.index("--out") + 1] = str(out)
    # tcp (not the in-process transport) so that the kernel process can connect
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                                  dashboard_address=":0") as cluster:
        argv += ["--scheduler", cluster.scheduler_address]
        assert _main(argv) == 0 and out.is_file()
        ran = set(cluster.scheduler.task_prefixes)
        executed = sum(w.state.executed_count for w in cluster.workers.values())
    assert {"transform", "merge"} <= ran, sorted(ran)  # the model per partition, merged on the cluster
    assert executed >= 2 * 4  # at least the 4 partitions of each pass
    assert "on the dask engine" in out.read_text()
