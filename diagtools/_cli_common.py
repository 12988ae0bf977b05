"""Argument helpers shared by every ``diagtools`` command: one-line errors, checked numbers."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from typing import NoReturn

from diagtools.errors import DiagnosticInputError

#: Exit codes of every command (also in each command's --help and in README).
EXIT_OK, EXIT_REGRESSION, EXIT_BAD_INPUT, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4

EXIT_CODES_TEXT = """exit codes (every command):
  0  success
  1  a significant regression (compare; the CI gate)
  2  bad input or usage: one line on stderr names the argument, what was expected and the fix
  3  report incomplete: a requested section failed (the report is still written, errors at the
     top; --allow-partial accepts it) or the report template stopped
  4  unexpected internal error (a bug: please report it; DIAGTOOLS_DEBUG=1 shows the traceback)
"""

TRUSTED_TYPE_HELP = (
    "trust one more type in a .skops model file, by its exact name as the error lists it "
    "(repeatable; e.g. --trusted-type lightgbm.sklearn.LGBMClassifier --trusted-type lightgbm.basic.Booster)"
)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are ONE line on stderr (argument, problem, fix), exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message`` and where to read the options, on one line; exit 2."""
        text = " ".join(message.split()).rstrip(".")
        sys.stderr.write(f"{self.prog}: error: {text}. See '{self.prog} --help'.\n")
        sys.exit(EXIT_BAD_INPUT)


def add_command(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    *,
    help: str,
    description: str,
    epilog: str,
    formatter_class: type[argparse.HelpFormatter] = argparse.RawDescriptionHelpFormatter,
) -> argparse.ArgumentParser:
    """Add sub-command ``name`` whose --help ends with its exit codes (``epilog``, printed as written)."""
    return sub.add_parser(name, help=help, description=description, epilog=epilog, formatter_class=formatter_class)


def add_trusted_type_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--trusted-type NAME`` (repeatable) to a command that loads a model."""
    parser.add_argument(
        "--trusted-type", action="append", default=None, metavar="NAME", dest="trusted_type", help=TRUSTED_TYPE_HELP,
    )


def int_at_least(minimum: int, example: int) -> Callable[[str], int]:
    """An argparse ``type`` for an integer ``>= minimum``; the message shows a valid example."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number >= {minimum}, got {text!r}; pass e.g. {example}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}; pass e.g. {example}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def seed(text: str) -> int:
    """An argparse ``type`` for a random seed: an integer in [0, 2**32 - 1] (numpy's range)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number in [0, 4294967295], got {text!r}; pass e.g. 0") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected a whole number in [0, 4294967295], got {value}; pass e.g. 0")
    return value


def float_in(low: float, high: float, example: float, *, low_open: bool = False, high_open: bool = False) -> Callable[[str], float]:
    """An argparse ``type`` for a finite number in an interval (open or closed at each end)."""
    shown = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number in {shown}, got {text!r}; pass e.g. {example:g}") from None
        ok = math.isfinite(value) and (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
        if not ok:
            raise argparse.ArgumentTypeError(f"expected a number in {shown}, got {text}; pass e.g. {example:g}")
        return value

    parse.__name__ = f"number in {shown}"
    return parse


#: The one mapping from what the user typed (a flag, or a positional's metavar) to the library
#: argument names whose errors it answers for. A library error starts with its argument
#: ("model: file not found ...", "run_id: no run 7 ..."); on the command line it must name the
#: flag the user typed instead ("--model: file not found ...").
CLI_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "--model": ("model",),
    "--baseline-model": ("model", "baseline_model"),
    "--data": ("data",),
    "--engine": ("engine",),
    "--scheduler": ("scheduler",),
    "--db": ("db", "path"),
    "--name": ("name",),
    "--baseline-name": ("baseline_name",),
    "--tags": ("tags",),
    "--metrics": ("metrics",),
    "--batch-sizes": ("batch_sizes",),
    "--n-boot": ("n_boot",),
    "--random-state": ("random_state",),
    "--alpha": ("alpha",),
    "--metric-tolerance": ("metric_tolerance",),
    "--latency-tolerance": ("latency_tolerance",),
    "BASELINE": ("run_id", "baseline"),
    "CANDIDATE": ("run_id", "candidate"),
}


def flag_message(message: str, flags: tuple[str, ...], default: str | None = None) -> str:
    """Rewrite a library message so it starts with the flag the user typed.

    The first flag in ``flags`` whose library name (:data:`CLI_ARGUMENTS`) starts the message
    replaces that name (``"model: ..."`` -> ``"--model: ..."``, ``"n_boot must ..."`` ->
    ``"--n-boot must ..."``). A message that starts with none of them, nor with a flag, gets
    ``default`` in front when given (``"no run named 'x' ..."`` -> ``"BASELINE: no run named 'x' ..."``).

    Examples
    --------
    >>> flag_message("model: file not found: m.skops. Check the path.", ("--model",))
    '--model: file not found: m.skops. Check the path.'
    >>> flag_message("run_id: no run 7 in h.db.", ("CANDIDATE",))
    'CANDIDATE: no run 7 in h.db.'
    """
    for flag in flags:
        for name in CLI_ARGUMENTS.get(flag, ()):
            if message.startswith((f"{name}:", f"{name} ")):
                return flag + message[len(name):]
    if default is not None and not message.startswith(("-", *flags)):
        return f"{default}: {message}"
    return message


@contextlib.contextmanager
def cli_arguments(*flags: str, default: str | None = None) -> Iterator[None]:
    """Re-raise a library ``DiagnosticInputError`` under the flag the user typed (:func:`flag_message`)."""
    try:
        yield
    except DiagnosticInputError as exc:
        raise DiagnosticInputError(flag_message(str(exc), flags, default)) from exc


def one_line(message: object) -> str:
    """Collapse a message onto one line (library messages may quote multi-line values)."""
    return " ".join(str(message).split())
