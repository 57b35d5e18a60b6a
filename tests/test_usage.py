"""Issue 14 items 19 and 20: every usage mistake is one sentence on stderr, exit 2, never
Click's red box; usage lines name arguments as the help does; help text is reflowed;
shell completion is on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app

SAMPLE = Path(__file__).resolve().parent.parent / "sample.db"
ENV = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}


def run(*args: str, db: Path = SAMPLE):  # type: ignore[no-untyped-def]
    base = ["--db", str(db), "--today", "2026-11-24"]
    return CliRunner().invoke(app, [*base, *args], env=ENV)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A copy of sample.db, for commands that write."""
    copy = tmp_path / "s.db"
    shutil.copy(SAMPLE, copy)
    return copy


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--as", "S0004", "next", "-n", "abc"], "--number must be a whole number of at least 1, not 'abc'."),
        (["--as", "S0004", "next", "-n", "0"], "--number must be a whole number of at least 1, not '0'."),
        (["--as", "S0004", "next", "--explian"], "--explian is not an option of casecli next; did you mean --explain?"),
        (["--as", "S0004", "next", "--bogus"], "--bogus is not an option of casecli next; casecli next --help lists them."),
        (["--as", "S0004", "nxt"], "'nxt' is not a command of casecli; did you mean next?"),
        (["--as", "S0004", "case"], "CASE_ID is missing; type casecli case [OPTIONS] CASE_ID."),
        (["--as", "S0004", "wait", "C0000282"], "WHAT is missing; type casecli wait [OPTIONS] CASE_ID WHAT."),
        (["goals", "sett"], "'sett' is not a command of casecli goals; did you mean set?"),
        (["demo", "x", "--cases"], "--cases needs a value; casecli --help shows how."),
        (["rejects", "--sync", "x"], "--sync must be a whole number, not 'x'."),
        (["--as", "S0004", "progress", "C1", "G1", "--percent", "half"], "--percent must be a whole number, not 'half'."),
        (["--as", "S0001", "goals", "set", "unit:U001", "monthly_visits", "ninety"], "TARGET must be a number like 95 or 4.5, not 'ninety'."),
        (["--as", "S0001", "goals", "set", "office:O01", "cost_effectiveness", "95%"], "cost_effectiveness is not a percent: give TARGET as a plain number, like 4.5."),
        (["--as", "S0004", "resolve", "barrier:1x"], "'barrier:1x' is not a barrier number; give the number casecli waiting shows (5, #5 or barrier:5)."),
    ],
)  # fmt: skip
def test_a_usage_mistake_is_one_sentence_on_stderr_exit_2(args: list[str], said: str) -> None:
    done = run(*args)
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr == f"casecli: {said}\n"


def test_a_percent_sign_on_a_percent_goal_is_read_as_the_percent(store: Path) -> None:
    done = run(
        "--as", "S0001", "--json", "goals", "set", "unit:U001", "monthly_visits", "95%", db=store
    )
    assert done.exit_code == 0, done.stderr
    assert '"target": 95.0' in done.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--as", "S0O04", "next"], "There is no staff member S0O04 in the store; check --as: did you mean S0004?"),
        (["--as", "S0001", "unit", "U01"], "There is no unit U01 in the store; check the unit id: did you mean U001?"),
        (["--as", "S0001", "score", "--office", "O1"], "There is no office O1 in the store; check the id: did you mean O01?"),
        (["--as", "S0001", "goals", "set", "unit:U001", "monthly_visit", "90"], "'monthly_visit' is not a measure casecli knows; did you mean monthly_visits?"),
        (["--as", "S0001", "goals", "set", "worker:S004", "monthly_visits", "90"], "There is no staff member S004 in the store; check the id: did you mean S0004?"),
    ],
)  # fmt: skip
def test_a_mistyped_id_or_measure_gets_did_you_mean(args: list[str], said: str) -> None:
    done = run(*args)
    assert done.exit_code in (1, 2)
    assert done.stderr == f"casecli: {said}\n"


@pytest.mark.parametrize(
    ("who", "hint"),
    [("S0002", "unit:U001"), ("S0001", "unit:U001")],
)
def test_the_empty_goal_list_hint_names_a_unit_that_exists(who: str, hint: str) -> None:
    done = run("--as", who, "goals", "list")
    assert done.stdout == f"No goals set. (casecli goals set {hint} monthly_visits 95)\n"


def test_a_worker_gets_no_goal_hint() -> None:
    assert run("--as", "S0004", "goals", "list").stdout == "No goals set.\n"


def test_usage_lines_name_arguments_without_braces() -> None:
    done = run("case", "--help")
    assert "Usage: casecli case [OPTIONS] CASE_ID" in done.stdout
    assert "{" not in done.stdout
    assert "Usage: casecli unit [OPTIONS] [UNIT_ID]" in run("unit", "--help").stdout


def test_help_text_is_reflowed_not_cut_where_the_docstring_lines_end() -> None:
    text = run("goals", "set", "--help").stdout
    assert "placement_stability (moves per 1,000 days), maltreatment_in_care" in text
    lines = [line.strip() for line in text.splitlines()]
    assert "(victimisations" not in lines and "collected" not in lines and "inherits" not in lines


def test_today_reads_as_a_date_in_help_and_completion_is_offered() -> None:
    text = CliRunner().invoke(app, ["--help"], env=ENV).stdout
    assert "--today" in text and "YYYY-MM-DD" in text
    assert "--install-completion" in text
    next_help = run("next", "--help").stdout
    assert "YYYY-MM-DD" in next_help
