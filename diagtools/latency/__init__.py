"""Latency, throughput, load and memory profiling, and accuracy-vs-speed trade-offs.

``profile_latency`` (percentiles per batch size), ``profile_steps`` (the bottleneck step of a
pipeline), ``load_test`` (open-loop Poisson load, LoadGen's Server and Offline scenarios),
``profile_memory`` (peak memory, model size) and ``compare_variants`` (is a cheaper variant as
accurate?).
"""

from __future__ import annotations

from diagtools.latency._load import LoadTestResult, load_test, md1_mean_wait, mg1_mean_wait
from diagtools.latency._memory import MemoryProfile, profile_memory
from diagtools.latency._profile import LatencyResult, profile_latency
from diagtools.latency._size import model_size
from diagtools.latency._steps import StepProfile, profile_steps
from diagtools.latency._timing import detect_warmup, loop_overhead_ns, time_calls
from diagtools.latency._variants import VariantComparison, compare_variants

__all__ = [
    "LatencyResult",
    "LoadTestResult",
    "MemoryProfile",
    "StepProfile",
    "VariantComparison",
    "compare_variants",
    "detect_warmup",
    "load_test",
    "loop_overhead_ns",
    "md1_mean_wait",
    "mg1_mean_wait",
    "model_size",
    "profile_latency",
    "profile_memory",
    "profile_steps",
    "time_calls",
]
