"""The result contract (docs/design.md), checked on one real example of every Result type."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import pandas as pd
import pytest

import diagtools
from diagtools._result import _REGISTRY, Result
from diagtools.errors import DiagnosticInputError
from tests import _examples
from tests._contract import check_result_contract

AREAS = ("metrics", "fit", "slices", "drift", "latency", "explanations", "history", "quality", "fairness",
         "optimize")

#: Columns of the old "A vs B" schemes, replaced by ``estimate, reference_estimate`` plus a
#: ``difference`` or ``ratio`` statistic with its own interval.
OLD_COMPARISON_COLUMNS = {"model_estimate", "baseline_estimate", "estimate_a", "estimate_b", "rest_estimate",
                          "current_estimate", "candidate_estimate", "baseline_value", "candidate_value"}


def _load_examples() -> dict[str, list[tuple[str, object]]]:
    out: dict[str, list[tuple[str, object]]] = {}
    for info in pkgutil.iter_modules(_examples.__path__):
        module = importlib.import_module(f"tests._examples.{info.name}")
        for label, factory in module.examples():
            out.setdefault(label, []).append(factory)
    return out


def _result_types() -> dict[str, type[Result]]:
    for area in AREAS:
        importlib.import_module(f"diagtools.{area}")
        package = importlib.import_module(f"diagtools.{area}")
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"diagtools.{area}.{info.name}")
    return {name: cls for name, cls in _REGISTRY.items() if cls.__module__.startswith("diagtools.")}


EXAMPLES = _load_examples()
_BUILT: dict[str, Result] = {}


def _example(label: str) -> Result:
    if label not in _BUILT:
        _BUILT[label] = EXAMPLES[label][0]()
    return _BUILT[label]


def test_every_result_type_has_an_example() -> None:
    built_kinds = {label.split(":", 1)[0] for label in EXAMPLES}
    missing = sorted(set(_result_types()) - built_kinds)
    assert not missing, f"Result types without an example in tests/_examples: {missing}"


LABELS = sorted(EXAMPLES)


@pytest.fixture(params=LABELS)
def result(request: pytest.FixtureRequest) -> Result:
    res = _example(request.param)
    assert type(res).__name__ == request.param.split(":", 1)[0], "label must start with the Result type name"
    return res


def test_area_is_the_package_name(result: Result) -> None:
    package = type(result).__module__.split(".")[1]
    assert result.area == package
    assert all(f.area == package for f in result.findings())


def _frames(result: Result) -> dict[str, pd.DataFrame | None]:
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)
            if "DataFrame" in str(f.type)}


def test_frames_are_tidy_and_never_none(result: Result) -> None:
    frames = _frames(result)
    assert "frame" in frames
    for name, frame in frames.items():
        assert isinstance(frame, pd.DataFrame), f"{name} is {type(frame).__name__}, not an (empty) DataFrame"
    assert {"estimate", "ci_low", "ci_high", "n"} <= set(result.frame.columns), list(result.frame.columns)
    for name, frame in frames.items():
        cols = set(frame.columns)
        if "estimate" in cols:
            assert {"ci_low", "ci_high", "n"} <= cols, f"{name}: {sorted(cols)}"


def test_one_comparison_schema(result: Result) -> None:
    for name, frame in _frames(result).items():
        cols = set(frame.columns)
        assert not cols & OLD_COMPARISON_COLUMNS, f"{name} uses an old comparison scheme: {sorted(cols & OLD_COMPARISON_COLUMNS)}"
        if "reference_estimate" in cols:
            stats = {"difference", "ratio"} & cols
            assert stats, f"{name} compares without a named difference or ratio"
            for stat in stats:
                assert {f"{stat}_ci_low", f"{stat}_ci_high"} <= cols, f"{name}: {stat} without its interval"


def test_identity_equality(result: Result) -> None:
    assert result == result
    assert result != dataclasses.replace(result)
    assert len({result, result}) == 1


def test_plot_signatures(result: Result) -> None:
    methods = [name for name in dir(type(result)) if name == "plot" or name.startswith("plot_")]
    for name in methods:
        params = inspect.signature(getattr(type(result), name)).parameters
        if "ax" in params:
            assert params["ax"].kind is inspect.Parameter.KEYWORD_ONLY, f"{name}: ax must be keyword-only"
            assert params["ax"].default is None
        var = [p for p in params.values() if p.kind is inspect.Parameter.VAR_KEYWORD]
        if var:
            assert var[0].name == "kwargs", f"{name}: **{var[0].name} should be **kwargs"
    assert "ax" in inspect.signature(type(result).plot).parameters


def test_plot_refuses_unknown_style(result: Result) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        with pytest.raises(DiagnosticInputError, match="not_a_style"):
            result.plot(not_a_style=1)
    finally:
        plt.close("all")


def test_behaviour_contract(result: Result) -> None:
    check_result_contract(result)


def test_result_types_are_public() -> None:
    for name, cls in _result_types().items():
        area = importlib.import_module(f"diagtools.{cls.__module__.split('.')[1]}")
        assert getattr(area, name, None) is cls, f"{name} is not exported by its area package"
    assert diagtools.__version__
