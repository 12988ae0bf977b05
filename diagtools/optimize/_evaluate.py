"""Statistics behind the decision: paired quality tests and latency ratios per variant."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diagtools._stats import (
    benjamini_hochberg,
    bootstrap_counts,
    bootstrap_noninferiority_p_value,
    bootstrap_p_value,
    paired_noninferiority,
    percentile_interval,
    quantile_bootstrap,
    wilson_interval,
)
from diagtools.latency._variants import _ratio_ci

__all__ = ["COMPARISON_COLUMNS", "FRAME_COLUMNS", "latency_rows", "quality_rows"]

FRAME_COLUMNS = ["variant", "metric", "batch_size", "estimate", "ci_low", "ci_high", "n"]
#: One comparison schema (docs/design.md): the variant's ``estimate`` with its own interval, the
#: reference's ``reference_estimate``, and the comparison as a named statistic with its interval:
#: ``difference`` (variant - reference) for quality, ``ratio`` (variant / reference) for latency.
COMPARISON_COLUMNS = ["variant", "metric", "batch_size", "estimate", "ci_low", "ci_high", "n", "reference_estimate",
                      "difference", "difference_ci_low", "difference_ci_high", "ratio", "ratio_ci_low",
                      "ratio_ci_high", "p_value", "p_two_sided", "q_value", "test"]
_NO_RATIO = (np.nan, np.nan, np.nan)
_NO_DIFFERENCE = (np.nan, np.nan, np.nan)


def _wilson(successes: int, n: int, confidence: float) -> tuple[float, float, float, int]:
    """``(share, ci_low, ci_high, n)`` of a proportion with its Wilson interval."""
    lo, hi = wilson_interval(successes, n, confidence)
    return (successes / n if n else np.nan), float(lo), float(hi), int(n)


def _r2_boot(y: np.ndarray, pred: np.ndarray, counts: np.ndarray) -> np.ndarray:
    w = counts.astype(float)
    n = w.sum(axis=1)
    sse = w @ (y - pred) ** 2
    mean = (w @ y) / n
    sst = w @ y**2 - n * mean**2
    return 1.0 - sse / sst


def quality_rows(y: np.ndarray, preds: dict[str, np.ndarray], reference: str, *, task: str, margin: float,
                 confidence: float, n_boot: int, random_state: int, alpha: float = 0.05,
                 smallest: dict[str, float] | None = None) -> tuple[list[tuple], list[tuple]]:
    """Frame rows (per variant) and comparison rows (per non-reference variant) for quality.

    Classification: accuracy with a Wilson interval; its change with Tango's score interval
    and a one-sided non-inferiority p-value at ``margin``; the exact two-sided McNemar p-value
    beside it; per-class recall changes with McNemar p-values and BH q-values per variant.
    Regression: r2 with paired-bootstrap intervals and a bootstrap non-inferiority p-value.
    ``smallest`` (filled in) gets, per variant, the smallest margin at which it would pass.
    """
    smallest = {} if smallest is None else smallest
    n = len(y)
    frame: list[tuple] = []
    comp: list[tuple] = []
    if task == "classification":
        ys = y.astype(str)
        classes = sorted(set(ys))
        ok = {k: p.astype(str) == ys for k, p in preds.items()}
        for k in preds:
            frame.append((k, "accuracy", np.nan, *_wilson(int(ok[k].sum()), n, confidence)))
            agree = int((preds[k].astype(str) == preds[reference].astype(str)).sum())
            frame.append((k, "agreement", np.nan, *_wilson(agree, n, confidence)))
        for k in preds:
            if k == reference:
                continue
            r = paired_noninferiority(ok[reference], ok[k], margin, confidence=confidence)
            # The smallest margin this data supports: the one-sided (1 - alpha) upper bound of the
            # loss, i.e. the upper end of the two-sided (1 - 2 alpha) score interval.
            r90 = paired_noninferiority(ok[reference], ok[k], margin, confidence=1 - 2 * alpha)
            smallest[k] = max(0.0, -r90["ci_low"])
            comp.append((k, "accuracy", np.nan, *_wilson(int(ok[k].sum()), n, confidence), float(ok[reference].mean()),
                         r["difference"], r["ci_low"], r["ci_high"], *_NO_RATIO, r["p_value"], r["p_two_sided"], np.nan,
                         "non-inferiority"))
            per = []
            for c in classes:
                m = ys == c
                rc = paired_noninferiority(ok[reference][m], ok[k][m], 0.0, confidence=confidence)
                per.append((k, f"recall[{c}]", np.nan, *_wilson(int(ok[k][m].sum()), int(m.sum()), confidence),
                            float(ok[reference][m].mean()), rc["difference"], rc["ci_low"], rc["ci_high"], *_NO_RATIO,
                            rc["p_two_sided"], rc["p_two_sided"]))
            q = benjamini_hochberg(np.array([p[-1] for p in per]))
            comp += [(*p, float(qv), "mcnemar") for p, qv in zip(per, q, strict=True)]
        return frame, comp
    yf = y.astype(float)
    boots = {k: [] for k in preds}
    for counts in bootstrap_counts(n, n_boot, random_state=random_state):
        for k, p in preds.items():
            boots[k].append(_r2_boot(yf, p.astype(float), counts))
    boot = {k: np.concatenate(v) for k, v in boots.items()}
    est = {k: float(1 - np.sum((yf - p) ** 2) / np.sum((yf - yf.mean()) ** 2)) for k, p in preds.items()}
    own = {}
    for k in preds:
        lo, hi = percentile_interval(boot[k], confidence)
        own[k] = (est[k], float(lo), float(hi), n)
        frame.append((k, "r2", np.nan, *own[k]))
    for k in preds:
        if k == reference:
            continue
        d = boot[k] - boot[reference]
        lo, hi = percentile_interval(d, confidence)
        smallest[k] = max(0.0, -float(np.quantile(d, alpha)))
        comp.append((k, "r2", np.nan, *own[k], est[reference], est[k] - est[reference], float(lo), float(hi),
                     *_NO_RATIO, bootstrap_noninferiority_p_value(d, margin), float(bootstrap_p_value(d)), np.nan,
                     "non-inferiority (bootstrap)"))
    return frame, comp


_MAX_CALLS = 2000


def _thin(values: np.ndarray) -> np.ndarray:
    """At most ``_MAX_CALLS`` calls, evenly spaced in time (fast calls are timed by the ten
    thousand; the bootstrap needs far fewer to pin a percentile ratio)."""
    if len(values) <= _MAX_CALLS:
        return values
    return values[np.linspace(0, len(values) - 1, _MAX_CALLS).astype(int)]


def latency_rows(samples: dict[str, pd.DataFrame], reference: str, *, n_boot: int, confidence: float,
                 random_state: int, clock: str = "wall") -> tuple[list[tuple], list[tuple]]:
    """Frame rows (p50, p99, throughput, CPU-seconds per 1k predictions) and the p50/p99 ratios.

    ``samples`` holds each model's timed calls (``batch_size, latency_ms, cpu_ms``), pooled over
    interleaved rounds. Percentiles and throughput get percentile-bootstrap intervals; the ratio
    ``variant / reference - 1`` at each batch size a two-sample bootstrap interval over the
    timed calls (``compare_variants``' machinery) and a two-sided p-value; ``clock="cpu"`` takes
    the ratios of the calls' process CPU times instead of wall times.
    """
    column = "cpu_ms" if clock == "cpu" else "latency_ms"
    rng = np.random.default_rng(random_state)
    frame: list[tuple] = []
    comp: list[tuple] = []
    own: dict[tuple[str, float, str], tuple[float, float, float, int]] = {}
    for k, calls in samples.items():
        for b, g in calls.groupby("batch_size"):
            w = _thin(g["latency_ms"].to_numpy())
            # p50, p99 and the mean of the same resamples (the mean gives the throughput)
            draws = quantile_bootstrap(w, [50, 99], n_boot=n_boot, random_state=rng, with_mean=True)
            low, high = percentile_interval(draws, confidence)
            for j, (stat, q) in enumerate((("p50", 50), ("p99", 99))):
                own[(k, float(b), stat)] = (float(np.percentile(w, q)), float(low[j]), float(high[j]), len(g))
                frame.append((k, f"{stat}_ms", float(b), *own[(k, float(b), stat)]))
            frame.append((k, "throughput_rps", float(b), float(b) * 1e3 / float(w.mean()),
                          float(b) * 1e3 / float(high[-1]), float(b) * 1e3 / float(low[-1]), len(g)))
            cpu = _thin(g["cpu_ms"].to_numpy()) / float(b)  # ms of CPU per row = s per 1k rows
            lo, hi = percentile_interval(quantile_bootstrap(cpu, [50], n_boot=n_boot, random_state=rng,
                                                            with_mean=True)[:, -1], confidence)
            frame.append((k, "cpu_s_per_1k", float(b), float(cpu.mean()), float(lo), float(hi), len(cpu)))
    ref = samples[reference]
    for k, calls in samples.items():
        if k == reference:
            continue
        for b, g in calls.groupby("batch_size"):
            r_s = _thin(ref[ref["batch_size"] == b][column].to_numpy())
            v_s = _thin(g[column].to_numpy())
            if not len(r_s):
                continue
            for stat, q in (("p50", 50), ("p99", 99)):
                # _ratio_ci gives the relative change variant / reference - 1: the ratio is one more
                rel, lo, hi, p = _ratio_ci(r_s, v_s, q, n_boot, rng, confidence)
                if clock == "cpu":  # the variant's own row: its CPU-time percentile, no interval of it here
                    mine = (float(np.percentile(v_s, q)), np.nan, np.nan, len(v_s))
                else:
                    mine = own[(k, float(b), stat)]
                comp.append((k, f"{stat}_ms", float(b), *mine, float(np.percentile(r_s, q)), *_NO_DIFFERENCE,
                             1.0 + rel, 1.0 + lo, 1.0 + hi, p, p, np.nan, "ratio (bootstrap)"))
    return frame, comp


def finish_comparison(rows: list[tuple]) -> pd.DataFrame:
    """Comparison table with BH q-values across the latency rows (quality rows carry theirs)."""
    comp = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    lat = comp["metric"].isin(["p50_ms", "p99_ms"])
    if lat.any():
        comp.loc[lat, "q_value"] = benjamini_hochberg(comp.loc[lat, "p_two_sided"].to_numpy(dtype=float))
    return comp
