"""Faster variants of a model that provably lose nothing, and where to deploy them.

``optimize`` proposes variants (ONNX runtime, cheaper featurisers, pruned vocabularies,
sparse refits, fewer or shallower trees, pruned inputs), fits and compares them with a
one-sided non-inferiority test at a stated margin and latency ratios with intervals, and
recommends one only when it is non-inferior and significantly faster. ``deployment_sweep``
times the chosen variant over threads x batch size and names the cheapest setting that meets
a p99 target.
"""

from __future__ import annotations

from diagtools.optimize._onnx import OnnxModel
from diagtools.optimize._optimize import FAMILIES, optimize
from diagtools.optimize._result import OptimizationResult
from diagtools.optimize._sweep import DeploymentSweep, deployment_sweep

__all__ = ["FAMILIES", "DeploymentSweep", "OnnxModel", "OptimizationResult", "deployment_sweep", "optimize"]
