"""The command line: helpful --help, one-line errors with documented exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from diagtools.cli import build_parser, main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "diagtools.cli", *args], capture_output=True, text=True, timeout=120)


def test_top_level_help_lists_commands():
    out = _run("--help")
    assert out.returncode == 0
    for command in ("report", "demo"):
        assert command in out.stdout


@pytest.mark.parametrize("command", ["report", "demo"])
def test_every_option_is_explained(command):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    for action in sub._actions:
        if action.dest != "help":
            assert action.help and len(action.help) > 10, f"{command} {action.option_strings} has no help"


def test_report_missing_model_is_one_line_error(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,y\n1,0\n2,1\n")
    out = _run("report", "--model", str(tmp_path / "nope.skops"), "--data", str(data), "--target", "y")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert "file not found" in out.stderr and "Traceback" not in out.stderr


def test_report_unknown_section_is_one_line_error(tmp_path):
    for name in ("m.skops", "d.csv"):
        (tmp_path / name).write_text("x")
    out = _run(
        "report", "--model", str(tmp_path / "m.skops"), "--data", str(tmp_path / "d.csv"), "--target", "y",
        "--sections", "metrics,drfit",
    )
    assert out.returncode == 2 and "unknown" in out.stderr and "Traceback" not in out.stderr


def test_no_command_prints_help_and_returns_2(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_every_command_documents_its_exit_codes():
    import re
    from pathlib import Path

    parser = build_parser()
    assert "exit codes" in parser.epilog
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) >= {"report", "demo", "templates", "bench", "compare"}
    for name, sub in commands.items():
        epilog = sub.epilog or ""
        assert "exit codes" in epilog and re.search(r"^\s+0\s", epilog, re.M) and re.search(r"^\s+2\s+bad input", epilog, re.M), name
    assert re.search(r"^\s+3\s+report incomplete", commands["report"].epilog, re.M)
    assert re.search(r"^\s+1\s", commands["compare"].epilog, re.M)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for code, words in ((0, "success"), (1, "a significant regression"), (2, "bad input"), (3, "report incomplete")):
        assert re.search(rf"^\| {code} \| {words}", readme, re.M), code


def test_an_internal_error_is_one_line_exit_4(monkeypatch, capsys):
    import diagtools._cli_templates as templates

    def broken(args):
        raise KeyError("boom")

    monkeypatch.setattr(templates, "_templates", broken)
    monkeypatch.delenv("DIAGTOOLS_DEBUG", raising=False)
    assert main(["templates", "x"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" in err
