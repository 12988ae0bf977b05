"""The behaviour half of the result contract (docs/design.md): plot, findings, HTML, round trip.

Each area's tests call :func:`check_result_contract` on a real result of its type.
"""

from __future__ import annotations

import json

import pandas as pd

from diagtools._result import Finding, Result


def check_result_contract(result: Result, *, columns: list[str] | None = None) -> None:
    """Assert the frame, plot, findings, HTML and serialisation contract of ``result``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    assert isinstance(result, Result)
    assert isinstance(result.frame, pd.DataFrame)
    if columns is not None:
        assert list(result.frame.columns) == columns, list(result.frame.columns)
    for col in ("estimate", "ci_low", "ci_high"):
        if col in result.frame.columns:
            assert {"estimate", "ci_low", "ci_high"} <= set(result.frame.columns)

    plt.close("all")
    ax = result.plot()
    assert isinstance(ax, Axes)
    _, given = plt.subplots()
    assert result.plot(ax=given) is given
    plt.close("all")

    findings = result.findings()
    assert all(isinstance(f, Finding) for f in findings)
    assert [f.rank for f in findings] == sorted(f.rank for f in findings), "findings not ranked"

    html_a, html_b = result._repr_html_(), result._repr_html_()
    assert html_a == html_b, "_repr_html_ is not deterministic"
    assert "<script" not in html_a.lower()
    # the readable summary repr, not the dataclass dump of every frame
    text = repr(result)
    assert text.startswith(f"<{type(result).__name__} ") and text.endswith(f"frame: {len(result.frame)} rows>"), text
    assert "\n" not in text

    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)
    back = Result.from_dict(json.loads(text))
    assert type(back) is type(result)
    assert back.n_samples == result.n_samples
    pd.testing.assert_frame_equal(
        back.frame.reset_index(drop=True), result.frame.reset_index(drop=True),
        check_dtype=False, check_categorical=False, check_index_type=False, check_column_type=False,
    )
    assert [f.title for f in back.findings()] == [f.title for f in findings]


def check_plot_method(result: Result, method: str, *args: object) -> None:
    """Assert that ``result.<method>(*args, ax=...)`` draws on the given Axes, takes ``ax`` by
    keyword only and refuses a misspelt style keyword (docs/design.md, rule 6)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pytest

    from diagtools.errors import DiagnosticInputError

    draw = getattr(result, method)
    _, ax = plt.subplots()
    try:
        assert draw(*args, ax=ax, alpha=0.5) is ax
        with pytest.raises(TypeError):
            draw(*args, ax)  # ax is keyword-only
        with pytest.raises(DiagnosticInputError, match="colour"):
            draw(*args, colour="red")
    finally:
        plt.close("all")
