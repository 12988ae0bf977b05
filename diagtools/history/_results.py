"""Result types of the history area: ``RunComparison`` and ``Trend``.

Both follow the comparison schema of ``docs/design.md``: ``estimate`` is the candidate's own
value with its own interval, ``reference_estimate`` the baseline's, and the comparison is a
named statistic with its own interval: ``difference`` for a metric, ``ratio`` (candidate /
baseline median) for a latency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagtools import _format as fmt
from diagtools._metric_registry import higher_is_better, metric_info
from diagtools._plotting import empty_panel, get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings

__all__ = ["RunComparison", "Trend"]


def times(value: Any) -> str:
    """A ratio as ``1.300x`` (``n/a`` when missing)."""
    text = fmt.number(value)
    return text if text == fmt.NA else f"{text}x"


def p_cell(p: Any) -> str:
    """A p-value for a table cell: ``<0.001``, ``0.012`` or ``n/a``."""
    return fmt.p_value(p).removeprefix("p=").removeprefix("p").strip()


def conf_label(params: dict[str, Any]) -> str:
    """``"95%"`` for the result's confidence level."""
    return f"{round(100 * float(params.get('confidence', 0.95)))}%"


def text_table(rows: list[list[str]], *, markdown: bool = False) -> list[str]:
    """Lay out ``rows`` (the first is the header) as aligned text or as a Markdown table."""
    if markdown:  # cells are escaped by the caller
        lines = ["| " + " | ".join(map(str, rows[0])) + " |", "|" + "---|" * len(rows[0])]
        return lines + ["| " + " | ".join(map(str, r)) + " |" for r in rows[1:]]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def _run_label(run: dict[str, Any]) -> str:
    commit = (run.get("git_commit") or "")[:8]
    return f"run {run.get('run_id')} ({run.get('name')}{', ' + commit if commit else ''})"


def _signed_for(metric: str) -> Any:
    as_percent = metric_info(metric).percent
    return lambda v: fmt.signed(v, as_percent=as_percent)


@dataclass(frozen=True)
class RunComparison(Result):
    """A candidate benchmark run compared with a baseline run.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per metric and per latency batch size, columns:
        ``kind`` ("metric" or "latency"), ``metric``, ``batch_size`` (NaN for metrics),
        ``estimate`` (the candidate's value; its median ms for latency) with ``ci_low,
        ci_high`` (the candidate's own interval; NaN for a paired latency row), ``n`` (the
        smaller of the two runs' rows, timed calls or paired blocks), ``reference_estimate``
        (the baseline's value), ``difference, difference_ci_low, difference_ci_high``
        (candidate - baseline, metric rows; NaN for latency), ``ratio, ratio_ci_low,
        ratio_ci_high`` (candidate / baseline median, latency rows; NaN for metrics),
        ``p_value`` (one-sided, of "no worsening beyond tolerance"), ``tolerance``,
        ``method`` ("paired_bootstrap", "interval_test", "ratio_of_medians+run_spread",
        "paired_blocks"), ``regressed``.
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
        conf = conf_label(self.params)
        if row.kind == "latency":
            return (f"median latency at batch size {int(row.batch_size)}: {fmt.number(row.reference_estimate)} -> "
                    f"{fmt.number(row.estimate)} ms, {times(row.ratio)} "
                    f"({conf} CI {fmt.interval(row.ratio_ci_low, row.ratio_ci_high, times)})")
        signed = _signed_for(row.metric)
        return (f"{row.metric}: {fmt.metric_value(row.metric, row.reference_estimate)} -> "
                f"{fmt.metric_value(row.metric, row.estimate)}, change {signed(row.difference)} "
                f"({conf} CI {fmt.interval(row.difference_ci_low, row.difference_ci_high, signed)})")

    def _worsening(self, row: Any) -> tuple[float, str]:
        """How much worse the candidate is (relative for latency, absolute for metrics) and the tolerance text."""
        if row.kind == "latency":
            return row.ratio - 1.0, fmt.percent(row.tolerance, 0)
        return (-row.difference if higher_is_better(row.metric) else row.difference), f"{row.tolerance:g}"

    def findings(self) -> list[Finding]:
        """Return the regressions (high), worsenings within noise (low) and improvements (info).

        Returns
        -------
        list of Finding
        """
        out = self._row_findings() + self._context_findings()
        if self.latency_detail is not None:
            out += self.latency_detail.busy_findings() + self.latency_detail.cost_findings()
        if not self.regressed:
            out.append(Finding(self.area, "info",
                               f"No significant regression beyond tolerance ({len(self.frame)} comparisons)"))
        return rank_findings(out)

    def _row_findings(self) -> list[Finding]:
        out: list[Finding] = []
        keys = [c for c in self.frame.columns if c not in ("kind", "n", "regressed")]
        for row in self.frame.itertuples(index=False):
            change, tol_text = self._worsening(row)
            if not np.isfinite(change):
                continue
            evidence = {k: getattr(row, k) for k in keys}
            text, test = self._describe(row), fmt.p_value(row.p_value)
            if row.regressed:
                out.append(Finding(self.area, "high", f"Regression: {text}, {test}",
                                   f"Worse than the baseline by more than the tolerance ({tol_text}), and the "
                                   f"difference is significant ({row.method}). Investigate before merging.", evidence))
            elif change > row.tolerance:
                out.append(Finding(self.area, "low", f"Possible regression within noise: {text}, {test}",
                                   f"Worse by more than the tolerance ({tol_text}) but not significantly; rerun with more "
                                   "samples to settle it.", evidence))
            elif -change > row.tolerance and np.isfinite(row.p_value) and row.p_value > 0.5:
                out.append(Finding(self.area, "info", f"Improvement: {text}", "Better than the baseline.", evidence))
        return out

    def _context_findings(self) -> list[Finding]:
        """Same model, different environments, a stored latency baseline, an unpaired metric test."""
        from diagtools.history._compare import environment_differences

        out: list[Finding] = []
        if self.baseline.get("model_fingerprint") and self.baseline.get("model_fingerprint") == self.candidate.get(
            "model_fingerprint"
        ):
            out.append(Finding(self.area, "info", "Same model in both runs (equal model fingerprints)",
                               "Differences come from the code, the data or the machine, not from the model."))
        env_a, env_b = self.baseline.get("environment") or {}, self.candidate.get("environment") or {}
        diffs = self.params.get("environment_differences")
        if diffs is None:
            diffs = environment_differences(env_a, env_b)
        hashes_differ = env_a.get("hash") and env_b.get("hash") and env_a["hash"] != env_b["hash"]
        if (self.frame["kind"] == "latency").any() and (diffs or (hashes_differ and "cpu_model" not in env_a)):
            shown = "; ".join(diffs[:6]) or "environment hashes differ"
            out.append(Finding(self.area, "medium", f"Runs measured on different environments: {shown}",
                               "Latency changes may come from the machine or the libraries, not from the change "
                               "under test. Bench both models in one job (diagtools bench --baseline-model) to "
                               "compare them on the same machine.", {"differences": list(diffs)}))
        if (self.frame["method"] == "ratio_of_medians+run_spread").any():
            spread = self.params.get("run_spread")
            values = [float(v) for v in (spread.values() if isinstance(spread, dict) else [spread]) if v is not None]
            text = fmt.percent(max(values), 0) if values else "the default"
            out.append(Finding(self.area, "info",
                               f"Latency compared with a stored baseline: the interval includes a run-to-run spread "
                               f"of {text}",
                               "Runs taken at different times differ by more than their own samples show. For a "
                               "tight latency gate, bench both models in one job (diagtools bench --baseline-model)."))
        if not self.paired and (self.frame["kind"] == "metric").any():
            out.append(Finding(self.area, "info", "Metrics compared by an interval test (different data)",
                               "The runs did not share a data fingerprint with stored predictions, so the less "
                               "sensitive test on the two stored intervals was used."))
        return out

    def headline(self) -> list[tuple[str, str]]:
        """Return the verdict, the runs compared and the worst latency ratio."""
        pairs = [
            ("verdict", "REGRESSED" if self.regressed else "ok"),
            ("baseline", _run_label(self.baseline)),
            ("candidate", _run_label(self.candidate)),
            ("regressions", f"{int(self.frame['regressed'].sum())} of {len(self.frame)}"),
        ]
        lat = self.frame[(self.frame["kind"] == "latency") & self.frame["ratio"].notna()]
        if len(lat):
            worst = lat.loc[lat["ratio"].idxmax()]
            pairs.append(("worst latency ratio", f"{times(worst.ratio)} "
                          f"{fmt.interval(worst.ratio_ci_low, worst.ratio_ci_high, times)} @ batch "
                          f"{int(worst.batch_size)}"))
        return pairs

    # -- showing ----------------------------------------------------------------------
    def relative_changes(self) -> pd.DataFrame:
        """Every comparison as a change in percent: metric points (difference x 100), latency % change.

        Returns
        -------
        pandas.DataFrame
            ``label, estimate, ci_low, ci_high`` (one row per frame row, in its order).
        """
        frame = self.frame
        lat = (frame["kind"] == "latency").to_numpy()
        out = {"label": [f"latency @ batch {int(b)} (% change)" if is_lat else f"{m} (points)"
                         for m, b, is_lat in zip(frame["metric"], frame["batch_size"], lat, strict=True)]}
        for col in ("", "_ci_low", "_ci_high"):
            change = np.where(lat, frame[f"ratio{col}"].to_numpy(float) - 1.0, frame[f"difference{col}"].to_numpy(float))
            out[col.removeprefix("_") or "estimate"] = 100.0 * change
        return pd.DataFrame(out)

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw every comparison as a relative change with its interval; regressions in red.

        Metrics show the change in percentage points (x100), latency the percent change of the
        median (:meth:`relative_changes`).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the points (``marker``, ``markersize``, ``color`` overrides red/blue, ...).

        Returns
        -------
        matplotlib.axes.Axes
        """
        style = validate_style_kwargs({}, kwargs)
        ax = get_ax(ax, figsize=(6.4, max(2.0, 0.45 * len(self.frame) + 1.2)))
        title = f"{_run_label(self.candidate)} vs {_run_label(self.baseline)}"
        if self.frame.empty:
            return empty_panel(ax, "no metric or batch size was stored in both runs", title=title)
        changes = self.relative_changes()
        y = np.arange(len(changes))
        bad = self.frame["regressed"].to_numpy(bool)
        for mask, color in ((~bad, "tab:blue"), (bad, "tab:red")):
            if mask.any():
                part = changes[mask]
                interval_bars(ax, y[mask], part["estimate"], part["ci_low"], part["ci_high"], horizontal=True,
                              **{"color": color, **style})
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, changes["label"])
        ax.invert_yaxis()
        ax.set_xlabel("candidate vs baseline (red: significant regression beyond tolerance)")
        ax.set_title(title)
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
            *text_table(self._table()),
        ]
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
        lines = [
            f"### Benchmark comparison: {icon}",
            "",
            f"Candidate {_md(_run_label(self.candidate))} vs baseline {_md(_run_label(self.baseline))}; "
            f"metric tolerance {self.params.get('metric_tolerance')}, latency tolerance "
            f"{fmt.percent(self.params.get('latency_tolerance', 0), 0)}, alpha {self.params.get('alpha')}.",
            "",
            *text_table([[_md(c) for c in r] for r in self._table()], markdown=True),
        ]
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
        rows = [["", "what", "baseline", "candidate", "change", f"{conf_label(self.params)} CI", "p", "method"]]
        for row in self.frame.itertuples(index=False):
            if row.kind == "latency":
                what = f"latency_ms @ batch {int(row.batch_size)} (median)"
                base, cand = fmt.number(row.reference_estimate), fmt.number(row.estimate)
                change, ci = times(row.ratio), fmt.interval(row.ratio_ci_low, row.ratio_ci_high, times)
            else:
                what, signed = str(row.metric), _signed_for(row.metric)
                base, cand = (fmt.metric_value(row.metric, v) for v in (row.reference_estimate, row.estimate))
                change = signed(row.difference)
                ci = fmt.interval(row.difference_ci_low, row.difference_ci_high, signed)
            rows.append(["REGRESSED" if row.regressed else "ok", what, base, cand, change, ci or fmt.NA,
                         p_cell(row.p_value), str(row.method)])
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
        ``run_id, created_at, name, metric, batch_size, estimate, ci_low, ci_high, n`` (the run's
        stored value and interval), ``reference_estimate`` (the previous run of the same name
        and batch size; NaN for a series' first run), the change from it with its interval:
        ``ratio, ratio_ci_low, ratio_ci_high`` for ``latency_ms`` (with the series' run-to-run
        spread), ``difference, difference_ci_low, difference_ci_high`` for every other metric,
        ``p_value`` (one-sided, of "no worsening beyond the tolerance") and ``regressed``.
    """

    area = "history"
    title = "Benchmark trend"

    def findings(self) -> list[Finding]:
        """Return one high finding per run that regressed from the previous run of its series.

        Returns
        -------
        list of Finding
        """
        metric = str(self.params.get("metric", "metric"))
        out = []
        frame = self.frame
        change = times if "ratio" in frame.columns else _signed_for(metric)
        for row in frame[frame["regressed"]].itertuples(index=False):
            where = f" @ batch {int(row.batch_size)}" if np.isfinite(row.batch_size) else ""
            step = row.ratio if "ratio" in frame.columns else row.difference
            out.append(Finding(
                self.area, "high",
                f"Run {int(row.run_id)} ({row.name}): {metric}{where} {fmt.number(row.reference_estimate)} -> "
                f"{fmt.number(row.estimate)} (95% CI {fmt.interval(row.ci_low, row.ci_high)}), change "
                f"{change(step)}, {fmt.p_value(row.p_value)}",
                "Worse than the previous run of the same series beyond the tolerance.",
                {"run_id": int(row.run_id), "estimate": float(row.estimate),
                 "reference_estimate": float(row.reference_estimate)},
            ))
        if not out:
            out.append(Finding(self.area, "info", f"No run-to-run regression of {metric} across {len(frame)} runs"))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Return the metric, the number of runs and of regressions, and the latest value."""
        pairs = [("metric", str(self.params.get("metric"))), ("runs", str(self.frame["run_id"].nunique())),
                 ("regressions", str(int(self.frame["regressed"].sum())))]
        if len(self.frame):
            last = self.frame.iloc[-1]
            pairs.append(("latest", f"{fmt.number(last['estimate'])} {fmt.interval(last['ci_low'], last['ci_high'])}"))
        return pairs

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the estimate of every run with its interval, one line per series; regressions circled in red.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Style of the lines and points (``linestyle``, ``marker``, ``alpha``, ...).

        Returns
        -------
        matplotlib.axes.Axes
        """
        from matplotlib.ticker import MaxNLocator

        style = validate_style_kwargs({"linestyle": "-"}, kwargs)
        ax = get_ax(ax, figsize=(7.5, 4.0))
        frame, metric = self.frame, str(self.params.get("metric"))
        title = f"{metric} across runs (95% intervals)"
        if frame.empty:
            return empty_panel(ax, f"no stored run has {metric}", title=title)
        groups = frame.groupby(["name", frame["batch_size"].fillna(-1)], sort=False)
        for i, ((name, batch), group) in enumerate(groups):
            label = str(name) + (f" @ batch {int(batch)}" if batch >= 0 else "")
            interval_bars(ax, group["run_id"], group["estimate"], group["ci_low"], group["ci_high"],
                          **{"color": f"C{i % 10}", "label": label, **style})
        bad = frame[frame["regressed"]]
        if len(bad):
            ax.scatter(bad["run_id"], bad["estimate"], s=160, facecolors="none", edgecolors="tab:red", linewidths=2,
                       zorder=4, label="regression")
        ax.set_xlabel("run id")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric + (" (median)" if metric == "latency_ms" else ""))
        ax.set_title(title)
        ax.legend(fontsize="small")
        return ax
