"""optimize on three models: what it recommends, how much faster, what it costs in accuracy,
and how long the search took, in one run.

Models:

* **loan**: the demo loan pipeline (``make_loan_model()``: a row-by-row repayment step and
  boosted trees with 255 leaves), trained on the reference window, compared on the current one;
* **intent**: the demo intent pipeline (``make_intent_model("full")``: word and character
  TF-IDF plus the planted slow subword embedding);
* **hgb**: a plain ``HistGradientBoostingClassifier`` (300 iterations, no early stopping) on a
  20-feature synthetic task with 12 noise features.

Floor check: the speed-up optimize reports (wall-clock p50 at batch 1, with its interval) is
checked against the CPU-time ratio (immune to other processes taking the core) and against a bare
``perf_counter_ns`` loop (median of single-row calls, reference and recommended alternated, so
drift hits both but each call starts with the other's cold cache); the search time is set
against the time to refit the recommended variant alone.
Memory: peak RSS of the process after each model (ru_maxrss).

Usage::

    python benchmarks/bench_optimize.py [--budget-scale 1] [--models loan intent hgb] [--clock cpu|wall]

``speedup_b1`` is the recommended variant's p50 speed-up at batch 1 on the ``--clock`` (with its
95% interval); ``cpu_speedup_b1`` the mean CPU-time ratio; ``bare_alt_speedup_b1`` the bare loop.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd


def loan_case() -> tuple[Any, Any, Any, Any, Any]:
    from diagtools.datasets import load_loans
    from diagtools.demo_models import make_loan_model

    # 10,000 of the 20,000 reference rows: each refit of the 255-leaf, 300-round model stays within budget.
    ref, cur = load_loans("reference").sample(10_000, random_state=0), load_loans("current").sample(2000, random_state=0)
    X_train, y_train = ref.drop(columns="defaulted"), ref["defaulted"]
    model = make_loan_model().fit(X_train, y_train)
    return model, cur.drop(columns="defaulted"), cur["defaulted"], X_train, y_train


def intent_case() -> tuple[Any, Any, Any, Any, Any]:
    from diagtools.datasets import load_intents
    from diagtools.demo_models import make_intent_model

    df = load_intents(100, random_state=1)
    train, test = df.iloc[:1000], df.iloc[1000:]
    model = make_intent_model("full").fit(train["text"], train["intent"])
    return model, test["text"], test["intent"], train["text"], train["intent"]


def hgb_case() -> tuple[Any, Any, Any, Any, Any]:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = make_classification(n_samples=12_000, n_features=20, n_informative=8, n_redundant=0, random_state=0)
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)])
    model = HistGradientBoostingClassifier(max_iter=300, early_stopping=False, random_state=0).fit(X[:10_000], y[:10_000])
    return model, X[10_000:], y[10_000:], X[:10_000], y[:10_000]


CASES = {"loan": loan_case, "intent": intent_case, "hgb": hgb_case}
#: optimize's budget per model in seconds (the loan model's refits are the slowest: 300 rounds of
#: 255-leaf trees), multiplied by --budget-scale.
BUDGETS = {"loan": 90.0, "intent": 40.0, "hgb": 40.0}


def bare_speedup(reference: Any, variant: Any, X: Any, calls: int = 200) -> float:
    """Median single-row latency of reference / variant with a bare perf_counter_ns loop."""
    row = X.iloc[:1] if hasattr(X, "iloc") else X[:1]
    pc = time.perf_counter_ns
    ref_t, var_t = [], []
    for _ in range(calls):  # alternate, so machine drift hits both
        t0 = pc()
        reference.predict(row)
        ref_t.append(pc() - t0)
        t0 = pc()
        variant.predict(row)
        var_t.append(pc() - t0)
    return float(np.median(ref_t) / np.median(var_t))


def main() -> None:
    from diagtools.optimize import optimize

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-scale", type=float, default=1.0, help="multiplies each model's budget (BUDGETS)")
    parser.add_argument("--models", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--clock", default="cpu", choices=["cpu", "wall"],
                        help="what the speed test compares (cpu: immune to other processes on a shared machine)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rows = []
    for name in args.models:
        model, X, y, X_train, y_train = CASES[name]()
        t0 = time.perf_counter()
        res = optimize(model, X, y, X_train=X_train, y_train=y_train, margin=0.01, budget=BUDGETS[name] * args.budget_scale,
                       clock=args.clock, progress=False)
        took = time.perf_counter() - t0
        v = res.variants.set_index("variant")
        row: dict[str, Any] = {"model": name, "evaluated": int((v["status"] == "evaluated").sum()),
                               "skipped": int((v["status"] != "evaluated").sum()), "recommended": res.recommended or "-"}
        best = res.recommended
        if best is not None:
            c = res.comparison
            lat = c[(c["variant"] == best) & (c["metric"] == "p50_ms") & (c["batch_size"] == 1)].iloc[0]
            acc = c[(c["variant"] == best) & (c["metric"] == "accuracy")].iloc[0]
            row["speedup_b1"] = f"{1 / lat['ratio']:.2f}x [{1 / lat['ratio_ci_high']:.2f}, {1 / lat['ratio_ci_low']:.2f}]"
            row["speedup_b256"] = f"{res.speedup(best, batch_size=max(res.params['batch_sizes'])):.2f}x"
            row["acc_change_pt"] = f"{acc['difference'] * 100:+.2f} [{acc['difference_ci_low'] * 100:+.2f}, {acc['difference_ci_high'] * 100:+.2f}]"
            row["p_noninf_1pt"] = f"{acc['p_value']:.2g}"
            row["cpu_speedup_b1"] = f"{res.table().set_index('variant').loc[best, 'cpu_speedup_b1']:.2f}x"
            row["bare_alt_speedup_b1"] = f"{bare_speedup(model, res.models[best], X):.2f}x"
            fit_s = float(v.loc[best, "fit_seconds"])
            row["search_vs_refit"] = f"{took / max(fit_s, 1e-3):.0f}x" if np.isfinite(fit_s) else "-"
        else:
            t = res.table()
            t = t[t["status"] == "evaluated"].set_index("variant")
            fastest = t["speedup_p50_b1"].idxmax()
            row["note"] = (f"fastest: {fastest} {t.loc[fastest, 'speedup_p50_b1']:.2f}x, "
                           f"{t.loc[fastest, 'accuracy_change'] * 100:+.2f} pt, p_noninf {t.loc[fastest, 'p_noninferiority']:.2g}, "
                           f"smallest margin {v.loc[fastest, 'smallest_margin'] * 100:.2f} pt")
        row["optimize_s"] = round(took, 1)
        row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        rows.append(row)
        print(f"{name}: done in {took:.1f} s", flush=True)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.max_colwidth", 45):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
