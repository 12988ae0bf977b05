"""The paired latency gate's statistics and result: the ratio of two models' block medians.

Why: two benchmark runs taken one after the other differ by 10-30% on a shared machine (CPU
frequency, neighbours, process layout), so a test that treats the calls inside each run as
independent samples raises false alarms. Here both models are timed in the same worker
processes, alternating in short blocks whose order is randomised, and the test is on the
ratio of the two models' block medians: what varies from block to block and from process to
process is the noise, not the spread of calls inside one run. The measuring (worker processes,
interleaved blocks) is in :mod:`diagtools.history._measure`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps

from diagtools import _format as fmt
from diagtools._plotting import empty_panel, get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, _jsonable, rank_findings
from diagtools.history._results import conf_label, text_table, times

__all__ = ["PairedLatency", "paired_statistics"]

#: Share of the timed wall-clock spent waiting for a CPU above which the machine counts as busy.
BUSY_SHARE = 0.05
#: Share of blocks trimmed at each end of the block log-ratios (Yuen's trimmed mean), and the
#: number of blocks from which on it applies.
TRIM = 0.2
TRIM_MIN_BLOCKS = 10
#: Level of the F-test for a process effect below which blocks are not pooled (Bancroft's
#: "sometimes pool" rule: pool the two variance components unless the test rejects at 0.25).
POOL_LEVEL = 0.25

_FRAME_COLUMNS = [
    "batch_size", "metric", "estimate", "ci_low", "ci_high", "n", "reference_estimate", "ratio", "ratio_ci_low",
    "ratio_ci_high", "p_value", "tolerance", "regressed", "cpu_ratio", "busy_share", "widened", "interval_before", "df",
    "process_effect_p", "n_processes", "method",
]
_COST_COLUMNS = ["model", "batch_size", "cpu_s_per_1k", "peak_mb", "energy_j_per_1k", "cost_per_million"]


# -- statistics ------------------------------------------------------------------------------
def paired_statistics(
    blocks: pd.DataFrame, *, tolerance: float = 0.05, confidence: float = 0.95, busy_share: float = BUSY_SHARE,
) -> pd.DataFrame:
    """Test the candidate/baseline latency ratio from per-block medians.

    Each block holds one run of calls of each model (in random order); its log-ratio
    ``log(median wall B / median wall A)`` is one observation. The interval is a t-interval
    over blocks, on Yuen's 20%-trimmed mean from ten blocks on (a block another process hit
    hard does not decide the verdict); when blocks of the same process resemble each other more than blocks of other
    processes (one-way ANOVA F-test, p < 0.25), the process is the unit instead (t-interval over
    process means, ``n_processes - 1`` degrees of freedom). When the machine was busy (more
    than ``busy_share`` of the timed wall-clock spent waiting for a CPU), the gap between the
    wall-clock and the CPU-time log-ratio is added to the half-width: wall-clock ratios then
    carry interference that the CPU-time ratio does not show.

    Parameters
    ----------
    blocks : pandas.DataFrame
        One row per block: ``process, batch_size, wall_a, wall_b, cpu_a, cpu_b`` (medians, ms)
        and ``busy_a, busy_b`` (share of the wall-clock spent waiting).
    tolerance : float, default=0.05
        Allowed slow-down: a regression is a lower bound of the ratio above ``1 + tolerance``.
    confidence : float, default=0.95
        Level of the two-sided interval.
    busy_share : float, default=0.05

    Returns
    -------
    pandas.DataFrame
        One row per batch size (see :class:`PairedLatency`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from diagtools.history import paired_statistics
    >>> rng = np.random.default_rng(0)
    >>> a = rng.lognormal(0, 0.02, 20)
    >>> blocks = pd.DataFrame({"process": np.repeat([0, 1], 10), "batch_size": 1, "wall_a": a,
    ...                        "wall_b": 1.3 * a * rng.lognormal(0, 0.02, 20), "cpu_a": a, "cpu_b": 1.3 * a,
    ...                        "busy_a": 0.0, "busy_b": 0.0})
    >>> row = paired_statistics(blocks).iloc[0]
    >>> round(float(row["ratio"]), 1), bool(row["regressed"])
    (1.3, True)
    """
    rows = [_block_statistics(int(b), g, tolerance=tolerance, confidence=confidence, busy_share=busy_share)
            for b, g in blocks.groupby("batch_size", sort=True)]
    return pd.DataFrame(rows, columns=_FRAME_COLUMNS)


def _block_statistics(b: int, g: pd.DataFrame, *, tolerance: float, confidence: float,
                      busy_share: float) -> dict[str, Any]:
    """The :func:`paired_statistics` row of one batch size."""
    r = np.log(g["wall_b"].to_numpy(float) / g["wall_a"].to_numpy(float))
    rc = np.log(np.maximum(g["cpu_b"].to_numpy(float), 1e-9) / np.maximum(g["cpu_a"].to_numpy(float), 1e-9))
    n = len(r)
    est, se, df, cpu_est, p_effect, k = _log_ratio(r, rc, g["process"].to_numpy())
    t = float(_sps.t.ppf(0.5 + confidence / 2, df)) if df > 0 else float("nan")
    half = t * se
    busy = float(np.nanmean(np.r_[g["busy_a"].to_numpy(float), g["busy_b"].to_numpy(float)]))
    widened = bool(busy > busy_share)
    total = math.sqrt(half**2 + (est - cpu_est) ** 2) if widened else half
    low, high = est - total, est + total
    bound = math.log1p(tolerance)
    se_eff = total / t if t and np.isfinite(t) and t > 0 else float("nan")
    if np.isfinite(se_eff) and se_eff > 0:
        p = float(_sps.t.sf((est - bound) / se_eff, df))
    else:
        p = float("nan") if not np.isfinite(est) else (0.0 if est > bound else 1.0)
    return {
        "batch_size": b, "metric": "latency_ms",
        # the candidate's median block median; a block median's interval across blocks and
        # processes is not what the gate tests, so none is claimed
        "estimate": float(np.median(g["wall_b"])), "ci_low": float("nan"), "ci_high": float("nan"), "n": int(n),
        "reference_estimate": float(np.median(g["wall_a"])),
        "ratio": math.exp(est), "ratio_ci_low": math.exp(low) if np.isfinite(low) else float("nan"),
        "ratio_ci_high": math.exp(high) if np.isfinite(high) else float("nan"), "p_value": p,
        "tolerance": float(tolerance), "regressed": bool(np.isfinite(low) and low > bound),
        "cpu_ratio": math.exp(cpu_est), "busy_share": busy, "widened": widened,
        "interval_before": float(math.expm1(half)) if np.isfinite(half) else float("nan"),
        "df": int(df), "process_effect_p": p_effect, "n_processes": int(k), "method": "paired_blocks",
    }


def _log_ratio(r: np.ndarray, rc: np.ndarray, proc: np.ndarray) -> tuple[float, float, int, float, float, int]:
    """Estimate, standard error and df of the mean block log-ratio; blocks pooled unless processes differ.

    Returns ``(estimate, se, df, cpu_estimate, process_effect_p, n_processes)``.
    """
    n = len(r)
    est = float(r.mean())
    groups = [r[proc == p] for p in np.unique(proc)]
    k = len(groups)
    p_effect = float("nan")
    pooled = True
    if k > 1 and n > k:
        means = np.array([x.mean() for x in groups])
        ssb = float(sum(len(x) * (m - est) ** 2 for x, m in zip(groups, means, strict=True)))
        ssw = float(sum(((x - x.mean()) ** 2).sum() for x in groups))
        msb, msw = ssb / (k - 1), ssw / (n - k)
        p_effect = float(_sps.f.sf(msb / msw, k - 1, n - k)) if msw > 0 else (0.0 if msb > 0 else 1.0)
        pooled = p_effect >= POOL_LEVEL
    if pooled or k < 2:
        est, se, df = _trimmed_t(r)
        cpu_est = _trimmed_t(rc)[0]
    else:
        means = np.array([x.mean() for x in groups])
        est = float(means.mean())
        se, df = float(means.std(ddof=1)) / math.sqrt(k), k - 1
        cpu_est = float(rc.mean())
    return est, se, df, cpu_est, p_effect, k


def _trimmed_t(r: np.ndarray) -> tuple[float, float, int]:
    """Yuen's trimmed mean of ``r``, its standard error and degrees of freedom.

    With ten or more blocks, 20% of them are trimmed at each end (a block that another process
    hit hard does not move the estimate), and the standard error comes from the winsorized
    variance (Tukey and McLaughlin 1963): ``scipy.stats.mstats.trimmed_mean_ci`` computes the
    same interval. With fewer blocks, the plain mean and its t standard error.
    """
    n = len(r)
    if n < 2:
        return (float(r.mean()) if n else float("nan")), float("nan"), 0
    if n < TRIM_MIN_BLOCKS:
        return float(r.mean()), float(r.std(ddof=1)) / math.sqrt(n), n - 1
    from scipy.stats import mstats

    limits = (TRIM, TRIM)
    trimmed = mstats.trimr(r, limits=limits)
    return (float(trimmed.mean()), float(mstats.trimmed_stde(r, limits=limits)), int(trimmed.count()) - 1)


@dataclass(frozen=True)
class PairedLatency(Result):
    """Candidate vs baseline latency, measured in the same job (paired, interleaved blocks).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per batch size: ``batch_size, metric`` ("latency_ms"), ``estimate`` (the
        candidate's median of its block medians, ms; ``ci_low, ci_high`` NaN: the gate tests
        the ratio, not the level), ``n`` (blocks), ``reference_estimate`` (the baseline's),
        ``ratio`` (candidate / baseline: geometric mean of the block ratios) with
        ``ratio_ci_low, ratio_ci_high`` (its interval, widened when the machine was busy),
        ``p_value`` (one-sided, of "ratio <= 1 + tolerance"), ``tolerance``, ``regressed``
        (``ratio_ci_low > 1 + tolerance``), ``cpu_ratio``
        (the same ratio in CPU time), ``busy_share`` (share of the timed wall-clock spent
        waiting for a CPU), ``widened``, ``interval_before`` (relative half-width before
        widening), ``df``, ``process_effect_p`` (F-test of a process effect), ``n_processes``,
        ``method`` ("paired_blocks").
    blocks : pandas.DataFrame
        One row per block: ``process, batch_size, block, order`` ("AB" or "BA"), ``calls``
        (per model), ``wall_a, wall_b, cpu_a, cpu_b`` (median ms per call), ``busy_a, busy_b``.
    cost : pandas.DataFrame
        Per model ("baseline", "candidate") and batch size: ``cpu_s_per_1k`` (CPU-seconds per
        1,000 predictions), ``peak_mb`` (tracemalloc peak of one call), ``energy_j_per_1k``
        (package energy per 1,000 predictions, NaN when not available), ``cost_per_million``
        (from ``cpu_hour_price``, NaN without it).
    energy_note : str
        Why energy is not available (empty when it is).
    samples : pandas.DataFrame
        Raw timings ``model, batch_size, run, latency_ms, cpu_ms`` (for the history).
    """

    blocks: pd.DataFrame = field(default_factory=pd.DataFrame)
    cost: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_COST_COLUMNS))
    energy_note: str = ""
    samples: pd.DataFrame = field(default_factory=pd.DataFrame)

    area = "history"
    title = "Paired latency comparison"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict; the raw per-call ``samples`` are left out (History keeps them).

        Returns
        -------
        dict
        """
        out = super().to_dict()
        out["samples"] = _jsonable(self.samples.iloc[:0])
        return out

    @property
    def regressed(self) -> bool:
        """Whether any batch size regressed beyond tolerance (the CI gate)."""
        return bool(self.frame["regressed"].any()) if len(self.frame) else False

    def describe(self, row: Any) -> str:
        """One-line description of a frame row."""
        return (f"median latency at batch size {int(row.batch_size)}: {fmt.number(row.reference_estimate)} -> "
                f"{fmt.number(row.estimate)} ms, {times(row.ratio)} ({conf_label(self.params)} CI "
                f"{fmt.interval(row.ratio_ci_low, row.ratio_ci_high, times)}, {int(row.n)} paired blocks "
                f"in {int(row.n_processes)} processes)")

    def findings(self) -> list[Finding]:
        """Return regressions (high), a busy machine (low), improvements and the cost (info).

        Returns
        -------
        list of Finding
        """
        out: list[Finding] = []
        keys = ("batch_size", "estimate", "reference_estimate", "ratio", "ratio_ci_low", "ratio_ci_high", "p_value",
                "tolerance", "cpu_ratio", "busy_share")
        for row in self.frame.itertuples(index=False):
            text, tol = self.describe(row), fmt.percent(row.tolerance, 0)
            evidence = {k: getattr(row, k) for k in keys}
            if row.regressed:
                out.append(Finding(self.area, "high", f"Regression: {text}, {fmt.p_value(row.p_value)}",
                                   f"The whole interval lies above the tolerance ({tol} slower), measured in the same "
                                   "job as the baseline. Investigate before merging.", evidence))
            elif row.ratio > 1 + row.tolerance:
                out.append(Finding(self.area, "low", f"Possible regression within noise: {text}",
                                   f"Slower by more than {tol} but the interval reaches below it; rerun with more "
                                   "blocks (--blocks) or processes to settle it.", evidence))
            elif np.isfinite(row.ratio_ci_high) and row.ratio_ci_high < 1 / (1 + row.tolerance):
                out.append(Finding(self.area, "info", f"Improvement: {text}", "Faster than the baseline.", evidence))
        out += self.busy_findings() + self.cost_findings()
        if not self.regressed:
            out.append(Finding(self.area, "info",
                               f"No latency regression beyond tolerance ({len(self.frame)} batch sizes)"))
        return rank_findings(out)

    def busy_findings(self) -> list[Finding]:
        """Return one low finding per batch size measured while the machine was busy.

        Returns
        -------
        list of Finding
        """
        out = []
        for row in self.frame[self.frame["widened"].astype(bool)].itertuples(index=False):
            out.append(Finding(
                self.area, "low",
                f"The machine was busy at batch size {int(row.batch_size)}: {fmt.percent(row.busy_share, 0)} of the "
                f"timed wall-clock went to waiting for a CPU (wall-clock ratio {fmt.number(row.ratio)}, CPU-time "
                f"ratio {fmt.number(row.cpu_ratio)})",
                f"Wall and CPU time disagree, so the interval was widened by the gap between the two ratios, from "
                f"+-{fmt.percent(row.interval_before)} to the one shown. Rerun on a quiet machine for a tighter "
                "verdict.",
                {"batch_size": int(row.batch_size), "busy_share": float(row.busy_share),
                 "cpu_ratio": float(row.cpu_ratio)}))
        return out

    def cost_findings(self) -> list[Finding]:
        """Return the cost of a prediction of each model (info): CPU-s and energy per 1k, peak memory.

        Returns
        -------
        list of Finding
        """
        out = []
        for row in self.cost.itertuples(index=False):
            energy = (f"{fmt.short_number(row.energy_j_per_1k)} J per 1k" if np.isfinite(row.energy_j_per_1k)
                      else f"energy not available ({self.energy_note})")
            price = (f", {fmt.short_number(row.cost_per_million)} per million predictions"
                     if np.isfinite(row.cost_per_million) else "")
            out.append(Finding(self.area, "info",
                               f"Cost of the {row.model} at batch size {int(row.batch_size)}: "
                               f"{fmt.short_number(row.cpu_s_per_1k)} CPU-s per 1k predictions, peak "
                               f"{fmt.short_number(row.peak_mb)} MB, {energy}{price}",
                               evidence={"model": row.model, "batch_size": int(row.batch_size)}))
        return out

    def headline(self) -> list[tuple[str, str]]:
        """Verdict, worst ratio with its interval, blocks and processes, busy share."""
        pairs = [("verdict", "REGRESSED" if self.regressed else "ok")]
        if self.frame["ratio"].notna().any():
            w = self.frame.loc[self.frame["ratio"].idxmax()]
            pairs += [("worst ratio", f"{times(w.ratio)} {fmt.interval(w.ratio_ci_low, w.ratio_ci_high, times)} "
                                      f"@ batch {int(w.batch_size)}"),
                      ("blocks", f"{int(w.n)} in {int(w.n_processes)} processes"),
                      ("busy", f"{fmt.percent(self.frame['busy_share'].max(), 0)} of wall-clock waiting")]
        return pairs

    def plot(self, *, ax: Any = None, show_blocks: bool = True, **kwargs: Any) -> Any:
        """Draw the slow-down (%) per batch size with its interval, every block's and the tolerance.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        show_blocks : bool, default=True
            Also draw every block's own slow-down (grey points).
        **kwargs
            Style of the estimates (``marker``, ``markersize``, ``color`` overrides red/blue, ...).

        Returns
        -------
        matplotlib.axes.Axes
        """
        style = validate_style_kwargs({}, kwargs)
        ax = get_ax(ax, figsize=(6.4, 3.2))
        title = "Paired latency: regression when the interval lies right of the dashed line"
        if self.frame.empty:
            return empty_panel(ax, "no batch size was timed", title=title)
        for y, row in enumerate(self.frame.itertuples(index=False)):
            if show_blocks:
                g = self.blocks[self.blocks["batch_size"] == row.batch_size]
                pct = 100 * (g["wall_b"] / g["wall_a"] - 1)
                jitter = np.linspace(-0.15, 0.15, len(pct)) if len(pct) > 1 else np.zeros(len(pct))
                ax.scatter(pct, y + jitter, color="grey", s=12, alpha=0.6)
            interval_bars(ax, [y], [100 * (row.ratio - 1)], [100 * (row.ratio_ci_low - 1)],
                          [100 * (row.ratio_ci_high - 1)], horizontal=True,
                          **{"color": "tab:red" if row.regressed else "tab:blue", **style})
            ax.axvline(100 * row.tolerance, color="tab:red", lw=0.8, ls="--")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(self.frame)), [f"batch {int(b)}" for b in self.frame["batch_size"]])
        ax.set_xlabel("candidate slower than baseline (%): blocks (grey), estimate and interval")
        ax.set_title(title)
        return ax

    def cost_lines(self, *, markdown: bool = False) -> list[str]:
        """Return the cost of a prediction per model and batch size as table lines (text or Markdown)."""
        rows = [["model", "batch", "CPU-s per 1k predictions", "peak MB", "energy J per 1k", "cost per million"]]
        for r in self.cost.itertuples(index=False):
            rows.append([str(r.model), str(int(r.batch_size)), fmt.short_number(r.cpu_s_per_1k),
                         fmt.short_number(r.peak_mb), fmt.short_number(r.energy_j_per_1k),
                         fmt.short_number(r.cost_per_million) if np.isfinite(r.cost_per_million)
                         else "n/a (no --cpu-hour-price)"])
        note = "" if self.cost["energy_j_per_1k"].notna().all() else f"Energy not available: {self.energy_note}."
        lines = text_table(rows, markdown=markdown)
        return [*lines, note] if note else lines

    def to_markdown(self) -> str:
        """Return a Markdown table of the latency rows and the cost (for a pull-request comment)."""
        rows = [["batch", "baseline ms", "candidate ms", "ratio", f"{conf_label(self.params)} CI", "busy", "verdict"]]
        for r in self.frame.itertuples(index=False):
            rows.append([str(int(r.batch_size)), fmt.number(r.reference_estimate), fmt.number(r.estimate),
                         times(r.ratio), fmt.interval(r.ratio_ci_low, r.ratio_ci_high, times) or fmt.NA,
                         fmt.percent(r.busy_share, 0), "REGRESSED" if r.regressed else "ok"])
        lines = [*text_table(rows, markdown=True), "", "Cost of a prediction:", "", *self.cost_lines(markdown=True)]
        return "\n".join(lines) + "\n"
