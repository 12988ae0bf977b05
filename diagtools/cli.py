"""Command-line interface: ``diagtools demo | report | bench | compare``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules that add their own sub-commands through ``register(subparsers)``.
_COMMAND_MODULES = ("diagtools._cli_report", "diagtools._cli_history")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="diagtools",
        description="Diagnose one machine-learning model in depth and render a shareable HTML report.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code.

    Exit codes: 0 success, 1 a regression or failed check (``compare``), 2 bad input or usage.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from diagtools.errors import DiagnosticInputError

    try:
        return int(args.handler(args) or 0)
    except DiagnosticInputError as exc:
        print(f"diagtools {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _version() -> str:
    from diagtools import __version__

    return __version__


if __name__ == "__main__":
    sys.exit(main())
