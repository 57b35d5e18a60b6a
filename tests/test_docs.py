"""docs/RELIABILITY.md maps each promise to the test that proves it: every test it names
exists, so a renamed or deleted test cannot leave a promise unproven in silence."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_reliability_md_names_exists() -> None:
    text = (ROOT / "docs" / "RELIABILITY.md").read_text(encoding="utf-8")
    named = set(re.findall(r"(tests/[\w/]+\.py)::(\w+)", text))
    assert len(named) > 50
    missing = [
        f"{file}::{test}"
        for file, test in sorted(named)
        if not re.search(rf"^\s*(?:async )?def {test}\b", (ROOT / file).read_text(), re.M)
    ]
    assert not missing, missing
