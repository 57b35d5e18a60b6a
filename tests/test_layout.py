"""Issue 14 item 16: `next`, `unit` (a manager's office, a supervisor's unit), `caseload`,
the case card and `score` laid out for 80 to 200 columns (COLUMNS with the CliRunner): no
line wider than the terminal, the key texts whole, and on a wide terminal the figures
beside what they are about, not far to its right."""

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


@pytest.mark.parametrize("width", [80, 100, 120, 200])
def test_the_office_table_keeps_unit_names_whole_and_figures_beside_them(width: int) -> None:
    # The manager's office: "U001 Child Welfare Unit 1" whole at every width (the staff
    # count, then the trend, give way first); at 200 the figures sit beside the name.
    lines = lines_at(width, "--as", "S0001", "unit")
    assert max(len(line) for line in lines) <= width
    row = next(line for line in lines if line.startswith("U001 "))
    assert row.startswith("U001 Child Welfare Unit 1 ") and "167" in row
    assert row.index("167") < 45
    assert ("▇" in row) == (width >= 100)  # the trend only where it fits beside the name
    worker_lines = lines_at(width, "--as", "S0002", "unit")
    olivia = next(line for line in worker_lines if line.startswith("S0004 Olivia Wilson"))
    assert olivia.index("37") < 40


def test_caseload_shows_the_situation_whole_when_there_is_room() -> None:
    # At 160 columns "waiting on substance treatment (waitlisted)" (43 characters) reads
    # whole; at 120 the situation column stops at 34 to leave the next action room.
    wide = lines_at(160, "--as", "S0004", "caseload")
    assert any("waiting on substance treatment (waitlisted)  Chase" in line for line in wide)
    mid = lines_at(120, "--as", "S0004", "caseload")
    assert any("waiting on child care (waitlisted)  " in line for line in mid)
    assert max(len(line) for line in mid) <= 120


def test_the_case_cards_plan_is_never_broken_mid_phrase() -> None:
    narrow = lines_at(80, "--as", "S0001", "case", "C0000042")
    assert "Situation: waiting on mental health (referred)" in narrow
    assert "Plan: behind (50% of the plan done, 91% of the time to 2027-01-22 gone)" in narrow
    wide = lines_at(160, "--as", "S0001", "case", "C0000042")
    assert any(
        line.startswith("Situation: waiting on mental health (referred)   Plan: behind")
        for line in wide
    )


def test_score_titles_read_whole_at_80_columns() -> None:
    lines = lines_at(80, "--as", "S0004", "score")
    assert max(len(line) for line in lines) <= 80
    for title in ("Permanency, in care 12-23 mo ", "Maltreated in care /100k days ",
                  "Maltreatment recurrence "):  # fmt: skip
        assert any(line.startswith(title) for line in lines), title
