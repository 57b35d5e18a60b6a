"""Issue 14 item 16: `next` laid out for 80, 100, 120 and 200 columns (COLUMNS with the
CliRunner): no line wider than the terminal, the key texts whole, and on a wide terminal
due and urgency beside the action, not far to its right."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app

SAMPLE = Path(__file__).resolve().parent.parent / "sample.db"


def lines_at(width: int, *args: str) -> list[str]:
    env = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": str(width)}
    base = ["--db", str(SAMPLE), "--today", "2026-11-24"]
    done = CliRunner().invoke(app, [*base, *args], env=env)
    assert done.exit_code == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("width", [80, 100, 120, 200])
@pytest.mark.parametrize("who", ["S0004", "S0002"])
def test_next_fits_the_terminal_and_keeps_due_and_urgency_whole(width: int, who: str) -> None:
    lines = lines_at(width, "--as", who, "next")
    assert max(len(line) for line in lines) <= width
    first = next(line for line in lines if line.startswith(" 1 "))
    assert first.rstrip().endswith(("2026-11-25  114.4", "2026-11-26  109.7"))


def test_next_at_200_columns_keeps_due_beside_the_action() -> None:
    lines = lines_at(200, "--as", "S0004", "next")
    assert lines[0] == f" # case      {'action':<90}  due           urg"
    assert lines[1].startswith(
        " 1 C0000530  Complete the safety assessment — due in 1 day; scheduled 2026-11-26,"
        " after the deadline"
    )
    assert lines[1].rstrip().endswith("2026-11-25  114.4") and len(lines[1]) < 130
