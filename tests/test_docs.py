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


def test_the_readmes_sample_of_next_is_what_next_prints() -> None:
    """README "Try it" shows `casecli next` on sample.db: it must be the ranking users get
    (issue 12: the sample shows the order of consequences), at 80 columns."""
    from typer.testing import CliRunner

    from casecli.cli.main import app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"casecli --db sample\.db --as (\S+) next\n", readme)
    assert command is not None
    sample = readme[command.end() :].split("```\n")[2]  # the block after the command's
    shown = sample.rstrip("\n").removesuffix(" …").rstrip("\n").splitlines()
    result = CliRunner().invoke(
        app, ["--db", str(ROOT / "sample.db"), "--as", command.group(1), "next"],
        env={"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[: len(shown)] == shown
    assert len(shown) >= 8


def test_the_fast_subset_names_test_files_that_exist() -> None:
    """README: `./scripts/fast-tests` runs a list of files; a renamed one must not vanish."""
    import re

    script = (ROOT / "scripts" / "fast-tests").read_text(encoding="utf-8")
    files = re.findall(r"tests/\S+\.py", script)
    assert len(files) >= 10
    assert [f for f in files if not (ROOT / f).is_file()] == []
    assert "./scripts/fast-tests" in (ROOT / "README.md").read_text(encoding="utf-8")
