"""Benchmark: a full report on a 20,000-row, 77-class text set (TF-IDF + logistic regression).

Workload: 20,000 labelled messages in 77 intents, split 50/50 (stratified) into training and
evaluation data. With the real Banking77 files (``--datasets DIR`` or ``DIAGTOOLS_DATASETS``;
default ``../shared/datasets`` beside the repository) these are its 13,083 train + test
messages plus 6,917 variants of its training messages (a greeting, filler or closing word
added, as in the demo intents), so the report sees 20,000 distinct rows; without them, 77
synthetic intents are generated. The model is
``ColumnTransformer(TfidfVectorizer(1-2 grams)) -> LogisticRegression(C=10)``.

diagtools runs ``run_diagnostics`` with every section (data quality, metrics, fit, slices,
drift against the training data, latency, explanations) at the default budgets. The floor
is the model's own fit on the training data: the report is a fixed multiple of it, because
the fit, data-quality and drift sections refit small models of the same kind.

Prints wall time per section and in total, the ratio to the floor, the CPU time of the
process and its joblib workers (on a machine shared with other jobs, wall time stretches and
CPU time does not), the load average, the peak RSS of the process (``resource.getrusage``,
which includes the data and the fitted model) and the report's findings.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_text_report.py`` (``--rows 4000`` for a
quick look).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

FILLERS = ["hi, ", "hello, ", "please help: ", "urgent: ", "hey there, ", "quick question: "]
CLOSINGS = [" thanks", " asap", " please", "!", " thank you", " cheers"]


def _datasets(arg: str | None) -> Path | None:
    here = Path(__file__).resolve()
    nearby = [parent / "shared" / "datasets" for parent in here.parents[1:4]]  # ../shared beside the checkout
    for base in filter(None, [arg, os.environ.get("DIAGTOOLS_DATASETS"), *nearby]):
        if Path(base, "banking77", "train.csv").is_file():
            return Path(base)
    return None


def banking77(base: Path, rows: int, seed: int = 0) -> pd.DataFrame:
    """Banking77 train + test, topped up with filler variants of training messages to ``rows`` rows."""
    real = pd.concat([pd.read_csv(base / "banking77" / f) for f in ("train.csv", "test.csv")], ignore_index=True)
    real = real.rename(columns={"category": "intent"})
    rng = np.random.default_rng(seed)
    if rows <= len(real):
        return real.sample(rows, random_state=seed).reset_index(drop=True)
    extra = real.iloc[rng.integers(0, len(real), rows - len(real))].copy()
    extra["text"] = [FILLERS[rng.integers(len(FILLERS))] + t + CLOSINGS[rng.integers(len(CLOSINGS))]
                     for t in extra["text"]]
    return pd.concat([real, extra], ignore_index=True).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def synthetic(rows: int, n_classes: int = 77, seed: int = 0) -> pd.DataFrame:
    """77 intents, each with its own key words on a shared background vocabulary; neighbours overlap."""
    rng = np.random.default_rng(seed)
    background = [f"w{i}" for i in range(400)]
    keys = [[f"k{c}_{j}" for j in range(6)] + [f"k{(c + 1) % n_classes}_{j}" for j in range(2)] for c in range(n_classes)]
    y = rng.integers(0, n_classes, rows)
    texts = []
    for c in y:
        words = list(rng.choice(keys[c], size=rng.integers(2, 4))) + list(rng.choice(background, size=rng.integers(3, 9)))
        rng.shuffle(words)
        texts.append(" ".join(words) + (f" {rng.integers(1, 500)} dollars" if rng.random() < 0.2 else ""))
    return pd.DataFrame({"text": texts, "intent": [f"intent_{c:02d}" for c in y]})


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its live and finished children (joblib workers)."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2]) + me.cpu_times().children_user + me.cpu_times().children_system
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += sum(child.cpu_times()[:2])
    return total


def peak_rss_mb() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / 1024 if sys.platform != "darwin" else usage / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--datasets", default=None, help="folder holding banking77/ (default: ../shared/datasets)")
    parser.add_argument("--synthetic", action="store_true", help="generate the data even when Banking77 is present")
    parser.add_argument("--sections", nargs="*", default=None)
    args = parser.parse_args()

    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    from diagtools.report import run_diagnostics

    base = None if args.synthetic else _datasets(args.datasets)
    data = banking77(base, args.rows) if base is not None else synthetic(args.rows)
    source = "Banking77 (+ filler variants)" if base is not None else "synthetic 77 intents"
    train, test = train_test_split(data, test_size=0.5, stratify=data["intent"], random_state=0)
    train, test = train.reset_index(drop=True), test.reset_index(drop=True)
    print(f"data: {source}, {len(data):,} rows, {data['intent'].nunique()} classes; train {len(train):,}, eval {len(test):,}")
    print(f"cpus: {os.cpu_count()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")

    model = make_pipeline(ColumnTransformer([("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), "text")]),
                          LogisticRegression(C=10.0, max_iter=300))
    start = time.perf_counter()
    model.fit(train[["text"]], train["intent"])
    fit_s = time.perf_counter() - start
    rss_before = peak_rss_mb()
    cpu_before = cpu_seconds()
    start = time.perf_counter()
    report = run_diagnostics(model, test[["text"]], test["intent"], X_train=train[["text"]], y_train=train["intent"],
                             reference=train, target="intent", sections=args.sections, n_boot=200,
                             model_name="tfidf-logreg", data_name=source)
    total = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_before
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nmodel fit (floor): {fit_s:.1f} s; load average {load:.1f} on {os.cpu_count()} cores "
          "(a busy shared machine stretches wall times: compare the CPU time)")
    print(f"report CPU time (this process and its workers): {cpu:.1f} s")
    print(f"report: {total:.1f} s = {total / fit_s:.1f}x the model fit; peak RSS {peak_rss_mb():,.0f} MB "
          f"(before the report: {rss_before:,.0f} MB)")
    for name, o in report.sections.items():
        rows = "" if o.rows_used is None else f"{o.rows_used:,} rows"
        print(f"  {name:<13} {o.status:<7} {o.seconds:6.1f} s  {rows}  {o.error or ''}")
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 170)
    print("\nfindings:")
    print(report.findings_frame()[["section", "severity", "title"]].to_string(index=False))


if __name__ == "__main__":
    main()
