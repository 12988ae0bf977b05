"""Latency, throughput, load and memory profiling (work in progress: timing core only)."""

from __future__ import annotations

from diagtools.latency._profile import LatencyResult, profile_latency
from diagtools.latency._steps import StepProfile, profile_steps
from diagtools.latency._timing import detect_warmup, loop_overhead_ns, time_calls

__all__ = ["LatencyResult", "StepProfile", "detect_warmup", "loop_overhead_ns", "profile_latency", "profile_steps", "time_calls"]
