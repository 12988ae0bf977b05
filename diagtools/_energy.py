"""Energy counters of the processor packages (Linux RAPL under ``/sys/class/powercap``), read-only.

Kept free of heavy imports: the latency profiler and the benchmark worker processes both use it.
RAPL counts the energy of the whole package (every process running on it, not only ours), so a
per-prediction figure is honest only on an otherwise quiet machine; the reports say so.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["RAPL_ROOT", "EnergyMeter"]

#: Where Linux exposes the RAPL energy counters.
RAPL_ROOT = Path("/sys/class/powercap")


class EnergyMeter:
    """Read the cumulative energy counters of the top-level RAPL zones (one per package).

    Parameters
    ----------
    root : path-like, default=RAPL_ROOT
        The powercap directory (a parameter so tests can point it at a fake tree).

    Attributes
    ----------
    available : bool
        Whether at least one package counter can be read.
    reason : str
        Why energy is not available (empty when it is).
    zones : list of str
        Names of the zones summed (e.g. ``["package-0"]``).

    Examples
    --------
    >>> from diagtools._energy import EnergyMeter
    >>> meter = EnergyMeter()
    >>> meter.available or bool(meter.reason)
    True
    """

    def __init__(self, root: str | os.PathLike[str] = RAPL_ROOT) -> None:
        self.root = Path(root)
        self.zones: list[str] = []
        self._files: list[tuple[Path, int]] = []
        self.reason = ""
        if not self.root.is_dir():
            self.reason = (f"no {self.root} on this machine (energy counters need Linux RAPL on the host; "
                           "virtual machines and containers usually hide them)")
            return
        # top-level zones only ("intel-rapl:0", not the sub-zones "intel-rapl:0:0" they already include)
        tops = sorted(p for p in self.root.glob("*-rapl:*") if p.name.count(":") == 1)
        if not tops:
            self.reason = f"no RAPL zones under {self.root} (the processor or kernel does not expose them)"
            return
        denied = []
        for zone in tops:
            counter = zone / "energy_uj"
            try:
                counter.read_text()
            except PermissionError:
                denied.append(counter)
                continue
            except OSError:
                continue
            try:
                wrap = int((zone / "max_energy_range_uj").read_text())
            except (OSError, ValueError):
                wrap = 0
            try:
                name = (zone / "name").read_text().strip()
            except OSError:
                name = zone.name
            self._files.append((counter, wrap))
            self.zones.append(name)
        if not self._files:
            self.reason = (f"{denied[0] if denied else 'the RAPL counters'} cannot be read by this user (since "
                           "Linux 5.10 only root may read energy_uj; a sysadmin can grant read access)")

    @property
    def available(self) -> bool:
        """Whether the counters can be read."""
        return bool(self._files)

    def read(self) -> list[int] | None:
        """Return the current counters in microjoules (None when not available)."""
        if not self._files:
            return None
        try:
            return [int(path.read_text()) for path, _ in self._files]
        except (OSError, ValueError):
            return None

    def joules(self, start: list[int] | None, end: list[int] | None) -> float:
        """Return the energy in joules between two :meth:`read` values (NaN when unknown).

        A counter that wrapped around (it restarts at ``max_energy_range_uj``) is unwrapped.
        """
        if start is None or end is None or len(start) != len(end):
            return float("nan")
        total = 0
        for (_, wrap), a, b in zip(self._files, start, end, strict=False):
            delta = b - a
            if delta < 0:
                delta += wrap
            total += max(delta, 0)
        return total / 1e6
