"""compare_variants: is an optimised variant (pruned, smaller, cheaper) faster without
losing accuracy?

Accuracy: every variant is evaluated on the same bootstrap resamples as the reference
(``evaluate_predictions`` with the variants as paired baselines), so the interval and p-value
of each change reflect only the difference between the models. Latency: each variant is
timed with :func:`profile_latency`; the change of p50/p99 is a ratio with an interval from
resampling both sets of timed calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import interval, p_value, percent, q_value, short_number, signed
from diagtools._metric_registry import higher_is_better, metric_info
from diagtools._plotting import plain_log_ticks
from diagtools._result import Finding, Result, rank_findings
from diagtools._stats import benjamini_hochberg, bootstrap_p_value, percentile_interval, quantile_bootstrap
from diagtools._validation import check_random_state, closest_hint
from diagtools.errors import DiagnosticInputError
from diagtools.latency._checks import (
    check_batch_sizes,
    check_method,
    check_n_rows,
    check_number,
    check_time_budget,
)
from diagtools.latency._profile import profile_latency
from diagtools.latency._size import model_size

__all__ = ["VariantComparison", "compare_variants", "ratio_interval"]

_LATENCY_STATS = {"p50": 50, "p99": 99}
FRAME_COLUMNS = ["variant", "metric", "batch_size", "estimate", "ci_low", "ci_high", "n"]
COMPARISON_COLUMNS = [*FRAME_COLUMNS, "reference_estimate", "difference", "difference_ci_low", "difference_ci_high",
                      "ratio", "ratio_ci_low", "ratio_ci_high", "p_value", "q_value"]


@dataclass(frozen=True)
class VariantComparison(Result):
    """Accuracy, latency and size of model variants against a reference.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``variant, metric, batch_size, estimate, ci_low, ci_high, n``: every
        variant's metrics (``accuracy``, per-class ``recall[<label>]``, ... or ``r2``, ``mae``
        ...; ``batch_size`` NaN), latency ``p50_ms`` and ``p99_ms`` and ``throughput_rps`` per
        batch size, and ``size_mb`` (model file, else skops, else pickle; NaN when unknown, the
        reason in ``params["size_notes"]``).
    comparison : pandas.DataFrame
        One row per non-reference variant and compared metric: ``variant, metric,
        batch_size``, the variant's ``estimate, ci_low, ci_high, n`` (as in ``frame``), the
        reference's ``reference_estimate``, then the comparison as its own statistic:

        - quality metrics: ``difference = variant - reference`` with its paired bootstrap
          interval ``difference_ci_low, difference_ci_high`` (``ratio*`` NaN); the p-value is
          McNemar's exact test (on the rows where exactly one of the two is right) for
          ``accuracy`` and per-class ``recall[...]``, a two-sided paired bootstrap p-value
          otherwise; Benjamini-Hochberg q-values across all quality rows;
        - ``p50_ms`` / ``p99_ms``: ``ratio = variant / reference`` (0.7 = 30% lower latency)
          with ``ratio_ci_low, ratio_ci_high`` from resampling both sets of timed calls
          (``difference*`` NaN), a bootstrap p-value of ``ratio = 1`` and q-values across the
          latency rows.
    reference : str
        Name of the reference variant.
    primary : str
        The headline quality metric (``accuracy`` or ``r2``).
    """

    comparison: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COMPARISON_COLUMNS))
    reference: str = ""
    primary: str = "accuracy"

    area: ClassVar[str] = "latency"
    title: ClassVar[str] = "Model variants: accuracy vs speed"

    @property
    def variants(self) -> list[str]:
        """Variant names in the order given (reference first)."""
        return list(dict.fromkeys(self.frame["variant"]))

    @staticmethod
    def _pick(f: pd.DataFrame, variant: str, metric: str, batch_size: float | None = None) -> pd.Series:
        f = f[(f["variant"] == variant) & (f["metric"] == metric)]
        if batch_size is not None:
            f = f[f["batch_size"] == batch_size]
        return f.iloc[0]

    def _row(self, variant: str, metric: str, batch_size: float | None = None) -> pd.Series:
        return self._pick(self.frame, variant, metric, batch_size)

    def _cmp(self, variant: str, metric: str, batch_size: float | None = None) -> pd.Series:
        return self._pick(self.comparison, variant, metric, batch_size)

    @property
    def _batch(self) -> float:
        return float(self.frame["batch_size"].dropna().min())

    def speedup(self, variant: str, *, statistic: str = "p50", batch_size: int | None = None) -> float:
        """Reference latency divided by the variant's (``2.0`` = twice as fast)."""
        b = self._batch if batch_size is None else batch_size
        return float(1.0 / self._cmp(variant, f"{statistic}_ms", b)["ratio"])

    def findings(self) -> list[Finding]:
        """Per variant: latency change with its interval and accuracy change with its test."""
        out: list[Finding] = []
        alpha = float(self.params.get("alpha", 0.05))
        for v in self.variants:
            if v == self.reference:
                continue
            out.append(self._variant_finding(v, alpha))
            # Per-class drops that survive the FDR control (e.g. one intent much worse).
            c = self.comparison
            per = c[(c["variant"] == v) & c["metric"].str.startswith("recall[")
                    & (c["q_value"] < alpha) & (c["difference"] < 0)]
            for _, r in per.iterrows():
                out.append(Finding(
                    "latency", "medium",
                    f"Variant {v}: {r['metric']} drops {signed(-r['difference'], as_percent=True)[1:]} "
                    f"({percent(r['reference_estimate'])} -> {percent(r['estimate'])}), {q_value(r['q_value'])}",
                    "The overall change hides a class that loses; check it before switching.",
                    {"variant": v, "metric": str(r["metric"]), "difference": float(r["difference"])},
                ))
        for v, note in (self.params.get("size_notes") or {}).items():
            if str(note).startswith("unknown"):
                out.append(Finding("latency", "info", f"Variant {v}: size unknown", str(note), {"variant": v}))
        return rank_findings(out)

    def _variant_finding(self, v: str, alpha: float) -> Finding:
        """The latency ratio with its interval, and the primary metric's change with its test."""
        b = self._batch
        lat, acc = self._cmp(v, "p50_ms", b), self._cmp(v, self.primary)
        r, lo, hi = lat["ratio"], lat["ratio_ci_low"], lat["ratio_ci_high"]
        if hi < 1:
            speed = (f"{short_number(1 / r)}x faster: p50 {percent(1 - r, 0)} lower "
                     f"(CI {percent(1 - hi, 0)}-{percent(1 - lo, 0)}) at batch {int(b)}")
        elif lo > 1:
            speed = (f"{short_number(r)}x slower: p50 {percent(r - 1, 0)} higher "
                     f"(CI {percent(lo - 1, 0)}-{percent(hi - 1, 0)}) at batch {int(b)}")
        else:
            speed = f"no significant latency change (p50 ratio {short_number(r)}, CI {interval(lo, hi, short_number)})"
        d, dlo, dhi, p = acc["difference"], acc["difference_ci_low"], acc["difference_ci_high"], acc["p_value"]
        as_pt = metric_info(self.primary).percent
        worse = (d < 0) if higher_is_better(self.primary) else (d > 0)
        signif = p < alpha and not (dlo <= 0 <= dhi)
        verdict = ("significantly " + ("worse" if worse else "better")) if signif else "not significant"
        change = interval(dlo, dhi, lambda x: signed(x, as_percent=as_pt))
        title = (f"Variant {v}: {speed}; {self.primary} change {signed(d, as_percent=as_pt)} (CI {change[1:-1]}), "
                 f"{verdict} ({p_value(p)})")
        sev = "high" if (signif and worse) else ("low" if lo > 1 else "info")
        return Finding("latency", sev, title, f"Paired bootstrap against {self.reference} on the same rows.",
                       {"variant": v, "latency_ratio": float(r), "metric_change": float(d), "p_value": float(p)})

    def headline(self) -> list[tuple[str, str]]:
        """Reference, variants and the fastest variant's speed-up."""
        others = [v for v in self.variants if v != self.reference]
        out = [("reference", self.reference), ("variants", str(len(others)))]
        if others:
            best = max(others, key=self.speedup)
            out.append((f"speed-up of {best}", f"{short_number(self.speedup(best))}x"))
        return out

    def pareto_front(self, *, statistic: str = "p50") -> list[str]:
        """Variants not beaten on both latency and the primary metric by another variant."""
        b = self._batch
        pts = {v: (self._row(v, f"{statistic}_ms", b)["estimate"], self._row(v, self.primary)["estimate"])
               for v in self.variants}
        sign = 1.0 if higher_is_better(self.primary) else -1.0
        front = []
        for v, (lat, acc) in pts.items():
            dominated = any(l2 <= lat and sign * a2 >= sign * acc and (l2, a2) != (lat, acc)
                            for w, (l2, a2) in pts.items() if w != v)
            if not dominated:
                front.append(v)
        return front

    def plot(self, *, ax: Any = None, statistic: str = "p50", title: str = "Accuracy vs latency (bars: 95% CI)",
             **kwargs: Any) -> Any:
        """Pareto plot: primary metric against latency, with intervals on both axes.

        The line joins the Pareto-optimal variants; the reference is drawn as a star.
        ``**kwargs`` style the variants' points (``markersize``, ``alpha``, ...).
        """
        from diagtools._plotting import get_ax, interval_bars, validate_style_kwargs

        validate_style_kwargs({}, kwargs, artist="line")
        ax = get_ax(ax)
        b = self._batch
        front = self.pareto_front(statistic=statistic)
        pts = []
        for i, v in enumerate(self.variants):
            lat, acc = self._row(v, f"{statistic}_ms", b), self._row(v, self.primary)
            pts.append((lat["estimate"], acc["estimate"], v))
            ref = v == self.reference
            interval_bars(ax, [acc["estimate"]], [lat["estimate"]], [lat["ci_low"]], [lat["ci_high"]], horizontal=True,
                          **{"color": f"C{i}", "marker": "*" if ref else "o", "markersize": 12 if ref else 7,
                             "label": v, **kwargs})
            interval_bars(ax, [lat["estimate"]], [acc["estimate"]], [acc["ci_low"]], [acc["ci_high"]],
                          color=f"C{i}", marker="none")
            ax.annotate(v, (lat["estimate"], acc["estimate"]), textcoords="offset points", xytext=(6, 6),
                        fontsize="small")
        fp = sorted((x, y) for x, y, v in pts if v in front)
        if len(fp) > 1:
            ax.plot(*zip(*fp, strict=True), "--", color="grey", lw=1, label="Pareto front")
        ax.set_xscale("log")
        plain_log_ticks(ax, "x")  # plain numbers, and the 2s and 5s when the range is narrow
        ax.margins(x=0.2, y=0.15)  # room for the variant labels next to the points
        ax.set_xlabel(f"{statistic} latency at batch {int(b)} (ms, log)")
        ax.set_ylabel(self.primary)
        ax.set_title(title)
        ax.legend(fontsize="small")
        return ax


def ratio_interval(ref: np.ndarray, var: np.ndarray, q: float, n_boot: int, rng: np.random.Generator,
                   confidence: float) -> tuple[float, float, float, float]:
    """Ratio of the q-th percentiles (var / ref) with a two-sample bootstrap interval and p-value.

    Each sample is resampled on its own with :func:`diagtools._stats.quantile_bootstrap`; the
    p-value is the bootstrap p-value of ``log(ratio) = 0`` (no change).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> var = rng.exponential(1.0, 500)
    >>> ratio, low, high, p = ratio_interval(2.0 * var, var, 50, 300, rng, 0.95)
    >>> round(ratio, 3), bool(low < 0.5 < high), p < 0.01
    (0.5, True, True)
    """
    est = np.percentile(var, q) / np.percentile(ref, q)
    br = quantile_bootstrap(ref, q, n_boot=n_boot, random_state=rng)[:, 0]
    bv = quantile_bootstrap(var, q, n_boot=n_boot, random_state=rng)[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = bv / br
        p = float(bootstrap_p_value(np.log(boot)))
    low, high = percentile_interval(boot, confidence)
    return float(est), float(low), float(high), p


def _ratio_ci(ref: np.ndarray, var: np.ndarray, q: float, n_boot: int, rng: np.random.Generator,
              confidence: float) -> tuple[float, float, float, float]:
    """Relative change ``var / ref - 1`` of the q-th percentile: :func:`ratio_interval` minus one
    (what ``diagtools.optimize`` reports)."""
    est, low, high, p = ratio_interval(ref, var, q, n_boot, rng, confidence)
    return est - 1.0, low - 1.0, high - 1.0, p


def _mcnemar_p(ref_ok: np.ndarray, var_ok: np.ndarray) -> float:
    """Exact McNemar test: two-sided binomial test on the discordant rows."""
    from scipy.stats import binomtest

    b = int(np.sum(ref_ok & ~var_ok))
    c = int(np.sum(~ref_ok & var_ok))
    return 1.0 if b + c == 0 else float(binomtest(b, b + c, 0.5).pvalue)


def _mcnemar(quality: pd.DataFrame, y: np.ndarray, preds: dict[str, np.ndarray],
             reference: str) -> pd.DataFrame:
    """Exact paired p-values for accuracy and per-class recall; BH q-values over all rows.

    A bootstrap p-value cannot go below ``2 / (n_boot + 1)``, too coarse once 20 per-class
    checks share an FDR control; McNemar's test is exact and needs no resampling.
    """
    quality = quality.copy()
    y_str = y.astype(str)
    ref_ok = preds[reference].astype(str) == y_str
    for i, row in quality.iterrows():
        metric = str(row["metric"])
        if metric == "accuracy":
            mask = np.ones(len(y), dtype=bool)
        elif metric.startswith("recall[") and metric.endswith("]"):
            mask = y_str == metric[len("recall["):-1]
        else:
            continue
        var_ok = preds[str(row["variant"])].astype(str) == y_str
        quality.loc[i, "p_value"] = _mcnemar_p(ref_ok[mask], var_ok[mask])
    quality["q_value"] = benjamini_hochberg(quality["p_value"].to_numpy(dtype=float))
    return quality


def compare_variants(
    models: dict[str, Any],
    X: Any,
    y: Any,
    *,
    reference: str | None = None,
    metrics: list[str] | None = None,
    batch_sizes: tuple[int, ...] = (1,),
    min_runs: int = 50,
    min_time: float = 0.2,
    max_time: float = 1.0,
    n_boot: int = 1000,
    confidence: float = 0.95,
    alpha: float = 0.05,
    threads: int | None = None,
    model_files: dict[str, Any] | None = None,
    random_state: int = 0,
) -> VariantComparison:
    """Compare model variants with a reference: quality with paired tests, latency, size.

    Parameters
    ----------
    models : dict of str to model
        Fitted variants by name, e.g. ``{"full": full, "fast": fast}``.
    X : DataFrame, array or list of rows
        Held-out rows (the same for every variant).
    y : array-like of shape (n_samples,)
        True targets of ``X``.
    reference : str, optional
        Name of the reference variant; the first key of ``models`` when None.
    metrics : list of str, optional
        Quality metrics to keep (see ``evaluate_predictions``); all label-based metrics when
        None (per-class recall included, so a class that loses is found).
    batch_sizes : tuple of int, default=(1,)
        Batch sizes for latency; the smallest is the headline.
    min_runs, min_time, max_time : int, float, float
        Timing budget per variant and batch size (see :func:`profile_latency`).
    n_boot : int, default=1000
        Bootstrap resamples (quality and latency).
    confidence : float, default=0.95
        Level of the intervals.
    alpha : float, default=0.05
        Significance level of the findings (p-value for the primary metric, q-value for
        per-class drops).
    threads : int, optional
        BLAS/OpenMP thread limit while timing.
    model_files : dict of str to path, optional
        Saved files of some variants, e.g. ``{"onnx": "model.onnx"}``: their file size is the
        variant's ``size_mb``. Other variants are measured with skops or pickle; a variant whose
        weights live in a native runtime (an onnxruntime session wrapper) gets NaN with the
        reason in ``params["size_notes"]`` (see :func:`model_size`), never a wrong number.
    random_state : int, default=0
        Seed of the bootstraps.

    Returns
    -------
    VariantComparison

    Raises
    ------
    DiagnosticInputError
        On fewer than two variants, an unknown reference, an unfitted model, X and y of
        different lengths, or bad options.

    See Also
    --------
    diagtools.metrics.evaluate_predictions : the paired bootstrap used for quality.
    profile_latency : the timing used for latency.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from diagtools.latency import compare_variants
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3)); y = (X[:, 0] > 0).astype(int)
    >>> full = LogisticRegression().fit(X, y)
    >>> res = compare_variants({"full": full, "same": full}, X, y, n_boot=200, min_runs=10,
    ...                        min_time=0.0)
    >>> float(res.comparison.set_index("metric").loc["accuracy", "difference"])
    0.0
    """
    from diagtools.metrics import evaluate_predictions

    reference, n, batch_sizes, model_files = _check_variants(models, X, y, reference, batch_sizes, model_files)
    sizes = {k: model_size(models[k], path=model_files.get(k)) for k in models}  # a bad path fails early
    check_number(n_boot, "n_boot", low=1, integer=True)
    check_number(min_runs, "min_runs", low=1, integer=True)
    check_number(min_time, "min_time", low=0.0)
    check_number(max_time, "max_time", low=0.0, inclusive=False)
    check_time_budget(min_time, max_time)
    check_random_state(random_state, allow_none=False)
    check_number(alpha, "alpha", low=0.0, inclusive=False, high=1.0)
    order = [reference] + [k for k in models if k != reference]
    from diagtools.models import adapt_model

    # booleans for a model that states 0/1 labels (XGBoost): compare like with like
    y = adapt_model(models[reference]).align_labels(np.asarray(y))
    preds = {k: adapt_model(models[k]).predict(X) for k in order}
    ev = evaluate_predictions(
        y, y_pred=preds[reference], baselines={k: {"y_pred": preds[k]} for k in order[1:]},
        metrics=metrics, n_boot=n_boot, confidence=confidence, random_state=random_state,
        name=reference,
    )
    primary = "accuracy" if ev.task == "classification" else "r2"
    frame = ev.frame.rename(columns={"model": "variant"})
    frame.insert(2, "batch_size", np.nan)
    quality = _paired_quality(ev.comparison)
    if ev.task == "classification":
        quality = _mcnemar(quality, np.asarray(y), preds, reference)
    timed = [profile_latency(models[k], X, batch_sizes=batch_sizes, min_runs=min_runs, min_time=min_time,
                             max_time=max_time, n_boot=n_boot, confidence=confidence, threads=threads,
                             random_state=random_state + i) for i, k in enumerate(order)]
    frame = pd.concat([frame, *(_speed_rows(k, res, sizes[k]) for k, res in zip(order, timed, strict=True))],
                      ignore_index=True)[FRAME_COLUMNS]
    latency = _latency_ratios({k: res.samples for k, res in zip(order, timed, strict=True)}, reference, batch_sizes,
                              n_boot=n_boot, rng=np.random.default_rng(random_state), confidence=confidence)
    own = frame.drop(columns="estimate")  # the variant's interval and n, as in frame
    comparison = pd.concat([quality, latency], ignore_index=True).merge(own, on=["variant", "metric", "batch_size"],
                                                                        how="left")
    return VariantComparison(
        frame=frame, comparison=comparison[COMPARISON_COLUMNS], reference=reference, primary=primary,
        n_samples=n,
        params={"reference": reference, "metrics": metrics, "batch_sizes": list(batch_sizes),
                "n_boot": n_boot, "confidence": confidence, "alpha": alpha, "threads": threads,
                "random_state": random_state, "task": ev.task,
                "size_notes": {str(k): v["size_note"] for k, v in sizes.items()},
                "model_files": {str(k): str(v) for k, v in model_files.items()}},
    )


def _check_variants(models: Any, X: Any, y: Any, reference: str | None, batch_sizes: Any,
                    model_files: dict[str, Any] | None) -> tuple[str, int, tuple[int, ...], dict[str, Any]]:
    """The reference's name, the number of rows, the batch sizes and the model files, checked."""
    if not isinstance(models, dict) or len(models) < 2:
        raise DiagnosticInputError(
            f"models must be a dict of at least two named models, got {type(models).__name__}"
            f"{' of length ' + str(len(models)) if isinstance(models, dict) else ''}. "
            "Pass e.g. {'full': full_model, 'fast': fast_model}."
        )
    names = [str(k) for k in models]
    if reference is None:
        reference = names[0]
    if reference not in models:
        raise DiagnosticInputError(
            f"reference: no variant {reference!r}{closest_hint(reference, names)} Variants: {names}."
        )
    for name, model in models.items():
        check_method(model, "predict", name=f"models[{name!r}]")
    n = check_n_rows(X)
    n_y = check_n_rows(y, "y")
    if n_y != n:
        raise DiagnosticInputError(f"y has {n_y} rows but X has {n}. Pass y for the same rows, in the same order.")
    batch_sizes = check_batch_sizes(batch_sizes, n)
    model_files = dict(model_files or {})
    unknown = [k for k in model_files if k not in models]
    if unknown:
        raise DiagnosticInputError(f"model_files: no variant {unknown[0]!r}. Variants: {names}. "
                                   "Pass {variant name: path of its saved file}.")
    return reference, n, batch_sizes, model_files


def _paired_quality(comp: pd.DataFrame) -> pd.DataFrame:
    """Quality rows ``variant - reference`` from ``evaluate_predictions``' comparison.

    The reference is evaluate_predictions' model and the variants its paired baselines, so its
    ``difference`` (model - baseline) is flipped to variant - reference, interval ends swapped.
    """
    return pd.DataFrame({
        "variant": comp["baseline"], "metric": comp["metric"], "batch_size": np.nan,
        "reference_estimate": comp["estimate"], "estimate": comp["reference_estimate"],
        "difference": 0.0 - comp["difference"],
        "difference_ci_low": 0.0 - comp["difference_ci_high"], "difference_ci_high": 0.0 - comp["difference_ci_low"],
        "ratio": np.nan, "ratio_ci_low": np.nan, "ratio_ci_high": np.nan,
        "p_value": comp["p_value"], "q_value": comp["q_value"],
    })


def _speed_rows(variant: str, res: Any, size: dict[str, Any]) -> pd.DataFrame:
    """Frame rows of one variant's p50/p99 latency and throughput per batch size, and its size."""
    f = res.frame[res.frame["statistic"].isin([*_LATENCY_STATS, "throughput"])]
    rows = pd.DataFrame({
        "variant": variant,
        "metric": [("throughput_rps" if s == "throughput" else f"{s}_ms") for s in f["statistic"]],
        "batch_size": f["batch_size"].astype(float).to_numpy(), "estimate": f["estimate"].to_numpy(),
        "ci_low": f["ci_low"].to_numpy(), "ci_high": f["ci_high"].to_numpy(), "n": f["n"].astype(int).to_numpy(),
    })
    mb = np.nan if size["size_bytes"] is None else size["size_bytes"] / 2**20
    return pd.concat([rows, pd.DataFrame([(variant, "size_mb", np.nan, mb, np.nan, np.nan, 1)], columns=FRAME_COLUMNS)],
                     ignore_index=True)


def _latency_ratios(samples: dict[str, pd.DataFrame], reference: str, batch_sizes: tuple[int, ...], *, n_boot: int,
                    rng: np.random.Generator, confidence: float) -> pd.DataFrame:
    """p50/p99 ratio of every variant to the reference per batch size, BH q-values across them."""
    rows = []
    ref = samples[reference]
    for k, calls in samples.items():
        if k == reference:
            continue
        for b in batch_sizes:
            ref_s = ref[ref["batch_size"] == b]["latency_ms"].to_numpy()
            var_s = calls[calls["batch_size"] == b]["latency_ms"].to_numpy()
            for stat, q in _LATENCY_STATS.items():
                ratio, lo, hi, p = ratio_interval(ref_s, var_s, q, n_boot, rng, confidence)
                rows.append({"variant": k, "metric": f"{stat}_ms", "batch_size": float(b),
                             "estimate": float(np.percentile(var_s, q)),
                             "reference_estimate": float(np.percentile(ref_s, q)), "ratio": ratio,
                             "ratio_ci_low": lo, "ratio_ci_high": hi, "p_value": p})
    out = pd.DataFrame(rows).assign(difference=np.nan, difference_ci_low=np.nan, difference_ci_high=np.nan)
    out["q_value"] = benjamini_hochberg(out["p_value"].to_numpy(dtype=float))
    return out
