"""Environment fingerprint stored with latency results (CPU, cores, versions, threads)."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

__all__ = ["environment_fingerprint"]

_LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn", "threadpoolctl", "diagtools")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _threadpools() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("user_api", "internal_api", "num_threads", "version")
    return [{k: info.get(k) for k in keys} for info in threadpool_info()]


def environment_fingerprint() -> dict[str, Any]:
    """Describe the machine and software a measurement was taken on.

    Returns
    -------
    dict
        JSON-able keys ``cpu_model``, ``logical_cores``, ``usable_cores``, ``platform``,
        ``python``, ``libraries`` (name -> version or None) and ``threadpools`` (the BLAS /
        OpenMP pools reported by threadpoolctl: API, implementation, threads, version).

    Examples
    --------
    >>> from diagtools._environment import environment_fingerprint
    >>> fp = environment_fingerprint()
    >>> fp["logical_cores"] >= 1
    True
    """
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count() or 1
    return {
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count() or 1,
        "usable_cores": usable,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "libraries": {name: _version(name) for name in _LIBRARIES},
        "threadpools": _threadpools(),
    }
