"""The case study on real customer-support messages (Banking77 subset): data and notebook."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from diagtools.datasets import BANKING77_FILE, load_banking77

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "case_study_customer_support.ipynb"


def test_banking77_subset_has_no_copies_across_its_split():
    train, test = load_banking77("train"), load_banking77("test")
    assert (len(train), len(test)) == (2661, 798)
    assert set(train["intent"]) == set(test["intent"]) and train["intent"].nunique() == 20
    # Exact copies, and copies up to case and spacing.
    assert not set(train["text"]) & set(test["text"])
    norm = lambda s: set(s.str.lower().str.split().str.join(" "))  # noqa: E731
    assert not norm(train["text"]) & norm(test["text"])
    assert train["text"].str.len().min() > 0 and not train["text"].duplicated().any()


def test_banking77_file_is_small_licensed_and_attributed():
    path = ROOT / "data" / BANKING77_FILE
    assert path.stat().st_size < 200_000
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        assert fh.readline().strip() == "text,intent,split"
    assert "Attribution 4.0 International" in (ROOT / "data" / "LICENSE-banking77.txt").read_text(encoding="utf-8")
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert "Casanueva" in readme and "CC BY 4.0" in readme
    both = load_banking77()
    assert list(both.columns) == ["text", "intent", "split"]
    pd.testing.assert_frame_equal(both[both["split"] == "test"].drop(columns="split").reset_index(drop=True),
                                  load_banking77("test"))


def test_bad_split_names_the_argument():
    from diagtools.errors import DiagnosticInputError

    with pytest.raises(DiagnosticInputError, match="split"):
        load_banking77("validation")


@pytest.mark.slow
def test_case_study_finds_the_bottleneck_and_a_noninferior_faster_variant(tmp_path):
    import papermill as pm

    from diagtools.report import _kernel_path

    out = tmp_path / NOTEBOOK.name
    with _kernel_path():
        pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", cwd=str(NOTEBOOK.parent),
                            progress_bar=False, execution_timeout=300)
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    summary_cell = next(c for c in cells if c.get("id") == "summary")
    text = "".join(next(o for o in summary_cell["outputs"] if o["output_type"] == "execute_result")["data"]["text/plain"])
    summary = eval(text, {"__builtins__": {}}, {"None": None, "True": True, "False": False, "nan": float("nan")})
    assert summary["copies_across_split"] == 0 and summary["test_messages"] == 798
    acc = summary["accuracy"]
    # Real messages: the model errs, and the (Wilson) interval has a real width.
    assert acc["estimate"] < 0.99 and acc["errors"] > 0
    assert acc["ci_low"] < acc["estimate"] < acc["ci_high"] and acc["ci_high"] - acc["ci_low"] > 0.01
    assert summary["bottleneck"] == "features/embedding"
    assert summary["recommended"] is not None
    assert summary["speedup_p50_batch1"] > 1.0
    assert summary["noninferiority_p"] < 0.05
    assert summary["finding"].startswith("Recommended:") and f"non-inferior at {summary['margin'] * 100:g} pt" in summary["finding"]
    assert summary["saved_round_trip"]
