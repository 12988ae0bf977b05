"""Bad input on the command line: every command, every argument that takes a file, number or column.

Each case asserts the one error path: exit code 2, exactly one line on stderr, no traceback,
the message names the argument (its flag, or its Python name for errors raised by the library),
and nothing is written. The cases run in-process through ``diagtools.cli.main`` (fast: no
interpreter start); a few also run as real processes, and two can only be detected inside the
report's kernel (the data does not match the model; a file that breaks after its first rows).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from diagtools.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """Tiny valid inputs plus every kind of broken one, in one directory."""
    from diagtools.history import History
    from diagtools.io import save_model

    d = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80), "region": rng.choice(["n", "s"], 80)})
    y = (X["a"] > 0).astype(int)
    model = LogisticRegression().fit(X[["a", "b"]], y)
    save_model(model, d / "m.skops")
    X.assign(income=y).to_csv(d / "d.csv", index=False)
    X.to_csv(d / "no_target.csv", index=False)  # train file without the label
    X[["b", "region"]].assign(income=y).to_csv(d / "no_feature.csv", index=False)  # lacks the model's column 'a'
    # Valid for its first 100 rows (what the command checks up front), ragged after.
    lines = (d / "d.csv").read_text().splitlines()
    (d / "ragged.csv").write_text("\n".join([*lines, *lines[1:]] + ["1,2,3,4,5,6,7"] * 3) + "\n")
    gadget = make_pipeline(FunctionTransformer(), LogisticRegression()).fit(X[["a", "b"]], y)
    gadget.steps[0][1].func = functools.partial(np.savetxt, str(d / "pwned.txt"))
    sio.dump(gadget, d / "gadget.skops")
    blob = (d / "m.skops").read_bytes()
    (d / "truncated.skops").write_bytes(blob[: len(blob) // 2])
    (d / "m.pkl").write_bytes(b"\x80\x04K\x01.")
    (d / "m.dat").write_text("model?")
    save_model(LogisticRegression(), d / "unfitted.skops")
    X.assign(income=y.astype(float).where(np.arange(80) != 5)).to_csv(d / "nan_label.csv", index=False)
    (d / "notes.txt").write_text("not a booster\n")
    (d / "empty.csv").write_bytes(b"")
    (d / "header_only.csv").write_text("a,b,income\n")
    (d / "d.txt").write_text("a,b\n1,2\n")
    (d / "garbage.parquet").write_bytes(b"PAR1 this is not parquet")
    (d / "a_file").write_text("I am a file, not a directory")
    (d / "a_dir").mkdir()
    History(d / "h.db")  # an empty, valid history database
    metrics = pd.DataFrame({"metric": ["accuracy"], "estimate": [0.9], "ci_low": [0.85], "ci_high": [0.94], "n": [80]})
    History(d / "runs.db").record(name="main", metrics=metrics, git_commit=None)  # one run, named main
    return d


REPORT = ("report", "--model", "{d}/m.skops", "--data", "{d}/d.csv", "--target", "income", "--out", "{d}/out/r.html")
BENCH = ("bench", "--model", "{d}/m.skops", "--data", "{d}/d.csv", "--target", "income", "--db", "{d}/out/h.db")


def _replace(base: tuple[str, ...], flag: str, value: str) -> tuple[str, ...]:
    args = list(base)
    args[args.index(flag) + 1] = value
    return tuple(args)


def _drop(base: tuple[str, ...], flag: str) -> tuple[str, ...]:
    args = list(base)
    i = args.index(flag)
    del args[i : i + 2]
    return tuple(args)


# (case id, argv, words of which the message must contain at least one: the argument's names)
CASES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # --- report: files
    ("report-model-missing", _replace(REPORT, "--model", "{d}/nope.skops"), ("--model",)),
    ("report-model-is-dir", _replace(REPORT, "--model", "{d}/a_dir"), ("--model",)),
    ("report-model-untrusted-gadget", _replace(REPORT, "--model", "{d}/gadget.skops"), ("--model",)),
    ("report-model-truncated-skops", _replace(REPORT, "--model", "{d}/truncated.skops"), ("--model",)),
    ("report-model-pickle-untrusted", _replace(REPORT, "--model", "{d}/m.pkl"), ("--model",)),
    ("report-model-unknown-suffix", _replace(REPORT, "--model", "{d}/m.dat"), ("--model",)),
    ("report-model-txt-not-lightgbm", _replace(REPORT, "--model", "{d}/notes.txt"), ("--model",)),
    ("report-trusted-type-wildcard", (*REPORT, "--trusted-type", "numpy.*"), ("--trusted-type",)),
    ("report-data-missing", _replace(REPORT, "--data", "{d}/nope.csv"), ("--data",)),
    ("report-data-empty-file", _replace(REPORT, "--data", "{d}/empty.csv"), ("--data",)),
    ("report-data-header-only", _replace(REPORT, "--data", "{d}/header_only.csv"), ("--data",)),
    ("report-data-unsupported", _replace(REPORT, "--data", "{d}/d.txt"), ("--data",)),
    ("report-data-garbage-parquet", _replace(REPORT, "--data", "{d}/garbage.parquet"), ("--data",)),
    ("report-train-missing", (*REPORT, "--train", "{d}/nope.csv"), ("--train",)),
    ("report-train-without-target", (*REPORT, "--train", "{d}/no_target.csv"), ("--target",)),
    ("report-reference-missing", (*REPORT, "--reference", "{d}/nope.csv"), ("--reference",)),
    ("report-reference-empty", (*REPORT, "--reference", "{d}/empty.csv"), ("--reference",)),
    # --- report: columns and sections
    ("report-target-case", _replace(REPORT, "--target", "Income"), ("--target",)),
    ("report-target-absent", _replace(REPORT, "--target", "label"), ("--target",)),
    ("report-target-empty", _replace(REPORT, "--target", ""), ("--target",)),
    ("report-missing-target-argument", _drop(REPORT, "--target"), ("--target",)),
    ("report-slices-nope", (*REPORT, "--slices", "nope"), ("--slices",)),
    ("report-slices-one-bad", (*REPORT, "--slices", "region,Region2"), ("--slices",)),
    ("report-sections-nope", (*REPORT, "--sections", "nope"), ("--sections",)),
    ("report-sections-typo", (*REPORT, "--sections", "metrics,drfit"), ("--sections",)),
    ("report-sections-fit-without-train", (*REPORT, "--sections", "fit"), ("--sections", "--train")),
    ("report-sections-drift-without-reference", (*REPORT, "--sections", "drift"), ("--sections", "--reference")),
    # --- report: numbers
    ("report-n-boot-negative", (*REPORT, "--n-boot", "-5"), ("--n-boot",)),
    ("report-n-boot-zero", (*REPORT, "--n-boot", "0"), ("--n-boot",)),
    ("report-n-boot-text", (*REPORT, "--n-boot", "many"), ("--n-boot",)),
    ("report-sample-rows-zero", (*REPORT, "--sample-rows", "0"), ("--sample-rows",)),
    ("report-sample-rows-negative", (*REPORT, "--sample-rows", "-3"), ("--sample-rows",)),
    ("report-sample-rows-float", (*REPORT, "--sample-rows", "1.5"), ("--sample-rows",)),
    ("report-random-state-negative", (*REPORT, "--random-state", "-1"), ("--random-state",)),
    ("report-random-state-huge", (*REPORT, "--random-state", str(2**32)), ("--random-state",)),
    # --- report: outputs
    ("report-out-is-dir", _replace(REPORT, "--out", "{d}/a_dir"), ("--out",)),
    ("report-out-under-a-file", _replace(REPORT, "--out", "{d}/a_file/r.html"), ("--out",)),
    ("report-keep-notebook-under-a-file", (*REPORT, "--keep-notebook", "{d}/a_file/n.ipynb"), ("--keep-notebook",)),
    ("report-unknown-option", (*REPORT, "--bogus"), ("--bogus",)),
    # --- demo
    ("demo-out-is-dir", ("demo", "--out", "{d}/a_dir"), ("--out",)),
    ("demo-out-under-a-file", ("demo", "--out", "{d}/a_file/demo.html"), ("--out",)),
    ("demo-n-boot-zero", ("demo", "--out", "{d}/out/demo.html", "--n-boot", "0"), ("--n-boot",)),
    # --- templates
    ("templates-dest-is-a-file", ("templates", "{d}/a_file"), ("DIR",)),
    ("templates-unknown-name", ("templates", "{d}/out/t", "--only", "nope.ipynb"), ("--only",)),
    # --- bench
    ("bench-model-missing", _replace(BENCH, "--model", "{d}/nope.skops"), ("--model",)),
    ("bench-model-untrusted-gadget", _replace(BENCH, "--model", "{d}/gadget.skops"), ("--model",)),
    ("bench-model-truncated-skops", _replace(BENCH, "--model", "{d}/truncated.skops"), ("--model",)),
    ("bench-baseline-model-missing", (*BENCH, "--baseline-model", "{d}/nope.skops"), ("--baseline-model",)),
    ("bench-data-missing", _replace(BENCH, "--data", "{d}/nope.csv"), ("--data",)),
    ("bench-data-empty-file", _replace(BENCH, "--data", "{d}/empty.csv"), ("--data",)),
    ("bench-db-is-dir", _replace(BENCH, "--db", "{d}/a_dir"), ("--db",)),
    ("bench-db-not-a-history", _replace(BENCH, "--db", "{d}/d.csv"), ("--db",)),
    ("bench-target-case", _replace(BENCH, "--target", "Income"), ("--target",)),
    ("bench-n-runs-zero", (*BENCH, "--n-runs", "0"), ("--n-runs",)),
    ("bench-n-boot-negative", (*BENCH, "--n-boot", "-5"), ("--n-boot",)),
    ("bench-sample-rows-zero", (*BENCH, "--sample-rows", "0"), ("--sample-rows",)),
    ("bench-batch-sizes-text", (*BENCH, "--batch-sizes", "one,two"), ("--batch-sizes",)),
    ("bench-random-state-negative", (*BENCH, "--random-state", "-1"), ("--random-state",)),
    # --- compare
    ("compare-db-missing", ("compare", "1", "2", "--db", "{d}/nope.db"), ("--db",)),
    ("compare-db-not-a-history", ("compare", "1", "2", "--db", "{d}/d.csv"), ("--db",)),
    ("compare-unknown-run", ("compare", "1", "2", "--db", "{d}/h.db"), ("BASELINE",)),
    ("compare-unknown-candidate-id", ("compare", "1", "7", "--db", "{d}/runs.db"), ("CANDIDATE",)),
    ("compare-unknown-candidate-name", ("compare", "main", "mian", "--db", "{d}/runs.db"), ("CANDIDATE",)),
    ("compare-metrics-not-stored", ("compare", "main", "1", "--db", "{d}/runs.db", "--metrics", "roc_auc"),
     ("--metrics",)),
    ("compare-alpha-above-one", ("compare", "1", "2", "--db", "{d}/h.db", "--alpha", "2"), ("--alpha",)),
    ("compare-alpha-zero", ("compare", "1", "2", "--db", "{d}/h.db", "--alpha", "0"), ("--alpha",)),
    ("compare-metric-tolerance-negative", ("compare", "1", "2", "--db", "{d}/h.db", "--metric-tolerance", "-1"),
     ("--metric-tolerance",)),
    ("compare-latency-tolerance-nan", ("compare", "1", "2", "--db", "{d}/h.db", "--latency-tolerance", "nan"),
     ("--latency-tolerance",)),
    ("compare-n-boot-zero", ("compare", "1", "2", "--db", "{d}/h.db", "--n-boot", "0"), ("--n-boot",)),
    ("compare-format-unknown", ("compare", "1", "2", "--db", "{d}/h.db", "--format", "xml"), ("--format",)),
    ("compare-missing-candidate", ("compare", "1"), ("CANDIDATE",)),
    # --- top level
    ("unknown-command", ("reprot",), ("COMMAND",)),
]


def _argv(args: tuple[str, ...], d: Path) -> list[str]:
    return [a.format(d=d) for a in args]


def _snapshot(d: Path) -> dict[str, int]:
    return {str(p.relative_to(d)): p.stat().st_size for p in sorted(d.rglob("*"))}


def _check(code: int | str | None, stderr: str, words: tuple[str, ...]) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert any(w in lines[0] for w in words), f"message does not name {words}: {lines[0]}"


@pytest.mark.parametrize("argv, words", [pytest.param(a, w, id=i) for i, a, w in CASES])
def test_cli_bad_input(files, capsys, argv, words):
    before = _snapshot(files)
    try:
        code = main(_argv(argv, files))
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    err = capsys.readouterr().err
    _check(code, err, words)
    assert _snapshot(files) == before, "a failed command wrote or changed a file"


# Errors raised by the library under its own argument name ("model: ...", "run_id: ...") are
# re-labelled at the CLI boundary with what the user typed: the message starts with the flag.
FLAG_FIRST = {
    "bench-model-missing": "--model", "bench-model-untrusted-gadget": "--model", "bench-model-truncated-skops": "--model",
    "bench-baseline-model-missing": "--baseline-model", "bench-data-missing": "--data", "bench-data-empty-file": "--data",
    "bench-db-is-dir": "--db", "bench-db-not-a-history": "--db", "compare-db-not-a-history": "--db",
    "compare-unknown-run": "BASELINE", "compare-unknown-candidate-id": "CANDIDATE",
    "compare-unknown-candidate-name": "CANDIDATE", "compare-metrics-not-stored": "--metrics",
}


@pytest.mark.parametrize("case, flag", sorted(FLAG_FIRST.items()))
def test_library_errors_start_with_the_flag(files, capsys, case, flag):
    _, argv, _ = next(c for c in CASES if c[0] == case)
    code = main(_argv(argv, files))
    line = capsys.readouterr().err.strip()
    assert code == 2
    command = argv[0]
    assert line.startswith(f"diagtools {command}: error: {flag}: "), line
    for name in ("model:", "data:", "db:", "run_id", "metrics:"):  # the library's names are gone
        assert f"error: {name}" not in line, line


def test_flag_message_mapping():
    from diagtools._cli_common import flag_message

    assert flag_message("model: file not found: m.skops.", ("--baseline-model",)) == "--baseline-model: file not found: m.skops."
    assert flag_message("n_boot must be an integer >= 1, got 0.", ("--name", "--n-boot")) == (
        "--n-boot must be an integer >= 1, got 0.")
    assert flag_message("no run named 'x' in h.db.", ("BASELINE",), default="BASELINE") == (
        "BASELINE: no run named 'x' in h.db.")
    assert flag_message("--target: no column 'x'.", ("--data",), default="--data") == "--target: no column 'x'."
    assert flag_message("modelling failed.", ("--model",)) == "modelling failed."  # a word, not the name


def test_matrix_size():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)
    assert {c[1][0] for c in CASES} >= {"report", "demo", "templates", "bench", "compare"}


@pytest.mark.parametrize("case", ["report-target-case", "report-model-untrusted-gadget", "report-n-boot-negative",
                                  "bench-target-case"])
def test_cli_bad_input_as_a_process(files, case):
    """The same path through a real process: what a user's terminal and a CI log show."""
    _, argv, words = next(c for c in CASES if c[0] == case)
    out = subprocess.run([sys.executable, "-m", "diagtools.cli", *_argv(argv, files)], capture_output=True,
                         text=True, timeout=120)
    _check(out.returncode, out.stderr, words)
    if case == "report-target-case":
        assert "no column 'Income'; did you mean 'income'? Available columns:" in out.stderr


@pytest.mark.parametrize("case, model, data, words", [
    ("model-column-missing-from-data", "m.skops", "no_feature.csv", ("data", "'a'")),
    ("ragged-csv-after-first-rows", "m.skops", "ragged.csv", ("data",)),
    ("missing-label", "m.skops", "nan_label.csv", ("target",)),
    ("unfitted-model", "unfitted.skops", "d.csv", ("model",)),
])
def test_cli_bad_input_found_in_the_kernel(files, case, model, data, words, tmp_path):
    """Errors only the template can see come back through papermill's ename/evalue: exit 2, one line."""
    out = tmp_path / "r.html"
    result = subprocess.run(
        [sys.executable, "-m", "diagtools.cli", "report", "--model", str(files / model), "--data",
         str(files / data), "--target", "income", "--sections", "metrics", "--n-boot", "10", "--quiet",
         "--out", str(out)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ),
    )
    _check(result.returncode, result.stderr, words)
    assert not out.exists() and list(tmp_path.iterdir()) == []
