"""Capacity explorer for the fit area: a slider over a hyper-parameter redraws the diagnosis.

:class:`CapacitySweep` diagnoses one model at several capacities on the *same* splits,
lazily (a value is computed the first time it is asked for) and with a cache, and scores
the baseline and the reference model once for all values. :func:`fit_explorer` puts a
slider on top of it; :meth:`CapacitySweep.table` is the static version for rendered reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from diagtools.fit._curves import check_model, check_param, check_scoring_arg, check_xy, resolve_cv
from diagtools.fit._diagnose import diagnose_on_splits, reference_scores
from diagtools.fit._result import FitDiagnosis

__all__ = ["CapacitySweep", "fit_explorer"]


class CapacitySweep:
    """Diagnose a model at several values of one capacity parameter, lazily and cached.

    Parameters
    ----------
    model : estimator
        An (unfitted) scikit-learn style estimator.
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    param_name : str
        The capacity parameter (e.g. ``"max_depth"`` or ``"model__max_depth"``).
    param_range : sequence
        Values to explore, simplest first.
    train_sizes : array-like, default=(0.25, 0.5, 1.0)
        Learning-curve sizes per diagnosis (few keep the slider responsive).
    cv : int or splitter, default=3
    scoring : str or callable, optional
    n_jobs : int, optional
    random_state : int or None, default=0

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from diagtools.widgets import CapacitySweep
    >>> X, y = make_classification(400, flip_y=0.2, random_state=0)
    >>> sweep = CapacitySweep(DecisionTreeClassifier(random_state=0), X, y, param_name="max_depth",
    ...                       param_range=[1, None])
    >>> sweep.diagnose(None).verdict
    'overfitting'
    """

    def __init__(
        self,
        model: Any,
        X: ArrayLike | pd.DataFrame,
        y: ArrayLike,
        *,
        param_name: str,
        param_range: Sequence[Any],
        train_sizes: Sequence[float] = (0.25, 0.5, 1.0),
        cv: Any = 3,
        scoring: str | Callable[..., float] | None = None,
        n_jobs: int | None = None,
        random_state: int | None = 0,
    ) -> None:
        from sklearn.base import is_classifier

        self.model = check_model(model)
        self.X, self.y = check_xy(X, y)
        self.param_name = param_name
        self.values = check_param(self.model, param_name, param_range)
        check_scoring_arg(self.model, scoring)
        self.scoring, self.n_jobs, self.random_state, self.train_sizes = scoring, n_jobs, random_state, train_sizes
        self.splits = resolve_cv(cv, self.model, self.X, self.y, random_state)
        self._classification = is_classifier(self.model)
        self._scores: tuple[np.ndarray, np.ndarray] | None = None
        self._cache: dict[int, FitDiagnosis] = {}

    @property
    def labels(self) -> list[str]:
        """The values as text (slider labels)."""
        return [str(v) for v in self.values]

    def _index(self, value: Any) -> int:
        for i, v in enumerate(self.values):
            if v is value or (type(v) is type(value) and v == value) or str(v) == str(value):
                return i
        from diagtools.errors import DiagnosticInputError

        raise DiagnosticInputError(f"value {value!r} is not in param_range {self.labels}. Pass one of them.")

    def _reference(self) -> tuple[np.ndarray, np.ndarray]:
        # Baseline and reference do not depend on the swept value: score them once.
        if self._scores is None:
            self._scores = reference_scores(
                self.X, self.y, self.splits, classification=self._classification, scoring=self.scoring,
                n_jobs=self.n_jobs, random_state=self.random_state,
            )
        return self._scores

    def diagnose(self, value: Any) -> FitDiagnosis:
        """Return the diagnosis at one value (computed on first use, then cached).

        Parameters
        ----------
        value : object
            One of ``param_range`` (or its text label).

        Returns
        -------
        FitDiagnosis
        """
        i = self._index(value)
        if i not in self._cache:
            estimator = self.model.set_params(**{self.param_name: self.values[i]})
            self._cache[i] = diagnose_on_splits(
                estimator, self.X, self.y, self.splits, scores=self._reference, train_sizes=self.train_sizes, scoring=self.scoring,
                n_jobs=self.n_jobs, random_state=self.random_state, progress=False,
            )
        return self._cache[i]

    def table(self) -> pd.DataFrame:
        """Diagnose every value (the static sweep) and return one row per value.

        Returns
        -------
        pandas.DataFrame
            Columns ``param_label, verdict, train_score, validation_score, gap,
            gain_per_doubling`` (point estimates; the intervals are in each diagnosis).
        """
        rows = []
        for value, label in zip(self.values, self.labels, strict=True):
            d = self.diagnose(value)
            est = d.frame.set_index("evidence")["estimate"]
            rows.append({"param_label": label, "verdict": d.verdict, "train_score": est["train_score"],
                         "validation_score": est["validation_score"], "gap": est["gap"],
                         "gain_per_doubling": est["gain_per_doubling"]})
        return pd.DataFrame(rows)


def fit_explorer(
    model: Any,
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    param_name: str,
    param_range: Sequence[Any],
    value: Any = None,
    **kwargs: Any,
) -> Any:
    """Build a slider over a capacity parameter that redraws the learning curve and the verdict.

    Each value is diagnosed the first time the slider reaches it and cached afterwards
    (see :class:`CapacitySweep`).

    Parameters
    ----------
    model : estimator
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    param_name : str
        The capacity parameter.
    param_range : sequence
        Values on the slider, simplest first.
    value : object, optional
        Initial value (default: the first).
    **kwargs
        Passed to :class:`CapacitySweep` (``train_sizes``, ``cv``, ``scoring``, ``n_jobs``,
        ``random_state``).

    Returns
    -------
    ipywidgets.VBox
        The slider and an output area; ``.sweep`` holds the :class:`CapacitySweep`.
    """
    try:
        import ipywidgets as widgets
    except ImportError as exc:  # pragma: no cover - optional extra
        from diagtools.errors import DiagnosticInputError

        raise DiagnosticInputError(
            "fit_explorer needs ipywidgets, which is not installed. Install it: pip install ipywidgets"
        ) from exc
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    from diagtools._html import findings_html

    sweep = CapacitySweep(model, X, y, param_name=param_name, param_range=param_range, **kwargs)
    start = sweep.labels[0] if value is None else sweep.labels[sweep._index(value)]
    slider = widgets.SelectionSlider(options=sweep.labels, value=start, description=param_name,
                                     continuous_update=False, layout=widgets.Layout(width="560px"),
                                     style={"description_width": "initial"})
    out = widgets.Output()

    def redraw(change: Any = None) -> None:
        diagnosis = sweep.diagnose(slider.value)
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 2, figsize=(11, 4))
            diagnosis.plot(ax=axes[0], title=f"{param_name}={slider.value}: {diagnosis.verdict}")
            diagnosis.plot_evidence(ax=axes[1])
            fig.tight_layout()
            display(fig)  # type: ignore[no-untyped-call]
            plt.close(fig)
            display(HTML(findings_html(diagnosis.findings())))  # type: ignore[no-untyped-call]

    slider.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([slider, out])
    box.sweep = sweep
    return box
