"""Names a package imports on first use (PEP 562), so importing the package stays light.

``diagtools`` itself, ``diagtools.report`` and ``diagtools.widgets`` expose names whose modules
pull in scipy, matplotlib or ipywidgets; each keeps a table of name -> defining module and gets
its ``__getattr__`` and ``__dir__`` from :func:`lazy_names`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, importing ``where[name]`` on first access.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    where : mapping of str to str
        Public name -> absolute name of the module that defines it.

    Returns
    -------
    tuple of callables
        Assign them to the package's ``__getattr__`` and ``__dir__``.

    Examples
    --------
    >>> import types, sys
    >>> pkg = types.ModuleType("pkg"); sys.modules["pkg"] = pkg
    >>> pkg.__getattr__, pkg.__dir__ = lazy_names("pkg", {"sqrt": "math"})
    >>> pkg.sqrt(9.0), "sqrt" in vars(pkg)  # imported once, then a plain attribute
    (3.0, True)
    >>> del sys.modules["pkg"]
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
