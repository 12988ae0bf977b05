"""Sections about the model itself: metrics, fit, cost (latency, a faster variant) and explanations.

Each function fills the :class:`SectionOutcome` it is given from the
:class:`SectionContext`; :func:`diagtools.report.run_diagnostics` isolates its errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diagtools._text import text_columns
from diagtools._validation import infer_task
from diagtools.errors import DiagnosticInputError
from diagtools.explanations import cross_check, explain, explain_slice, explain_text, is_linear_text_model
from diagtools.fit import diagnose_fit, diagnose_fitted
from diagtools.latency import profile_latency, profile_memory, profile_steps
from diagtools.metrics import EvaluationResult, evaluate
from diagtools.optimize import optimize
from diagtools.report._context import SectionContext, sample
from diagtools.report._types import SectionOutcome

#: Seconds the optimisation section may spend (optimize's budget), and the training rows it refits on.
OPTIMISATION_SECONDS = 30.0
OPTIMISATION_TRAIN_ROWS = 10_000
#: The metrics section's plots for a regression: residuals say more than a confusion matrix of numbers.
#: Resolved here, at import, like the section table's plots, so a renamed method fails loudly.
REGRESSION_PLOTS = (EvaluationResult.plot_summary, EvaluationResult.plot_residuals)


def metrics(ctx: SectionContext, out: SectionOutcome) -> None:
    """Metrics with intervals against trivial baselines, on every evaluation row."""
    inp = ctx.inputs
    on_source = inp.source is not None and infer_task(np.asarray(inp.y)) != "regression"
    result = evaluate(
        inp.model, inp.source if on_source else inp.X, inp.target if on_source else inp.y, X_train=inp.X_train,
        y_train=inp.y_train, n_boot=ctx.n_boot, random_state=ctx.random_state, name=inp.model_name,
    )
    out.results["evaluation"] = result
    out.rows_used = out.rows_total = result.n_samples if on_source else len(inp.X)
    if on_source:
        out.note = (f"Every row ({result.n_samples:,}) through mergeable statistics on the "
                    f"{result.params['large']['backend']} engine, the model applied chunk by chunk.")
    if result.task == "regression":
        out.context["plots"] = {"evaluation": REGRESSION_PLOTS}


def fit(ctx: SectionContext, out: SectionOutcome) -> None:
    """Over- or underfitting of the model as trained, and learning curves on a refitted copy."""
    inp = ctx.inputs
    assert inp.X_train is not None and inp.y_train is not None  # guaranteed by the section's ``requires``
    X_train, y_train = sample(inp.X_train, inp.y_train, ctx.budgets["fit"], ctx.random_state)
    # A gradient-boosting reference sees free text as one arbitrary code per message: it would
    # score near chance and say nothing about capacity, so text models go without it.
    text = text_columns(inp.X_train)
    curve, no_curve = _learning_curve(ctx, X_train, y_train, reference=None if text else "auto")
    # The verdict is about the model as trained: its gap on all of its training rows vs the
    # held-out evaluation rows. The sampled curves only say whether more data would help.
    out.results["fit"] = diagnose_fitted(
        inp.model, inp.X_train, inp.y_train, inp.X, inp.y, curve=curve, n_boot=ctx.capped_n_boot,
        random_state=ctx.random_state,
    )
    out.rows_used = out.rows_total = len(inp.X_train)
    out.note = (f"The verdict reads the fitted model itself: its score on all {len(inp.X_train):,} training rows "
                f"against its score on the {len(inp.X):,} evaluation rows (bootstrap intervals over rows), and a "
                "trivial baseline.")
    if curve is None:
        out.note += no_curve
        return
    out.note += (
        " Learning curves (a copy of the model refitted on 3 folds at 3 sizes of "
        + (f"a {len(X_train):,}-row sample" if len(X_train) < len(inp.X_train) else "the training data")
        + ") only answer 'would more data help' and supply "
        + ("no reference model (free text)." if text else "a gradient-boosting reference model.")
        + " Rules in diagtools.fit.diagnose_fitted."
    )


def _learning_curve(ctx: SectionContext, X_train: Any, y_train: Any, *, reference: str | None) -> tuple[Any, str]:
    """Learning curves on a refitted copy, or ``None`` and the sentence that says why there are none.

    A model scikit-learn cannot clone or refit (an onnxruntime wrapper, a remote model) still
    gets the verdict on the model as trained, without the "more data" slope.
    """
    model = ctx.inputs.model
    if not (hasattr(model, "get_params") and hasattr(model, "fit")):
        return None, (f" No learning curves: {type(model).__name__} cannot be refitted by scikit-learn (no "
                      "get_params/fit), so 'would more data help' is not answered.")
    try:
        curve = diagnose_fit(
            _refit_copy(model), X_train, y_train, cv=3, train_sizes=(0.25, 0.5, 1.0), n_jobs=1,
            reference=reference, random_state=ctx.random_state, progress=False,
        )
    except (TypeError, DiagnosticInputError) as exc:
        return None, f" No learning curves: the model could not be refitted ({type(exc).__name__}: {exc})"
    return curve, ""


def _refit_copy(model: Any) -> Any:
    """An unfitted copy of ``model`` to refit, with pipeline caching switched off.

    A pipeline's ``memory`` makes every refit read and write pickled step outputs in that
    directory; from a model file someone else wrote, that is a directory someone else chose,
    and reading a pickle placed there runs its code. Caching only saves time, so the copies
    the report refits never use it.
    """
    from sklearn.base import clone

    copy = clone(model)
    if hasattr(copy, "get_params"):
        caches = {k: None for k, v in copy.get_params(deep=True).items() if k.rsplit("__", 1)[-1] == "memory" and v is not None}
        if caches:
            copy.set_params(**caches)
    return copy


def latency(ctx: SectionContext, out: SectionOutcome) -> None:
    """Latency per batch size, the split over pipeline steps, and peak memory."""
    inp = ctx.inputs
    X, _ = sample(inp.X, None, ctx.budgets["latency"], ctx.random_state)
    sizes = tuple(b for b in (1, 64, 1024) if b <= len(X))
    if len(X) < 1024 and len(X) not in sizes:
        sizes += (len(X),)  # the largest batch the budget allows
    out.results["latency"] = profile_latency(
        inp.model, X, batch_sizes=sizes, min_runs=20, min_time=0.1, max_time=1.0,
        n_boot=ctx.capped_n_boot, random_state=ctx.random_state,
    )
    if hasattr(inp.model, "steps"):  # one thread: OpenMP thrash on a busy box can mis-name the step
        out.results["steps"] = profile_steps(
            inp.model, X, batch_sizes=sizes[-2:], min_runs=3, min_time=0.02, max_time=0.5, threads=1,
        )
    out.results["memory"] = profile_memory(inp.model, X, batch_sizes=sizes, repeats=1)
    out.rows_used, out.rows_total = len(X), len(inp.X)
    out.note = (
        "Timed on this machine, in this process, with the model's own thread settings (the per-step split on one "
        "thread); the environment in the result says what that means. Load tests: latency_profiling.ipynb."
    )


def optimisation(ctx: SectionContext, out: SectionOutcome) -> None:
    """A faster variant of the model with no detectable loss, searched within a time budget."""
    inp = ctx.inputs
    assert inp.X_train is not None and inp.y_train is not None  # guaranteed by the section's ``requires``
    X, y = sample(inp.X, inp.y, ctx.budgets["optimisation"], ctx.random_state)
    X_train, y_train = sample(inp.X_train, inp.y_train, OPTIMISATION_TRAIN_ROWS, ctx.random_state)
    out.results["optimisation"] = optimize(
        inp.model, X, y, X_train=X_train, y_train=y_train, margin=0.005, budget=ctx.optimisation_seconds,
        n_boot=ctx.capped_n_boot, progress=False, random_state=ctx.random_state,
    )
    out.rows_used, out.rows_total = len(X) + len(X_train), len(inp.X) + len(inp.X_train)
    out.note = (
        f"Variants refitted on {len(X_train):,} training rows and compared on {len(X):,} evaluation rows within "
        f"{ctx.optimisation_seconds:g} s; recommended only when non-inferior at a 0.5-point margin and significantly "
        "faster. For a longer search, a margin of your own and a deployment sweep, call diagtools.optimize."
    )


def explanations(ctx: SectionContext, out: SectionOutcome) -> None:
    """SHAP values with a permutation cross-check (or exact token contributions), and the worst slice."""
    inp = ctx.inputs
    budget = ctx.budgets["explanations"]
    if is_linear_text_model(inp.model):
        # A linear model on TF-IDF is explained exactly, token by token and per class; SHAP over
        # one text column would give a single "feature" and nothing to read.
        X, y = sample(inp.X, inp.y, max(budget, 5_000), ctx.random_state)
        out.results["tokens"] = explain_text(inp.model, X, y, n_boot=ctx.capped_n_boot, random_state=ctx.random_state)
        out.rows_used, out.rows_total = len(X), len(inp.X)
        out.note = ("Linear text model: each token's exact contribution (coefficient x TF-IDF) to the score of the class "
                    "each row is predicted as, averaged per class; the contributions add up to the model's score.")
        return
    X, y = sample(inp.X, inp.y, budget, ctx.random_state)
    explanation = explain(inp.model, X, max_rows=min(200, budget), n_boot=ctx.capped_n_boot, random_state=ctx.random_state)
    out.results["explanation"] = explanation
    if X.shape[1] >= 3:  # a rank correlation over one or two columns says nothing
        out.results["cross_check"] = cross_check(
            inp.model, X, y, explanation=explanation, n_repeats=2, max_rows=min(500, budget), random_state=ctx.random_state
        )
    # rows used = rows SHAP actually explained (not the sample they were drawn from)
    out.rows_used, out.rows_total = explanation.n_samples, len(inp.X)
    cc = out.results.get("cross_check")
    out.note = (f"SHAP values for {explanation.n_samples:,} rows ({explanation.params['class_explained']}, "
                f"{explanation.params['output']})"
                + (f"; permutation importance cross-check on {cc.n_samples:,} rows." if cc is not None else "."))
    slices = ctx.outcomes.get("slices")
    worst = slices.context.get("worst_slice") if slices is not None else None
    if worst is not None:
        description, mask = worst
        out.results["slice"] = explain_slice(
            inp.model, inp.X, np.asarray(mask), name=description, max_rows=min(400, budget),
            n_boot=ctx.capped_n_boot, random_state=ctx.random_state,
        )
        out.note += f" The slice explained is the worst slice found: {description}."
