"""Statistics of run-to-run comparisons: paired bootstrap, interval test, latency ratio."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps

from diagtools._metric_registry import higher_is_better
from diagtools._stats import bootstrap_counts, percentile_interval, quantile_bootstrap
from diagtools.errors import DiagnosticInputError

__all__ = [
    "compare_latency_samples",
    "compare_runs",
    "higher_is_better",
    "interval_test",
    "median_interval",
]

# Per-row decomposable metrics the paired bootstrap computes itself from stored predictions.
_ROWWISE = ("accuracy", "error_rate", "mae", "mse", "brier", "log_loss")

#: Columns of ``RunComparison.frame`` (the one comparison schema of docs/design.md): the
#: candidate's value (``estimate`` with its own interval), the baseline's
#: (``reference_estimate``), and the comparison as its own statistic: ``difference`` for
#: metrics, ``ratio`` (candidate / baseline median) for latency; the other one is NaN.
COMPARISON_COLUMNS = [
    "kind", "metric", "batch_size", "estimate", "ci_low", "ci_high", "n", "reference_estimate",
    "difference", "difference_ci_low", "difference_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high",
    "p_value", "tolerance", "method", "regressed",
]
_NAN = float("nan")


def median_interval(
    samples: np.ndarray, *, n_boot: int = 1000, confidence: float = 0.95, random_state: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the median of ``samples``.

    Parameters
    ----------
    samples : array-like of shape (n,)
    n_boot : int, default=1000
    confidence : float, default=0.95
    random_state : int, default=0

    Returns
    -------
    (float, float)

    Examples
    --------
    >>> low, high = median_interval([1.0, 2.0, 3.0, 4.0, 100.0], n_boot=200)
    >>> bool(low <= 3.0 <= high)
    True
    """
    low, high = percentile_interval(quantile_bootstrap(samples, 50, n_boot=n_boot, random_state=random_state)[:, 0],
                                    confidence)
    return float(low), float(high)


def compare_latency_samples(
    baseline: np.ndarray,
    candidate: np.ndarray,
    *,
    tolerance: float = 0.10,
    n_boot: int = 1000,
    confidence: float = 0.95,
    random_state: int = 0,
) -> dict[str, float]:
    """Compare two sets of latency samples: ratio of medians with a bootstrap interval.

    The test is one-sided: is the candidate's median slower than ``(1 + tolerance)`` times the
    baseline's? Each side is resampled independently (the timings are not paired).

    Parameters
    ----------
    baseline, candidate : array-like of float
        Raw latencies (ms) of the same batch size.
    tolerance : float, default=0.10
        Allowed relative slow-down (0.10 = 10% slower is still fine).
    n_boot : int, default=1000
    confidence : float, default=0.95
        Level of the reported two-sided intervals.
    random_state : int, default=0

    Returns
    -------
    dict
        ``estimate`` (the candidate's median, ms) with ``ci_low, ci_high``,
        ``reference_estimate`` (the baseline's median), ``ratio`` (candidate / baseline
        median) with ``ratio_ci_low, ratio_ci_high``, ``p_value`` (one-sided, of
        "ratio <= 1 + tolerance") and ``n`` (the smaller sample size).

    Examples
    --------
    >>> import numpy as np
    >>> from diagtools.history import compare_latency_samples
    >>> rng = np.random.default_rng(0)
    >>> base = rng.lognormal(0.0, 0.1, 200)
    >>> out = compare_latency_samples(base, base * 1.3)
    >>> round(out["ratio"], 2), out["p_value"] < 0.05
    (1.3, True)
    """
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(candidate, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        return {"estimate": _NAN, "ci_low": _NAN, "ci_high": _NAN, "reference_estimate": _NAN, "ratio": _NAN,
                "ratio_ci_low": _NAN, "ratio_ci_high": _NAN, "p_value": _NAN, "n": 0}
    # one generator for both sides, candidate first: the draws of the former private bootstrap
    rng = np.random.default_rng(random_state)
    boot_b = quantile_bootstrap(b, 50, n_boot=n_boot, random_state=rng)[:, 0]
    boot_a = quantile_bootstrap(a, 50, n_boot=n_boot, random_state=rng)[:, 0]
    med_a, med_b = float(np.median(a)), float(np.median(b))
    ratios = boot_b / boot_a
    low, high = percentile_interval(ratios, confidence)
    b_low, b_high = percentile_interval(boot_b, confidence)
    p = (np.sum(ratios <= 1.0 + tolerance) + 1.0) / (n_boot + 1.0)
    return {
        "estimate": med_b, "ci_low": float(b_low), "ci_high": float(b_high), "reference_estimate": med_a,
        "ratio": med_b / med_a if med_a > 0 else _NAN, "ratio_ci_low": float(low), "ratio_ci_high": float(high),
        "p_value": float(min(p, 1.0)), "n": int(min(len(a), len(b))),
    }


def interval_test(
    baseline: tuple[float, float, float],
    candidate: tuple[float, float, float],
    *,
    higher_better: bool = True,
    tolerance: float = 0.0,
    confidence: float = 0.95,
) -> dict[str, float]:
    """One-sided z-test of a worsening beyond ``tolerance`` from two stored intervals.

    Each interval ``(estimate, ci_low, ci_high)`` gives a standard error
    ``(ci_high - ci_low) / (2 z)``; the two runs are treated as independent.

    Parameters
    ----------
    baseline, candidate : tuple of (estimate, ci_low, ci_high)
    higher_better : bool, default=True
    tolerance : float, default=0.0
        Allowed worsening (absolute, in metric units).
    confidence : float, default=0.95
        Level of the stored intervals and of the reported one.

    Returns
    -------
    dict
        ``difference`` (candidate - baseline), ``difference_ci_low``, ``difference_ci_high``,
        ``p_value``.

    Examples
    --------
    >>> out = interval_test((0.80, 0.78, 0.82), (0.75, 0.73, 0.77), tolerance=0.01)
    >>> round(out["difference"], 2), out["p_value"] < 0.05
    (-0.05, True)
    """
    z = _sps.norm.ppf(0.5 + confidence / 2.0)
    (ea, la, ha), (eb, lb, hb) = (tuple(float(v) if v is not None else np.nan for v in t) for t in (baseline, candidate))
    se = np.sqrt(((ha - la) / (2 * z)) ** 2 + ((hb - lb) / (2 * z)) ** 2)
    return _difference_test(eb - ea, se, z, higher_better=higher_better, tolerance=tolerance)


def _difference_test(diff: float, se: float, z: float, *, higher_better: bool, tolerance: float,
                     ends: tuple[float, float] | None = None) -> dict[str, float]:
    """One-sided normal test of a worsening beyond ``tolerance``; interval ``diff +- z se`` unless ``ends``."""
    worse = -diff if higher_better else diff
    if not np.isfinite(se):
        p = _NAN
    elif se == 0:
        p = 0.0 if worse > tolerance else 1.0
    else:
        p = float(_sps.norm.sf((worse - tolerance) / se))
    low, high = ends if ends is not None else (diff - z * se, diff + z * se)
    return {"difference": diff, "difference_ci_low": low, "difference_ci_high": high, "p_value": p}


def _rowwise_values(metric: str, y_true: np.ndarray, y_pred: np.ndarray | None, y_score: np.ndarray | None) -> np.ndarray | None:
    """Per-row contributions whose mean is ``metric`` (None when not decomposable)."""
    m = metric.lower()
    if m == "accuracy" and y_pred is not None:
        return (y_true == y_pred).astype(float)
    if m == "error_rate" and y_pred is not None:
        return (y_true != y_pred).astype(float)
    if m in ("mae", "mse") and y_pred is not None and y_true.dtype.kind in "fiu" and y_pred.dtype.kind in "fiu":
        r = y_pred.astype(float) - y_true.astype(float)
        return np.abs(r) if m == "mae" else r**2
    if m in ("brier", "log_loss") and y_score is not None and y_score.ndim == 1:
        classes = np.unique(y_true)
        if len(classes) != 2:
            return None
        pos = (y_true == classes[1]).astype(float)
        s = np.clip(y_score.astype(float), 1e-15, 1 - 1e-15)
        return (s - pos) ** 2 if m == "brier" else -(pos * np.log(s) + (1 - pos) * np.log(1 - s))
    return None


def paired_bootstrap(
    values_a: np.ndarray,
    values_b: np.ndarray,
    *,
    higher_better: bool = True,
    tolerance: float = 0.0,
    n_boot: int = 1000,
    confidence: float = 0.95,
    random_state: int = 0,
) -> dict[str, float]:
    """Paired bootstrap of the difference of two per-row means (same rows, same resamples).

    Parameters
    ----------
    values_a, values_b : ndarray of shape (n,)
        Per-row contributions (e.g. 1 for a correct prediction) of baseline and candidate.
    higher_better : bool, default=True
    tolerance : float, default=0.0
    n_boot : int, default=1000
    confidence : float, default=0.95
    random_state : int, default=0

    Returns
    -------
    dict
        ``difference`` (mean b - mean a), ``difference_ci_low``, ``difference_ci_high``,
        ``p_value`` (one-sided, of "worsening <= tolerance").

    Examples
    --------
    >>> import numpy as np
    >>> a = np.ones(400)
    >>> b = np.r_[np.zeros(40), np.ones(360)]
    >>> out = paired_bootstrap(a, b, n_boot=200)
    >>> round(out["difference"], 2), out["difference_ci_high"] < 0
    (-0.1, True)
    """
    d = np.asarray(values_b, dtype=float) - np.asarray(values_a, dtype=float)
    n = len(d)
    boots = np.concatenate([c @ d for c in bootstrap_counts(n, n_boot, random_state=random_state)]) / n
    low, high = percentile_interval(boots, confidence)
    worse = -boots if higher_better else boots
    p = (np.sum(worse <= tolerance) + 1.0) / (n_boot + 1.0)
    return {"difference": float(d.mean()), "difference_ci_low": float(low), "difference_ci_high": float(high),
            "p_value": float(min(p, 1.0))}


def _primary_metrics(run: Any) -> pd.DataFrame:
    frame = run.metrics
    if frame.empty:
        return frame
    model = run.params.get("model_name") or frame["model"].iloc[0]
    return frame[frame["model"] == model].set_index("metric")


def _paired_from_library(base: Any, cand: Any, metrics: list[str], n_boot: int, confidence: float,
                         random_state: int) -> pd.DataFrame | None:
    try:
        from diagtools.metrics import compare_predictions
    except ImportError:
        return None
    try:
        out = compare_predictions(
            base.y_true, y_pred_a=base.y_pred, y_pred_b=cand.y_pred, y_score_a=base.y_score, y_score_b=cand.y_score,
            metrics=metrics, n_boot=n_boot, confidence=confidence, random_state=random_state,
        )
    except (DiagnosticInputError, TypeError, ValueError):
        return None
    frame = getattr(out, "frame", out)
    return frame.set_index("metric") if isinstance(frame, pd.DataFrame) and "metric" in frame.columns else None


#: Run-to-run spread of a median latency (standard deviation of its log) assumed when a series'
#: history is too short to learn it. Calibrated with benchmarks/bench_gate.py: two runs of the same
#: model, one after the other on a shared 2-core machine, differ by 5-30% (log-sd about 0.10).
DEFAULT_RUN_SPREAD = 0.10
#: Weight of that default, in run-to-run differences, when it is combined with a learned spread.
_PRIOR_DIFFERENCES = 3
# Environment keys whose difference makes two latency runs incomparable.
_ENV_KEYS = ("cpu_model", "logical_cores", "usable_cores", "python", "platform")


def run_spread(medians: Sequence[float], *, default: float = DEFAULT_RUN_SPREAD) -> tuple[float, int]:
    """Run-to-run spread (sd of the log) of a series' median latencies, and the runs it came from.

    Robust to genuine changes along the series: the spread comes from the median absolute
    successive difference of the log medians (a level shift moves one difference, not the
    median), scaled to a standard deviation. It is shrunk towards ``default`` with the weight
    of three differences, so a short history does not give a falsely tight spread.

    Parameters
    ----------
    medians : sequence of float
        Median latencies of the series' runs, oldest first.
    default : float, default=DEFAULT_RUN_SPREAD

    Returns
    -------
    (float, int)
        The spread and the number of runs it was learned from (0: the default alone).

    Examples
    --------
    >>> from diagtools.history._compare import run_spread
    >>> run_spread([1.0, 1.02, 0.99, 1.01, 1.0, 1.03])[1]
    6
    >>> run_spread([1.0])
    (0.1, 0)
    """
    x = np.log(np.asarray([m for m in medians if m is not None and np.isfinite(m) and m > 0], dtype=float))
    if len(x) < 3:
        return float(default), 0
    return _spread_from_differences(np.diff(x), default), len(x)


def _spread_from_differences(d: np.ndarray, default: float) -> float:
    """Robust sd of a run effect from successive log differences, shrunk towards ``default``."""
    if len(d) < 2:
        return float(default)
    learned = 1.4826 * float(np.median(np.abs(d))) / np.sqrt(2.0)
    k = len(d)
    return float(np.sqrt((k * learned**2 + _PRIOR_DIFFERENCES * default**2) / (k + _PRIOR_DIFFERENCES)))


def environment_differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Describe what differs between two environment fingerprints (CPU, cores, threads, versions).

    Parameters
    ----------
    a, b : dict
        :func:`environment_fingerprint` of the baseline and candidate runs.

    Returns
    -------
    list of str
        One phrase per difference, e.g. ``"numpy 1.26.4 vs 2.0.0"``; empty when they match
        or when either fingerprint is missing.
    """
    if not a or not b:
        return []
    out = []
    for key in _ENV_KEYS:
        if key in a and key in b and a[key] != b[key]:
            out.append(f"{key.replace('_', ' ')} {a[key]} vs {b[key]}")
    la, lb = a.get("libraries") or {}, b.get("libraries") or {}
    for name in sorted(set(la) | set(lb)):
        if la.get(name) != lb.get(name):
            out.append(f"{name} {la.get(name)} vs {lb.get(name)}")

    def threads(env: dict[str, Any]) -> list[Any]:
        return sorted(f"{p.get('internal_api')}={p.get('num_threads')}" for p in env.get("threadpools") or [])

    if "threadpools" in a and "threadpools" in b and threads(a) != threads(b):
        out.append(f"threads {', '.join(threads(a)) or 'none'} vs {', '.join(threads(b)) or 'none'}")
    return out


def compare_runs(
    baseline: Any,
    candidate: Any,
    *,
    metric_tolerance: float = 0.01,
    latency_tolerance: float = 0.10,
    alpha: float = 0.05,
    metrics: Sequence[str] | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    run_spread: float | dict[int, float] | None = None,
    random_state: int = 0,
) -> Any:
    """Compare a candidate run with a baseline run: metrics and latency, with tests.

    Metrics: when both runs used the same data (equal data fingerprints) and stored their
    predictions, a paired bootstrap of the difference on the same rows; otherwise a z-test
    from the two stored intervals (less sensitive). Latency: ratio of median latencies per
    batch size. Two runs measured at different times differ by more than their own samples
    show (CPU frequency, neighbours, process layout), so the interval of the log ratio adds the
    run-to-run spread of each run (``run_spread``; :meth:`History.compare` learns it from the
    baseline's series) to the within-run bootstrap error. A row is ``regressed`` when it is
    worse by more than the tolerance and that is significant at ``alpha`` (one-sided). For
    latency, timing both models in the same job (:meth:`History.compare_models`) is the
    reliable gate.

    Parameters
    ----------
    baseline, candidate : Run
        Runs from :meth:`History.get` / :meth:`History.latest`.
    metric_tolerance : float, default=0.01
        Allowed worsening of a metric, absolute (0.01 = one accuracy point).
    latency_tolerance : float, default=0.10
        Allowed relative slow-down of a median latency (0.10 = 10% slower).
    alpha : float, default=0.05
        Significance level of each one-sided test.
    metrics : list of str, optional
        Metrics to compare (default: every metric stored in both runs).
    n_boot : int, default=1000
    confidence : float, default=0.95
        Level of the reported intervals.
    run_spread : float or dict of int to float, optional
        Run-to-run spread of a median latency (sd of its log), per batch size or for all;
        default :data:`DEFAULT_RUN_SPREAD` (0.10).
    random_state : int, default=0

    Returns
    -------
    RunComparison

    Raises
    ------
    DiagnosticInputError
        When ``baseline`` or ``candidate`` is not a :class:`Run`, a tolerance or spread is
        negative, ``alpha`` or ``confidence`` is not in (0, 1), ``n_boot`` < 1 or
        ``random_state`` is not a seed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, pandas as pd
    >>> from diagtools.history import History, compare_runs
    >>> hist = History(pathlib.Path(tempfile.mkdtemp()) / "bench.db")
    >>> rng = np.random.default_rng(0)
    >>> for name, slow in (("main", 1.0), ("pr", 1.6)):
    ...     lat = pd.DataFrame({"batch_size": 1, "latency_ms": slow * rng.lognormal(0, 0.05, 100)})
    ...     _ = hist.record(name=name, latency=lat, git_commit=None)
    >>> compare_runs(hist.latest("main"), hist.latest("pr")).regressed
    True
    """
    from diagtools.history._results import RunComparison

    _check_compare_arguments(baseline, candidate, metric_tolerance, latency_tolerance, alpha, n_boot, confidence,
                             run_spread, random_state)
    paired = (
        baseline.data_fingerprint is not None
        and baseline.data_fingerprint == candidate.data_fingerprint
        and baseline.y_true is not None
        and candidate.y_true is not None
        and len(baseline.y_true) == len(candidate.y_true)
    )
    rows = _metric_rows(baseline, candidate, metrics=metrics, paired=paired, tolerance=metric_tolerance, alpha=alpha,
                        n_boot=n_boot, confidence=confidence, random_state=random_state)
    rows += _latency_rows(baseline, candidate, tolerance=latency_tolerance, alpha=alpha, n_boot=n_boot,
                          confidence=confidence, run_spread=run_spread, random_state=random_state)
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    frame["regressed"] = frame["regressed"].astype(bool)
    return RunComparison(
        frame=frame,
        params={"metric_tolerance": metric_tolerance, "latency_tolerance": latency_tolerance, "alpha": alpha,
                "n_boot": n_boot, "confidence": confidence, "random_state": random_state,
                "run_spread": ({str(k): v for k, v in run_spread.items()} if isinstance(run_spread, dict)
                               else DEFAULT_RUN_SPREAD if run_spread is None else float(run_spread)),
                "environment_differences": environment_differences(baseline.environment, candidate.environment)},
        n_samples=int(min(baseline.n_samples, candidate.n_samples)),
        baseline=baseline.summary(),
        candidate=candidate.summary(),
        paired=bool(paired),
        regressed=bool(frame["regressed"].any()),
    )


def _check_compare_arguments(baseline: Any, candidate: Any, metric_tolerance: Any, latency_tolerance: Any, alpha: Any,
                             n_boot: Any, confidence: Any, run_spread: Any, random_state: Any) -> None:
    from diagtools import _validation as V
    from diagtools.history._store import Run

    for run, label in ((baseline, "baseline"), (candidate, "candidate")):
        if not isinstance(run, Run):
            raise DiagnosticInputError(
                f"{label} must be a stored Run, got {type(run).__name__} {run!r}. Pass history.get(run_id) or "
                "history.latest(name), or compare by id or name with history.compare(baseline, candidate)."
            )
    V.check_real(metric_tolerance, "metric_tolerance", low=0.0, hint="Pass e.g. metric_tolerance=0.01.")
    V.check_real(latency_tolerance, "latency_tolerance", low=0.0, hint="Pass e.g. latency_tolerance=0.10.")
    V.check_probability(alpha, "alpha")
    V.check_n_boot(n_boot)
    V.check_probability(confidence, "confidence")
    V.check_random_state(random_state)
    if run_spread is not None:
        spreads = run_spread.items() if isinstance(run_spread, dict) else [(None, run_spread)]
        for batch, value in spreads:
            V.check_real(value, "run_spread" if batch is None else f"run_spread[{batch!r}]", low=0.0,
                         hint="It is the sd of a log median latency: pass e.g. run_spread=0.1.")


def _shared_metrics(ma: pd.DataFrame, mb: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    shared = [m for m in ma.index if m in mb.index] if len(ma) and len(mb) else []
    if metrics is None:
        return shared
    wanted = [str(m) for m in metrics]
    unknown = [m for m in wanted if m not in shared]
    if unknown:
        raise DiagnosticInputError(
            f"metrics: {unknown} not stored in both runs. Metrics in both: {', '.join(map(str, shared)) or 'none'}."
        )
    return [m for m in shared if m in wanted]


def _metric_rows(baseline: Any, candidate: Any, *, metrics: Sequence[str] | None, paired: bool, tolerance: float,
                 alpha: float, n_boot: int, confidence: float, random_state: int) -> list[dict[str, Any]]:
    """One row per metric stored in both runs: paired bootstrap on the same rows, else the interval test."""
    ma, mb = _primary_metrics(baseline), _primary_metrics(candidate)
    shared = _shared_metrics(ma, mb, metrics)
    library = None
    if paired and shared:
        todo = [m for m in shared if _rowwise_values(m, baseline.y_true, baseline.y_pred, baseline.y_score) is None]
        if todo:
            library = _paired_from_library(baseline, candidate, todo, n_boot, confidence, random_state)
    rows = []
    for metric in shared:
        a, b = ma.loc[metric], mb.loc[metric]
        hib = higher_is_better(metric)
        out: dict[str, float] | None = None
        method = "interval_test"
        if paired:
            va = _rowwise_values(metric, baseline.y_true, baseline.y_pred, baseline.y_score)
            vb = _rowwise_values(metric, candidate.y_true, candidate.y_pred, candidate.y_score)
            if va is not None and vb is not None:
                out = paired_bootstrap(va, vb, higher_better=hib, tolerance=tolerance, n_boot=n_boot,
                                       confidence=confidence, random_state=random_state)
                method = "paired_bootstrap"
            elif library is not None and metric in library.index:
                lib = library.loc[metric]
                out = _from_difference_interval(float(lib["difference"]), float(lib["difference_ci_low"]),
                                                float(lib["difference_ci_high"]), higher_better=hib,
                                                tolerance=tolerance, confidence=confidence)
                method = "paired_bootstrap"
        if out is None:
            out = interval_test((a.estimate, a.ci_low, a.ci_high), (b.estimate, b.ci_low, b.ci_high),
                                higher_better=hib, tolerance=tolerance, confidence=confidence)
        worse = -out["difference"] if hib else out["difference"]
        n_a, n_b = _f(a.n), _f(b.n)
        rows.append({
            "kind": "metric", "metric": str(metric), "batch_size": _NAN,
            "estimate": _f(b.estimate), "ci_low": _f(b.ci_low), "ci_high": _f(b.ci_high),
            "n": int(min(n_a, n_b)) if np.isfinite(n_a) and np.isfinite(n_b) else 0,
            "reference_estimate": _f(a.estimate), **out, "ratio": _NAN, "ratio_ci_low": _NAN, "ratio_ci_high": _NAN,
            "tolerance": tolerance, "method": method,
            "regressed": bool(np.isfinite(out["p_value"]) and out["p_value"] < alpha and worse > tolerance),
        })
    return rows


def _latency_rows(baseline: Any, candidate: Any, *, tolerance: float, alpha: float, n_boot: int, confidence: float,
                  run_spread: float | dict[int, float] | None, random_state: int) -> list[dict[str, Any]]:
    """One row per batch size timed in both runs: ratio of medians, widened by the run-to-run spread."""
    rows = []
    for batch in sorted(set(baseline.samples) & set(candidate.samples)):
        res = compare_latency_samples(baseline.samples[batch], candidate.samples[batch], tolerance=tolerance,
                                      n_boot=n_boot, confidence=confidence, random_state=random_state)
        if isinstance(run_spread, dict):
            sigma = run_spread.get(int(batch), DEFAULT_RUN_SPREAD)
        else:
            sigma = DEFAULT_RUN_SPREAD if run_spread is None else float(run_spread)
        if not np.isfinite(sigma) or sigma < 0:
            raise DiagnosticInputError(f"run_spread must be >= 0, got {sigma!r}. Pass e.g. run_spread=0.1.")
        ratio, low, high, p = _with_run_spread(res, sigma, tolerance, confidence)
        rows.append({
            **res, "kind": "latency", "metric": "latency_ms", "batch_size": float(batch),
            "difference": _NAN, "difference_ci_low": _NAN, "difference_ci_high": _NAN,
            "ratio": ratio, "ratio_ci_low": low, "ratio_ci_high": high, "p_value": p, "tolerance": tolerance,
            "method": "ratio_of_medians+run_spread",
            "regressed": bool(np.isfinite(p) and p < alpha and ratio > 1 + tolerance),
        })
    return rows


def _with_run_spread(res: dict[str, float], sigma: float, tolerance: float,
                     confidence: float) -> tuple[float, float, float, float]:
    """Widen a ratio-of-medians comparison by the run-to-run spread of both runs (log scale)."""
    ratio, r_low, r_high = res["ratio"], res["ratio_ci_low"], res["ratio_ci_high"]
    if not (np.isfinite(ratio) and ratio > 0 and r_low > 0 and r_high > 0):
        return ratio, r_low, r_high, res["p_value"]
    z = _sps.norm.ppf(0.5 + confidence / 2.0)
    se_within = (np.log(r_high) - np.log(r_low)) / (2 * z)
    se = float(np.sqrt(se_within**2 + 2 * sigma**2))  # each run has its own run effect
    log_ratio = float(np.log(ratio))
    p = float(_sps.norm.sf((log_ratio - np.log1p(tolerance)) / se)) if se > 0 else (
        0.0 if log_ratio > np.log1p(tolerance) else 1.0)
    return ratio, float(np.exp(log_ratio - z * se)), float(np.exp(log_ratio + z * se)), p


def _from_difference_interval(diff: float, low: float, high: float, *, higher_better: bool, tolerance: float,
                              confidence: float) -> dict[str, float]:
    """Test a difference whose interval another function computed (its ends are kept)."""
    z = _sps.norm.ppf(0.5 + confidence / 2.0)
    se = (high - low) / (2 * z)
    return _difference_test(diff, se, z, higher_better=higher_better, tolerance=tolerance, ends=(low, high))


def _f(value: Any, default: float = float("nan")) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return default
    return v if np.isfinite(v) else default
