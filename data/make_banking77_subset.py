"""Write ``banking77_subset.csv.gz``: 20 intents of Banking77 with its original train/test split.

Source: PolyAI's Banking77 (Casanueva et al., 2020, arXiv:2003.04807), CC BY 4.0; see
README.md in this folder. Run from the repository root with the folder holding the original
``train.csv`` and ``test.csv``::

    python data/make_banking77_subset.py PATH/TO/banking77

Rows are kept as they are (text and label unchanged) except that the two test messages whose
text equals a training message after lower-casing and collapsing whitespace are dropped, so no
test message is a copy of a training one. The gzip stream has mtime 0: rerunning the script
reproduces the same bytes.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "banking77_subset.csv.gz"

#: The 20 intents kept: card delivery and activation, card problems, PINs, refunds, transfers,
#: top-ups, exchange rates and account changes (several pairs are easy to confuse).
INTENTS = (
    "Refund_not_showing_up", "activate_my_card", "apple_pay_or_google_pay", "cancel_transfer", "card_arrival",
    "card_delivery_estimate", "card_not_working", "change_pin", "declined_card_payment", "edit_personal_details",
    "exchange_rate", "failed_transfer", "lost_or_stolen_card", "pending_transfer", "pin_blocked", "request_refund",
    "terminate_account", "top_up_failed", "top_up_limits", "transfer_not_received_by_recipient",
)


def _norm(s: pd.Series) -> pd.Series:
    return s.str.lower().str.split().str.join(" ")


def main(source: str) -> None:
    src = Path(source)
    train = pd.read_csv(src / "train.csv").rename(columns={"category": "intent"})
    test = pd.read_csv(src / "test.csv").rename(columns={"category": "intent"})
    train = train[train["intent"].isin(INTENTS)].assign(split="train")
    test = test[test["intent"].isin(INTENTS)].assign(split="test")
    test = test[~_norm(test["text"]).isin(set(_norm(train["text"])))]
    frame = pd.concat([train, test], ignore_index=True)[["text", "intent", "split"]]
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".tmp")
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    os.chmod(tmp, 0o644)
    os.replace(tmp, OUT)
    print(f"wrote {OUT.name}: {len(train)} train + {len(test)} test messages, {frame['intent'].nunique()} intents, "
          f"{OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "banking77")
