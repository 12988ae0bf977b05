"""optimize: generate faster variants of a model, fit them, and test that they lose nothing."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import numpy as np
import pandas as pd

from diagtools._format import duration, percent
from diagtools.errors import DiagnosticInputError
from diagtools.latency._checks import check_n_rows
from diagtools.optimize._candidates import Candidate
from diagtools.optimize._evaluate import FRAME_COLUMNS, finish_comparison, latency_rows, quality_rows
from diagtools.optimize._generators import (
    _NothingToDo,
    feature_pruning_candidates,
    featuriser_candidates,
    linear_candidates,
    runtime_candidates,
    tree_candidates,
)
from diagtools.optimize._result import OptimizationResult

__all__ = ["FAMILIES", "optimize"]

#: Variant generators, in the order they run.
FAMILIES = ("runtime", "featuriser", "vocabulary", "sparse", "trees", "features")


def _check(model: Any, X: Any, y: Any, X_train: Any, y_train: Any, margin: float, budget: float,
           batch_sizes: Any, families: Any, alpha: float) -> tuple[int, tuple[int, ...], tuple[str, ...]]:
    from diagtools._validation import check_fitted

    check_fitted(model, "model")
    n = check_n_rows(X)
    if check_n_rows(y, "y") != n:
        raise DiagnosticInputError(f"y has {check_n_rows(y, 'y')} rows but X has {n}. Pass y for the same rows, in the same order.")
    if (X_train is None) != (y_train is None):
        raise DiagnosticInputError("X_train and y_train: pass both (the rows variants are refitted on) or neither "
                                   "(then the data given is split, and the result says so).")
    if X_train is not None and check_n_rows(y_train, "y_train") != check_n_rows(X_train, "X_train"):
        raise DiagnosticInputError("y_train must have one label per row of X_train.")
    if not isinstance(margin, (int, float)) or not 0 <= margin < 1:
        raise DiagnosticInputError(f"margin must be a number in [0, 1) (0.005 = half a point of accuracy), got {margin!r}.")
    if not isinstance(budget, (int, float)) or budget <= 0:
        raise DiagnosticInputError(f"budget must be a positive number of seconds, got {budget!r}.")
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise DiagnosticInputError(f"alpha must be in (0, 1), got {alpha!r}.")
    sizes = tuple(batch_sizes) if isinstance(batch_sizes, (tuple, list)) else (batch_sizes,)
    if not sizes or any(not isinstance(b, (int, np.integer)) or b < 1 for b in sizes):
        raise DiagnosticInputError(f"batch_sizes must be positive integers, got {batch_sizes!r}. Use e.g. (1, 256).")
    sizes = tuple(dict.fromkeys(min(int(b), n) for b in sizes))
    fams = FAMILIES if families is None else tuple(families)
    unknown = [f for f in fams if f not in FAMILIES]
    if unknown:
        raise DiagnosticInputError(f"families: unknown {unknown}. Choose from {list(FAMILIES)}.")
    return n, sizes, fams


def _split(X: Any, y: Any, task: str, random_state: int) -> tuple[Any, Any, Any, Any]:
    from sklearn.model_selection import train_test_split

    strat = y if task == "classification" and pd.Series(np.asarray(y)).value_counts().min() >= 2 else None
    return train_test_split(X, y, test_size=0.5, random_state=random_state, stratify=strat)


def _pickle_size(model: Any) -> int | None:
    import pickle

    try:
        return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # unpicklable: size unknown
        return None


def _json(params: dict[str, Any]) -> str:
    return json.dumps(params, default=str, sort_keys=True)


def optimize(
    model: Any,
    X: Any,
    y: Any,
    *,
    X_train: Any = None,
    y_train: Any = None,
    margin: float = 0.005,
    budget: float = 60.0,
    alpha: float = 0.05,
    batch_sizes: tuple[int, ...] = (1, 256),
    families: tuple[str, ...] | None = None,
    candidates: dict[str, Any] | None = None,
    n_boot: int = 500,
    confidence: float = 0.95,
    clock: str = "wall",
    progress: bool = True,
    random_state: int = 0,
) -> OptimizationResult:
    """Propose faster variants of a fitted model, fit them, and recommend one that loses nothing.

    Variants come from what :func:`~diagtools.latency.profile_steps` finds and from the kind
    of model (see ``families``); each is refitted on the training rows, then every variant and
    the reference are scored on the same held-out rows and timed. A variant is
    **recommended** only when it is *non-inferior* at ``margin`` (one-sided test: its loss is
    significantly smaller than the margin, not merely "not significantly worse") **and**
    significantly faster at p50 for the first batch size (and not significantly slower at the
    others). Of those, the fastest wins.

    Parameters
    ----------
    model : object
        The fitted reference model (a scikit-learn estimator or pipeline for the refit
        families; any model for the runtime family when skl2onnx converts it).
    X, y : DataFrame / array / sequence of texts, array-like
        Held-out rows the variants are compared on (never used for fitting when training
        data is given).
    X_train, y_train : optional
        Rows to refit variants on. When omitted, X and y are split in two halves (stratified):
        variants are fitted on one and everything is compared on the other; the result says
        so, and that the reference may have seen the comparison rows.
    margin : float, default=0.005
        Largest acceptable loss of the primary metric (accuracy: 0.005 = half a point; r2 in
        r2 units).
    budget : float, default=60
        Seconds for the whole run: building stops at 60% of it (the rest is marked
        'skipped: time budget') and the timing of each variant shrinks to fit.
    alpha : float, default=0.05
        Level of the non-inferiority and speed tests.
    batch_sizes : tuple of int, default=(1, 256)
        Batch sizes timed: the first is the latency the recommendation is about, the others
        throughput sizes (clipped to ``len(X)``).
    families : tuple of str, optional
        Generators to run (all by default): ``runtime`` (ONNX + onnxruntime, 1 thread and
        all cores, dynamic int8 quantization where there are weights), ``featuriser`` (drop the
        slow step / keep the cheapest featuriser / a cheaper vectoriser), ``vocabulary`` (terms
        pruned by weight), ``sparse`` (L1 refit), ``trees`` (fewer iterations, early stopping,
        fewer or shallower trees), ``features`` (drop inputs whose permutation importance is
        not distinguishable from zero).
    candidates : dict of str to model, optional
        Extra fitted variants of your own, compared under the same rules.
    n_boot : int, default=500
        Bootstrap resamples (latency ratios, r2).
    confidence : float, default=0.95
        Level of the intervals.
    clock : {"wall", "cpu"}, default="wall"
        What the latency ratios compare: wall-clock time (what a caller waits) or the calls'
        process CPU time. On a busy shared machine long calls are preempted more often than
        short ones, which inflates wall-clock speed-ups; ``"cpu"`` is immune to that (and
        charges a multi-threaded variant for every core it uses).
    progress : bool, default=True
        Show a tqdm progress bar.
    random_state : int, default=0

    Returns
    -------
    OptimizationResult

    Raises
    ------
    DiagnosticInputError
        Unfitted model, X and y of different lengths, X_train without y_train, a margin
        outside [0, 1), a non-positive budget, unknown families.

    See Also
    --------
    deployment_sweep : threads x batch size for the chosen variant, and the cheapest setting
        that meets a p99 target.
    diagtools.latency.compare_variants : compare variants you built yourself.

    Examples
    --------
    >>> from diagtools.datasets import load_intents
    >>> from diagtools.demo_models import make_intent_model
    >>> from diagtools.optimize import optimize
    >>> df = load_intents(40)
    >>> train, test = df.iloc[:400], df.iloc[400:]
    >>> model = make_intent_model("full").fit(train["text"], train["intent"])
    >>> res = optimize(model, test["text"], test["intent"], X_train=train["text"], y_train=train["intent"],
    ...                margin=0.01, budget=30, families=("featuriser",), progress=False)
    >>> res.recommended is not None
    True
    """
    from diagtools._validation import infer_task
    from diagtools.latency import profile_steps

    start = time.perf_counter()
    n, sizes, fams = _check(model, X, y, X_train, y_train, margin, budget, batch_sizes, families, alpha)
    if clock not in ("wall", "cpu"):
        raise DiagnosticInputError(f"clock must be 'wall' or 'cpu', got {clock!r}.")
    from diagtools.models import adapt_model

    y_arr = np.asarray(y)
    stated = adapt_model(model, y=y_arr).task  # the model's own word first, then the labels
    task = infer_task(y_arr) if stated is None else ("regression" if stated == "regression" else "classification")
    notes: list[str] = []
    if X_train is None:
        X_fit, X_eval, y_fit, y_eval = _split(X, y, task, random_state)
        n = check_n_rows(X_eval)
        sizes = tuple(dict.fromkeys(min(b, n) for b in sizes))
        notes.append(f"No training data given: variants were refitted on a random half of the {check_n_rows(X):,} rows "
                     f"and all models are compared on the other {n:,}. The reference may have been trained on some of "
                     "these rows, which would favour it.")
    else:
        X_fit, y_fit, X_eval, y_eval = X_train, y_train, X, y
        notes.append(f"Variants refitted on the {check_n_rows(X_train):,} training rows given; all models compared on "
                     f"the {n:,} held-out rows.")
    y_eval = np.asarray(y_eval)
    cores = os.cpu_count() or 1

    steps = None
    if hasattr(model, "steps"):
        steps = profile_steps(model, X_eval, batch_sizes=(sizes[-1],), min_runs=3, min_time=0.02, max_time=0.5,
                              threads=1)
        b = steps.frame
        top = b.loc[b["share"].idxmax()]
        notes.append(f"Profiling: {top['step']} takes {percent(top['share'], 0)} of predict time at batch {int(top['batch_size'])}.")

    queue = _queue(model, steps, X_fit, y_fit, X_eval, fams, cores, candidates, random_state)
    done = _build_all(queue, start, budget, X_fit, y_fit, X_eval, fams, cores, progress)
    models, preds = _predict_all(model, done, X_eval)
    left = max(budget - (time.perf_counter() - start), 1.0)
    timed = _time_all(models, X_eval, sizes, left, confidence, random_state, progress)

    smallest: dict[str, float] = {}
    q_frame, q_comp = quality_rows(y_eval, preds, "reference", task=task, margin=margin, confidence=confidence,
                                   n_boot=n_boot, random_state=random_state, alpha=alpha, smallest=smallest)
    l_frame, l_comp = latency_rows(timed, "reference", n_boot=n_boot, confidence=confidence,
                                   random_state=random_state, clock=clock)
    size_rows = []
    for name, m in models.items():
        size = _pickle_size(m)
        size_rows.append((name, "size_mb", np.nan, np.nan if size is None else size / 2**20, np.nan, np.nan, 1))
    frame = pd.DataFrame(q_frame + l_frame + size_rows, columns=FRAME_COLUMNS)
    comparison = finish_comparison(q_comp + l_comp)
    primary = "accuracy" if task == "classification" else "r2"
    variants, best = _decide(done, preds, comparison, smallest, primary, sizes[0], alpha)
    elapsed = time.perf_counter() - start
    notes.append(f"optimize took {duration(elapsed)} (budget {duration(budget)}).")
    return OptimizationResult(
        frame=frame, comparison=comparison, variants=variants, reference="reference", primary=primary,
        recommended=best, notes=notes, models=models, n_samples=n,
        params={"margin": margin, "budget": budget, "alpha": alpha, "batch_sizes": list(sizes),
                "families": list(fams), "n_boot": n_boot, "clock": clock, "confidence": confidence, "random_state": random_state,
                "task": task, "elapsed_s": elapsed, "bottleneck": None if steps is None else steps.bottleneck()},
    )


def _queue(model: Any, steps: Any, X_fit: Any, y_fit: Any, X_eval: Any, fams: tuple[str, ...], cores: int,
           candidates: dict[str, Any] | None, random_state: int) -> list[Candidate]:
    """The variants to build, in order: generators of ``fams``, then the user's own (already built)."""
    queue: list[Candidate] = []
    if "runtime" in fams:
        queue += runtime_candidates("reference", model, X_eval, cores=cores)
    cheaper = featuriser_candidates(model, steps, X_fit, y_fit) if "featuriser" in fams else []
    queue += cheaper
    if not cheaper:  # with a cheaper featuriser the pruning is tried on it instead (see _build_all)
        queue += [c for c in linear_candidates(model, X_fit, y_fit) if c.family in fams]
    if "trees" in fams:
        queue += tree_candidates(model, X_fit, y_fit)
    if "features" in fams:
        queue += feature_pruning_candidates(model, X_fit, y_fit, random_state=random_state)
    for name, m in (candidates or {}).items():
        queue.append(Candidate(str(name), "user", "a variant you supplied", {}, None, model=m, status="built"))
    return queue


def _build_all(queue: list[Candidate], start: float, budget: float, X_fit: Any, y_fit: Any, X_eval: Any,
               fams: tuple[str, ...], cores: int, progress: bool) -> list[Candidate]:
    """Build the queued variants until 60% of the budget is spent; a failure is recorded, never fatal."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(queue), desc="optimize: building variants", disable=not progress, leave=False)
    done: list[Candidate] = []
    derived = False
    i = 0
    while i < len(queue):
        cand = queue[i]
        i += 1
        if cand.status != "built":
            _build_one(cand, start, budget)
        done.append(cand)
        bar.update(1)
        # Cheaper featurisers are optimised further: each gets an ONNX export, the first one
        # that builds also the linear pruning and sparse refit.
        if cand.status == "built" and cand.family == "featuriser":
            more = []
            if not derived:
                more += [c for c in linear_candidates(cand.model, X_fit, y_fit, base=cand.name, label=cand.name)
                         if c.family in fams]
                derived = True
            if "runtime" in fams:
                more += runtime_candidates(cand.name, cand.model, X_eval, cores=cores, base=cand.name)[:1]
            queue[i:i] = more
            bar.total += len(more)
    bar.close()
    return done


def _build_one(cand: Candidate, start: float, budget: float) -> None:
    """Build one variant in place: ``built``, ``skipped`` (nothing to do, out of budget) or ``failed``."""
    if time.perf_counter() - start > 0.6 * budget:
        cand.status, cand.reason = "skipped", "time budget"
        return
    t0 = time.perf_counter()
    try:
        assert cand.build is not None
        cand.model = cand.build()
        cand.status = "built"
    except _NothingToDo as exc:
        cand.status, cand.reason = "skipped", str(exc)
    except Exception as exc:  # a variant that cannot be built is recorded, never fatal
        cand.status, cand.reason = "failed", f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    cand.fit_seconds = time.perf_counter() - t0


def _predict_all(model: Any, done: list[Candidate], X_eval: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Every built model's predictions on the comparison rows; a variant that fails to predict is dropped."""
    models = {"reference": model, **{c.name: c.model for c in done if c.status == "built"}}
    preds: dict[str, np.ndarray] = {}
    for c in [None, *done]:
        name = "reference" if c is None else c.name
        if name not in models:
            continue
        try:
            preds[name] = np.asarray(models[name].predict(X_eval))
        except Exception as exc:  # e.g. ONNX tokenizer on odd input: recorded as failed
            if c is None:
                raise
            c.status, c.reason = "failed", f"predict failed: {type(exc).__name__}: {str(exc)[:200]}"
            models.pop(name)
    for c in done:
        if c.status == "built":
            c.status = "evaluated"
    return models, preds


def _time_all(models: dict[str, Any], X_eval: Any, sizes: tuple[int, ...], left: float, confidence: float,
              random_state: int, progress: bool) -> dict[str, pd.DataFrame]:
    """Timed calls of every model per batch size, pooled over interleaved rounds, within ``left`` seconds."""
    from tqdm.auto import tqdm

    from diagtools.latency import profile_latency

    # At least 0.15 s per variant and batch size: a shorter timing gives intervals too wide to
    # call anything faster, so the budget is overrun a little rather than the timing wasted.
    per = float(np.clip(left * 0.8 / (len(models) * len(sizes)), 0.15, 1.0))
    # Interleaved rounds: every model is timed in each round, so a machine that gets busier or
    # quieter during the run slows all of them alike instead of favouring whichever came last.
    rounds = 3
    pooled: dict[str, list[pd.DataFrame]] = {name: [] for name in models}
    bar = tqdm(total=rounds * len(models), desc="optimize: timing variants", disable=not progress, leave=False)
    for r in range(rounds):
        for j, (name, m) in enumerate(models.items()):
            res = profile_latency(m, X_eval, batch_sizes=sizes, min_runs=8, min_time=min(0.2, per / 2) / rounds,
                                  max_time=per / rounds, n_boot=1, confidence=confidence,
                                  random_state=random_state + 100 * r + j)
            pooled[name].append(res.samples)
            bar.update(1)
    bar.close()
    return {name: pd.concat(parts, ignore_index=True) for name, parts in pooled.items()}


VARIANT_COLUMNS = ["variant", "family", "base", "description", "params", "status", "reason", "fit_seconds",
                   "n_changed", "n_changed_vs_base", "smallest_margin", "non_inferior", "faster", "recommended"]


def _decide(done: list[Candidate], preds: dict[str, np.ndarray], comparison: pd.DataFrame,
            smallest: dict[str, float], primary: str, first_batch: int, alpha: float) -> tuple[pd.DataFrame, str | None]:
    """The variants table and the recommendation: non-inferior and significantly faster, the fastest of those.

    Faster means the p50 ratio's interval lies below 1 at the first batch size and does not lie
    above 1 at the others.
    """
    rows = []
    best, best_speed = None, 0.0
    for c in done:
        row = {"variant": c.name, "family": c.family, "base": c.base, "description": c.description,
               "params": _json(c.params), "status": c.status, "reason": c.reason,
               "fit_seconds": c.fit_seconds, "n_changed": np.nan, "n_changed_vs_base": np.nan,
               "smallest_margin": smallest.get(c.name, np.nan), "non_inferior": False, "faster": False,
               "recommended": False}
        if c.status == "evaluated":
            row["n_changed"] = int((preds[c.name].astype(str) != preds["reference"].astype(str)).sum())
            if c.base in preds:  # an exported model against the model it was exported from
                row["n_changed_vs_base"] = int((preds[c.name].astype(str) != preds[c.base].astype(str)).sum())
            q = comparison[(comparison["variant"] == c.name) & (comparison["metric"] == primary)].iloc[0]
            lat = comparison[(comparison["variant"] == c.name) & (comparison["metric"] == "p50_ms")]
            first = lat[lat["batch_size"] == first_batch].iloc[0]
            others_ok = bool((lat[lat["batch_size"] != first_batch]["ratio_ci_low"] <= 1).all())
            row["non_inferior"] = bool(q["p_value"] < alpha)
            row["faster"] = bool(first["ratio_ci_high"] < 1 and others_ok)
            if row["non_inferior"] and row["faster"]:
                speed = 1.0 - float(first["ratio"])
                if speed > best_speed:
                    best, best_speed = c.name, speed
        rows.append(row)
    variants = pd.DataFrame(rows, columns=VARIANT_COLUMNS)
    if best is not None:
        variants.loc[variants["variant"] == best, "recommended"] = True
    return variants, best
