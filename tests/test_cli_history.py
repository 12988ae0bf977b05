"""Tests of ``diagtools bench`` and ``diagtools compare``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from diagtools.cli import build_parser, main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    from diagtools.datasets import make_loans
    from diagtools.io import save_model

    root = tmp_path_factory.mktemp("bench")
    cols = ["income", "debt_to_income", "credit_score", "loan_amount", "age", "employment_years"]
    df = make_loans(1500, random_state=0)[[*cols, "defaulted"]]
    df.to_csv(root / "data.csv", index=False)
    X, y = df[cols], df["defaulted"]
    save_model(LogisticRegression(max_iter=1000).fit(X, y), root / "model.skops")
    save_model(DummyClassifier().fit(X, y), root / "dummy.skops")
    return root


def _sub(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


@pytest.mark.parametrize("command", ["bench", "compare"])
def test_help_explains_every_option(command):
    parser = _sub(command)
    text = parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help != argparse.SUPPRESS, action.dest
        assert len(action.help) > 15, action.dest
        names = action.option_strings or [action.metavar]
        assert all(n in text for n in names), names
    assert "exit codes" in text


def _run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "diagtools.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


@pytest.mark.parametrize("missing", ["model", "data"])
def test_missing_file_gives_one_line_error(files, tmp_path, missing):
    model = "nope.skops" if missing == "model" else str(files / "model.skops")
    data = "nope.csv" if missing == "data" else str(files / "data.csv")
    out = _run_cli("bench", "--model", model, "--data", data, "--target", "defaulted", "--db", "h.db", cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("diagtools bench: error:") and "file not found" in lines[0]
    assert f"nope.{'skops' if missing == 'model' else 'csv'}" in lines[0]


def test_bench_then_compare(files, tmp_path, capsys):
    db = str(tmp_path / "h.db")
    common = ["--data", str(files / "data.csv"), "--target", "defaulted", "--db", db, "--n-boot", "200"]
    assert main(["bench", "--model", str(files / "model.skops"), "--name", "main", "--batch-sizes", "1",
                 "--n-runs", "5", "--tags", "ci", "nightly", *common]) == 0
    summary = capsys.readouterr().out
    assert "Recorded run 1 'main'" in summary and "accuracy" in summary and "median_ms" in summary
    assert len(summary.splitlines()) <= 25  # one screen
    assert main(["bench", "--model", str(files / "model.skops"), "--name", "pr", "--batch-sizes", "0", *common]) == 0
    assert main(["bench", "--model", str(files / "dummy.skops"), "--name", "dummy", "--batch-sizes", "0", *common]) == 0
    capsys.readouterr()

    # the same model again: nothing regressed, exit 0
    assert main(["compare", "main", "pr", "--db", db, "--n-boot", "200"]) == 0
    text = capsys.readouterr().out
    assert "Verdict: OK" in text and "paired_bootstrap" in text
    # the majority-class model: a significant regression, exit 1, in every format
    assert main(["compare", "1", "dummy", "--db", db, "--n-boot", "200", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["regressed"] is True and data["candidate"]["name"] == "dummy"
    md_file = tmp_path / "comment.md"
    assert main(["compare", "main", "dummy", "--db", db, "--n-boot", "200", "--format", "markdown",
                 "--metrics", "accuracy,roc_auc", "--out", str(md_file)]) == 1
    md = capsys.readouterr().out
    assert md.startswith("### Benchmark comparison") and "| REGRESSED | accuracy |" in md
    assert md_file.read_text() == md
    # a generous tolerance lets the same drop pass
    assert main(["compare", "main", "dummy", "--db", db, "--metrics", "accuracy", "--metric-tolerance", "0.5",
                 "--n-boot", "200"]) == 0


def test_compare_bad_input_exit_2(files, tmp_path, capsys):
    db = tmp_path / "h.db"
    assert main(["compare", "main", "pr", "--db", str(db)]) == 2
    assert "no history file" in capsys.readouterr().err
    assert main(["bench", "--model", str(files / "model.skops"), "--data", str(files / "data.csv"), "--target",
                 "defaulted", "--db", str(db), "--batch-sizes", "0", "--n-boot", "100"]) == 0
    capsys.readouterr()
    assert main(["compare", "main", "mian", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'main'" in err and len(err.strip().splitlines()) == 1
    assert main(["compare", "main", "99", "--db", str(db)]) == 2
    assert "no run 99" in capsys.readouterr().err
    # an output file in a missing directory: one line, exit 2 (not 1, which means "regression")
    out = _run_cli("compare", "main", "main", "--db", str(db), "--out", "missing_dir/x.md", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "--out: the directory missing_dir does not exist" in lines[0]
    assert not (tmp_path / "missing_dir").exists()
    assert main(["compare", "main", "main", "--db", str(db), "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_bench_bad_input_exit_2(files, tmp_path, capsys):
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a database, keep me\n" * 10)
    base = ["bench", "--model", str(files / "model.skops"), "--data", str(files / "data.csv")]
    assert main([*base, "--target", "defaulted", "--db", str(foreign)]) == 2
    assert "not a diagtools history file" in capsys.readouterr().err
    assert foreign.read_text() == "not a database, keep me\n" * 10
    assert main([*base, "--target", "defaultd", "--db", str(tmp_path / "h.db")]) == 2
    assert "did you mean 'defaulted'" in capsys.readouterr().err
    assert main([*base, "--target", "defaulted", "--batch-sizes", "1,x", "--db", str(tmp_path / "h.db")]) == 2
    assert "--batch-sizes must be comma-separated integers" in capsys.readouterr().err


def test_bench_reports_the_cost_of_a_prediction(files, tmp_path, capsys):
    db = str(tmp_path / "h.db")
    assert main(["bench", "--model", str(files / "model.skops"), "--data", str(files / "data.csv"), "--target",
                 "defaulted", "--db", db, "--n-boot", "100", "--batch-sizes", "1,50", "--n-runs", "5",
                 "--cpu-hour-price", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "CPU-s per 1k predictions" in out and "energy J per 1k" in out
    assert "energy not available: " in out or "n/a" not in out.split("energy J per 1k")[1].splitlines()[1]
    from diagtools.history import History

    cost = History(db).latest("main").params["cost"]
    assert [c["batch_size"] for c in cost] == [1, 50] and all(c["cpu_s_per_1k"] > 0 for c in cost)
    assert cost[0]["cost_per_million"] == pytest.approx(cost[0]["cpu_s_per_1k"] * 1000 / 3600 * 0.05)
    out = _run_cli("bench", "--model", str(files / "model.skops"), "--data", str(files / "data.csv"), "--target",
                   "defaulted", "--db", db, "--cpu-hour-price", "-1", cwd=tmp_path)
    assert out.returncode == 2 and "--cpu-hour-price" in out.stderr and "Traceback" not in out.stderr


def test_bench_paired_mode_benches_both_models_in_one_job(files, tmp_path, capsys):
    db = str(tmp_path / "h.db")
    md = tmp_path / "comment.md"
    common = ["--data", str(files / "data.csv"), "--target", "defaulted", "--db", db, "--n-boot", "100",
              "--batch-sizes", "1", "--processes", "2", "--blocks", "3", "--metrics", "accuracy,roc_auc"]
    # the majority-class model as candidate: its metrics regress, so the gate fails (exit 1)
    code = main(["bench", "--baseline-model", str(files / "model.skops"), "--model", str(files / "dummy.skops"),
                 "--baseline-name", "main", "--name", "pr", "--format", "markdown", "--out", str(md), *common])
    text = capsys.readouterr().out
    assert code == 1 and md.read_text() == text
    assert "| REGRESSED | roc_auc |" in text and "paired_blocks" in text
    assert "CPU-s per 1k predictions" in text and ("Energy not available" in text or "J per 1k" in text)
    from diagtools.history import History

    runs = History(db).runs()
    assert runs["name"].tolist() == ["main", "pr"]
    assert [t[-1] for t in runs["tags"]] == ["paired-baseline", "paired-candidate"]
    assert main(["bench", "--baseline-model", "nope.skops", "--model", str(files / "model.skops"), *common]) == 2
    assert "nope.skops" in capsys.readouterr().err
