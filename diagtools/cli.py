"""Command-line interface: ``diagtools demo | report | templates | bench | compare``.

Every command shares one error path (:func:`main`): a bad input is ONE line on stderr that
names the argument, what was expected and the fix, with exit code 2; no traceback is shown
for anything but a bug (exit 4; ``DIAGTOOLS_DEBUG=1`` shows it).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from diagtools._cli_common import (
    EXIT_BAD_INPUT,
    EXIT_CODES_TEXT,
    EXIT_INCOMPLETE,
    EXIT_INTERNAL,
    Parser,
    one_line,
)

# Modules that add their own sub-commands through ``register(subparsers)``.
_COMMAND_MODULES = ("diagtools._cli_report", "diagtools._cli_templates", "diagtools._cli_history")


def build_parser() -> Parser:
    """Build the argument parser with every available sub-command."""
    import argparse

    parser = Parser(
        prog="diagtools",
        description="Diagnose one machine-learning model in depth and render a shareable HTML report.",
        epilog=EXIT_CODES_TEXT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
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

    Exit codes: 0 success, 1 a significant regression (``compare``), 2 bad input or usage (one
    line on stderr), 3 report incomplete (a requested section failed or the template stopped),
    4 an unexpected internal error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    from diagtools.errors import DiagnosticInputError
    from diagtools.report import ReportIncompleteError

    prog = f"diagtools {args.command}"
    try:
        return int(args.handler(args) or 0)
    except DiagnosticInputError as exc:
        print(f"{prog}: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ReportIncompleteError as exc:
        print(f"{prog}: incomplete: {one_line(exc)}", file=sys.stderr)
        return EXIT_INCOMPLETE
    except OSError as exc:  # a path the user gave cannot be read or written
        where = f" {exc.filename}" if exc.filename else ""
        print(f"{prog}: error: cannot access{where}: {exc.strerror or exc}. Check the path and its permissions.",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("DIAGTOOLS_DEBUG"):
            raise
        print(f"{prog}: internal error ({type(exc).__name__}: {one_line(exc)}). This is a bug: please report it; "
              "DIAGTOOLS_DEBUG=1 shows the details.", file=sys.stderr)
        return EXIT_INTERNAL


def _version() -> str:
    from diagtools import __version__

    return __version__


if __name__ == "__main__":
    sys.exit(main())
