"""``detect_drift`` on large windows: dask DataFrames, parquet / CSV files, or big pandas frames.

Two passes over the chunks of each window's :class:`diagtools._sources.Source`:

1. a sample of :data:`~diagtools.drift._sketch.SAMPLE_ROWS` rows per window, the rows with
   the smallest hash of their global row position (the same rows for any partitioning). It
   fixes each column's kind, the common bin edges of the numeric columns and, its first
   :data:`DOMAIN_ROWS` rows, the domain classifier's sample;
2. the mergeable :class:`~diagtools.drift._sketch.WindowSketch` of each window on those edges.

Every statistic comes from the two merged sketches (:mod:`diagtools.drift._sketch_stats`
states what is exact and the bound of what is binned); the flags follow the same rule as in
memory (Benjamini-Hochberg q-value below ``alpha`` and the effect size at its threshold). A
column whose flag could change anywhere inside the bounds is reported by a finding.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from diagtools._format import DAY, timestamp
from diagtools._sources import CHUNK_ROWS, as_source, is_dask_frame
from diagtools._stats import benjamini_hochberg
from diagtools._validation import check_int, check_probability, check_random_state
from diagtools.drift import _sketch as S
from diagtools.drift._columns import add_mean_shift, column_rows, distribution_rows, row_adder
from diagtools.drift._profile import VALUE_KINDS, ColumnProfile, DriftProfile, numeric_values
from diagtools.drift._result import FRAME_COLUMNS, DriftResult, empty_part
from diagtools.drift._sketch_stats import ks_pvalue, mean_var, numeric_sketch_stats, quantile_from_sketch
from diagtools.drift._tests import category_table, missing_rate_change
from diagtools.errors import DiagnosticInputError

#: In-memory windows from this many rows (either window) use the sketches instead of sorting.
SKETCH_ROWS = 1_000_000
#: Rows per window of the domain classifier's sample. Its finding needs the AUC's interval above
#: 0.55; at 20,000 rows per window that interval is about +-0.006 wide, so more rows add
#: cost (the fit, the permutation importances) but almost no power.
DOMAIN_ROWS = 20_000
#: Shuffles per column of the domain classifier's permutation importances (in memory: 2). Here
#: a fold holds 5,000 shuffled held-out rows (``IMPORTANCE_ROWS``) against 3,333 in memory, and
#: the classifier learns from 4x the rows: with one shuffle, a column shifted by 0.3 SD scored
#: 0.070 +- 0.003 over five seeds (in memory, two shuffles: 0.062 +- 0.009), the largest of the
#: nine others 0.0025 (0.0047), at half the predictions of two shuffles.
DOMAIN_REPEATS = 1
#: Bins of the plotted distribution (as in memory).
_PLOT_BINS = 30


def is_large(data: Any) -> bool:
    """Whether ``data`` is a dask DataFrame or a file path / glob."""
    return is_dask_frame(data) or isinstance(data, (str, os.PathLike))


def use_sketches(reference: Any, current: Any, model: Any) -> bool:
    """Whether :func:`detect_drift` takes the sketch path (see :func:`detect_drift_sketch`)."""
    if is_large(reference) or is_large(current):
        return True
    frames = [d for d in (reference, current) if isinstance(d, pd.DataFrame)]
    return model is None and len(frames) == 2 and max(len(d) for d in frames) >= SKETCH_ROWS


def _check(reference: Any, current: Any, model: Any, columns: Any, target: Any, domain_classifier: Any) -> tuple[list[str] | None, str | None]:
    for name, data in (("reference", reference), ("current", current)):
        if isinstance(data, DriftProfile):
            raise DiagnosticInputError(
                f"{name} is a DriftProfile but the other window is a dask DataFrame or files: a profile holds "
                "sorted values, not the sketches of large data. Pass both windows as data (DataFrame, dask, files)."
            )
    if model is not None:
        raise DiagnosticInputError(
            "model= needs both windows in memory (pandas DataFrames); with a dask DataFrame or files, add the "
            "model's score as a column and test it, or pass pandas DataFrames."
        )
    from diagtools.drift._compute import normalise_names

    return normalise_names(columns, target, domain_classifier)


def detect_drift_sketch(
    reference: Any, current: Any, *, columns: Sequence[str] | None, model: Any, target: str | None, alpha: float,
    thresholds: dict[str, float], domain_classifier: bool | None, n_boot: int, confidence: float,
    random_state: int, progress: bool | None, chunk_rows: int = CHUNK_ROWS,
) -> DriftResult:
    """The large-data path of :func:`~diagtools.drift.detect_drift` (same result type and rules)."""
    columns, target = _check(reference, current, model, columns, target, domain_classifier)
    check_probability(alpha, "alpha")
    check_int(n_boot, "n_boot", low=1, hint="Use e.g. n_boot=200.")
    check_probability(confidence, "confidence")
    check_random_state(random_state)
    chunk_rows = check_int(chunk_rows, "chunk_rows", low=1, hint="Use e.g. chunk_rows=250_000.")
    src = {"reference": as_source(reference, "reference", chunk_rows=chunk_rows),
           "current": as_source(current, "current", chunk_rows=chunk_rows)}
    if target is not None:
        src["reference"].check_columns({"target": target})
    cols = _columns(src, columns, target)
    show = any(s.backend != "pandas" for s in src.values()) if progress is None else bool(progress)

    samples = {w: S.sample_pass(s, cols, w, S.SAMPLE_ROWS, progress=show) for w, s in src.items()}
    for w, smp in samples.items():
        if len(smp) == 0:
            raise DiagnosticInputError(f"{w} is empty (0 rows). Pass at least one row of data.")
    kinds = S.sample_kinds(samples["reference"], cols)
    bad = [c for c in cols if kinds[c] in VALUE_KINDS and S.sample_kinds(samples["current"], [c])[c] != kinds[c]]
    if bad:
        raise DiagnosticInputError(
            f"current: column(s) {bad} are {kinds[bad[0]]} in reference but not in current. "
            "Pass the same column types in both windows."
        )
    edges, pivots, plot_range = {}, {}, {}
    for c in cols:
        if kinds[c] in VALUE_KINDS:
            vals = [numeric_values(samples[w][c]) for w in ("reference", "current")]
            edges[c] = S.common_edges(vals)
            finite = [v[np.isfinite(v)] for v in vals]
            pivots[c] = float(np.median(finite[0])) if len(finite[0]) else 0.0
            pooled = np.concatenate(finite)
            plot_range[c] = tuple(np.quantile(pooled, [0.005, 0.995])) if len(pooled) else (np.nan, np.nan)
    sketches = {w: s.run(cols, S.window_stats(cols, kinds, edges, pivots, w), lambda a, b: a.merge(b),
                         progress=show, desc=f"detect_drift: {w} sketch")
                for w, s in src.items()}
    ref_sk, cur_sk = sketches["reference"], sketches["current"]
    for c in cols:  # a column hashed in one window only: hash both alike
        a, b = ref_sk.columns[c], cur_sk.columns[c]
        if kinds[c] not in VALUE_KINDS and a.hashed != b.hashed:
            ref_sk.columns[c], cur_sk.columns[c] = S.hash_categories(a), S.hash_categories(b)

    parts = _column_parts(cols, kinds, ref_sk, cur_sk, edges, pivots, plot_range, thresholds, confidence)
    frame = pd.DataFrame(parts["rows"], columns=FRAME_COLUMNS)
    frame["q_value"] = benjamini_hochberg(frame["p_value"].to_numpy(dtype=float))
    from diagtools.drift._compute import _drifted_columns

    flagged = _drifted_columns(frame, alpha)
    frame["drifted"] = frame["column"].astype(str).isin(flagged)
    uncertain = _uncertain_flags(frame, parts["ranges"], thresholds, alpha, flagged)

    if domain_classifier is None:
        domain_classifier = True
    domain: dict[str, Any] = {}
    importance = empty_part("domain_importance")
    if domain_classifier:
        domain, importance = _domain(samples, cols, kinds, n_boot, random_state)

    hashed = [c for c in cols if kinds[c] not in VALUE_KINDS and ref_sk.columns[c].hashed]
    bounds = parts["bounds"]
    params = {"alpha": alpha, "effect_threshold": thresholds, "n_boot": n_boot, "confidence": confidence,
              "random_state": random_state, "target": target, "columns": cols, "text_columns": [],
              "domain_classifier": bool(domain_classifier), "reference_in_sample": False, "model": None,
              "n_reference": int(ref_sk.n_rows), "n_current": int(cur_sk.n_rows),
              "sketch": {
                  "backend": {w: s.backend for w, s in src.items()}, "bins": S.SKETCH_BINS,
                  "sample_rows": S.SAMPLE_ROWS, "domain_sample_rows": int(domain.get("n", 0) // 2),
                  "bounds": bounds,
                  "max_ks_bound": max((b["ks_stat"] for b in bounds.values()), default=0.0),
                  "max_wasserstein_bound": max((b["wasserstein_norm"] for b in bounds.values()), default=0.0),
                  "uncertain_flags": uncertain, "hashed_columns": hashed,
              }}
    return DriftResult(
        frame=frame, params=params, n_samples=int(ref_sk.n_rows + cur_sk.n_rows),
        column_stats=pd.DataFrame(parts["stats"], columns=empty_part("column_stats").columns),
        distributions=pd.DataFrame(parts["dist"], columns=empty_part("distributions").columns),
        categories=pd.DataFrame(parts["cats"], columns=empty_part("categories").columns),
        domain=domain, domain_importance=importance, metrics=empty_part("metrics"), regions=empty_part("regions"),
        target_shift={},
    )


def _columns(src: dict[str, Any], columns: list[str] | None, target: str | None) -> list[str]:
    ref_cols = src["reference"].columns
    cols = [c for c in ref_cols if c != target] if columns is None else list(columns)
    for w, s in src.items():
        s.check_columns({f"columns ({w})": c for c in cols})
    if len(set(cols)) != len(cols):
        raise DiagnosticInputError(f"columns holds duplicates: {cols}. Name each column once.")
    return cols


def _column_parts(cols: list[str], kinds: dict[str, str], ref_sk: S.WindowSketch, cur_sk: S.WindowSketch,
                  edges: dict[str, np.ndarray], pivots: dict[str, float], plot_range: dict[str, tuple[float, float]],
                  thr: dict[str, float], confidence: float) -> dict[str, Any]:
    """Frame rows, distributions, categories, column statistics, bounds and flag ranges of every column."""
    out: dict[str, Any] = {"rows": [], "dist": [], "cats": [], "stats": [], "bounds": {}, "ranges": {}}
    for c in cols:
        r, k = ref_sk.columns[c], cur_sk.columns[c]
        if kinds[c] in VALUE_KINDS:
            rows, info = _numeric_rows(c, kinds[c], r, k, edges[c], pivots[c], thr, confidence)
            out["rows"].extend(rows)
            out["bounds"][c] = {"ks_stat": info["ks_bound"], "wasserstein_norm": info["wasserstein_bound"]}
            if np.isfinite(info["ks_stat"]):
                out["ranges"][c] = info
            out["dist"].extend(_distribution(c, kinds[c], r, k, edges[c], plot_range[c]))
            for window, s in (("reference", r), ("current", k)):
                mean, _, pop = mean_var(s, pivots[c])
                out["stats"].append((c, window, mean, float(np.sqrt(pop)) if s.n else np.nan,
                                     quantile_from_sketch(s, edges[c], 0.5), s.n_missing / max(s.n_rows, 1), s.n))
        else:  # counts: the in-memory statistics, unchanged
            pr, pc = (ColumnProfile(c, "categorical", s.n_missing, counts=s.categories) for s in (r, k))
            rows, _ = column_rows(c, "categorical", pr, pc, thr, confidence)
            if r.hashed:
                for row in rows:
                    row[-1] = "; ".join(t for t in (row[-1], f"values hashed into {S.HASH_BUCKETS} buckets") if t)
            out["rows"].extend(rows)
            out["dist"].extend(distribution_rows(c, "categorical", pr, pc))
            cats, rc, cc = category_table(pr, pc)
            for name, a, b in zip(cats, rc, cc, strict=True):
                status = "new" if a == 0 else "missing" if b == 0 else "both"
                out["cats"].append((c, name, int(a), int(b), a / max(rc.sum(), 1), b / max(cc.sum(), 1), status))
    return out


def _numeric_rows(col: str, kind: str, ref: S.ColumnSketch, cur: S.ColumnSketch, edges: np.ndarray, pivot: float,
                  thr: dict[str, float], confidence: float) -> tuple[list[list[Any]], dict[str, Any]]:
    """Frame rows of one numeric / datetime column, in the in-memory order, and its statistics."""
    n_r, n_c = ref.n, cur.n
    rows: list[list[Any]] = []
    add = row_adder(rows, col, kind, n_r, n_c)
    s = numeric_sketch_stats(ref, cur, edges, pivot)

    def with_bound(b: float) -> str:
        if not np.isfinite(b):
            return s["note"]
        return "; ".join(t for t in (s["note"], f"from {len(edges) + 1:,} bins: exact value within {b:.2g}") if t)

    add("ks_stat", s["ks_stat"], p=s["ks_p"], note=with_bound(s["ks_bound"]))
    add("wasserstein_norm", s["wasserstein_norm"], t=thr["numeric"], note=with_bound(s["wasserstein_bound"]))
    add("psi", s["psi"], note="reference deciles snapped to the sketch's bin edges" if np.isfinite(s["psi"]) else "")
    add_mean_shift(add, lambda: tuple(mean_var(w, pivot)[:2] for w in (ref, cur)), (n_r, n_c), s["scale"],
                   confidence)
    if kind == "datetime" and n_r and n_c:
        span = max(ref.vmax, cur.vmax) - min(ref.vmin, cur.vmin)
        ranges = (f"reference {timestamp(ref.vmin, span=span)} to {timestamp(ref.vmax, span=span)}, "
                  f"current {timestamp(cur.vmin, span=span)} to {timestamp(cur.vmax, span=span)}")
        add("min_shift_days", (cur.vmin - ref.vmin) / DAY, note=ranges)
        add("max_shift_days", (cur.vmax - ref.vmax) / DAY, note=ranges)
        add("start_gap_days", (cur.vmin - ref.vmax) / DAY, note="> 0: current starts after the reference ends")
    if ref.n_infinite or cur.n_infinite:
        add("nonfinite_count", float(cur.n_infinite),
            note=f"{cur.n_infinite} infinite value(s) in current, {ref.n_infinite} in reference; "
                 "the tests use the finite values")
    m = missing_rate_change(ref, cur, confidence)
    add("missing_rate_change", m["estimate"], m["ci_low"], m["ci_high"], m["p_value"], thr["missing"])
    s["n"] = (n_r, n_c)
    return rows, s


def _distribution(col: str, kind: str, ref: S.ColumnSketch, cur: S.ColumnSketch, edges: np.ndarray,
                  plot_range: tuple[float, float]) -> list[tuple[Any, ...]]:
    """About 30 bins over the central 99% of the pooled sample, each snapped to a sketch edge (exact shares)."""
    if ref.n == 0 or cur.n == 0 or len(edges) < 2:
        return []
    lo, hi = plot_range
    targets = np.linspace(lo, hi, _PLOT_BINS + 1) if hi > lo else np.array([lo, hi])
    idx = np.unique(np.clip(np.searchsorted(edges, targets, side="left"), 0, len(edges) - 1))
    if len(idx) < 2:
        return []
    cum = {w: np.cumsum(s.counts)[idx] / s.n for w, s in (("r", ref), ("c", cur))}  # CDF at the snapped edges
    e = edges[idx]
    width = e[-1] - e[0]
    out = []
    for g in range(len(idx) - 1):
        if kind == "datetime":
            label = f"({timestamp(e[g], span=width)}, {timestamp(e[g + 1], span=width)}]"
        else:
            label = f"({e[g]:.4g}, {e[g + 1]:.4g}]"
        out.append((col, kind, label, float(e[g]), float(e[g + 1]), float(cum["r"][g + 1] - cum["r"][g]),
                    float(cum["c"][g + 1] - cum["c"][g])))
    return out


def _uncertain_flags(frame: pd.DataFrame, ranges: dict[str, dict[str, Any]], thr: dict[str, float], alpha: float,
                     flagged: set[str]) -> list[str]:
    """Columns whose flag differs somewhere inside the bounds (KS D up to its upper end, W in its range).

    The q-values are monotone in every p-value and the flag in every statistic, so the two
    extreme cases (every statistic at its lowest / highest) span every possible flag.
    """
    from diagtools.drift._compute import _drifted_columns

    cols, stats = frame["column"].astype(str).to_numpy(), frame["statistic"].to_numpy()
    flags = []
    for case in ("lo", "hi"):
        p, exceeds = frame["p_value"].to_numpy(dtype=float).copy(), frame["exceeds"].to_numpy(dtype=bool).copy()
        for c, info in ranges.items():
            ks = (cols == c) & (stats == "ks_stat")
            ws = (cols == c) & (stats == "wasserstein_norm")
            if case == "hi":  # the low case is the estimate itself: its p-value is in the frame
                p[ks] = ks_pvalue(info["ks_up"], *info["n"])
            w = info["wasserstein_lo" if case == "lo" else "wasserstein_hi"]
            exceeds[ws] = bool(np.isfinite(w) and w >= thr["numeric"])
        alt = frame.assign(p_value=p, exceeds=exceeds, q_value=benjamini_hochberg(p))
        flags.append(_drifted_columns(alt, alpha))
    return sorted((flags[0] ^ flags[1]) | (flags[0] ^ flagged) | (flags[1] ^ flagged))


def _domain(samples: dict[str, pd.DataFrame], cols: list[str], kinds: dict[str, str], n_boot: int,
            random_state: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """The domain classifier on the first :data:`DOMAIN_ROWS` rows of each window's hash-ordered sample."""
    from diagtools.drift._domain import domain_classifier

    m = min(DOMAIN_ROWS, len(samples["reference"]), len(samples["current"]))
    ref, cur = samples["reference"].iloc[:m][cols], samples["current"].iloc[:m][cols]
    summary, importance = domain_classifier(ref, cur, {c: kinds[c] for c in cols}, max_rows=m, n_boot=n_boot,
                                            n_repeats=DOMAIN_REPEATS, random_state=random_state)
    note = (f"fitted on {m:,} rows per window, chosen by a hash of the row position (the same rows for any "
            "partitioning), not on every row")
    summary["notes"] = [*summary.get("notes", []), note]
    summary["sample_rows"] = m
    return summary, importance

