"""README's library example runs as written and says what README claims."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_library_example_runs(pyplot):
    from threadpoolctl import threadpool_limits

    import diagtools.demo_models  # noqa: F401  loads OpenMP so the limit below applies

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "README has no python example"
    namespace: dict[str, object] = {}
    with threadpool_limits(limits=1):
        exec(compile(blocks[0], str(README), "exec"), namespace)
    res = namespace["res"]
    assert any(f.title.startswith("Poorly calibrated") for f in res.findings())
    assert namespace["fit"].verdict == "overfitting"
    assert "region=north & channel=phone" in namespace["worst"]
    assert sorted(namespace["drift"].drifted_columns) == ["credit_score", "income", "purpose"]
    assert namespace["slow"] in ("model", "features/repayment")  # the two steps that matter at 1,024 rows
