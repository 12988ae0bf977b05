"""Result types of the history area: ``RunComparison`` and ``Trend``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools._plotting import get_ax
from diagtools._result import Finding, Result, rank_findings

__all__ = ["RunComparison", "Trend"]


def _p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "p=n/a"
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _run_label(run: dict[str, Any]) -> str:
    commit = (run.get("git_commit") or "")[:8]
    return f"run {run.get('run_id')} ({run.get('name')}{', ' + commit if commit else ''})"


@dataclass(frozen=True)
class RunComparison(Result):
    """A candidate benchmark run compared with a baseline run.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per metric and per latency batch size, columns:
        ``kind`` ("metric" or "latency"), ``metric``, ``batch_size`` (NaN for metrics),
        ``baseline``, ``candidate`` (the two values; median ms for latency),
        ``estimate`` (candidate - baseline for metrics; candidate / baseline median for
        latency), ``ci_low``, ``ci_high`` (interval of ``estimate``), ``n``, ``p_value``
        (one-sided, of "no worsening beyond tolerance"), ``tolerance``, ``method``
        ("paired_bootstrap", "interval_test", "bootstrap_ratio_of_medians"), ``regressed``.
    baseline, candidate : dict
        Identifying fields of the two runs (id, name, fingerprints, git commit, environment).
    paired : bool
        Whether metrics were compared row by row on the same data.
    regressed : bool
        Whether any row regressed beyond its tolerance, significantly: the CI gate.
    latency_detail : PairedLatency or None
        When both models were timed in the same job (:meth:`History.compare_models`), the
        paired measurement behind the latency rows (method "paired_blocks"): blocks, busy
        machine, cost of a prediction.
    """

    baseline: dict[str, Any] = field(default_factory=dict)
    candidate: dict[str, Any] = field(default_factory=dict)
    paired: bool = False
    regressed: bool = False
    latency_detail: Any = None

    area = "history"
    title = "Benchmark comparison"

    # -- conclusions ------------------------------------------------------------------
    def _describe(self, row: Any) -> str:
        conf = round(100 * self.params.get("confidence", 0.95))
        if row.kind == "latency":
            return (
                f"median latency at batch size {int(row.batch_size)}: {row.baseline:.3g} -> {row.candidate:.3g} ms, "
                f"{row.estimate:.2f}x (95% CI {row.ci_low:.2f}-{row.ci_high:.2f})".replace("95%", f"{conf}%")
            )
        return (
            f"{row.metric}: {row.baseline:.4g} -> {row.candidate:.4g}, change {row.estimate:+.4f} "
            f"({conf}% CI {row.ci_low:+.4f} to {row.ci_high:+.4f})"
        )

    def findings(self) -> list[Finding]:
        """Return the regressions (high), worsenings within noise (low) and improvements (info).

        Returns
        -------
        list of Finding
        """
        from diagtools.history._compare import higher_is_better

        out: list[Finding] = []
        for row in self.frame.itertuples(index=False):
            if not np.isfinite(row.estimate):
                continue
            if row.kind == "latency":
                change = row.estimate - 1.0
                tol_text = f"{100 * row.tolerance:.0f}%"
            else:
                change = row.estimate if higher_is_better(row.metric) else -row.estimate
                change = -change
                tol_text = f"{row.tolerance:g}"
            worse = change > 0
            evidence = {k: getattr(row, k) for k in ("metric", "batch_size", "baseline", "candidate", "estimate",
                                                      "ci_low", "ci_high", "p_value", "tolerance", "method")}
            text = self._describe(row)
            if row.regressed:
                out.append(Finding(self.area, "high", f"Regression: {text}, {_p(row.p_value)}",
                                   f"Worse than the baseline by more than the tolerance ({tol_text}), and the "
                                   f"difference is significant ({row.method}). Investigate before merging.", evidence))
            elif worse and abs(change) > row.tolerance:
                out.append(Finding(self.area, "low", f"Possible regression within noise: {text}, {_p(row.p_value)}",
                                   f"Worse by more than the tolerance ({tol_text}) but not significantly; rerun with more "
                                   "samples to settle it.", evidence))
            elif not worse and abs(change) > row.tolerance and np.isfinite(row.p_value) and row.p_value > 0.5:
                out.append(Finding(self.area, "info", f"Improvement: {text}", "Better than the baseline.", evidence))
        if self.baseline.get("model_fingerprint") and self.baseline.get("model_fingerprint") == self.candidate.get(
            "model_fingerprint"
        ):
            out.append(Finding(self.area, "info", "Same model in both runs (equal model fingerprints)",
                               "Differences come from the code, the data or the machine, not from the model."))
        from diagtools.history._compare import environment_differences

        has_latency = bool((self.frame["kind"] == "latency").any())
        diffs = self.params.get("environment_differences")
        if diffs is None:
            diffs = environment_differences(self.baseline.get("environment") or {},
                                            self.candidate.get("environment") or {})
        env_a = (self.baseline.get("environment") or {}).get("hash")
        env_b = (self.candidate.get("environment") or {}).get("hash")
        if has_latency and (diffs or (env_a and env_b and env_a != env_b and "cpu_model" not in
                                      (self.baseline.get("environment") or {}))):
            shown = "; ".join(diffs[:6]) or "environment hashes differ"
            out.append(Finding(self.area, "medium", f"Runs measured on different environments: {shown}",
                               "Latency changes may come from the machine or the libraries, not from the change "
                               "under test. Bench both models in one job (diagtools bench --baseline-model) to "
                               "compare them on the same machine.", {"differences": list(diffs)}))
        stored = self.frame[self.frame["method"] == "ratio_of_medians+run_spread"]
        if len(stored):
            spread = self.params.get("run_spread")
            values = list(spread.values()) if isinstance(spread, dict) else [spread]
            values = [float(v) for v in values if v is not None]
            text = f"{100 * max(values):.0f}%" if values else "the default"
            out.append(Finding(self.area, "info",
                               f"Latency compared with a stored baseline: the interval includes a run-to-run spread "
                               f"of {text}",
                               "Runs taken at different times differ by more than their own samples show. For a "
                               "tight latency gate, bench both models in one job (diagtools bench --baseline-model)."))
        if not self.paired and (self.frame["kind"] == "metric").any():
            out.append(Finding(self.area, "info", "Metrics compared by an interval test (different data)",
                               "The runs did not share a data fingerprint with stored predictions, so the less "
                               "sensitive test on the two stored intervals was used."))
        if self.latency_detail is not None:
            out += self.latency_detail.busy_findings() + self.latency_detail.cost_findings()
        if not self.regressed:
            out.append(Finding(self.area, "info",
                               f"No significant regression beyond tolerance ({len(self.frame)} comparisons)"))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Return the verdict, the runs compared and the worst latency ratio."""
        pairs = [
            ("verdict", "REGRESSED" if self.regressed else "ok"),
            ("baseline", _run_label(self.baseline)),
            ("candidate", _run_label(self.candidate)),
            ("regressions", f"{int(self.frame['regressed'].sum())} of {len(self.frame)}"),
        ]
        lat = self.frame[self.frame["kind"] == "latency"]
        if len(lat):
            worst = lat.loc[lat["estimate"].idxmax()]
            pairs.append(("worst latency ratio",
                          f"{worst.estimate:.2f}x [{worst.ci_low:.2f}, {worst.ci_high:.2f}] @ batch {int(worst.batch_size)}"))
        return pairs

    # -- showing ----------------------------------------------------------------------
    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw every comparison as a relative change with its interval; regressions in red.

        Metrics show the change in percentage points (x100), latency the percent change of the
        median.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Passed to ``ax.errorbar``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = get_ax(ax, figsize=(6.4, max(2.0, 0.45 * len(self.frame) + 1.2)))
        labels, est, low, high, colors = [], [], [], [], []
        for row in self.frame.itertuples(index=False):
            if row.kind == "latency":
                labels.append(f"latency @ batch {int(row.batch_size)} (% change)")
                scale, shift = 100.0, 1.0
            else:
                labels.append(f"{row.metric} (points)")
                scale, shift = 100.0, 0.0
            est.append(scale * (row.estimate - shift))
            low.append(scale * (row.ci_low - shift))
            high.append(scale * (row.ci_high - shift))
            colors.append("tab:red" if row.regressed else "tab:blue")
        y = np.arange(len(labels))
        kwargs.setdefault("fmt", "none")
        kwargs.setdefault("capsize", 3)
        if len(y):
            e, lo, hi = (np.nan_to_num(np.asarray(v, dtype=float)) for v in (est, low, high))
            for i, color in enumerate(colors):
                ax.errorbar(e[i], y[i], xerr=[[max(e[i] - lo[i], 0.0)], [max(hi[i] - e[i], 0.0)]], ecolor=color,
                            **kwargs)
            ax.scatter(e, y, c=colors, zorder=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlabel("candidate vs baseline (red: significant regression beyond tolerance)")
        ax.set_title(f"{_run_label(self.candidate)} vs {_run_label(self.baseline)}")
        return ax

    # -- text outputs -----------------------------------------------------------------
    def to_text(self) -> str:
        """Return a plain-text report (for a terminal or a CI log).

        Returns
        -------
        str
        """
        lines = [
            f"Benchmark comparison: {_run_label(self.candidate)} vs baseline {_run_label(self.baseline)}",
            f"Verdict: {'REGRESSED' if self.regressed else 'OK, no significant regression beyond tolerance'}",
            "",
        ]
        table = self._table()
        widths = [max(len(str(r[i])) for r in table) for i in range(len(table[0]))]
        for r in table:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        findings = [f for f in self.findings() if f.severity != "info"]
        if findings:
            lines += ["", "Findings:"] + [f"  [{f.severity}] {f.title}" for f in findings]
        if self.latency_detail is not None and len(self.latency_detail.cost):
            lines += ["", "Cost of a prediction (measured in the paired job):"]
            lines += [f"  {line}" for line in self.latency_detail.cost_lines()]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """Return a Markdown report for a pull-request comment.

        Returns
        -------
        str
        """
        icon = ":x: **Regression**" if self.regressed else ":white_check_mark: No significant regression"
        table = self._table()
        lines = [
            f"### Benchmark comparison: {icon}",
            "",
            f"Candidate {_md(_run_label(self.candidate))} vs baseline {_md(_run_label(self.baseline))}; "
            f"metric tolerance {self.params.get('metric_tolerance')}, latency tolerance "
            f"{100 * float(self.params.get('latency_tolerance', 0)):.0f}%, alpha {self.params.get('alpha')}.",
            "",
            "| " + " | ".join(table[0]) + " |",
            "|" + "|".join("---" for _ in table[0]) + "|",
        ]
        lines += ["| " + " | ".join(_md(c) for c in r) + " |" for r in table[1:]]
        findings = [f for f in self.findings() if f.severity != "info"]
        if findings:
            lines += ["", *(f"- **{f.severity}**: {_md(f.title)}" for f in findings)]
        if self.latency_detail is not None and len(self.latency_detail.cost):
            detail = self.latency_detail
            lines += ["", f"Latency measured in one job: both models interleaved in {detail.params.get('n_processes')} "
                      "fresh processes; a regression is a lower bound of the ratio above 1 + tolerance.", "",
                      "Cost of a prediction:", "", *(_md(x) if not x.startswith("|") else x
                                                     for x in detail.cost_lines(markdown=True))]
        return "\n".join(lines) + "\n"

    def _table(self) -> list[list[str]]:
        rows = [["", "what", "baseline", "candidate", "change", "95% CI", "p", "method"]]
        for row in self.frame.itertuples(index=False):
            if row.kind == "latency":
                what = f"latency_ms @ batch {int(row.batch_size)} (median)"
                change = f"{row.estimate:.2f}x"
                ci = f"[{row.ci_low:.2f}, {row.ci_high:.2f}]"
                base, cand = f"{row.baseline:.3g}", f"{row.candidate:.3g}"
            else:
                what = str(row.metric)
                change = f"{row.estimate:+.4f}"
                ci = f"[{row.ci_low:+.4f}, {row.ci_high:+.4f}]"
                base, cand = f"{row.baseline:.4f}", f"{row.candidate:.4f}"
            rows.append(["REGRESSED" if row.regressed else "ok", what, base, cand, change, ci,
                         _p(row.p_value).replace("p=", "").replace("p<", "<"), str(row.method)])
        return rows


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Trend(Result):
    """One metric (or median latency) across stored runs, with run-to-run regressions flagged.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per run (and batch size for latency), oldest first, columns:
        ``run_id, created_at, name, metric, batch_size, estimate, ci_low, ci_high, n, p_value,
        regressed``. ``p_value`` tests the worsening from the previous run of the same name
        (and batch size) beyond the tolerance, from the two stored intervals.
    """

    area = "history"
    title = "Benchmark trend"

    def findings(self) -> list[Finding]:
        """Return one high finding per run that regressed from the previous run of its series.

        Returns
        -------
        list of Finding
        """
        metric = self.params.get("metric", "metric")
        out = []
        frame = self.frame
        for i, row in frame[frame["regressed"]].iterrows():
            prev = frame.loc[: i - 1]
            prev = prev[(prev["name"] == row["name"]) & (prev["batch_size"].fillna(-1) == (row["batch_size"] if np.isfinite(row["batch_size"]) else -1))]
            before = prev.iloc[-1]["estimate"] if len(prev) else np.nan
            where = f" @ batch {int(row['batch_size'])}" if np.isfinite(row["batch_size"]) else ""
            out.append(Finding(
                "history", "high",
                f"Run {int(row['run_id'])} ({row['name']}): {metric}{where} {before:.4g} -> {row['estimate']:.4g} "
                f"(95% CI {row['ci_low']:.4g}-{row['ci_high']:.4g}), {_p(row['p_value'])}",
                "Worse than the previous run of the same series beyond the tolerance.",
                {"run_id": int(row["run_id"]), "estimate": float(row["estimate"]), "previous": float(before)},
            ))
        if not out:
            out.append(Finding("history", "info", f"No run-to-run regression of {metric} across {len(frame)} runs"))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Return the metric, the number of runs and of regressions, and the latest value."""
        last = self.frame.iloc[-1] if len(self.frame) else None
        pairs = [("metric", str(self.params.get("metric"))), ("runs", str(self.frame["run_id"].nunique())),
                 ("regressions", str(int(self.frame["regressed"].sum())))]
        if last is not None:
            pairs.append(("latest", f"{last['estimate']:.4g} [{last['ci_low']:.4g}, {last['ci_high']:.4g}]"))
        return pairs

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the estimate of every run with its interval, one line per series; regressions in red.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Passed to ``ax.errorbar``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = get_ax(ax, figsize=(7.5, 4.0))
        frame = self.frame
        kwargs.setdefault("marker", "o")
        kwargs.setdefault("capsize", 3)
        for (name, batch), group in frame.groupby(["name", frame["batch_size"].fillna(-1)], sort=False):
            label = str(name) + (f" @ batch {int(batch)}" if batch >= 0 else "")
            err = [np.clip(group["estimate"] - group["ci_low"], 0, None), np.clip(group["ci_high"] - group["estimate"], 0, None)]
            ax.errorbar(group["run_id"], group["estimate"], yerr=err, label=label, **kwargs)
        bad = frame[frame["regressed"]]
        if len(bad):
            ax.scatter(bad["run_id"], bad["estimate"], s=160, facecolors="none", edgecolors="tab:red", linewidths=2,
                       zorder=4, label="regression")
        ax.set_xlabel("run id")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        metric = str(self.params.get("metric"))
        ax.set_ylabel(metric + (" (median)" if metric == "latency_ms" else ""))
        ax.set_title(f"{metric} across runs (95% intervals)")
        if len(frame):
            ax.legend(fontsize="small")
        return ax


def _frame_to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict(orient="records")
