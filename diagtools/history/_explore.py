"""``explore``: an ipywidgets picker of two runs that redraws their comparison."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["explore"]


def explore(
    history: Any,
    *,
    baseline: int | None = None,
    candidate: int | None = None,
    metrics: Sequence[str] | None = None,
    n_boot: int = 300,
    random_state: int = 0,
) -> Any:
    """Build two run pickers (baseline, candidate) that recompute and redraw the comparison.

    ipywidgets is imported here only. A rendered report has no kernel, so show a static
    comparison next to it.

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
    """
    import ipywidgets as widgets
    from IPython.display import display

    from diagtools._plotting import check_matplotlib
    from diagtools.errors import DiagnosticInputError

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
    out = widgets.Output()

    def redraw(change: Any = None) -> None:
        plt = check_matplotlib()
        result = history.compare(pick_a.value, pick_b.value, metrics=metrics, n_boot=n_boot, random_state=random_state)
        with out:
            out.clear_output(wait=True)
            display(result)
            ax = result.plot()
            display(ax.figure)
            plt.close(ax.figure)

    pick_a.observe(redraw, names="value")
    pick_b.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([pick_a, pick_b]), out])
