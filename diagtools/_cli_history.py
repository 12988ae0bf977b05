"""``diagtools bench`` and ``diagtools compare``: benchmark history and the CI regression gate."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from diagtools._cli_common import add_trusted_type_argument, cli_arguments, float_in, int_at_least, seed
from diagtools.errors import DiagnosticInputError

if TYPE_CHECKING:
    from diagtools.history import History, Run, RunComparison

DEFAULT_DB = "diagtools_history.db"
_DB_HELP = (f"history database file (SQLite; created by bench when missing; default: $DIAGTOOLS_HISTORY or "
            f"{DEFAULT_DB})")

BENCH_EPILOG = """paired mode (the reliable latency gate): with --baseline-model, both models are benched in this one
job: timed interleaved, in randomised blocks, in several fresh worker processes, so machine noise hits
both alike. The latency test is on the ratio of the two models' block medians (blocks are the samples):
a regression is a lower bound of the ratio above 1 + --latency-tolerance. When the machine was busy
(wall-clock and CPU time disagree), the output says so and the interval is widened. Metrics are compared
on the same rows with a paired bootstrap. Both runs are recorded.

every run reports the cost of a prediction: CPU-seconds per 1,000 predictions, peak memory of one call,
energy in joules per 1,000 (Linux RAPL, or why it is not available) and, with --cpu-hour-price, the
estimated cost of a million predictions.

exit codes:
  0  the run(s) were recorded (paired mode: and no significant regression beyond tolerance)
  1  paired mode: a significant regression beyond tolerance (fails the CI job)
  2  bad input: a missing or unreadable model/data file, an unknown target column, a foreign --db file

examples:
  diagtools bench --model model.skops --data holdout.parquet --target defaulted --name main --tags nightly
  diagtools bench --baseline-model base/model.skops --model head/model.skops --data holdout.parquet \\
      --target defaulted --baseline-name main --name pr-12 --format markdown --out comparison.md
"""

COMPARE_EPILOG = """BASELINE and CANDIDATE are run ids (e.g. 12) or series names, meaning the latest run of that
name (e.g. main, pr-123).

A comparison is a regression when the candidate is worse than the baseline by more than the
tolerance AND the difference is statistically significant (one-sided test at --alpha):
  metrics  paired bootstrap on the same rows when both runs used the same data (equal data
           fingerprints), otherwise a z-test from the two stored intervals;
  latency  ratio of median latencies per batch size. Two runs stored at different times (or on
           different machines) differ by more than their own samples show, so the interval adds the
           run-to-run spread learned from the baseline's series (or a calibrated default of 10%), and
           a warning names what differs between the two environments (CPU, threads, versions).

For latency, the reliable gate is the paired mode: diagtools bench --baseline-model OLD --model NEW
benches both models in the same job, interleaved, and tests their ratio. Use compare for metrics
and for a look back along the history.

exit codes:
  0  no significant regression beyond tolerance
  1  at least one significant regression beyond tolerance (fails the CI job)
  2  bad input: unknown run id or name, missing or foreign --db file
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``bench`` and ``compare`` sub-commands."""
    bench = sub.add_parser(
        "bench",
        help="evaluate and time a model, record the run in the benchmark history",
        description="Evaluate MODEL on DATA (metrics with bootstrap intervals), time predict at each batch size,\n"
        "and record the run in the history database: fingerprints of model, data, git commit and\n"
        "environment, raw latency samples and per-row predictions. Prints a one-screen summary.",
        epilog=BENCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("--model", required=True, metavar="M",
                       help="fitted model file (.skops; .pkl/.joblib need --trust-pickle)")
    bench.add_argument("--data", required=True, metavar="D",
                       help="evaluation data (.csv, .tsv or .parquet) including the target column")
    bench.add_argument("--target", required=True, metavar="T", help="name of the label column in the data")
    bench.add_argument("--name", default="main", metavar="N",
                       help="series the run belongs to, e.g. main or a branch name (default: main)")
    bench.add_argument("--db", metavar="PATH", help=_DB_HELP)
    bench.add_argument("--tags", nargs="*", default=[], metavar="TAG", help="free-form labels stored with the run")
    bench.add_argument("--trust-pickle", action="store_true",
                       help="allow a pickle/joblib model file (loading it runs code stored in it)")
    add_trusted_type_argument(bench)
    bench.add_argument("--batch-sizes", default="1,100", metavar="B1,B2",
                       help="comma-separated batch sizes to time predict at; 0 or empty skips latency (default: 1,100)")
    bench.add_argument("--n-runs", type=int_at_least(1, 30), default=30, metavar="K",
                       help="timed predict calls per batch size (default: 30)")
    bench.add_argument("--n-boot", type=int_at_least(1, 1000), default=1000, metavar="B",
                       help="bootstrap resamples behind every interval (default: 1000)")
    bench.add_argument("--sample-rows", type=int_at_least(1, 10000), metavar="ROWS",
                       help="evaluate on a seeded random sample of this many rows (default: all rows)")
    bench.add_argument("--random-state", type=seed, default=0, metavar="SEED", help="seed of every random step (default: 0)")
    bench.add_argument("--cpu-hour-price", type=float_in(0, math.inf, 0.05, high_open=True), metavar="PRICE",
                       help="price of one CPU-hour (any currency), for the estimated cost per million predictions")
    paired = bench.add_argument_group("paired mode (the reliable latency gate)")
    paired.add_argument("--baseline-model", metavar="OLD",
                        help="model file of the baseline: bench both models in this job, interleaved, and compare")
    paired.add_argument("--baseline-name", default="baseline", metavar="N",
                        help="series the baseline run is recorded under (default: baseline)")
    paired.add_argument("--processes", type=int_at_least(1, 4), default=4, metavar="P",
                        help="fresh worker processes that time both models, one after the other (default: 4)")
    paired.add_argument("--blocks", type=int_at_least(2, 10), default=10, metavar="K",
                        help="blocks per process and batch size; each times both models in random order (default: 10)")
    _add_gate_arguments(paired, latency_tolerance=0.05,
                        latency_help="allowed slow-down: regression when the lower bound of the ratio exceeds 1 + REL")
    bench.set_defaults(handler=_bench)

    compare = sub.add_parser(
        "compare",
        help="compare two recorded runs; exit 1 on a significant regression (CI gate)",
        description="Compare CANDIDATE with BASELINE (metrics and latency) and report every difference with its\n"
        "interval and test. Exit code 1 when a regression beyond tolerance is statistically significant.",
        epilog=COMPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument("baseline", metavar="BASELINE", help="baseline run: a run id, or a name (its latest run)")
    compare.add_argument("candidate", metavar="CANDIDATE", help="candidate run: a run id, or a name (its latest run)")
    compare.add_argument("--db", metavar="PATH", help=_DB_HELP)
    _add_gate_arguments(compare, latency_tolerance=0.10,
                        latency_help="allowed relative slow-down of each median latency (0.10 = 10%% slower)")
    compare.add_argument("--n-boot", type=int_at_least(1, 1000), default=1000, metavar="B",
                         help="bootstrap resamples of the paired and latency tests (default: 1000)")
    compare.add_argument("--random-state", type=seed, default=0, metavar="SEED", help="seed of the bootstrap (default: 0)")
    compare.set_defaults(handler=_compare)


def _add_gate_arguments(group: argparse._ActionsContainer, *, latency_tolerance: float, latency_help: str) -> None:
    """The regression gate's options, shared by ``bench --baseline-model`` and ``compare``."""
    group.add_argument("--latency-tolerance", type=float_in(0, math.inf, latency_tolerance, high_open=True),
                       default=latency_tolerance, metavar="REL", help=f"{latency_help} (default: {latency_tolerance:.2f})")
    group.add_argument("--metric-tolerance", type=float_in(0, math.inf, 0.01, high_open=True), default=0.01, metavar="ABS",
                       help="allowed worsening of each metric, absolute (0.01 = one accuracy point; default: 0.01)")
    group.add_argument("--alpha", type=float_in(0, 1, 0.05, low_open=True, high_open=True), default=0.05,
                       help="significance level of each one-sided test (default: 0.05)")
    group.add_argument("--metrics", metavar="M1,M2",
                       help="comma-separated metrics to compare and gate on (default: every metric in both runs)")
    group.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                       help="output of the comparison: text for a terminal, json for tools, markdown for a PR comment "
                       "(default: text)")
    group.add_argument("--out", metavar="FILE", help="also write the comparison to FILE (e.g. the PR comment body)")


def _metric_list(text: str | None) -> list[str] | None:
    return [m.strip() for m in text.split(",") if m.strip()] if text else None


def _emit(result: RunComparison, fmt: str, out_path: Path | None) -> int:
    """Print the comparison (and write it to ``--out``); the gate's exit code: 1 on a regression."""
    text = {"json": result.to_json, "markdown": result.to_markdown}.get(fmt, result.to_text)()
    text = text if text.endswith("\n") else text + "\n"
    sys.stdout.write(text)
    if out_path is not None:
        _write_atomic(out_path, text, "--out")
    sys.stdout.flush()
    return 1 if result.regressed else 0


def _db_path(value: str | None) -> Path:
    return Path(value or os.environ.get("DIAGTOOLS_HISTORY") or DEFAULT_DB)


def _check_out(value: str | None) -> Path | None:
    """Check an output file path before any work, so a typo costs no benchmark time."""
    if not value:
        return None
    out = Path(value)
    if out.is_dir():
        raise DiagnosticInputError(f"--out: {out} is a directory. Pass a file path such as {out / 'comparison.md'}.")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise DiagnosticInputError(
            f"--out: the directory {parent} does not exist. Create it first (mkdir -p {parent}) or pass another path."
        )
    if not os.access(parent, os.W_OK):
        raise DiagnosticInputError(f"--out: the directory {parent} is not writable. Pass a path in a writable directory.")
    return out


def _write_atomic(path: Path, text: str, label: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never a half-written file)."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise DiagnosticInputError(f"{label}: cannot write {path} ({exc.strerror or exc}). Pass a writable path.") from exc


def _batch_sizes(text: str) -> list[int]:
    try:
        sizes = [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError as exc:
        raise DiagnosticInputError(
            f"--batch-sizes must be comma-separated integers, got {text!r}. Pass e.g. --batch-sizes 1,100."
        ) from exc
    if any(s < 0 for s in sizes):
        raise DiagnosticInputError(f"--batch-sizes must be positive, got {text!r}. Pass e.g. --batch-sizes 1,100.")
    return [s for s in sizes if s > 0]


def _bench(args: argparse.Namespace) -> int:
    from diagtools._validation import check_columns
    from diagtools.history import History, bench
    from diagtools.io import load_data, load_model

    sizes = _batch_sizes(args.batch_sizes)
    out_path = _check_out(args.out)
    with cli_arguments("--data"):
        data = load_data(args.data, name="data")
    check_columns(data, [args.target], name="--target")
    load_kwargs = {"trust": args.trust_pickle}
    trusted = getattr(args, "trusted_type", None)
    if trusted:
        load_kwargs["trusted"] = trusted
    with cli_arguments("--model"):
        model = load_model(args.model, **load_kwargs)
    if args.baseline_model is not None:
        with cli_arguments("--baseline-model"):  # a bad baseline file fails here, before the history is touched
            load_model(args.baseline_model, **load_kwargs)
    if args.sample_rows is not None and 0 < args.sample_rows < len(data):
        data = data.sample(n=args.sample_rows, random_state=args.random_state)
    X, y = data.drop(columns=[args.target]), data[args.target]
    with cli_arguments("--db"):
        history = History(_db_path(args.db))
    if args.baseline_model is not None:
        return _bench_paired(args, history, X, y, sizes, load_kwargs, out_path)
    with cli_arguments("--name", "--tags", "--batch-sizes", "--n-boot", "--random-state", "--db"):
        run = bench(model, X, y, history=history, name=args.name, tags=args.tags, batch_sizes=sizes,
                    n_runs=args.n_runs, n_boot=args.n_boot, model_path=args.model,
                    cpu_hour_price=args.cpu_hour_price, random_state=args.random_state)
    print(_summary(run, history))
    return 0


def _bench_paired(args: argparse.Namespace, history: History, X: object, y: object, sizes: list[int],
                  load_kwargs: dict[str, object], out_path: Path | None) -> int:
    with cli_arguments("--name", "--baseline-name", "--tags", "--metrics", "--batch-sizes", "--n-boot", "--alpha",
                       "--metric-tolerance", "--latency-tolerance", "--random-state", "--db"):
        result = history.compare_models(
            args.baseline_model, args.model, X, y, baseline_name=args.baseline_name, name=args.name, tags=args.tags,
            batch_sizes=sizes, n_processes=args.processes, n_blocks=args.blocks,
            latency_tolerance=args.latency_tolerance, metric_tolerance=args.metric_tolerance, alpha=args.alpha,
            metrics=_metric_list(args.metrics),
            cpu_hour_price=args.cpu_hour_price, n_boot=args.n_boot, load_kwargs=load_kwargs,
            progress=sys.stderr.isatty(), random_state=args.random_state,
        )
    return _emit(result, args.format, out_path)


def _summary(r: Run, history: History) -> str:
    from diagtools import _format as fmt
    from diagtools.history._results import text_table

    lines = [
        f"Recorded run {r.run_id} '{r.name}' in {history.path}",
        f"  model {(r.model_fingerprint or '')[:12]}  data {(r.data_fingerprint or '')[:12]}  "
        f"commit {(r.git_commit or 'n/a')[:10]}  rows {r.n_samples:,}",
    ]
    table: list[list[str]] = []
    if len(r.metrics):
        own = r.metrics[r.metrics["model"] == r.metrics["model"].iloc[0]]
        table = [["metric", "estimate", "95% interval"]]
        table += [[str(m.metric), fmt.number(m.estimate), fmt.interval(m.ci_low, m.ci_high) or fmt.NA]
                  for m in own.head(8).itertuples(index=False)]
        lines += [f"  {line}" for line in text_table(table)]
        if len(own) > 8:
            lines.append(f"  ... {len(own) - 8} more metrics stored")
    if len(r.latency):
        table = [["batch", "median_ms", "95% interval", "p95_ms", "samples"]]
        table += [[str(int(t.batch_size)), fmt.number(t.median_ms), fmt.interval(t.ci_low, t.ci_high) or fmt.NA,
                   fmt.number(t.p95_ms), str(int(t.n))] for t in r.latency.itertuples(index=False)]
        lines += [f"  {line}" for line in text_table(table)]
    cost = r.params.get("cost") or []
    if cost:
        table = [["batch", "CPU-s per 1k predictions", "peak MB", "energy J per 1k", "cost per million"]]
        table += [[str(int(c["batch_size"])), fmt.short_number(c["cpu_s_per_1k"]), fmt.short_number(c["peak_mb"]),
                   fmt.short_number(c.get("energy_j_per_1k")),
                   "n/a (no --cpu-hour-price)" if c.get("cost_per_million") is None
                   else fmt.short_number(c["cost_per_million"])] for c in cost]
        lines += [f"  {line}" for line in text_table(table)]
        if r.params.get("energy_note"):
            lines.append(f"  energy not available: {r.params['energy_note']}")
    lines.append(f"Compare with: diagtools compare <BASELINE> {r.run_id} --db {history.path} "
                 "(for latency, bench --baseline-model is the reliable gate)")
    return "\n".join(lines)


def _compare(args: argparse.Namespace) -> int:
    from diagtools.history import History, compare_runs

    out_path = _check_out(args.out)
    path = _db_path(args.db)
    if not path.exists():
        raise DiagnosticInputError(f"--db: no history file at {path}. Record runs first with diagtools bench --db {path}.")
    with cli_arguments("--db"):
        history = History(path)
    with cli_arguments("BASELINE", default="BASELINE"):
        baseline = history.resolve(args.baseline)
    with cli_arguments("CANDIDATE", default="CANDIDATE"):
        candidate = history.resolve(args.candidate)
    with cli_arguments("--metrics", "--metric-tolerance", "--latency-tolerance", "--alpha", "--n-boot",
                       "--random-state"):
        result = compare_runs(baseline, candidate, metric_tolerance=args.metric_tolerance,
                              latency_tolerance=args.latency_tolerance, alpha=args.alpha,
                              metrics=_metric_list(args.metrics), n_boot=args.n_boot,
                              random_state=args.random_state)
    return _emit(result, args.format, out_path)
