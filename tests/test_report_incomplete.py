"""A failed section is an error at the top of the report, never a low finding; the CLI exits 3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from diagtools.report import run_diagnostics

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "g": rng.choice(["x", "y"], size=300)})
    y = (X["a"] + rng.normal(scale=0.5, size=300) > 0).astype(int)
    return X, y


def test_failed_sections_are_errors_not_findings(case):
    sys.path.insert(0, str(HERE))
    try:
        from _flaky_model import NoScores
    finally:
        sys.path.remove(str(HERE))
    X, y = case
    model = NoScores().fit(X[["a"]], y)
    report = run_diagnostics(model, X[["a"]], y, sections=["metrics", "slices"], n_boot=20)
    assert set(report.failed) == {"metrics"} and "scores are unavailable" in report.failed["metrics"]
    assert not report.complete and report["slices"].status == "ok"
    assert all(section != "metrics" for section, _ in report.findings())  # no "low" entry for the failure
    assert report.to_dict()["failed"] == report.failed
    html = report.summary_html()
    errors_at = html.index("Incomplete report: 1 section could not run")
    assert errors_at < html.index("Findings (")  # above every finding
    assert "scores are unavailable" in html[errors_at: html.index("Findings (")]


def test_complete_report_has_no_error_block(case):
    X, y = case
    report = run_diagnostics(LogisticRegression().fit(X[["a"]], y), X[["a"]], y, sections=["metrics"], n_boot=20)
    assert report.complete and report.failed == {}
    assert "Incomplete report" not in report.summary_html()


def _cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "diagtools.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def flaky_files(case, tmp_path_factory):
    import skops.io as sio

    sys.path.insert(0, str(HERE))
    try:
        from _flaky_model import NoScores
    finally:
        sys.path.remove(str(HERE))
    X, y = case
    tmp = tmp_path_factory.mktemp("flaky")
    sio.dump(NoScores().fit(X[["a"]], y), tmp / "m.skops")
    X[["a"]].assign(y=y).to_csv(tmp / "d.csv", index=False)
    return tmp


@pytest.mark.parametrize("allow_partial", [False, True])
def test_cli_exits_3_on_failed_sections_unless_allow_partial(flaky_files, allow_partial):
    out = flaky_files / f"r{int(allow_partial)}.html"
    args = ["report", "--model", str(flaky_files / "m.skops"), "--data", str(flaky_files / "d.csv"), "--target", "y",
            "--sections", "metrics,slices", "--n-boot", "20", "--quiet", "--out", str(out),
            "--trusted-type", "_flaky_model.NoScores"]
    result = _cli(*args, *(["--allow-partial"] if allow_partial else []), cwd=flaky_files)
    assert result.returncode == (0 if allow_partial else 3), result.stderr
    assert "Traceback" not in result.stderr
    if not allow_partial:
        # libzmq can print its own assertion from the kernel's shutdown (seen once in CI); it is not our
        # message and not our error path, so it is set aside here (noted for the next session).
        lines = [ln for ln in result.stderr.strip().splitlines() if "src/signaler.cpp" not in ln]
        assert len(lines) == 1, result.stderr
        assert "metrics" in result.stderr and "--allow-partial" in result.stderr
    html = out.read_text(encoding="utf-8")  # written either way, atomically (no temporary file left)
    assert not list(flaky_files.glob("*.part"))
    top = html.index("Incomplete report")
    assert top < html.index("Findings (") and "scores are unavailable" in html[top: html.index("Findings (")]
