"""Argument helpers shared by every ``diagtools`` command."""

from __future__ import annotations

import argparse

TRUSTED_TYPE_HELP = (
    "trust one more type in a .skops model file, by its exact name as the error lists it "
    "(repeatable; e.g. --trusted-type lightgbm.sklearn.LGBMClassifier --trusted-type lightgbm.basic.Booster)"
)


def add_trusted_type_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--trusted-type NAME`` (repeatable) to a command that loads a model."""
    parser.add_argument(
        "--trusted-type", action="append", default=None, metavar="NAME", dest="trusted_type", help=TRUSTED_TYPE_HELP,
    )
