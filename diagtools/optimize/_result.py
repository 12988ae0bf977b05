"""OptimizationResult: every variant tried, its statistics, and the recommendation."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import p_value, percent, q_value, short_number, signed
from diagtools._metric_registry import metric_info
from diagtools._plotting import empty_panel, get_ax, interval_bars, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools.errors import DiagnosticInputError

__all__ = ["OptimizationResult"]



def _speed_text(ratio: float, lo: float, hi: float, batch: int, clock: str = "wall") -> str:
    """"31% faster (95% CI 28%-34%)" for a latency ratio variant / reference; "12x as fast" beyond
    2x, where percentages of a shrinking latency stop reading well (99% vs 99.5%)."""
    at = f"p50{' CPU time' if clock == 'cpu' else ''}, batch {batch}"
    if ratio <= 0.5:
        return f"{short_number(1 / ratio)}x as fast at {at} (95% CI {short_number(1 / hi)}x-{short_number(1 / lo)}x)"
    return f"{percent(1 - ratio, 0)} faster at {at} (95% CI {percent(1 - hi, 0)}-{percent(1 - lo, 0)})"


@dataclass(frozen=True)
class OptimizationResult(Result):
    """Variants of a model, how each was made, and whether one is faster with no detectable loss.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``variant, metric, batch_size, estimate, ci_low, ci_high, n``. Metrics:
        ``accuracy`` (Wilson interval) or ``r2``, ``agreement`` (share of predictions equal to
        the reference's), ``p50_ms``, ``p99_ms``, ``throughput_rps`` and ``cpu_s_per_1k``
        (CPU-seconds per 1,000 predictions) per batch size, ``size_mb`` (pickle).
    comparison : pandas.DataFrame
        Columns ``variant, metric, batch_size, estimate, ci_low, ci_high, n`` (the variant's value
        with its own interval), ``reference_estimate`` (the reference's), ``difference,
        difference_ci_low, difference_ci_high`` (quality rows), ``ratio, ratio_ci_low,
        ratio_ci_high`` (latency rows), ``p_value, p_two_sided, q_value, test``. For the primary
        metric ``difference`` is ``variant - reference`` with a score interval (Tango) and
        ``p_value`` is the one-sided **non-inferiority** p-value at ``margin``; ``p_two_sided`` is
        the exact McNemar p-value (the usual "is it different" test). Per-class ``recall[...]``:
        McNemar p-values with Benjamini-Hochberg q-values per variant. ``p50_ms`` / ``p99_ms``:
        ``ratio = variant / reference`` with a bootstrap interval (0.7 = 30% lower latency), of
        wall or CPU time as ``params["clock"]`` says.
    variants : pandas.DataFrame
        One row per candidate: ``variant, family, base, description, params, status, reason,
        fit_seconds, n_changed, n_changed_vs_base, smallest_margin, non_inferior, faster,
        recommended``. ``status`` is ``evaluated``,
        ``skipped`` (nothing to do, no converter, out of budget) or ``failed``; ``n_changed``
        counts the test rows whose prediction differs from the reference's, ``n_changed_vs_base``
        from the model the variant was derived from (for an ONNX export: from the original);
        ``smallest_margin`` is the smallest margin at which the variant would pass the
        non-inferiority test on these rows (the one-sided upper bound of its loss).
    reference : str
        Name of the reference (the model given).
    primary : str
        ``accuracy`` or ``r2``.
    recommended : str or None
        The variant to deploy, or None ("no faster variant found").
    notes : list of str
        How the data was used (training rows, honest split) and what profiling found.
    models : dict
        The fitted variants by name (not serialised; use :meth:`save`).
    """

    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    variants: pd.DataFrame = field(default_factory=pd.DataFrame)
    reference: str = "reference"
    primary: str = "accuracy"
    recommended: str | None = None
    notes: list[str] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    area: ClassVar[str] = "optimize"
    title: ClassVar[str] = "Optimisation: faster variants with no detectable loss"

    # -- access ----------------------------------------------------------------------------
    def model(self, name: str | None = None) -> Any:
        """The fitted variant ``name`` (the recommended one by default)."""
        name = self.recommended if name is None else name
        if name is None or name not in self.models:
            raise DiagnosticInputError(
                f"name: no fitted variant {name!r}. Available: {sorted(self.models)}"
                + ("; no variant was recommended, pass a name." if self.recommended is None else ".")
            )
        return self.models[name]

    def save(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        """Save a variant: ``.onnx`` for runtime variants, ``.skops`` for scikit-learn ones.

        Parameters
        ----------
        path : str or path-like
            Destination file (``.onnx`` or ``.skops``), written atomically.
        name : str, optional
            Variant to save; the recommended one by default.
        """
        from diagtools.io import save_model
        from diagtools.optimize._onnx import OnnxModel

        model = self.model(name)
        if str(path).lower().endswith(".onnx"):
            if not isinstance(model, OnnxModel):
                raise DiagnosticInputError(f"path: {name or self.recommended!r} is not an ONNX variant; save it as "
                                           "'.skops' instead.")
            model.save(path)
            return
        if isinstance(model, OnnxModel):
            raise DiagnosticInputError("path: an ONNX variant is saved as '.onnx' (load it with onnxruntime).")
        save_model(model, path)

    def recipe(self, name: str | None = None) -> dict[str, Any]:
        """How a variant was made: family, base, description and exact parameters."""
        name = self.recommended if name is None else name
        row = self.variants[self.variants["variant"] == name]
        if not len(row):
            raise DiagnosticInputError(f"name: no variant {name!r}. Variants: {self.variants['variant'].tolist()}")
        r = row.iloc[0]
        return {"variant": name, "family": r["family"], "base": r["base"], "description": r["description"],
                "params": r["params"]}

    def _cmp(self, variant: str, metric: str, batch_size: float | None = None) -> pd.Series | None:
        c = self.comparison
        f = c[(c["variant"] == variant) & (c["metric"] == metric)]
        if batch_size is not None:
            f = f[f["batch_size"] == batch_size]
        return f.iloc[0] if len(f) else None

    @property
    def _batches(self) -> list[float]:
        return sorted(self.frame["batch_size"].dropna().unique().tolist())

    def speedup(self, variant: str, *, statistic: str = "p50", batch_size: int | None = None) -> float:
        """Reference latency over the variant's (1.5 = 50% more calls per second)."""
        b = self._batches[0] if batch_size is None else batch_size
        row = self._cmp(variant, f"{statistic}_ms", b)
        return float("nan") if row is None else float(1.0 / row["ratio"])

    @property
    def _in_points(self) -> bool:
        """Whether changes of the primary metric read as percentage points (a rate, per the registry)."""
        return metric_info(self.primary).percent

    # -- conclusions -------------------------------------------------------------------------
    def _quality_text(self, r: pd.Series) -> tuple[str, str]:
        points = self._in_points
        d, lo, hi = (signed(float(r[k]) + 0.0, as_percent=points)  # + 0.0: no "-0"
                     for k in ("difference", "difference_ci_low", "difference_ci_high"))
        margin = float(self.params.get("margin", 0.0))
        return (f"{self.primary} {d} (95% CI {lo} to {hi})",
                f"{short_number(margin * 100)} pt" if points else short_number(margin))

    def findings(self) -> list[Finding]:
        """The recommendation (or "no faster variant found"), near misses, ONNX disagreements."""
        out: list[Finding] = []
        alpha = float(self.params.get("alpha", 0.05))
        b0 = self._batches[0] if self._batches else 1.0
        evaluated = self.variants[self.variants["status"] == "evaluated"] if len(self.variants) else self.variants
        for _, v in evaluated.iterrows():
            name = str(v["variant"])
            q, lat = self._cmp(name, self.primary), self._cmp(name, "p50_ms", b0)
            if q is None or lat is None:
                continue
            change, margin = self._quality_text(q)
            ratio, lo, hi = lat["ratio"], lat["ratio_ci_low"], lat["ratio_ci_high"]
            speed = _speed_text(ratio, lo, hi, int(b0), str(self.params.get("clock", "wall")))
            if name == self.recommended:
                what = str(v["description"])
                if v["base"] != self.reference:  # a derived variant: say the whole recipe
                    base = self.variants[self.variants["variant"] == v["base"]]
                    if len(base):
                        what = f"{base['description'].iloc[0]}, then {what}"
                out.append(Finding(
                    "optimize", "medium",
                    f"Recommended: {what}; {speed}, {change}, non-inferior at {margin} ({p_value(q['p_value'])})",
                    f"Variant '{name}' ({v['family']}). Save it with result.save(path); verify it under load "
                    "(load_test) and with deployment_sweep before switching.",
                    {"variant": name, "latency_ratio": float(ratio), "metric_change": float(q["difference"]),
                     "p_noninferiority": float(q["p_value"]), "p_two_sided": float(q["p_two_sided"])},
                ))
            elif hi < 1 and not q["p_value"] < alpha:
                smallest = float(v["smallest_margin"])
                out.append(Finding(
                    "optimize", "low",
                    f"Variant '{name}' is {speed} but its loss cannot be ruled out: {change}, not non-inferior at "
                    f"{margin} ({p_value(q['p_value'])}; two-sided {p_value(q['p_two_sided'])})",
                    "A difference that is not significant is not evidence of no loss. These rows support a margin "
                    f"of {short_number(smallest * 100) + ' pt' if self._in_points else short_number(smallest)} "
                    "at best; more test rows or a larger margin would be needed to accept it.",
                    {"variant": name, "p_noninferiority": float(q["p_value"]), "p_two_sided": float(q["p_two_sided"])},
                ))
            c = self.comparison
            per = c[(c["variant"] == name) & c["metric"].str.startswith("recall[") & (c["q_value"] < alpha)
                    & (c["difference"] < 0)]
            for _, r in per.iterrows():
                out.append(Finding(
                    "optimize", "medium" if name == self.recommended else "low",
                    f"Variant '{name}': {r['metric']} drops {short_number(abs(r['difference']) * 100)} pt "
                    f"({percent(r['reference_estimate'])} -> {percent(r['estimate'])}), {q_value(r['q_value'])}",
                    "The overall figure hides a class that loses; check it before switching.",
                    {"variant": name, "metric": str(r["metric"])},
                ))
            if v["family"] == "runtime" and v["n_changed_vs_base"] > 0:
                out.append(Finding(
                    "optimize", "low",
                    f"ONNX variant '{name}': {int(v['n_changed_vs_base'])} of {self.n_samples:,} test predictions differ "
                    f"from the model it was exported from ({v['base']})",
                    "Float32 arithmetic and the ONNX tokenizer can change borderline predictions; the accuracy test "
                    "above already counts them.", {"variant": name, "n_changed": int(v["n_changed_vs_base"])},
                ))
        if self.recommended is None:
            n_eval = len(evaluated)
            out.append(Finding(
                "optimize", "info",
                f"No faster variant found: none of the {n_eval} variants evaluated is both significantly faster "
                f"and non-inferior at the margin",
                "The model is already as cheap as these generators can make it (see the variants table for what "
                "was tried and why some were skipped).", {"n_evaluated": n_eval},
            ))
        return rank_findings(out)

    def headline(self) -> list[tuple[str, str]]:
        """Recommended variant, its speed-up and quality change."""
        n_eval = int((self.variants["status"] == "evaluated").sum()) if len(self.variants) else 0
        out = [("variants evaluated", str(n_eval)), ("recommended", self.recommended or "none")]
        if self.recommended is not None:
            q = self._cmp(self.recommended, self.primary)
            out.append(("speed-up (p50)", f"{short_number(self.speedup(self.recommended))}x"))
            if q is not None:
                out.append((f"{self.primary} change", self._quality_text(q)[0].split(" ", 1)[1]))
        return out

    def _repr_html_(self) -> str:
        """Headline, findings, how the data was used, and the variants table (not the long frame)."""
        from diagtools._html import findings_html, frame_html
        from diagtools._result import escape

        headline = " · ".join(f"<strong>{escape(k)}</strong> {escape(v)}" for k, v in self.headline())
        table = self.table()
        shown = table[table["status"] == "evaluated"].drop(columns=["status", "reason"])
        skipped = table[table["status"] != "evaluated"]
        skipped_html = "".join(f"<li>{escape(r['variant'])}: {escape(r['status'])} ({escape(r['reason'])})</li>"
                               for _, r in skipped.iterrows())
        return "".join([
            f"<div class='dt-result'><h4>{escape(self.title)}</h4><p>{headline}</p>",
            findings_html(self.findings()),
            "".join(f"<p><small>{escape(n)}</small></p>" for n in self.notes),
            frame_html(shown, max_rows=20),
            f"<details><summary>{len(skipped)} variant(s) not evaluated</summary><ul>{skipped_html}</ul></details>"
            if len(skipped) else "",
            "</div>",
        ])

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (the fitted models are left out; see :meth:`save`)."""
        out = super().to_dict()
        out.pop("models", None)
        return out

    # -- views -------------------------------------------------------------------------------
    def plot(self, *, ax: Any = None, title: str | None = None, **kwargs: Any) -> Any:
        """Speed-up against quality change per variant, intervals on both axes, margin drawn.

        A variant is recommendable in the upper right: right of 1x (faster) with its whole
        quality interval above the dashed margin line.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        title : str, optional
            Replaces the default title.
        **kwargs
            Style of the variants' points (``markersize``, ``alpha``, ...), checked by
            :func:`diagtools._plotting.validate_style_kwargs`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        style = validate_style_kwargs({}, kwargs)
        ax = get_ax(ax)
        title = title or "Variants: speed-up vs quality change (bars: 95% CI; star: recommended)"
        names = self.variants[self.variants["status"] == "evaluated"]["variant"].tolist() if len(self.variants) else []
        if not names or not self._batches:
            return empty_panel(ax, "no variant was evaluated", title=title)
        b0 = self._batches[0]
        scale = 100.0 if self._in_points else 1.0
        for i, name in enumerate(names):
            q, lat = self._cmp(name, self.primary), self._cmp(name, "p50_ms", b0)
            if q is None or lat is None:
                continue
            # speed-up = 1 / ratio: the ratio's upper end is the speed-up's lower end
            x, xlo, xhi = 1.0 / lat["ratio"], 1.0 / lat["ratio_ci_high"], 1.0 / lat["ratio_ci_low"]
            y, ylo, yhi = (q[k] * scale for k in ("difference", "difference_ci_low", "difference_ci_high"))
            star = name == self.recommended
            point = {"color": f"C{i % 10}", "marker": "*" if star else "o", "markersize": 13 if star else 6, **style}
            interval_bars(ax, [y], [x], [xlo], [xhi], horizontal=True, **{"label": name, **point})
            interval_bars(ax, [x], [y], [ylo], [yhi], **point)
        ax.axvline(1.0, color="grey", lw=1)
        ax.axhline(0.0, color="grey", lw=1)
        ax.axhline(-float(self.params.get("margin", 0.0)) * scale, color="C3", ls="--", lw=1,
                   label="non-inferiority margin")
        ax.set_xscale("log")
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{short_number(v)}x"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.set_xlabel(f"speed-up of p50 latency at batch {int(b0)} (log; right = faster)")
        ax.set_ylabel(f"{self.primary} change vs reference" + (" (pt)" if scale == 100 else ""))
        ax.set_title(title)
        ax.legend(fontsize="x-small", loc="best")
        return ax

    def table(self) -> pd.DataFrame:
        """One row per variant: speed-ups (wall p50 per batch size, and CPU time at the first
        batch size), quality change, both tests, size, CPU-seconds per 1k predictions (at the
        largest batch size), the recommendation and any reason it was skipped."""
        rows = []
        b = self._batches
        for _, v in self.variants.iterrows():
            name = v["variant"]
            q = self._cmp(name, self.primary)
            row = {"variant": name, "family": v["family"], "status": v["status"]}
            for bs in b:
                row[f"speedup_p50_b{int(bs)}"] = self.speedup(name, batch_size=bs) if v["status"] == "evaluated" else np.nan
            row[f"{self.primary}_change"] = np.nan if q is None else q["difference"]
            row["p_noninferiority"] = np.nan if q is None else q["p_value"]
            row["p_two_sided"] = np.nan if q is None else q["p_two_sided"]
            size = self.frame[(self.frame["variant"] == name) & (self.frame["metric"] == "size_mb")]["estimate"]
            row["size_mb"] = float(size.iloc[0]) if len(size) else np.nan
            cpu = self.frame[(self.frame["variant"] == name) & (self.frame["metric"] == "cpu_s_per_1k")]
            row["cpu_s_per_1k"] = float(cpu["estimate"].iloc[-1]) if len(cpu) else np.nan
            # CPU time is immune to other processes taking the core: a check on the wall-clock speed-up.
            ref_cpu = self.frame[(self.frame["variant"] == self.reference) & (self.frame["metric"] == "cpu_s_per_1k")]
            row[f"cpu_speedup_b{int(b[0])}"] = (float(ref_cpu["estimate"].iloc[0] / cpu["estimate"].iloc[0])
                                                if len(cpu) and len(ref_cpu) else np.nan)
            row["recommended"] = bool(v["recommended"])
            row["reason"] = v["reason"]
            rows.append(row)
        return pd.DataFrame(rows)
