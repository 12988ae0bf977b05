"""The one plot layer every ``Result.plot`` draws with.

Conventions (the result contract in ``docs/design.md``):

- every plot method is ``plot(self, *, ax=None, <named options>, **kwargs)`` and returns the
  Axes it drew on; ``ax=None`` makes a new figure (never ``plt.gca()``);
- the remaining ``**kwargs`` style the main artist and are checked by
  :func:`validate_style_kwargs`, so a misspelt option raises instead of being dropped;
- intervals are drawn by :func:`interval_bars` (points or bars with error bars) and
  :func:`band` (a shaded band around a line); a NaN end draws no whisker, it is never
  replaced by zero width, which would claim certainty;
- an empty result draws :func:`empty_panel` with a sentence saying why.
"""

from __future__ import annotations

from typing import Any

from diagtools._format import plain_number
from diagtools.errors import DiagnosticInputError

__all__ = [
    "band",
    "check_matplotlib",
    "empty_panel",
    "get_ax",
    "interval_bars",
    "plain_log_ticks",
    "plain_number",
    "validate_style_kwargs",
]


def check_matplotlib() -> Any:
    """Import and return ``matplotlib.pyplot`` with a helpful message when it is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise DiagnosticInputError(
            "Plotting needs matplotlib, which is not installed. Install it: pip install matplotlib"
        ) from exc
    return plt


def get_ax(ax: Any = None, *, figsize: tuple[float, float] = (6.4, 4.2)) -> Any:
    """Return ``ax`` or a new Axes from ``plt.subplots`` (never ``plt.gca``)."""
    if ax is not None:
        return ax
    plt = check_matplotlib()
    _, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def plain_log_ticks(ax: Any, axis: str = "y", *, ticks: Any = None) -> Any:
    """Label a log axis with plain numbers instead of matplotlib's ``4×10¹`` scientific ticks.

    Parameters
    ----------
    ax : matplotlib Axes
    axis : {"x", "y", "both"}, default="y"
    ticks : sequence of float, optional
        Put the major ticks exactly here (e.g. the batch sizes measured) and hide the minor
        labels. Without it, the decades are labelled and, when the axis spans less than about
        1.5 decades (where a decade or two of ticks would leave it nearly unlabelled), also
        the 2s and 5s between them.

    Returns
    -------
    matplotlib Axes
    """
    import math

    from matplotlib.ticker import FixedLocator, Formatter, FuncFormatter, NullFormatter

    class _Between(Formatter):  # type: ignore[misc]
        def __call__(self, value: float, pos: Any = None) -> str:
            lo, hi = sorted(self.axis.get_view_interval())
            if value <= 0 or lo <= 0 or hi / lo > 30:
                return ""
            lead = round(value / 10 ** math.floor(math.log10(value)), 6)
            return plain_number(value) if lead in (2.0, 5.0) or (hi / lo < 4 and lead in (3.0, 4.0, 6.0, 8.0)) else ""

    for name in ("x", "y") if axis == "both" else (axis,):
        target = ax.xaxis if name == "x" else ax.yaxis
        target.set_major_formatter(FuncFormatter(lambda v, _pos: plain_number(v)))
        if ticks is not None:
            target.set_major_locator(FixedLocator([float(t) for t in ticks]))
            target.set_minor_formatter(NullFormatter())
        else:
            target.set_minor_formatter(_Between())
    return ax


def validate_style_kwargs(defaults: dict[str, Any], kwargs: dict[str, Any], *, artist: str = "line") -> dict[str, Any]:
    """Merge user style ``kwargs`` over ``defaults``; refuse names the artist does not accept.

    Short aliases are resolved the way matplotlib does (``c`` -> ``color``, ``lw`` ->
    ``linewidth``, ``ls`` -> ``linestyle``), so a default is not drawn twice under two names.
    A name matplotlib does not know raises :class:`DiagnosticInputError` instead of being
    silently dropped (in the manner of scikit-learn's ``_validate_style_kwargs``).

    Parameters
    ----------
    defaults : dict
        The plot's own style.
    kwargs : dict
        What the user passed.
    artist : {"line", "patch", "collection", "text"}, default="line"
        Which matplotlib artist receives the keywords; its setters decide what is valid.

    Returns
    -------
    dict

    Examples
    --------
    >>> validate_style_kwargs({"color": "C0", "linewidth": 1}, {"c": "red", "lw": 2})
    {'color': 'red', 'linewidth': 2}
    """
    aliases = {"c": "color", "lw": "linewidth", "ls": "linestyle", "ec": "edgecolor", "fc": "facecolor",
               "ms": "markersize", "mec": "markeredgecolor", "mfc": "markerfacecolor", "aa": "antialiased"}
    out = {aliases.get(k, k): v for k, v in defaults.items()}
    given = {aliases.get(k, k): v for k, v in kwargs.items()}
    unknown = sorted(k for k in given if not _accepts(artist, k))
    if unknown:
        raise DiagnosticInputError(
            f"plot keyword argument(s) {unknown} are not {artist} properties matplotlib knows; "
            "check the spelling (e.g. color=, linewidth=, alpha=) or pass ax= and style the Axes afterwards."
        )
    out.update(given)
    return out


def _accepts(artist: str, name: str) -> bool:
    from matplotlib.collections import PathCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

    if name in ("label", "zorder", "alpha"):
        return True
    cls = {"line": Line2D, "patch": Rectangle, "collection": PathCollection, "text": Text}[artist]
    return callable(getattr(cls, f"set_{name}", None))


def empty_panel(ax: Any, message: str, *, title: str | None = None) -> Any:
    """Write ``message`` in the middle of an empty Axes (no ticks) and return it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = empty_panel(get_ax(), "no slice has 30 rows or more")
    >>> ax.texts[0].get_text()
    'no slice has 30 rows or more'
    """
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes, color="0.3")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax


def _whiskers(estimate: Any, low: Any, high: Any) -> Any:
    """Error-bar lengths ``(2, n)``; NaN where an end is unknown (matplotlib draws no whisker)."""
    import numpy as np

    est = np.asarray(estimate, dtype=float)
    lo = np.asarray(low, dtype=float)
    hi = np.asarray(high, dtype=float)
    with np.errstate(invalid="ignore"):
        err = np.vstack([est - lo, hi - est])
    # an interval that does not contain its estimate (a clipped end) still draws to the end
    return np.abs(err)


def interval_bars(ax: Any, position: Any, estimate: Any, low: Any, high: Any, *, horizontal: bool = False,
                  kind: str = "point", width: float = 0.8, **kwargs: Any) -> Any:
    """Draw estimates with their intervals, as points or bars with error bars.

    Parameters
    ----------
    ax : matplotlib Axes
    position : array-like
        Category positions (y for ``horizontal=True``, else x).
    estimate, low, high : array-like
        Point estimates and interval ends (NaN ends draw no whisker).
    horizontal : bool, default=False
        Estimates along x (rows of a ranked table) instead of along y.
    kind : {"point", "bar"}, default="point"
    width : float, default=0.8
        Bar width (``kind="bar"``).
    **kwargs
        Style of the points or bars (``color``, ``label``, ``alpha``, ...).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = interval_bars(get_ax(), [0, 1], [0.8, 0.6], [0.7, float("nan")], [0.9, 0.7])
    """
    import numpy as np

    pos = np.asarray(position, dtype=float)
    est = np.asarray(estimate, dtype=float)
    err = _whiskers(est, low, high)
    style = validate_style_kwargs({"color": "C0"}, kwargs, artist="patch" if kind == "bar" else "line")
    errstyle = {"ecolor": "0.25", "elinewidth": 1.0, "capsize": 2}
    if kind == "bar":
        if horizontal:
            ax.barh(pos, est, height=width, xerr=err, error_kw=errstyle, **style)
        else:
            ax.bar(pos, est, width=width, yerr=err, error_kw=errstyle, **style)
    else:
        style.setdefault("marker", "o")
        style.setdefault("linestyle", "none")
        if horizontal:
            ax.errorbar(est, pos, xerr=err, **errstyle, **style)
        else:
            ax.errorbar(pos, est, yerr=err, **errstyle, **style)
    return ax


def band(ax: Any, x: Any, estimate: Any, low: Any, high: Any, *, band_label: str | None = "95% interval",
         alpha: float = 0.25, **kwargs: Any) -> Any:
    """Draw a line with a shaded interval band (gaps where the band is unknown).

    Parameters
    ----------
    ax : matplotlib Axes
    x, estimate, low, high : array-like
    band_label : str or None, default="95% interval"
        Legend entry of the band; None leaves it out of the legend.
    alpha : float, default=0.25
        Opacity of the band.
    **kwargs
        Style of the line (``color``, ``label``, ``linestyle``, ``marker``, ...).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = band(get_ax(), [1, 2, 3], [0.5, 0.6, 0.7], [0.4, 0.5, 0.6], [0.6, 0.7, 0.8], label="validation")
    """
    import numpy as np

    style = validate_style_kwargs({}, kwargs, artist="line")
    (line,) = ax.plot(x, estimate, **style)
    lo = np.asarray(low, dtype=float)
    hi = np.asarray(high, dtype=float)
    if np.isfinite(lo).any() and np.isfinite(hi).any():
        ax.fill_between(np.asarray(x), lo, hi, where=np.isfinite(lo) & np.isfinite(hi), alpha=alpha,
                        color=line.get_color(), linewidth=0, label=band_label if band_label else "_nolegend_")
    return ax
