"""Results of the fit area's curves: learning curve and validation curve, and what they share.

Every curve keeps two tables: ``folds`` (one row per point x fold, the raw scikit-learn
scores) and ``frame`` (one row per point x split: mean score with a Student-t interval across
folds). Comparisons of training and validation scores follow the one comparison schema of
``docs/design.md``: ``estimate`` (training), ``reference_estimate`` (validation) and
``difference`` with its own interval, paired by fold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from diagtools._format import interval, number, plain_number, signed
from diagtools._metric_registry import metric_bounds
from diagtools._plotting import band, get_ax, validate_style_kwargs
from diagtools._result import Finding, Result, rank_findings
from diagtools._stats import t_interval
from diagtools.errors import DiagnosticInputError

TRAIN_COLOUR, VALIDATION_COLOUR = "#175cd3", "#b54708"
SUMMARY_COLUMNS = ["split", "estimate", "ci_low", "ci_high", "n"]
COMPARISON_COLUMNS = ["estimate", "ci_low", "ci_high", "n", "reference_estimate", "reference_ci_low",
                      "reference_ci_high", "difference", "difference_ci_low", "difference_ci_high"]
_SPLITS = (("train", TRAIN_COLOUR, "training score"), ("validation", VALIDATION_COLOUR, "validation score"))


def fold_interval(values: np.ndarray, confidence: float = 0.95,
                  bounds: tuple[float, float] = (-np.inf, np.inf)) -> tuple[float, float, float, int]:
    """Mean and Student-t interval across folds: ``(estimate, ci_low, ci_high, n)``.

    Folds share training rows, so this interval is a little optimistic (Bengio & Grandvalet,
    2004); it still shows which differences are within fold-to-fold noise. The interval is
    clipped to ``bounds``, the range of the score (``metric_bounds``: accuracy never above 1,
    R^2 never above 1), by the rule documented in ``diagtools._metric_registry``.

    Examples
    --------
    >>> est, lo, hi, n = fold_interval([0.9, 1.0, 1.0], bounds=(0.0, 1.0))
    >>> round(est, 3), hi, n
    (0.967, 1.0, 3)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(v.mean())
    lo, hi = t_interval(mean, v.var(ddof=1) if n > 1 else np.nan, n, confidence, bounds=bounds)
    return mean, float(lo), float(hi), n


def difference_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    """Range of a difference of two scores in ``bounds``: ``[a - b, b - a]``."""
    lo, hi = bounds
    return lo - hi, hi - lo


def short_param_name(name: str) -> str:
    """Drop scikit-learn's pipeline prefixes: ``"decisiontreeclassifier__max_depth"`` -> ``"max_depth"``.

    The full name stays in ``params``; plots, sliders and findings show the short one.
    """
    return str(name).rsplit("__", 1)[-1]


def with_interval(estimate: Any, low: Any, high: Any) -> str:
    """``0.912 [0.900, 0.930]``, or the estimate alone when the interval is missing."""
    span = interval(low, high)
    return f"{number(estimate)} {span}" if span else number(estimate)


def _per_group(folds: pd.DataFrame, keys: list[str], row: Any) -> pd.DataFrame:
    """Concatenate ``row(group)`` (a list of dicts) over the groups of ``folds`` by ``keys``, in order."""
    out = []
    for key, group in folds.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        out += [{**dict(zip(keys, key, strict=True)), **r} for r in row(group)]
    return pd.DataFrame(out)


def summarise_folds(folds: pd.DataFrame, keys: list[str], confidence: float, scoring: str) -> pd.DataFrame:
    """Mean training and validation score per group and split, with an interval across folds."""
    bounds = metric_bounds(scoring)

    def rows(group: pd.DataFrame) -> list[dict[str, Any]]:
        return [dict(zip(SUMMARY_COLUMNS, (split, *fold_interval(group[f"{split}_score"].to_numpy(), confidence, bounds)),
                         strict=True)) for split, _, _ in _SPLITS]

    return _per_group(folds, keys, rows).reindex(columns=keys + SUMMARY_COLUMNS)


def compare_folds(folds: pd.DataFrame, keys: list[str], confidence: float, scoring: str) -> pd.DataFrame:
    """Training (``estimate``) against validation (``reference_estimate``) score per group, paired by fold."""
    bounds = metric_bounds(scoring)

    def rows(group: pd.DataFrame) -> list[dict[str, Any]]:
        t, v = group["train_score"].to_numpy(float), group["validation_score"].to_numpy(float)
        return [comparison_row(fold_interval(t, confidence, bounds), fold_interval(v, confidence, bounds),
                               fold_interval(t - v, confidence, difference_bounds(bounds)))]

    return _per_group(folds, keys, rows).reindex(columns=keys + COMPARISON_COLUMNS)


def comparison_row(thing: Any, reference: Any, difference: Any) -> dict[str, Any]:
    """One row of the comparison schema from three ``(estimate, ci_low, ci_high, n)`` tuples."""
    e, lo, hi, n = thing
    return {"estimate": e, "ci_low": lo, "ci_high": hi, "n": n, "reference_estimate": reference[0],
            "reference_ci_low": reference[1], "reference_ci_high": reference[2], "difference": difference[0],
            "difference_ci_low": difference[1], "difference_ci_high": difference[2]}


def more_data_finding(area: str, gain: Any, scoring: str, where: str = "") -> Finding:
    """The finding "more data would likely help" from the gain per doubling (``estimate, ci_low, ci_high``)."""
    return Finding(
        area, "info",
        f"More data would likely help: about {signed(gain['estimate'])} {scoring} per doubling of data{where}",
        "From a log-linear fit of the validation score against log2(training rows) over the learning curve's "
        f"last points (interval across folds {interval(gain['ci_low'], gain['ci_high'])}).",
        {"gain_per_doubling": float(gain["estimate"]), "ci_low": float(gain["ci_low"]), "ci_high": float(gain["ci_high"])},
    )


def _check_folds(folds: pd.DataFrame, keys: list[str]) -> None:
    missing = sorted({*keys, "fold", "train_score", "validation_score"} - set(folds.columns))
    if missing:
        raise DiagnosticInputError(f"folds: missing column(s) {missing}; pass the per-fold scores of a curve.")


def _label_sizes(ax: Any, x: np.ndarray, xscale: str) -> None:
    """Training-row counts as ticks (plain numbers, only the sizes measured)."""
    ax.set_xscale(xscale)
    ax.set_xticks(x, [plain_number(v) for v in x])
    ax.minorticks_off()
    ax.set_xlabel("training rows")


class _Curve:
    """What the two curves share: the score's name, the level, summaries of ``folds``, bands."""

    frame: pd.DataFrame
    folds: pd.DataFrame
    params: dict[str, Any]
    keys: ClassVar[list[str]] = []

    def __post_init__(self) -> None:
        # A result saved before ``frame`` became the per-point summary held the per-fold scores
        # in ``frame``: read it back in today's shape rather than failing in every method.
        if self.folds.empty and "fold" in self.frame.columns:
            object.__setattr__(self, "folds", self.frame)
            object.__setattr__(self, "frame", summarise_folds(self.frame, self.keys, self.confidence, self.scoring))

    @classmethod
    def from_folds(cls, folds: pd.DataFrame, params: dict[str, Any], n_samples: int) -> Any:
        """Build the result from per-fold scores (``frame`` summarises ``folds``)."""
        _check_folds(folds, cls.keys)
        frame = summarise_folds(folds, cls.keys, float(params.get("confidence", 0.95)), str(params.get("scoring", "score")))
        return cls(frame=frame, folds=folds, params=params, n_samples=n_samples)  # type: ignore[call-arg]

    @property
    def scoring(self) -> str:
        """Name of the score."""
        return str(self.params.get("scoring", "score"))

    @property
    def confidence(self) -> float:
        """Level of the intervals across folds."""
        return float(self.params.get("confidence", 0.95))

    def summary(self) -> pd.DataFrame:
        """Mean score per point and split with an interval across folds (a copy of ``frame``).

        Returns
        -------
        pandas.DataFrame
            Columns ``<point>, split, estimate, ci_low, ci_high, n`` (``n``: folds),
            Student-t interval at ``params["confidence"]``.
        """
        return self.frame.copy()

    def comparisons(self) -> pd.DataFrame:
        """Training against validation score per point, in the comparison schema.

        Returns
        -------
        pandas.DataFrame
            Columns ``<point>, estimate, ci_low, ci_high, n`` (training score),
            ``reference_estimate, reference_ci_low, reference_ci_high`` (validation score) and
            ``difference, difference_ci_low, difference_ci_high`` (the gap, paired by fold).
        """
        return compare_folds(self.folds, self.keys, self.confidence, self.scoring)

    def _bands(self, ax: Any, x: np.ndarray, kwargs: dict[str, Any]) -> None:
        for split, colour, label in _SPLITS:
            part = self.frame[self.frame["split"] == split]
            style = validate_style_kwargs({"color": colour, "marker": "o", "label": label}, kwargs)
            band(ax, x, part["estimate"], part["ci_low"], part["ci_high"], band_label=None, alpha=0.2, **style)
        ax.set_ylabel(self.scoring)


@dataclass(frozen=True)
class LearningCurveResult(_Curve, Result):
    """Training and validation scores of a model on growing training sets.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per training size x split: ``train_size`` (rows fitted on), ``split``
        (``"train"``: score on those training rows, ``"validation"``: on the folds' held-out
        rows), ``estimate`` (mean score across folds), ``ci_low``/``ci_high`` (Student-t
        interval across folds at ``params["confidence"]``, clipped to the score's range),
        ``n`` (folds). Scores are greater-is-better scikit-learn scorer values.
    folds : pandas.DataFrame
        One row per training size x fold: ``train_size, fold, train_score,
        validation_score, fit_time_s, score_time_s`` (scikit-learn's scores and timings).
    params : dict
        ``scoring, cv, random_state, confidence, model, n_jobs``.

    Examples
    --------
    :func:`learning_curve` builds it; from per-fold scores directly:

    >>> folds = pd.DataFrame({"train_size": [50, 50, 100, 100], "fold": [0, 1, 0, 1],
    ...                       "train_score": [1.0, 0.98, 0.97, 0.95], "validation_score": [0.8, 0.84, 0.86, 0.88],
    ...                       "fit_time_s": 0.01, "score_time_s": 0.001})
    >>> res = LearningCurveResult.from_folds(folds, {"scoring": "accuracy"}, n_samples=150)
    >>> res.frame[["train_size", "split", "estimate", "n"]].round(3).values.tolist()
    [[50, 'train', 0.99, 2], [50, 'validation', 0.82, 2], [100, 'train', 0.96, 2], [100, 'validation', 0.87, 2]]
    >>> round(float(res.comparisons()["difference"].iloc[-1]), 3)  # the gap at 100 rows, paired by fold
    0.09
    """

    folds: pd.DataFrame = field(default_factory=pd.DataFrame)

    area: ClassVar[str] = "fit"
    title: ClassVar[str] = "Learning curve"
    keys: ClassVar[list[str]] = ["train_size"]

    def at_size(self, train_size: int | None = None) -> pd.DataFrame:
        """Rows of ``.folds`` at one training size (the largest by default)."""
        size = int(self.folds["train_size"].max()) if train_size is None else int(train_size)
        return self.folds[self.folds["train_size"] == size]

    def data_gain(self, *, doublings: float = 2.0) -> dict[str, float]:
        """Validation score gained per doubling of the training data, at the curve's end.

        Fits ``score = a + b * log2(train_size)`` per fold (least squares) to the training
        sizes within the last ``doublings`` doublings (at least the last three sizes, when
        there are three) and reports ``b`` with an interval across folds. A log-linear fit is
        the local form of a power-law learning curve.

        Parameters
        ----------
        doublings : float, default=2.0
            Sizes of at least ``max_size / 2**doublings`` rows are used.

        Returns
        -------
        dict
            ``estimate, ci_low, ci_high, n`` (NaN with fewer than two training sizes).
        """
        all_sizes = np.sort(self.folds["train_size"].unique())
        if len(all_sizes) < 2:
            return {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0}
        keep = all_sizes >= all_sizes[-1] / 2.0**doublings
        keep[-min(3, len(all_sizes)):] = True
        sizes = all_sizes[keep]
        part = self.folds[self.folds["train_size"].isin(sizes)]
        wide = part.pivot(index="fold", columns="train_size", values="validation_score")[sizes].to_numpy()
        x = np.log2(sizes.astype(float))
        xc = x - x.mean()
        slopes = (wide - wide.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
        return dict(zip(("estimate", "ci_low", "ci_high", "n"), fold_interval(slopes, self.confidence), strict=True))

    def _last(self) -> pd.DataFrame:
        return self.frame[self.frame["train_size"] == self.frame["train_size"].max()].set_index("split")

    def headline(self) -> list[tuple[str, str]]:
        """Validation and training score at the largest size, and the gain per doubling."""
        last = self._last()
        out = [("scoring", self.scoring), ("rows", f"{self.n_samples:,}")]
        for split in ("validation", "train"):
            r = last.loc[split]
            out.append((f"{split} score", with_interval(r["estimate"], r["ci_low"], r["ci_high"])))
        out.append(("per doubling of data", signed(self.data_gain()["estimate"])))
        return out

    def findings(self) -> list[Finding]:
        """Say whether more data would help and how far training and validation scores differ."""
        gain = self.data_gain()
        out = []
        if np.isfinite(gain["ci_low"]) and gain["ci_low"] > 0:
            out.append(more_data_finding(self.area, gain, self.scoring))
        gap = self.comparisons().iloc[-1]
        out.append(Finding(
            self.area, "info",
            f"At {int(self.frame['train_size'].max()):,} training rows: training {self.scoring} {number(gap['estimate'])}, "
            f"validation {number(gap['reference_estimate'])} (gap {signed(gap['difference'])})",
            "diagnose_fit turns this curve into a verdict with baselines.",
            {"gap": gap["difference"]},
        ))
        return rank_findings(out)

    def plot(self, *, ax: Any = None, title: str | None = None, xscale: str = "log", **kwargs: Any) -> Any:
        """Draw training and validation score against training rows, with fold bands.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        title : str, optional
            Default: "Learning curve" with the level of the bands.
        xscale : str, default="log"
        **kwargs
            Style of both score lines (``linewidth``, ``marker``, ``alpha``, ...).

        Returns
        -------
        matplotlib Axes
        """
        ax = get_ax(ax)
        x = self.frame.loc[self.frame["split"] == "train", "train_size"].to_numpy(dtype=float)
        self._bands(ax, x, kwargs)
        _label_sizes(ax, x, xscale)
        level = round(100 * self.confidence)
        ax.set_title(title or f"Learning curve (bands: {level}% interval across folds)")
        ax.legend(loc="best")
        return ax

    def plot_fit_time(self, *, ax: Any = None, title: str | None = None, xscale: str = "log", **kwargs: Any) -> Any:
        """Draw the time one fit takes against training rows, with fold bands.

        Learning more from more rows costs fitting time; this is the price side of the curve.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        title : str, optional
        xscale : str, default="log"
        **kwargs
            Style of the line (``color``, ``linewidth``, ...).

        Returns
        -------
        matplotlib Axes
        """
        ax = get_ax(ax)
        rows = [(float(size), *fold_interval(group["fit_time_s"].to_numpy(), self.confidence, (0.0, np.inf))[:3])
                for size, group in self.folds.groupby("train_size", sort=True)]
        x, est, lo, hi = (np.array(col, dtype=float) for col in zip(*rows, strict=True))
        style = validate_style_kwargs({"color": "#475467", "marker": "o", "label": "fit time"}, kwargs)
        band(ax, x, est, lo, hi, band_label=None, alpha=0.2, **style)
        _label_sizes(ax, x, xscale)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("seconds per fit")
        ax.set_title(title or "Fit time (bands: interval across folds)")
        return ax


@dataclass(frozen=True)
class ValidationCurveResult(_Curve, Result):
    """Training and validation scores over a hyper-parameter (a capacity sweep).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per parameter value x split: ``param_label`` (the value as text, e.g.
        ``"None"``), ``param_value`` (the value as a number, NaN when not numeric), ``split``,
        ``estimate, ci_low, ci_high, n`` as in :class:`LearningCurveResult`.
    folds : pandas.DataFrame
        One row per parameter value x fold: ``param_label, param_value, fold, train_score,
        validation_score``.
    params : dict
        ``param_name, scoring, cv, random_state, confidence, model, n_jobs``.

    Examples
    --------
    :func:`validation_curve` builds it; from per-fold scores directly:

    >>> folds = pd.DataFrame({"param_label": ["1", "1", "None", "None"], "param_value": [1.0, 1.0, None, None],
    ...                       "fold": [0, 1, 0, 1], "train_score": [0.8, 0.82, 1.0, 1.0],
    ...                       "validation_score": [0.78, 0.8, 0.7, 0.74]})
    >>> res = ValidationCurveResult.from_folds(folds, {"param_name": "max_depth", "scoring": "accuracy"}, 100)
    >>> res.best_value, res.frame["split"].tolist()
    ('1', ['train', 'validation', 'train', 'validation'])
    """

    folds: pd.DataFrame = field(default_factory=pd.DataFrame)

    area: ClassVar[str] = "fit"
    title: ClassVar[str] = "Validation curve"
    keys: ClassVar[list[str]] = ["param_label", "param_value"]

    @property
    def param_name(self) -> str:
        """The swept parameter."""
        return str(self.params.get("param_name", "parameter"))

    def _best(self) -> tuple[int, pd.Series]:
        val = self.frame[self.frame["split"] == "validation"].reset_index(drop=True)
        i = int(np.argmax(val["estimate"].to_numpy()))
        return i, val.loc[i]

    @property
    def best_value(self) -> str:
        """Label of the value with the highest mean validation score (first one on ties)."""
        return str(self._best()[1]["param_label"])

    def headline(self) -> list[tuple[str, str]]:
        """The best value and its validation score."""
        best = self._best()[1]
        return [
            ("parameter", self.param_name), ("best value", self.best_value),
            (f"validation {self.scoring}", with_interval(best["estimate"], best["ci_low"], best["ci_high"])),
        ]

    def findings(self) -> list[Finding]:
        """Name the best value, and warn when it lies at the edge of the swept range."""
        i, best = self._best()
        name = short_param_name(self.param_name)
        out = [Finding(
            self.area, "info",
            f"Best {name}={best['param_label']}: validation {self.scoring} "
            f"{with_interval(best['estimate'], best['ci_low'], best['ci_high'])}",
            "Highest mean validation score across folds; values whose interval overlaps it are about as good.",
            {"best_value": best["param_label"], "estimate": best["estimate"]},
        )]
        if i in (0, self.frame["param_label"].nunique() - 1):
            out.append(Finding(
                self.area, "low", f"The best {name} is at the edge of the range tried ({best['param_label']})",
                "A better value may lie beyond it: extend the range in that direction.",
                {"best_value": best["param_label"]},
            ))
        return rank_findings(out)

    def plot(self, *, ax: Any = None, title: str | None = None, xlabel: str | None = None, **kwargs: Any) -> Any:
        """Draw training and validation score over the parameter, with fold bands and the best value.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        title : str, optional
        xlabel : str, optional
            Default: the parameter name without pipeline prefixes.
        **kwargs
            Style of both score lines (``linewidth``, ``marker``, ``alpha``, ...).

        Returns
        -------
        matplotlib Axes
        """
        ax = get_ax(ax)
        labels = self.frame.loc[self.frame["split"] == "train", "param_label"].tolist()
        x = np.arange(len(labels), dtype=float)
        self._bands(ax, x, kwargs)
        i, best = self._best()
        ax.axvline(x[i], color="k", ls="--", lw=1)
        ax.plot([x[i]], [best["estimate"]], marker="*", ms=14, color="k", ls="none", label=f"best: {self.best_value}")
        ax.set_xticks(x, labels)
        ax.set_xlabel(xlabel or short_param_name(self.param_name))
        ax.set_title(title or "Validation curve (bands: interval across folds)")
        ax.legend(loc="best")
        return ax
