"""``casecli record | wait | resolve | progress``: one line, or one JSON object; exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from tests.conftest import FIXTURES

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    db = tmp_path / "s.db"
    values = {
        "CASECLI_CONFIG": str(tmp_path / "config.toml"),
        "CASECLI_DB": str(db),
        "CASECLI_TODAY": "2026-11-24",
        "CASECLI_USER": "W1",
        "CASECLI_JSON": "",
    }
    synced = runner.invoke(app, ["sync", str(FIXTURES / "basic")], env=values)
    assert synced.exit_code == 0, synced.stderr
    return values


def cli(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=env)


def test_record_prints_one_line(env: dict[str, str]) -> None:
    result = cli(env, "record", "C100", "caseworker_visit", "--person", "P3", "--location", "home")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Recorded caseworker_visit on 2026-11-24 with P3 for case C100 (#1).\n"
    plain = cli(env, "record", "C100", "court_report", "--on", "yesterday")
    assert plain.stdout == "Recorded court_report on 2026-11-23 for case C100 (#2).\n"


def test_record_json(env: dict[str, str]) -> None:
    result = cli(
        env, "record", "C100", "drug_screen", "--on", "2026-11-20T08:30", "--result", "negative",
        "--note", "observed", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data.pop("recorded_at").startswith("20")
    assert data == {
        "id": 1,
        "case_id": "C100",
        "kind": "drug_screen",
        "person_id": None,
        "on": "2026-11-20T08:30",
        "location": None,
        "result": "negative",
        "note": "observed",
        "recorded_by": "W1",
    }


def test_wait_resolve_and_progress(env: dict[str, str]) -> None:
    wait = cli(
        env, "wait", "C100", "drug screen result", "--expect", "2026-12-01", "--step", "case_plan"
    )
    assert wait.exit_code == 0, wait.stderr
    assert wait.stdout == (
        "Case C100 is waiting on drug screen result (expected 2026-12-01) (barrier #1); "
        "clear it with casecli resolve 1.\n"
    )
    resolved = cli(env, "resolve", "1", "--note", "negative", "--json")
    assert resolved.exit_code == 0, resolved.stderr
    assert json.loads(resolved.stdout) == {
        "id": 1,
        "case_id": "C100",
        "what": "drug screen result",
        "service": None,
        "step": "case_plan",
        "expect_on": "2026-12-01",
        "opened_on": "2026-11-24",
        "opened_by": "W1",
        "resolved_on": "2026-11-24",
        "resolved_by": "W1",
        "note": "negative",
    }
    again = cli(env, "resolve", "1")
    assert again.exit_code == 1
    assert (
        again.stderr
        == "casecli: Barrier #1 was already resolved on 2026-11-24 by W1; nothing to do.\n"
    )
    progress = cli(env, "progress", "C100", "CG1", "--percent", "40")
    assert progress.stdout == "Recorded progress on goal CG1 of case C100: 40% (#1).\n"
    status = json.loads(
        cli(env, "progress", "C100", "CG2", "--status", "achieved", "--json").stdout
    )
    assert (status["goal_id"], status["status"], status["percent"]) == ("CG2", "achieved", None)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["record", "C200", "caseworker_visit"], 1,
         "Case C200 is not in your caseload (worker W1), so you cannot see or change it."),
        (["record", "C100", "caseworker_visit", "--on", "2026-11-25"], 2,
         "--on 2026-11-25 is in the future; record what has happened (schedule it in the system of record)."),
        (["record", "C100", "visit"], 2,
         "'visit' is not an event kind casecli knows (did you mean caseworker_visit?); see casecli record --help."),
        (["wait", "C100", "x", "--step", "nope"], 1,
         "Step nope is not in the foster_care playbook (its steps: monthly_visit, case_plan, court_report, periodic_review, reunification_assessment, permanency_hearing, tpr_petition)."),
        (["resolve", "7"], 1, "There is no barrier #7 in the store; casecli waiting lists the open ones."),
        (["progress", "C100", "CG1"], 2,
         "Give exactly one of --percent N (0 to 100) or --status (not_started, in_progress, achieved, not_achieved)."),
        (["progress", "C100", "CG1", "--percent", "-1"], 2, "--percent must be between 0 and 100, not -1."),
        (["--as", "Z9", "record", "C100", "caseworker_visit"], 1,
         "There is no staff member Z9 in the store; check --as."),
    ],
)  # fmt: skip
def test_errors_are_one_sentence_with_the_right_exit_code(
    env: dict[str, str], args: list[str], code: int, message: str
) -> None:
    if args[0] == "--as":
        env = {**env, "CASECLI_USER": ""}
    result = cli(env, *args)
    assert result.exit_code == code
    assert result.stderr == f"casecli: {message}\n"
    assert result.stdout == ""


def test_the_playbooks_folder_in_the_config_is_used(env: dict[str, str], tmp_path: Path) -> None:
    books = tmp_path / "books"
    books.mkdir()
    (books / "foster_care.toml").write_text(
        '[[steps]]\nid = "home_study"\ntitle = "Finish the home study"\n'
        'done_by = ["home_study_done"]\ndue = { from = "removal", days = 90 }\n'
    )
    assert cli(env, "config", "set", "playbooks", str(books)).exit_code == 0
    assert cli(env, "wait", "C100", "a home study", "--step", "home_study").exit_code == 0
    assert cli(env, "record", "C100", "home_study_done").exit_code == 0


def test_every_command_has_help(env: dict[str, str]) -> None:
    for command in ("record", "wait", "resolve", "progress"):
        result = cli(env, command, "--help")
        assert result.exit_code == 0 and "--json" in result.stdout, command
    assert "caseworker_visit" in cli(env, "record", "--help").stdout
