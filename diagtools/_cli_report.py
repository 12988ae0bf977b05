"""``diagtools report`` and ``diagtools demo``."""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from diagtools._cli_common import add_command, add_trusted_type_argument, int_at_least, seed
from diagtools._engine import ENGINES

REPORT_EPILOG = """exit codes:
  0  the report was written and every requested section ran
  2  bad input (one line on stderr naming the argument): a missing or malformed file, an untrusted
     model type, an unknown column or section, an out-of-range number; nothing is written
  3  report incomplete: a requested section failed (the report is written with the errors at the
     top; --allow-partial exits 0 instead), or the template stopped (its executed notebook is kept
     next to --out as NAME.failed.ipynb)
  4  unexpected internal error (a bug; DIAGTOOLS_DEBUG=1 shows the traceback)
"""

DEMO_EPILOG = """exit codes:
  0  the demo report was written
  2  bad input: --out is not a writable file path, --n-boot out of range
  3  report incomplete: a section failed (the report is written with the errors at the top)
  4  unexpected internal error
"""


class _ReportHelp(argparse.RawDescriptionHelpFormatter):
    """Lists the sections in ``--sections``' help, importing the section table only when help is shown.

    The table imports every diagnostic area; every command builds this parser, and none but
    ``report --help`` needs the names.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        if action.dest == "sections" and text:
            from diagtools.report import SECTIONS

            text += f": {', '.join(SECTIONS)}"
        return text


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``report`` and ``demo`` sub-commands."""
    report = add_command(
        sub, "report",
        help="run the diagnosis template on a model and data, write one self-contained HTML file",
        description="Run every diagnostic the inputs allow on MODEL and DATA and write one self-contained HTML "
        "report (images embedded, viewable offline).",
        epilog=REPORT_EPILOG,
        formatter_class=_ReportHelp,
    )
    report.add_argument("--model", required=True, metavar="M", help="fitted model file (.skops; .pkl/.joblib need --trust-pickle)")
    report.add_argument("--data", required=True, metavar="D",
                        help="evaluation data (.csv or .parquet) including the target column; with --engine chunked "
                        "or dask also a folder or a glob such as 'events/*.parquet'")
    report.add_argument("--target", required=True, metavar="T", help="name of the label column in the data")
    report.add_argument("--train", metavar="TRAIN", help="training data: enables the fit and optimisation sections and fits the baselines")
    report.add_argument("--reference", metavar="R", help="reference data the model was validated on: enables the drift section")
    report.add_argument("--title", default="Model diagnosis report", help="heading of the report")
    report.add_argument("--slices", metavar="COL1,COL2", help="comma-separated columns to slice by (default: search all columns)")
    report.add_argument(
        "--sensitive", metavar="COL1,COL2",
        help="comma-separated sensitive columns: enables the fairness section (off by default)",
    )
    report.add_argument(
        "--sections", metavar="S1,S2",
        help="comma-separated subset of sections to run (default: all)",  # _ReportHelp lists them
    )
    report.add_argument("--trust-pickle", action="store_true", help="allow a pickle/joblib model file (loading it runs code in it)")
    add_trusted_type_argument(report)
    report.add_argument("--random-state", type=seed, default=0, help="seed of every random step, 0 .. 2**32-1 (default: 0)")
    report.add_argument("--sample-rows", type=int_at_least(1, 10000), help="evaluate on a random sample of this many rows (>= 1)")
    report.add_argument(
        "--engine", choices=ENGINES, default="pandas",
        help="how --data is read: pandas (in memory, default), chunked (files read in chunks, constant memory) or "
        "dask (a Dask cluster); with chunked and dask the metrics and slices sections run on every row, the others "
        "on a sample of --sample-rows rows (default 50,000)",
    )
    report.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="with --engine dask: the scheduler to connect to (e.g. tcp://10.0.0.5:8786); without it a local "
        "cluster with one single-threaded worker per core runs for the length of the command",
    )
    report.add_argument("--allow-partial", action="store_true",
                        help="exit 0 even when a requested section failed (the errors are at the top of the report)")
    report.add_argument("--keep-notebook", metavar="PATH", help="also keep the executed notebook at PATH")
    _add_render_options(report, out="report.html")
    report.set_defaults(handler=_report)

    demo = add_command(
        sub, "demo",
        help="train the demo model on the demo data and render reports/demo.html",
        description="Generate the demo loans data (planted problems: a failing slice, drifted columns, an "
        "overfitting model with a slow pipeline step), train the demo model, and render the full report.",
        epilog=DEMO_EPILOG,
    )
    _add_render_options(demo, out="reports/demo.html")
    demo.set_defaults(handler=_demo)


def _add_render_options(parser: argparse.ArgumentParser, *, out: str) -> None:
    """The options every rendering command takes: where to write, code shown or not, resamples, progress."""
    parser.add_argument("--out", default=out, help=f"output HTML file (default: {out})")
    parser.add_argument("--no-code", action="store_true", help="hide code cells in the HTML (outputs only)")
    parser.add_argument("--n-boot", type=int_at_least(1, 500), default=500,
                        help="bootstrap resamples behind every interval, >= 1 (default: 500)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _report(args: argparse.Namespace) -> int:
    from diagtools.report import render_report
    from diagtools.report._inputs import check_render_inputs

    start = time.perf_counter()
    options = dict(
        model_path=args.model, data_path=args.data, target=args.target, train_path=args.train,
        reference_path=args.reference, slice_columns=_split(args.slices), sections=_split(args.sections),
        sensitive_columns=_split(args.sensitive), trust_pickle=args.trust_pickle, trusted=args.trusted_type,
        n_boot=args.n_boot, random_state=args.random_state, sample_rows=args.sample_rows,
        keep_notebook=args.keep_notebook, engine=args.engine,
    )
    if args.engine == "dask" or args.scheduler:
        # every input is checked before a cluster starts: a typo costs a second, not a cluster's
        # start-up (render_report checks them again itself, as it does for the other engines)
        check_render_inputs(out=Path(args.out), scheduler=args.scheduler, **options)
    with _scheduler(args.engine, args.scheduler) as address:
        out = render_report(
            out=args.out, title=args.title, no_code=args.no_code, progress=not args.quiet,
            allow_partial=args.allow_partial, scheduler=address, **options,
        )
    return _wrote(out, start)


@contextlib.contextmanager
def _scheduler(engine: str, scheduler: str | None) -> Iterator[str | None]:
    """The scheduler address the report's kernel connects to (dask only), for the length of the render."""
    if engine != "dask":
        yield None
        return
    from diagtools._engine import cluster

    with cluster(scheduler) as address:
        yield address


def _demo(args: argparse.Namespace) -> int:
    from diagtools.datasets import LOANS_TRUTH, load_loans
    from diagtools.io import save_model
    from diagtools.report import render_report
    from diagtools.report._inputs import check_output_file, fit_demo_model

    start = time.perf_counter()
    out = Path(args.out)
    check_output_file(out, "--out", example="demo.html")
    inputs = out.parent / "demo_inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    reference, current = load_loans("reference"), load_loans("current")
    reference.to_csv(inputs / "loans_reference.csv", index=False)
    current.to_csv(inputs / "loans_current.csv", index=False)
    print("training the demo model (overfitting on purpose, with a slow pipeline step) ...", flush=True)
    target = LOANS_TRUTH.target
    save_model(fit_demo_model(reference.drop(columns=target), reference[target]), inputs / "loan_model.skops")
    render_report(
        model_path=inputs / "loan_model.skops", data_path=inputs / "loans_current.csv",
        train_path=inputs / "loans_reference.csv", reference_path=inputs / "loans_reference.csv",
        target=target, out=out, title="Demo: loan default model", no_code=args.no_code,
        n_boot=args.n_boot, progress=not args.quiet,
    )
    return _wrote(out, start)


def _wrote(out: Path, start: float) -> int:
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.0f} s")
    return 0
