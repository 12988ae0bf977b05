"""``diagtools report`` and ``diagtools demo``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from diagtools._cli_common import add_trusted_type_argument
from diagtools.errors import DiagnosticInputError

REPORT_EPILOG = """exit codes:
  0  the report was written
  2  bad input: a missing or malformed file, an unknown column or section (one-line message)
  3  the template failed while running (the executed notebook is kept next to the output)
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``report`` and ``demo`` sub-commands."""
    from diagtools.report import SECTIONS

    report = sub.add_parser(
        "report",
        help="run the diagnosis template on a model and data, write one self-contained HTML file",
        description="Run every diagnostic the inputs allow on MODEL and DATA and write one self-contained HTML "
        "report (images embedded, viewable offline).",
        epilog=REPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("--model", required=True, metavar="M", help="fitted model file (.skops; .pkl/.joblib need --trust-pickle)")
    report.add_argument("--data", required=True, metavar="D", help="evaluation data (.csv or .parquet) including the target column")
    report.add_argument("--target", required=True, metavar="T", help="name of the label column in the data")
    report.add_argument("--train", metavar="TRAIN", help="training data: enables the fit section and fits the baselines")
    report.add_argument("--reference", metavar="R", help="reference data the model was validated on: enables the drift section")
    report.add_argument("--out", default="report.html", help="output HTML file (default: report.html)")
    report.add_argument("--title", default="Model diagnosis report", help="heading of the report")
    report.add_argument("--slices", metavar="COL1,COL2", help="comma-separated columns to slice by (default: search all columns)")
    report.add_argument(
        "--sections", metavar="S1,S2",
        help=f"comma-separated subset of sections to run (default: all): {', '.join(SECTIONS)}",
    )
    report.add_argument("--no-code", action="store_true", help="hide code cells in the HTML (outputs only)")
    report.add_argument("--trust-pickle", action="store_true", help="allow a pickle/joblib model file (loading it runs code in it)")
    add_trusted_type_argument(report)
    report.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples behind every interval (default: 500)")
    report.add_argument("--random-state", type=int, default=0, help="seed of every random step (default: 0)")
    report.add_argument("--sample-rows", type=int, help="evaluate on a random sample of this many rows")
    report.add_argument("--keep-notebook", metavar="PATH", help="also keep the executed notebook at PATH")
    report.add_argument("--quiet", action="store_true", help="no progress bar")
    report.set_defaults(handler=_report)

    demo = sub.add_parser(
        "demo",
        help="train the demo model on the demo data and render reports/demo.html",
        description="Generate the demo loans data (planted problems: a failing slice, drifted columns, an "
        "overfitting model with a slow pipeline step), train the demo model, and render the full report.",
    )
    demo.add_argument("--out", default="reports/demo.html", help="output HTML file (default: reports/demo.html)")
    demo.add_argument("--no-code", action="store_true", help="hide code cells in the HTML")
    demo.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples (default: 500)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(handler=_demo)


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _report(args: argparse.Namespace) -> int:
    from diagtools.report import render_report

    start = time.perf_counter()
    try:
        out = render_report(
            model_path=args.model, data_path=args.data, target=args.target, out=args.out,
            train_path=args.train, reference_path=args.reference, title=args.title,
            slice_columns=_split(args.slices), sections=_split(args.sections), no_code=args.no_code,
            trust_pickle=args.trust_pickle, trusted=args.trusted_type, n_boot=args.n_boot, random_state=args.random_state,
            sample_rows=args.sample_rows, progress=not args.quiet, keep_notebook=args.keep_notebook,
        )
    except DiagnosticInputError:
        raise
    except Exception as exc:
        return _template_failed(exc)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.0f} s")
    return 0


def _template_failed(exc: Exception) -> int:
    name = type(exc).__name__
    # papermill re-raises errors from the kernel; the input errors among them keep their message.
    text = str(exc)
    if "DiagnosticInputError" in text:
        line = next((ln for ln in text.splitlines() if "DiagnosticInputError" in ln), text.splitlines()[-1])
        print(f"diagtools: error: {line.split('DiagnosticInputError:', 1)[-1].strip()}", file=sys.stderr)
        return 2
    print(f"diagtools: the report template failed ({name}): {text.strip().splitlines()[-1] if text.strip() else ''}", file=sys.stderr)
    return 3


def _demo(args: argparse.Namespace) -> int:
    from threadpoolctl import threadpool_limits

    from diagtools.datasets import LOANS_TRUTH, load_loans
    from diagtools.demo_models import make_loan_model
    from diagtools.io import save_model
    from diagtools.report import render_report

    start = time.perf_counter()
    out = Path(args.out)
    inputs = out.parent / "demo_inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    reference, current = load_loans("reference"), load_loans("current")
    reference.to_csv(inputs / "loans_reference.csv", index=False)
    current.to_csv(inputs / "loans_current.csv", index=False)
    print("training the demo model (overfitting on purpose, with a slow pipeline step) ...", flush=True)
    model = make_loan_model()  # imports the OpenMP runtime first: threadpool_limits acts on loaded libraries only
    with threadpool_limits(limits=1):  # predictable on a busy machine (see report._threads_for)
        model.fit(reference.drop(columns=LOANS_TRUTH.target), reference[LOANS_TRUTH.target])
    save_model(model, inputs / "loan_model.skops")
    try:
        render_report(
            model_path=inputs / "loan_model.skops", data_path=inputs / "loans_current.csv",
            train_path=inputs / "loans_reference.csv", reference_path=inputs / "loans_reference.csv",
            target=LOANS_TRUTH.target, out=out, title="Demo: loan default model", no_code=args.no_code,
            n_boot=args.n_boot, progress=not args.quiet,
        )
    except DiagnosticInputError:
        raise
    except Exception as exc:
        return _template_failed(exc)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.0f} s")
    return 0
