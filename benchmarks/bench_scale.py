"""Large data: the three back ends of ``evaluate_predictions`` / ``slice_metrics``, and ``evaluate``.

One run, one table (rows, back end, seconds, peak RSS, ratio to its reference). Seeded data:
a binary target, a model's score (probability) and label, a reference score, and five slicing
columns (three categorical, two numeric).

* **floor** (``--rows`` in memory): a bare numpy pass over the same in-memory arrays:
  ``np.bincount`` of the confusion cells and ``np.histogram`` of the scores on 2,000 bins per
  class, plus the slice floor (one ``np.bincount`` per slicing column x confusion cell). No
  intervals. The in-memory rows are compared with it.
* **dask read** (``--disk-rows`` as 8 parquet files): ``dask.dataframe`` reading the columns
  that ``evaluate_predictions`` reads (all of them: the count runs inside ``map_partitions``,
  so the read is not pruned to one column) and one ``value_counts``, on the same cluster as the
  dask rows; **dask read (slice columns)** the same for the columns ``slice_metrics`` reads
  (target, prediction and the five slicing columns, three of them text). Each on-disk row
  (chunked reader and dask) is compared with the read of its own columns.
* **evaluate_predictions** (model + one baseline, ``--n-boot`` resamples of accuracy, F1 and
  ROC-AUC, the Poisson bootstrap drawn per cell of the merged statistics): in memory (arrays),
  ``chunked`` (the parquet files read in chunks of 250,000 rows) and ``dask`` (the files
  through ``dask.dataframe`` on a ``LocalCluster(n_workers=2, threads_per_worker=1,
  processes=False)``).
* **slice_metrics** on the 5 columns (each column and every pair, accuracy and F1 with a
  200-resample bootstrap): the same three back ends.
* **evaluate** with a fitted ``HistGradientBoostingClassifier`` and no training data on
  ``--evaluate-rows`` rows (auto-baselines fitted on a 50,000-row sample): its time against
  the model's own ``predict`` + ``predict_proba`` on the same rows.
* **detect_drift** on ``--drift-rows`` vs ``--drift-rows`` in-memory rows (see
  :func:`drift_step`), against its own numpy floor.

Each step runs in a fresh process (``multiprocessing`` spawn), which reports its own peak RSS
(``VmHWM``), so the chunked and dask rows show the memory of reading the files, not of
holding the arrays. Times are wall-clock on whatever machine runs it; compare the ratios.

Usage::

    python benchmarks/bench_scale.py [--rows 10000000] [--disk-rows 50000000] [--n-boot 1000]
                                     [--evaluate-rows 2000000] [--skip-evaluate] [--drift-rows 10000000]
                                     [--steps slice_metrics,drift]

``--steps`` runs only the named steps (``floor, evaluate_predictions, slice_metrics, evaluate,
drift``; default all); the references their ratios need (the floor, the dask read) always run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BY = ["region", "channel", "segment", "income", "age"]
#: Columns each on-disk step reads, and so its dask-read reference.
READ_COLUMNS = {"dask read": ["y", "pred", "score", "ref"], "dask read (slice columns)": ["y", "pred", *BY]}
#: Metrics of the evaluate_predictions steps (the intervals that the targets name).
METRICS = ["accuracy", "f1", "roc_auc"]
#: Steps that ``--steps`` selects from.
STEPS = ("floor", "evaluate_predictions", "slice_metrics", "evaluate", "drift")


def make_table(n: int, seed: int = 0) -> pd.DataFrame:
    """Seeded table: target, model label / score, a reference score, five slicing columns."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.clip(0.3 * y + 0.7 * rng.random(n), 0.0, 1.0)
    return pd.DataFrame({
        "y": y, "pred": (score > 0.5).astype(np.int64), "score": score,
        "ref": np.clip(score + rng.normal(0.0, 0.25, n), 0.0, 1.0),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "channel": rng.choice(["web", "phone", "branch"], n),
        "segment": rng.choice([f"s{i}" for i in range(8)], n),
        "income": rng.lognormal(10.0, 0.5, n), "age": rng.integers(18, 90, n).astype(float),
    })


def _rss_mb() -> float:
    """Peak RSS of this process in MB: VmHWM, which (unlike ``ru_maxrss``) starts afresh at exec,
    so a spawned step does not inherit the parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def _value_counts(frame: pd.DataFrame) -> pd.Series:
    """``value_counts`` of the predictions, the whole partition (every read column) in hand."""
    return frame["pred"].value_counts().rename("count").astype("int64")


def _step(kind: str, backend: str, args: dict[str, Any]) -> tuple[float, float, str]:
    """Run one step in this (fresh) process: (seconds, peak RSS MB, note)."""
    import warnings

    warnings.filterwarnings("ignore")
    n, n_boot, files = args["rows"], args["n_boot"], args["files"]
    note = ""
    client = cluster = None
    if backend == "dask":
        import dask.dataframe as dd
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
        client = Client(cluster)
        data: Any = dd.read_parquet(files)
    elif backend == "chunked":
        data = files
    elif kind != "evaluate":
        data = make_table(n)
    if kind.startswith("dask read"):
        t = time.perf_counter()
        ddf = dd.read_parquet(files, columns=READ_COLUMNS[kind])
        # inside map_partitions, so that dask cannot prune the read to the one counted column
        counts = ddf.map_partitions(_value_counts, meta=pd.Series(dtype="int64", name="count")).compute()
        counts = counts.groupby(level=0).sum()
        sec = time.perf_counter() - t
        note = f"{int(counts.sum()):,} rows counted"
    elif kind == "floor":
        y, pred, s = data["y"].to_numpy(), data["pred"].to_numpy(), data["score"].to_numpy()
        codes = {c: pd.factorize(data[c])[0] if data[c].dtype == object else
                 np.minimum((data[c].rank(pct=True).to_numpy() * 5).astype(np.int64), 4) for c in BY}
        t = time.perf_counter()
        np.bincount(y * 2 + pred, minlength=4)
        for cls in (0, 1):
            np.histogram(s[y == cls], bins=2000, range=(0.0, 1.0))
        cell = y * 2 + pred
        for c in BY:
            np.bincount(codes[c] * 4 + cell)
        sec = time.perf_counter() - t
    elif kind == "evaluate_predictions":
        from diagtools.metrics import evaluate_predictions

        t = time.perf_counter()
        if backend == "memory":
            res = evaluate_predictions(data["y"].to_numpy(), y_pred=data["pred"].to_numpy(),
                                       y_score=data["score"].to_numpy(), n_boot=n_boot, progress=False,
                                       baselines={"ref": {"y_score": data["ref"].to_numpy()}}, metrics=METRICS)
        else:
            res = evaluate_predictions("y", y_pred="pred", y_score="score", data=data, n_boot=n_boot,
                                       progress=False, baselines={"ref": {"y_score": "ref"}}, metrics=METRICS)
        sec = time.perf_counter() - t
        auc = res.frame.set_index(["model", "metric"]).loc[("model", "roc_auc")]
        note = f"auc {auc['estimate']:.4f} [{auc['ci_low']:.4f}, {auc['ci_high']:.4f}]"
    elif kind == "slice_metrics":
        from diagtools.slices import slice_metrics

        t = time.perf_counter()
        if backend == "memory":
            res = slice_metrics(None, data[BY], data["y"], y_pred=data["pred"], by=BY, metrics=["accuracy", "f1"])
        else:
            res = slice_metrics(None, data, "y", y_pred="pred", by=BY, metrics=["accuracy", "f1"], progress=False)
        sec = time.perf_counter() - t
        note = f"{len(res.frame)} slice x metric rows"
    else:  # evaluate with a model and no training data
        from sklearn.ensemble import HistGradientBoostingClassifier

        from diagtools.metrics import evaluate

        data = make_table(args["evaluate_rows"])
        X = data[BY].astype({c: "category" for c in BY[:3]})
        model = HistGradientBoostingClassifier(max_iter=50, categorical_features="from_dtype", random_state=0)
        model.fit(X.iloc[:20_000], data["y"].iloc[:20_000])
        t = time.perf_counter()
        model.predict(X)
        model.predict_proba(X)
        t_pred = time.perf_counter() - t
        t = time.perf_counter()
        res = evaluate(model, X, data["y"], n_boot=n_boot, progress=False)
        sec = time.perf_counter() - t
        note = f"predict {t_pred:.1f} s, ratio {sec / t_pred:.1f}x; baselines on {res.params['baselines_sample_rows']:,} rows"
    if client is not None:
        client.close()
        cluster.close()
    return sec, _rss_mb(), note


def _child(step: Any, kind: str, backend: str, args: dict[str, Any], queue: Any) -> None:
    try:
        queue.put(step(kind, backend, args))
    except Exception as exc:  # report, do not hang the parent
        queue.put((float("nan"), _rss_mb(), f"failed: {type(exc).__name__}: {exc}"[:120]))


def run(kind: str, backend: str, args: dict[str, Any], step: Any = None) -> tuple[float, float, str]:
    """One ``step(kind, backend, args)`` (default: this script's) in a fresh spawned process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(step or _step, kind, backend, args, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def write_files(folder: Path, rows: int, parts: int = 8) -> str:
    """``rows`` seeded rows as ``parts`` parquet files, generated part by part (bounded memory)."""
    for i, n in enumerate(np.diff(np.linspace(0, rows, parts + 1).astype(np.int64))):
        make_table(int(n), seed=1_000 + i).to_parquet(folder / f"part-{i}.parquet")
    return str(folder / "*.parquet")


def drift_step(rows: int, kind: str = "", queue: Any = None) -> list[tuple[str, ...]]:
    """``detect_drift`` on ``rows`` vs ``rows`` in-memory rows x 20 columns (16 numeric, 4 categorical; drift
    planted in 2) against a numpy floor: ``np.histogram`` of each numeric column of both windows on the
    sketch's 1,000 quantile-bin edges and ``np.bincount`` of each categorical one. Called with a ``kind``,
    it is the child that runs one step (fresh process, own peak RSS); without, it runs the steps.
    """
    if queue is None:
        ctx = mp.get_context("spawn")
        out, floor = [], None
        for step in ("drift floor", "detect_drift", "detect_drift (no domain classifier)"):
            q = ctx.Queue()
            proc = ctx.Process(target=drift_step, args=(rows, step, q))
            proc.start()
            sec, rss, note = q.get()
            proc.join()
            floor = sec if step == "drift floor" else floor
            out.append((step, f"{rows:,} vs {rows:,}", "memory", f"{sec:.2f}", f"{rss:,.0f}",
                        "1x" if step == "drift floor" else f"{sec / floor:,.1f}x drift floor", note))
            print(f"  done: {step}: {sec:.2f} s", file=sys.stderr, flush=True)
        return out
    import warnings

    warnings.filterwarnings("ignore")
    windows = []
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        cols = {f"x{j}": (rng.normal(size=rows) if j % 3 == 0 else rng.lognormal(0.0, 0.5, rows) if j % 3 == 1
                          else rng.integers(0, 100, rows).astype(float)) for j in range(16)}
        cols |= {f"c{j}": pd.Categorical.from_codes(rng.integers(0, 5 + 10 * j, rows), [f"v{i}" for i in range(5 + 10 * j)])
                 for j in range(4)}
        frame = pd.DataFrame(cols)
        if seed:  # planted drift: a mean shift and a new category mix
            frame["x0"] += 0.3
            frame["c0"] = pd.Categorical.from_codes(rng.choice(5, rows, p=[0.4, 0.3, 0.1, 0.1, 0.1]), frame["c0"].cat.categories)
        windows.append(frame)
    ref, cur = windows
    if kind == "drift floor":
        numeric = [c for c in ref.columns if c.startswith("x")]
        edges = {c: np.unique(np.quantile(np.concatenate([ref[c].to_numpy()[:100_000], cur[c].to_numpy()[:100_000]]),
                                          np.linspace(0, 1, 1001))) for c in numeric}
        t = time.perf_counter()
        for frame in (ref, cur):
            for c in ref.columns:
                if c in edges:
                    np.histogram(frame[c].to_numpy(), bins=edges[c])
                else:
                    np.bincount(frame[c].cat.codes.to_numpy())
        sec, note = time.perf_counter() - t, "np.histogram / np.bincount of every column, both windows"
    else:
        from diagtools.drift import detect_drift

        t = time.perf_counter()
        res = detect_drift(ref, cur, progress=False, domain_classifier=kind == "detect_drift")
        sec = time.perf_counter() - t
        sk = res.params.get("sketch", {"max_ks_bound": 0.0})  # below 1M rows: the exact path
        note = (f"drifted {sorted(res.drifted_columns)}; KS within {sk['max_ks_bound']:.4f}"
                + (f"; domain AUC {res.domain['auc']:.3f} on {res.domain.get('n', 0) // 2:,} rows/window"
                   if res.domain else ""))
    queue.put((sec, _rss_mb(), note))
    return []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the in-memory steps")
    parser.add_argument("--disk-rows", type=int, default=50_000_000, help="rows of the on-disk steps")
    parser.add_argument("--n-boot", type=int, default=1_000)
    parser.add_argument("--evaluate-rows", type=int, default=2_000_000)
    parser.add_argument("--skip-evaluate", action="store_true")
    parser.add_argument("--drift-rows", type=int, default=10_000_000, help="rows per window of the detect_drift step")
    parser.add_argument("--steps", default=",".join(STEPS),
                        help="comma-separated steps to run (the floor and dask read references always run)")
    ns = parser.parse_args(argv)
    chosen = {s.strip() for s in ns.steps.split(",") if s.strip()}
    if not chosen <= set(STEPS):
        parser.error(f"--steps: unknown {sorted(chosen - set(STEPS))}; choose from {', '.join(STEPS)}")
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(Path(tmp), ns.disk_rows)
        args = {"rows": ns.rows, "n_boot": ns.n_boot, "files": files, "evaluate_rows": ns.evaluate_rows}
        kinds = [k for k in ("evaluate_predictions", "slice_metrics") if k in chosen]
        steps = [("floor", "memory"), *((k, "memory") for k in kinds), ("dask read", "dask")]
        steps += [(k, b) for k in kinds if k == "evaluate_predictions" for b in ("chunked", "dask")]
        if "slice_metrics" in kinds:  # its own reference: dask reading the columns it reads (3 of them text)
            steps += [("dask read (slice columns)", "dask"), ("slice_metrics", "chunked"), ("slice_metrics", "dask")]
        if not ns.skip_evaluate and "evaluate" in chosen:
            steps.append(("evaluate", "memory"))
        rows = []
        ref = {}
        for kind, backend in steps:
            sec, rss, note = run(kind, backend, args)
            n = ns.evaluate_rows if kind == "evaluate" else ns.rows if backend == "memory" else ns.disk_rows
            if kind == "floor" or kind.startswith("dask read"):
                ref[kind] = sec
                ratio = "1x"
            elif kind == "evaluate":
                ratio = ""
            else:
                base = "floor" if backend == "memory" else "dask read (slice columns)" if kind == "slice_metrics" \
                    else "dask read"
                ratio = f"{sec / ref[base]:,.1f}x {base}"
            rows.append((kind, f"{n:,}", backend, f"{sec:.2f}", f"{rss:,.0f}", ratio, note))
            print(f"  done: {kind} / {backend}: {sec:.2f} s", file=sys.stderr, flush=True)
        if "drift" in chosen:
            rows += drift_step(ns.drift_rows)
    frame = pd.DataFrame(rows, columns=["step", "rows", "back end", "seconds", "peak RSS MB", "ratio", "note"])
    print(f"bench_scale: --rows {ns.rows:,} --disk-rows {ns.disk_rows:,} --n-boot {ns.n_boot} "
          f"--evaluate-rows {ns.evaluate_rows:,} --drift-rows {ns.drift_rows:,}")
    print(frame.to_string(index=False))


if __name__ == "__main__":
    main()
