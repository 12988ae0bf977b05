"""Write the demo datasets of ``diagtools.datasets`` to CSV files in this folder.

Run from the repository root: ``python data/generate.py``. The generation is seeded, so the
files are identical on every machine; ``tests/test_datasets.py`` checks that they match.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from diagtools.datasets import load_housing, load_intents, load_loans

HERE = Path(__file__).resolve().parent

FILES = {
    "loans_reference.csv": lambda: load_loans("reference"),
    "loans_current.csv": lambda: load_loans("current"),
    "housing.csv": load_housing,
    "intents.csv": load_intents,
}


def main() -> None:
    for name, load in FILES.items():
        frame = load()
        # Write atomically: a reader never sees a half-written file.
        fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".tmp")
        with os.fdopen(fd, "w", newline="") as fh:
            frame.to_csv(fh, index=False, lineterminator="\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, HERE / name)
        print(f"wrote data/{name}: {frame.shape[0]} rows x {frame.shape[1]} columns")


if __name__ == "__main__":
    main()
