"""Run explorer: pick two runs of a benchmark history and redraw their comparison."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from diagtools.errors import DiagnosticInputError
from diagtools.widgets._common import live_output, show

__all__ = ["explore_runs"]


def explore_runs(
    history: Any,
    *,
    baseline: int | None = None,
    candidate: int | None = None,
    metrics: Sequence[str] | None = None,
    n_boot: int = 300,
    random_state: int = 0,
) -> Any:
    """Build two run pickers (baseline, candidate) that redraw :meth:`History.compare` of the pair.

    A rendered report has no kernel, so show a static comparison next to it.

    Parameters
    ----------
    history : History
    baseline, candidate : int, optional
        Initial run ids (default: the second-to-last and the last run).
    metrics : list of str, optional
        Metrics to compare (default: all stored in both runs).
    n_boot : int, default=300
    random_state : int, default=0

    Returns
    -------
    ipywidgets.VBox
        The pickers and an output area; display it in a notebook.

    Raises
    ------
    DiagnosticInputError
        When the history holds fewer than two runs.

    Examples
    --------
    >>> from diagtools.history import demo_history
    >>> box = explore_runs(demo_history("runs.db"))  # doctest: +SKIP
    """
    import ipywidgets as widgets

    runs = history.runs()
    if len(runs) < 2:
        raise DiagnosticInputError(
            f"history: {history.path.name} holds {len(runs)} run(s); comparing needs two. Record more with bench()."
        )
    options = [
        (f"{r.run_id}: {r.name}" + (f" [{r.tags[0]}]" if r.tags else ""), int(r.run_id))
        for r in runs.itertuples(index=False)
    ]
    ids = [value for _, value in options]
    pick_a = widgets.Dropdown(options=options, value=baseline if baseline in ids else ids[-2], description="baseline")
    pick_b = widgets.Dropdown(options=options, value=candidate if candidate in ids else ids[-1], description="candidate")

    def draw() -> None:
        from IPython.display import display

        result = history.compare(pick_a.value, pick_b.value, metrics=metrics, n_boot=n_boot, random_state=random_state)
        display(result)  # type: ignore[no-untyped-call]
        show(result.plot())

    return widgets.VBox([widgets.HBox([pick_a, pick_b]), live_output(draw, [pick_a, pick_b])])
