"""How diagtools writes a number for a reader: one module, so every finding and table agrees.

Every function returns ``"n/a"`` for ``None``, NaN and infinity, so a missing value never
prints as ``nan%`` in a report.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = [
    "DAY",
    "duration",
    "interval",
    "metric_value",
    "number",
    "p_value",
    "percent",
    "plain_number",
    "q_value",
    "short_number",
    "signed",
    "timestamp",
]

NA = "n/a"
DAY = 86_400.0


def _missing(value: Any) -> bool:
    try:
        return value is None or not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def number(value: Any) -> str:
    """Three decimals below 10, thousands separators and one decimal above.

    Examples
    --------
    >>> number(0.91234), number(1234.56), number(float("nan"))
    ('0.912', '1,234.6', 'n/a')
    """
    if _missing(value):
        return NA
    v = float(value)
    return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"


def short_number(value: Any) -> str:
    """Three significant digits with a k / M / G suffix: ``20000 -> 20k``, ``0.1234 -> 0.123``.

    Examples
    --------
    >>> short_number(20000), short_number(1.5e6), short_number(0.1234), short_number(7)
    ('20k', '1.5M', '0.123', '7')
    """
    if _missing(value):
        return NA
    v = float(value)
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:.3g}{suffix}"
    return str(int(v)) if v == int(v) else f"{v:.3g}"


def plain_number(value: float) -> str:
    """A tick value as a reader writes it: ``40``, ``1,000``, ``0.5``, ``0.002`` (no ``4×10¹``).

    Examples
    --------
    >>> plain_number(40.0), plain_number(1000.0), plain_number(0.002)
    ('40', '1,000', '0.002')
    """
    if value == 0:
        return "0"
    if abs(value) >= 1 and float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 1e-4:
        return f"{value:.4g}"
    return f"{value:.0e}"


def percent(value: Any, digits: int = 1) -> str:
    """A proportion as a percentage; small non-zero shares keep one more digit.

    Examples
    --------
    >>> percent(0.3125), percent(0.0004), percent(0)
    ('31.2%', '0.04%', '0.0%')
    """
    if _missing(value):
        return NA
    v = 100.0 * float(value)
    if v != 0 and abs(v) < 10.0 ** -digits:
        digits += 1
    return f"{v:.{digits}f}%"


def signed(value: Any, *, as_percent: bool = False) -> str:
    """A difference with its sign: ``+0.012`` or, as percentage points, ``+1.2 pt``.

    Examples
    --------
    >>> signed(0.0123), signed(-0.0123, as_percent=True)
    ('+0.012', '-1.2 pt')
    """
    if _missing(value):
        return NA
    v = float(value)
    return f"{100 * v:+.1f} pt" if as_percent else f"{v:+.3f}"


def interval(low: Any, high: Any, fmt: Callable[[Any], str] = number) -> str:
    """``[low, high]`` written with ``fmt``; ``""`` when either end is missing.

    Examples
    --------
    >>> interval(0.9, 0.93), interval(0.1, 0.2, percent), interval(float("nan"), 1.0)
    ('[0.900, 0.930]', '[10.0%, 20.0%]', '')
    """
    if _missing(low) or _missing(high):
        return ""
    return f"[{fmt(low)}, {fmt(high)}]"


def p_value(p: Any, name: str = "p") -> str:
    """``p<0.001``, ``p=0.012`` or ``p n/a``.

    Examples
    --------
    >>> p_value(0.0001), p_value(0.0123), p_value(None)
    ('p<0.001', 'p=0.012', 'p n/a')
    """
    if _missing(p):
        return f"{name} {NA}"
    return f"{name}<0.001" if float(p) < 0.001 else f"{name}={float(p):.3f}"


def q_value(q: Any) -> str:
    """A false-discovery-rate adjusted p-value: ``q<0.001``, ``q=0.040``, ``q n/a``.

    Examples
    --------
    >>> q_value(0.04)
    'q=0.040'
    """
    return p_value(q, "q")


def metric_value(metric: str, value: Any, *, low: Any = None, high: Any = None) -> str:
    """A metric's value as a reader expects it (rates in %, latency in ms), with its interval.

    Parameters
    ----------
    metric : str
        Metric name, looked up in :mod:`diagtools._metric_registry`.
    value : float
    low, high : float, optional
        Interval ends, appended as ``[low, high]`` when both are finite.

    Examples
    --------
    >>> metric_value("accuracy", 0.912, low=0.9, high=0.93)
    '91.2% [90.0%, 93.0%]'
    >>> metric_value("p95_ms", 12.3456), metric_value("log_loss", 0.4)
    ('12.3 ms', '0.400')
    """
    from diagtools._metric_registry import metric_info

    info = metric_info(metric)
    fmt = percent if info.percent else number
    text = fmt(value) + (f" {info.unit}" if info.unit and not _missing(value) else "")
    span = interval(low, high, fmt)
    return f"{text} {span}" if span else text


def timestamp(seconds: Any, *, span: float = DAY * 3) -> str:
    """Seconds since the epoch as a date, with the time of day when ``span`` is under 3 days.

    Examples
    --------
    >>> timestamp(86_400 * 365), timestamp(3_600, span=7_200)
    ('1971-01-01', '1970-01-01 01:00:00')
    """
    if _missing(seconds):
        return NA
    ts = pd.Timestamp(float(seconds), unit="s")
    return ts.strftime("%Y-%m-%d") if span >= DAY * 3 else ts.strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: Any) -> str:
    """A duration in readable units: ``90 -> 1.5 min``, ``7200 -> 2 h``, ``259200 -> 3 d``.

    Examples
    --------
    >>> duration(90), duration(7200), duration(259200), duration(0.25)
    ('1.5 min', '2 h', '3 d', '0.25 s')
    """
    if _missing(seconds):
        return NA
    s = float(seconds)
    for scale, unit in ((DAY, "d"), (3600.0, "h"), (60.0, "min")):
        if abs(s) >= scale:
            return f"{short_number(s / scale)} {unit}"
    return f"{short_number(s)} s"
